//! The activity feed is OpenBao's own audit log: requests made around Crypter show, a
//! service cannot forge entries, Crypter's own value reads are not reveals, and OpenBao
//! decides who sees what.

use crate::helpers::*;
use crypter::config::Settings;
use crypter_api::{ActivityAction, ActivityEvent, ActivityPage};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::json;
use std::time::Duration;

impl TestApp {
    pub async fn activity(&self, c: &Caller, query: &str) -> Response {
        self.call(c, Method::GET, &format!("/activity{query}"), None)
            .await
    }

    /// The newest 500 events the caller may see.
    pub async fn events(&self, client: &Client) -> Vec<ActivityEvent> {
        let resp = client
            .get(self.url("/activity?limit=500"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let page: ActivityPage = resp.json().await.unwrap();
        assert!(page.feed.connected);
        page.events
    }
}

fn on<'a>(events: &'a [ActivityEvent], target: &str) -> Vec<(&'a str, &'a str, &'a str)> {
    events
        .iter()
        .filter(|e| e.target == target)
        .map(|e| (e.action.as_str(), e.actor.as_str(), e.outcome.as_str()))
        .collect()
}

#[tokio::test]
async fn changes_and_reveals_through_crypter_are_in_the_feed_without_values() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "svc/db", "logged-secret-1", "service")
        .await;
    app.seed(&c, "staging", "svc/db", "logged-secret-2", "service")
        .await;
    let reveal = app.reveal(&c, "staging", "svc/db", Some(1)).await;
    assert_eq!(reveal.status(), StatusCode::OK);
    assert_eq!(
        app.delete_credential(&c, "staging", "svc/db")
            .await
            .status(),
        StatusCode::OK
    );

    let text = app.activity(&c, "?limit=500").await.text().await.unwrap();
    assert!(!text.contains("logged-secret"), "{text}");
    let page: ActivityPage = serde_json::from_str(&text).unwrap();
    let mine = on(&page.events, "staging/svc/db");
    let actions: Vec<&str> = mine
        .iter()
        .map(|e| e.0)
        .filter(|a| *a != "credential.retag")
        .collect();
    assert_eq!(
        actions,
        [
            "credential.delete",
            "credential.reveal",
            "credential.write",
            "credential.write"
        ],
        "newest first: {mine:?}"
    );
    assert!(
        mine.iter().all(|e| e.1 == "admin" && e.2 == "ok"),
        "{mine:?}"
    );
    let reveal = page
        .events
        .iter()
        .find(|e| e.action == "credential.reveal")
        .unwrap();
    assert_eq!(reveal.environment.as_deref(), Some("staging"));
    assert_eq!(reveal.path, "env/staging/data/svc/db");

    // Paging: two at a time, following `next` as `before`, reaches the same events.
    let mut paged = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let resp = app.activity(&c, &query).await;
        assert_eq!(resp.status(), StatusCode::OK, "{query}");
        let p: ActivityPage = resp.json().await.unwrap();
        assert!(p.events.len() <= 2);
        paged.extend(p.events);
        match p.next {
            Some(next) => query = format!("?limit=2&before={next}"),
            None => break,
        }
    }
    let ids = |v: &[ActivityEvent]| v.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&page.events));

    // Filtered by action: only that action, and the reveal above among them.
    let resp = app
        .activity(&c, "?limit=500&action=credential.reveal")
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let reveals: ActivityPage = resp.json().await.unwrap();
    assert!(!reveals.events.is_empty());
    assert!(reveals
        .events
        .iter()
        .all(|e| e.action == ActivityAction::CredentialReveal));
    assert!(reveals.events.iter().any(|e| e.id == reveal.id));
    let (status, code, message) =
        error_code(app.activity(&c, "?action=changesets.apply").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_action")
    );
    assert!(message.contains("credential.reveal"), "{message}");

    for q in [
        "?limit=0",
        "?limit=501",
        "?before=../x",
        "?before=12-a/b",
        "?own_reads=maybe",
        "?backend_records=1",
    ] {
        let (status, _, _) = error_code(app.activity(&c, q).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
    }
}

#[tokio::test]
async fn a_reveal_made_directly_against_openbao_shows_with_its_actor() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "payments/db", "direct-value", "service")
        .await;
    app.bao
        .write(
            "sys/policies/acl/reader",
            &app.root,
            &json!({"policy": "path \"env/staging/data/*\" { capabilities = [\"read\"] }"}),
        )
        .await
        .unwrap();
    app.user_with("alice", "alice-pass-123", &["reader"]).await;
    // Alice logs in and reads the value without Crypter.
    let alice = app.bao_login("ALICE", "alice-pass-123").await;
    let read = app
        .bao
        .read("env/staging/data/payments/db", &alice)
        .await
        .unwrap();
    assert!(read.is_some());

    let events = app.events(&c.client).await;
    let seen = on(&events, "staging/payments/db");
    assert!(
        seen.contains(&("credential.reveal", "alice", "ok")),
        "{seen:?}"
    );
    let login = events
        .iter()
        .find(|e| e.action == "session.login" && e.actor == "alice")
        .expect("her login is there too");
    assert_eq!(login.target, "userpass");
}

