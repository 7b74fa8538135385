//! Search across environments: metadata only, only what the caller's token may list, and
//! a write made directly in OpenBao found within ten seconds.

use crate::helpers::*;
use crypter_api::SearchResults;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

impl TestApp {
    pub async fn search(&self, c: &Caller, q: &str) -> SearchResults {
        let resp = self
            .call(c, Method::GET, &format!("/search?q={q}"), None)
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{q}");
        resp.json().await.unwrap()
    }
}

fn places(r: &SearchResults) -> Vec<String> {
    r.hits
        .iter()
        .map(|h| format!("{}/{}", h.environment, h.path))
        .collect()
}

#[tokio::test]
async fn search_finds_by_label_owner_description_and_class_across_environments() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "svc/db", "needle-in-a-value", "service")
        .await;
    let body = json!({"data": {"v": "secret-x"}, "class": "integration", "owner": "team-ledger",
        "description": "Card network sandbox", "labels": ["blue-moon"]});
    let resp = app
        .put_credential(&c, "production", "partners/visa", body)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let found = app.search(&c, "blue-moon").await;
    assert_eq!(places(&found), ["production/partners/visa"]);
    let hit = &found.hits[0];
    assert_eq!(
        (
            hit.kind.as_str(),
            hit.class.as_deref(),
            hit.owner.as_deref()
        ),
        ("credential", Some("integration"), Some("team-ledger"))
    );
    assert_eq!(found.environments, ["production", "staging"]);
    for q in ["LEDGER", "card%20sandbox", "integration"] {
        assert_eq!(
            places(&app.search(&c, q).await),
            ["production/partners/visa"],
            "{q}"
        );
    }
    // Every word must match; a path match ranks first.
    assert_eq!(places(&app.search(&c, "svc").await), ["staging/svc/db"]);
    assert!(app.search(&c, "blue-moon%20staging").await.hits.is_empty());

    // Values are never searched, and never answered.
    let resp = app.call(&c, Method::GET, "/search?q=needle-in", None).await;
    let text = resp.text().await.unwrap();
    let r: SearchResults = serde_json::from_str(&text).unwrap();
    assert!(r.hits.is_empty(), "{text}");
    let all = app.search(&c, "s").await;
    let text = serde_json::to_string(&all).unwrap();
    assert!(!text.contains("needle-in-a-value") && !text.contains("secret-x"));
}

#[tokio::test]
async fn search_sees_only_the_environments_the_token_may_list() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "shared/name", "a", "service").await;
    app.seed(&c, "production", "shared/name", "b", "service")
        .await;
    let (user, token) = app
        .user_with_policy(
            "staging-reader",
            r#"path "env/staging/detailed-metadata/*" { capabilities = ["list", "scan"] }
path "env/staging/metadata/*" { capabilities = ["read", "list"] }"#,
        )
        .await;
    let found = app.search(&user, "shared").await;
    assert_eq!(found.environments, ["staging"]);
    assert_eq!(places(&found), ["staging/shared/name"]);

    // OpenBao itself refuses that user's token a listing of production.
    let scan = reqwest::Method::from_bytes(b"SCAN").unwrap();
    let denied = app
        .bao
        .request(
            scan,
            "env/production/detailed-metadata/",
            Some(&token),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(denied.status(), Some(403));

    // A mount the token can see but not list is left out, not an error.
    let (half, _) = app
        .user_with_policy(
            "half",
            r#"path "env/production/data/*" { capabilities = ["read"] }"#,
        )
        .await;
    let found = app.search(&half, "shared").await;
    assert!(found.environments.is_empty() && found.hits.is_empty());
}

#[tokio::test]
async fn search_shows_a_write_made_directly_in_openbao_within_ten_seconds() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "svc/a", "v", "service").await;
    assert_eq!(app.search(&c, "svc").await.hits.len(), 1);

    // Through Crypter: found at once, from the session's patched listing.
    let body = json!({"data": {"v": "1"}, "class": "service", "labels": ["via-crypter"]});
    app.put_credential(&c, "staging", "svc/b", body).await;
    assert_eq!(
        places(&app.search(&c, "via-crypter").await),
        ["staging/svc/b"]
    );

    // Directly in OpenBao: found once the listing is refreshed, within 10 s.
    app.bao
        .write(
            "env/staging/data/svc/behind-the-back",
            &app.root,
            &json!({"data": {"v": "x"}}),
        )
        .await
        .unwrap();
    let (app, c) = (&app, &c);
    eventually(
        "found 10 s after the write",
        Duration::from_secs(10),
        move || async move {
            let found = app.search(c, "behind-the-back").await;
            (!found.hits.is_empty()).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn search_input_is_validated_and_needs_a_session() {
    let app = spawn_app().await;
    let c = app.caller().await;
    for q in ["", "%20%20", &"x".repeat(201)] {
        let resp = app
            .call(&c, Method::GET, &format!("/search?q={q}"), None)
            .await;
        expect_error(resp, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
    let resp = app.call(&c, Method::GET, "/search?q=a&limit=0", None).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = browser().get(app.url("/search?q=a")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