#[tokio::test]
async fn crypters_own_value_reads_are_not_reveals() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(Settings {
        changesets_dir: Some(dir.path().to_owned()),
        ..Settings::default()
    })
    .await;
    let c = app.caller().await;
    for env in ["staging", "production"] {
        app.seed(&c, env, "shared/key", "same-value", "service")
            .await;
    }
    crate::changesets::write_file(
        dir.path(),
        "001.toml",
        r#"id = "001"
author = "t"
description = "copy shared"
environment = "production"

[[operations]]
op = "copy_credentials"
from = { environment = "staging", prefix = "shared/" }
to = { prefix = "shared/" }
"#,
    );
    let plan = app.call(&c, Method::POST, "/changesets/plan", None).await;
    assert_eq!(plan.status(), StatusCode::OK);
    let cmp = app
        .call(
            &c,
            Method::GET,
            "/compare?left=staging&right=production",
            None,
        )
        .await;
    assert_eq!(cmp.status(), StatusCode::OK);
    // The lint reads a value only when its kept digest is stale: change one outside Crypter.
    app.bao
        .write(
            "env/staging/data/shared/key",
            &app.root,
            &json!({"data": {"value": "changed-outside"}}),
        )
        .await
        .unwrap();
    assert_eq!(app.call(&c, Method::GET, "/lint", None).await.status(), 200);

    let events = app.events(&c.client).await;
    let reads: Vec<&ActivityEvent> = events
        .iter()
        .filter(|e| e.target.ends_with("/shared/key") && e.operation == "read")
        .collect();
    for purpose in ["plan", "compare", "lint"] {
        assert!(
            reads.iter().any(|e| e.purpose.as_deref() == Some(purpose)),
            "{purpose}: {reads:#?}"
        );
    }
    assert!(
        reads.iter().all(|e| e.action == "credential.read"),
        "no reveal among them: {reads:#?}"
    );
    // They can be left out, so that a page is not filled with them.
    let page: ActivityPage = app
        .activity(&c, "?limit=500&own_reads=false")
        .await
        .json()
        .await
        .unwrap();
    assert!(page
        .events
        .iter()
        .all(|e| e.purpose.is_none() || e.operation != "read"));
    assert!(page.events.iter().any(|e| e.action == "credential.write"));
}

#[tokio::test]
async fn a_role_token_cannot_write_activity_and_sees_no_feed() {
    let app = spawn_app().await;
    let c = app.caller().await;
    let role = json!({"name": "payments-api", "class": "service", "description": "",
        "grants": [{"environment": "staging", "scope": "payments/*",
                    "capabilities": ["read"], "effect": "allow"}]});
    let resp = app.call(&c, Method::POST, "/roles", Some(role)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let service = app.token_with(&["crypter-role-payments-api"]).await;
    let forged = app
        .bao
        .write(
            "crypter/data/activity/forged",
            &service,
            &json!({"data": {"actor": "alice", "action": "credential.reveal"}}),
        )
        .await;
    assert!(
        matches!(forged, Err(crypter::bao::BaoError::Forbidden { .. })),
        "{forged:?}"
    );

    // A person holding only that role may not see the feed.
    app.user_with(
        "svc-owner",
        "svc-owner-pass-1",
        &["crypter-role-payments-api"],
    )
    .await;
    let (client, _) = app.session_of("svc-owner", "svc-owner-pass-1").await;
    let resp = client.get(app.url("/activity")).send().await.unwrap();
    let (status, _, message) = error_code(resp).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message.contains("sys/audit"), "{message}");
}

#[tokio::test]
async fn each_user_sees_only_the_environments_they_may_list() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "a/visible", "v1", "service").await;
    app.seed(&c, "production", "a/hidden", "v2", "service")
        .await;
    app.bao
        .write(
            "sys/policies/acl/staging-auditor",
            &app.root,
            &json!({"policy": "path \"sys/audit\" { capabilities = [\"read\"] }
path \"env/staging/metadata/*\" { capabilities = [\"list\"] }"}),
        )
        .await
        .unwrap();
    app.user_with("auditor", "auditor-pass-1", &["staging-auditor"])
        .await;
    let (client, _) = app.session_of("auditor", "auditor-pass-1").await;
    let seen = app.events(&client).await;
    assert!(seen.iter().any(|e| e.target == "staging/a/visible"));
    assert!(
        seen.iter()
            .all(|e| e.environment.as_deref() != Some("production")),
        "production is not theirs to see"
    );
    // The admin sees both.
    let all = app.events(&c.client).await;
    assert!(all.iter().any(|e| e.target == "production/a/hidden"));
}

#[tokio::test]
async fn audit_lines_are_ingested_only_with_the_ingest_policy() {
    let dir = tempfile::tempdir().unwrap();
    let ingest = dir.path().join("ingested.log");
    let app = spawn_app_with(Settings {
        audit_ingest_file: Some(ingest.clone()),
        ..Settings::default()
    })
    .await;
    let line = json!({
        "time": "2026-01-02T03:04:05.000000001Z", "type": "response",
        "auth": {"display_name": "userpass-carol", "policies": ["default"]},
        "request": {"id": "0000aaaa-1111-2222-3333-444455556666", "operation": "read",
                    "path": "env/staging/data/elsewhere"},
        "response": {"data": {"data": {"v": "hmac-sha256:00"}}},
    })
    .to_string();
    let post = |token: Option<String>, body: String| {
        let url = app.url("/audit/ingest");
        async move {
            let mut req = reqwest::Client::new().post(url).body(body);
            if let Some(t) = token {
                req = req.header("X-Vault-Token", t);
            }
            req.send().await.unwrap()
        }
    };
    use secrecy::ExposeSecret;
    let shipper = app.token_with(&["crypter-audit-ingest"]).await;
    let other = app.token_with(&["crypter-admin"]).await;
    assert_eq!(post(None, line.clone()).await.status(), 401);
    assert_eq!(
        post(Some(other.expose_secret().into()), line.clone())
            .await
            .status(),
        403
    );
    let bad = post(
        Some(shipper.expose_secret().into()),
        format!("{line}\nnot json\n"),
    )
    .await;
    let message = expect_error(bad, StatusCode::BAD_REQUEST, "invalid_audit_lines").await;
    assert!(message.contains("line 2"), "{message}");
    assert!(!ingest.exists(), "nothing of a bad batch is kept");
    let ok = post(Some(shipper.expose_secret().into()), line.clone()).await;
    assert_eq!(ok.status(), 200);

    let c = app.caller().await;
    let events = app.events(&c.client).await;
    assert_eq!(
        on(&events, "staging/elsewhere"),
        [("credential.reveal", "carol", "ok")]
    );
}

#[tokio::test]
async fn openbao_keeps_serving_while_crypter_is_stopped() {
    let app = spawn_app().await;
    let c = app.caller().await;
    assert!(!app.events(&c.client).await.is_empty());
    // The feed only reads files; with the backend gone, OpenBao answers as before.
    app.stop_backend();
    let body = json!({"data": {"v": "1"}});
    let wrote = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        app.bao.write("env/staging/data/after", &app.root, &body),
    )
    .await
    .expect("OpenBao answers at once");
    assert!(wrote.is_ok());
}

#[tokio::test]
async fn without_an_audit_source_the_feed_says_it_is_not_connected() {
    let app = spawn_app().await;
    // A second backend over the same OpenBao, told of no audit log.
    let bare = serve_backend(app.bao.clone(), Settings::default(), app.creds.clone()).await;
    let (client, _) = bare.admin().await;
    let page: ActivityPage = bare.get_json(&client, "/activity").await;
    assert!(!page.feed.connected);
    assert!(page.events.is_empty() && page.next.is_none());
    let writes: crypter_api::FrozenWrites = bare.get_json(&client, "/freeze/writes").await;
    assert!(!writes.feed.connected);
}

/// People's actions first: the backend identity's own bookkeeping (sealing session tokens,
/// writing job and digest records) is left out unless asked for.
#[tokio::test]
async fn the_backend_identity_s_own_records_show_only_when_asked() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "people/first", "v", "service")
        .await;
    let backend = "approle:crypter-backend";
    let all = eventually(
        "the backend's records reach the feed",
        Duration::from_secs(10),
        || async {
            let page: ActivityPage = app
                .activity(&c, "?limit=500&backend_records=true")
                .await
                .json()
                .await
                .unwrap();
            page.events
                .iter()
                .any(|e| e.actor == backend)
                .then_some(page)
        },
    )
    .await;
    assert!(all.events.iter().any(|e| e.actor != backend));
    let default: ActivityPage = app.activity(&c, "?limit=500").await.json().await.unwrap();
    assert!(
        default.events.iter().all(|e| e.actor != backend),
        "{:#?}",
        default.events
    );
    assert!(default
        .events
        .iter()
        .any(|e| e.action == "credential.write" && e.target.ends_with("people/first")));
}
