//! Nobody can rewrite the records that bind them: each attack of the trust review, tried
//! with tokens used directly against OpenBao, as a user with direct access would.

use crate::helpers::*;
use crypter::bao::BaoError;
use crypter_api::CSRF_HEADER;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::time::Duration;

/// The records Crypter keeps that bind people, with a body to write to each.
const BINDING: &[&str] = &[
    "crypter/data/freeze/snapshot",
    "crypter/data/freeze/state",
    "crypter/data/changelog/2026-01-10-qa-environment",
    "crypter/data/changesets/lock",
    "crypter/data/changesets/uploads/forged",
    "crypter/data/runbooks/run-1",
    "crypter/data/runbook-templates/forged",
];

async fn status(app: &TestApp, token: &SecretString, method: Method, path: &str) -> u16 {
    let body = if method == Method::GET || method == Method::DELETE {
        Value::Null
    } else {
        json!({"data": {"forged": true}})
    };
    app.bao_status(token, method, path, body).await
}

#[tokio::test]
async fn an_admin_only_token_gets_403_on_every_record_that_binds_and_still_reads_them() {
    let app = spawn_app().await;
    // The freeze writes its own two records.
    for path in BINDING.iter().filter(|p| !p.contains("/freeze/")) {
        app.bao
            .write(path, &app.root, &json!({"data": {"original": true}}))
            .await
            .unwrap();
    }
    // A provisioning freeze by the operator, as in the incident.
    let (op, s) = app.admin().await;
    let resp = op
        .put(app.url("/freeze"))
        .header(CSRF_HEADER, &s.csrf_token)
        .json(&json!({"level": "provisioning", "reason": "trust test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    let admin = app.token_with(&["crypter-admin", "default"]).await;
    for path in BINDING {
        assert_eq!(
            status(&app, &admin, Method::POST, path).await,
            403,
            "write {path}"
        );
        let meta = path.replacen("/data/", "/metadata/", 1);
        assert_eq!(
            status(&app, &admin, Method::DELETE, &meta).await,
            403,
            "delete {meta}"
        );
        assert_eq!(
            status(&app, &admin, Method::DELETE, path).await,
            403,
            "delete {path}"
        );
        assert_eq!(
            status(&app, &admin, Method::GET, path).await,
            200,
            "read {path}"
        );
    }
    // Operators (who are, in effect, root) write them.
    let operator = app.token_with(&["crypter-operator"]).await;
    assert_eq!(
        status(&app, &operator, Method::POST, "crypter/data/changelog/x").await,
        200
    );
    // The thaw still works: the snapshot is untouched.
    let resp = op
        .delete(app.url("/freeze"))
        .header(CSRF_HEADER, &s.csrf_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

/// What a token may do on each path, as OpenBao says.
async fn caps(app: &TestApp, token: &SecretString, paths: &[&str]) -> Value {
    app.bao
        .write("sys/capabilities-self", token, &json!({ "paths": paths }))
        .await
        .unwrap()
        .unwrap()["data"]
        .clone()
}

fn writes(caps: &Value, path: &str) -> bool {
    caps[path]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| ["create", "update", "root"].contains(&c.as_str().unwrap()))
}

#[tokio::test]
async fn an_admin_who_is_an_operator_keeps_every_right_through_each_freeze_level() {
    let app = spawn_app().await;
    let provisioning: &[&str] = &[
        "sys/mounts/env/qa",
        "sys/policies/acl/crypter-role-qa",
        "auth/approle/role/qa",
        "auth/userpass/users/qa-user",
        "crypter/data/roles/qa",
        "crypter/data/environments/qa",
        "crypter/data/freeze/state",
        "crypter/data/changelog/x",
        "crypter/data/changesets/lock",
        "crypter/data/runbooks/x",
    ];
    let full: &[&str] = &[
        "env/staging/data/x",
        "auth/approle/role/qa/secret-id",
        "crypter/data/e2e/qa",
    ];
    let (op, s) = app.admin().await;
    let demo_admin = app.bao_login("admin", ADMIN_PASSWORD).await;
    let admin_only = app.token_with(&["crypter-admin", "default"]).await;
    for (level, frozen_for_admins) in [("provisioning", provisioning), ("full", full)] {
        let resp = op
            .put(app.url("/freeze"))
            .header(CSRF_HEADER, &s.csrf_token)
            .json(&json!({"level": level, "reason": "keeps its rights"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{level}");
        let all: Vec<&str> = provisioning.iter().chain(full).copied().collect();
        let both = caps(&app, &demo_admin, &all).await;
        for p in &all {
            assert!(
                writes(&both, p),
                "{level}: admin+operator lost {p}: {}",
                both[p]
            );
        }
        let only = caps(&app, &admin_only, frozen_for_admins).await;
        for p in frozen_for_admins {
            assert!(
                !writes(&only, p),
                "{level}: an admin-only token may write {p}"
            );
        }
    }
}

#[tokio::test]
async fn probe_token_roles_hand_out_only_what_they_are_for() {
    let app = spawn_app().await;
    let (client, s) = app.admin().await;
    let role = json!({"name": "payments-api", "class": "service", "description": "",
        "grants": [{"environment": "staging", "scope": "payments/*",
                    "capabilities": ["read"], "effect": "allow"}]});
    let resp = client
        .post(app.url("/roles"))
        .header(CSRF_HEADER, &s.csrf_token)
        .json(&role)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let admin = app.token_with(&["crypter-admin", "default"]).await;
    let mint = |role: &'static str, policies: Value| {
        let body = json!({ "policies": policies, "ttl": "60s" });
        let bao = app.bao.clone();
        let token = admin.clone();
        async move {
            bao.write(&format!("auth/token/create/{role}"), &token, &body)
                .await
        }
    };
    // Check access: a short-lived child token carrying one role's policy, nothing else.
    let ok = mint("crypter-check", json!(["crypter-role-payments-api"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ok["auth"]["token_type"], "service");
    assert!(!ok["auth"]["orphan"].as_bool().unwrap(), "{ok}");
    assert_eq!(ok["auth"]["policies"], json!(["crypter-role-payments-api"]));
    for foreign in [
        "crypter-admin",
        "crypter-operator",
        "crypter-backend",
        "root",
    ] {
        let refused = mint("crypter-check", json!([foreign])).await;
        assert!(
            matches!(refused, Err(BaoError::Rejected { status: 400, .. })),
            "{foreign}: {refused:?}"
        );
    }
    // Freeze verification's role: operators only.
    let refused = mint("crypter-freeze-probe", json!(["crypter-role-payments-api"])).await;
    assert!(
        matches!(refused, Err(BaoError::Forbidden { .. })),
        "{refused:?}"
    );
    let operator = app.token_with(&["crypter-operator"]).await;
    let probe = app
        .bao
        .write(
            "auth/token/create/crypter-freeze-probe",
            &operator,
            &json!({"policies": ["crypter-admin"], "ttl": "60s"}),
        )
        .await;
    assert!(probe.is_ok(), "{probe:?}");
    // The old catch-all role is gone.
    assert!(!app.bao_has("auth/token/roles/crypter-probe").await);
}

#[tokio::test]
async fn role_create_refuses_a_policy_or_approle_crypter_did_not_make() {
    let app = spawn_app().await;
    let (client, s) = app.admin().await;
    app.bao
        .write(
            "auth/approle/role/legacy-svc",
            &app.root,
            &json!({"token_policies": ["legacy"]}),
        )
        .await
        .unwrap();
    let hand_made = "path \"secret/*\" {\n  capabilities = [\"read\"]\n}\n";
    app.bao
        .write(
            "sys/policies/acl/crypter-role-handmade",
            &app.root,
            &json!({ "policy": hand_made }),
        )
        .await
        .unwrap();
    let create = |name: &str, class: &str| {
        client
            .post(app.url("/roles"))
            .header(CSRF_HEADER, &s.csrf_token)
            .json(&json!({"name": name, "class": class, "description": "", "grants": []}))
            .send()
    };
    let (status, _, message) = error_code(create("legacy-svc", "service").await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{message}");
    assert!(message.contains("AppRole named legacy-svc"), "{message}");
    let (status, _, message) = error_code(create("handmade", "human").await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(message.contains("crypter-role-handmade"), "{message}");
    // Nothing of theirs changed, and no reservation was left behind.
    let approle = app
        .bao
        .read("auth/approle/role/legacy-svc", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(approle["data"]["token_policies"], json!(["legacy"]));
    let policy = app
        .bao
        .read("sys/policies/acl/crypter-role-handmade", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(policy["data"]["policy"], hand_made);
    for name in ["legacy-svc", "handmade"] {
        let resp = client
            .get(app.url(&format!("/roles/{name}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{name}");
    }
    // A role of Crypter's own that was half made before is taken over.
    let ours = "# Managed by Crypter: role leftover. Edit the role's grants in Crypter, not this policy.\n";
    app.bao
        .write(
            "sys/policies/acl/crypter-role-leftover",
            &app.root,
            &json!({ "policy": ours }),
        )
        .await
        .unwrap();
    assert_eq!(
        create("leftover", "service").await.unwrap().status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn nobody_deletes_their_own_user_whatever_the_case() {
    let app = spawn_app().await;
    let client = browser();
    let resp = app.login(&client, "ADMIN", ADMIN_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let s: crypter_api::SessionInfo = resp.json().await.unwrap();
    assert_eq!(
        s.username, "admin",
        "the session names the user as OpenBao does"
    );
    for name in ["admin", "ADMIN", "Admin"] {
        let resp = client
            .delete(app.url(&format!("/users/{name}")))
            .header(CSRF_HEADER, &s.csrf_token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CONFLICT, "{name}");
    }
    assert!(app.bao_has("auth/userpass/users/admin").await);
}

#[tokio::test]
async fn the_dev_root_token_is_not_on_any_command_line() {
    use secrecy::ExposeSecret;
    let app = spawn_app().await;
    let pid = app.bao_process.as_ref().unwrap().pid().unwrap();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    assert!(cmdline.contains("server -dev"), "{cmdline}");
    assert!(
        !cmdline.contains(app.root.expose_secret()),
        "ps shows the root token: {cmdline}"
    );
    // It still is the root token, passed through the environment.
    assert!(app.token_alive(&app.root).await);
}

/// No token outlives the person who made it: an admin deleted through Crypter takes with
/// it its own token and every token it minted through Crypter's token roles or as a plain
/// child, within a second, checked straight against OpenBao.
#[tokio::test]
async fn deleting_an_admin_ends_every_token_it_made_within_a_second() {
    let app = spawn_app().await;
    let (client, s) = app.admin().await;
    let role = json!({"name": "minted", "class": "human", "description": "",
        "grants": [{"environment": "staging", "scope": "*", "capabilities": ["read"], "effect": "allow"}]});
    let resp = client
        .post(app.url("/roles"))
        .header(CSRF_HEADER, &s.csrf_token)
        .json(&role)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    for name in ["maker", "maker-2"] {
        app.bao
            .write(
                &format!("auth/userpass/users/{name}"),
                &app.root,
                &json!({"password": "maker-password-1", "token_policies": ["crypter-admin"]}),
            )
            .await
            .unwrap();
    }
    let login = |name: &'static str| {
        let bao = app.bao.clone();
        async move {
            let a = bao
                .unauthenticated(
                    reqwest::Method::POST,
                    &format!("auth/userpass/login/{name}"),
                    Some(&json!({"password": "maker-password-1"})),
                )
                .await
                .unwrap()
                .unwrap();
            SecretString::from(a["auth"]["client_token"].as_str().unwrap().to_owned())
        }
    };
    let maker = login("maker").await;
    let bystander = login("maker-2").await;
    let mut minted = vec![maker.clone()];
    let roles = app.bao.list("auth/token/roles", &app.root).await.unwrap();
    for r in &roles {
        let body = json!({"policies": ["crypter-role-minted"]});
        if let Ok(Some(t)) = app
            .bao
            .write(&format!("auth/token/create/{r}"), &maker, &body)
            .await
        {
            minted.push(SecretString::from(
                t["auth"]["client_token"].as_str().unwrap().to_owned(),
            ));
        }
    }
    assert!(
        minted.len() >= 2,
        "the maker minted through no token role ({roles:?})"
    );
    let resp = client
        .delete(app.url("/users/maker"))
        .header(CSRF_HEADER, &s.csrf_token)
        .send()
        .await
        .unwrap();
    expect_status(resp, StatusCode::NO_CONTENT).await;
    let alive = |t: SecretString| {
        let bao = app.bao.clone();
        async move { bao.read("auth/token/lookup-self", &t).await.is_ok() }
    };
    eventually(
        "every token the maker made ends",
        Duration::from_secs(1),
        || async {
            for t in &minted {
                if alive(t.clone()).await {
                    return None;
                }
            }
            Some(())
        },
    )
    .await;
    // Another person whose name starts the same keeps their session.
    assert!(alive(bystander).await, "maker-2's token was revoked too");
}

/// One's own records (a job's marker, an approval request) are reached through
/// `crypter-own` alone, for one's own entity only, and a full freeze leaves them so. Tried
/// with each person's own token, straight against OpenBao.
#[tokio::test]
async fn own_records_are_reached_through_crypter_own_for_ones_own_entity_only() {
    let app = spawn_app().await;
    for (name, policies) in [
        ("ana", &["crypter-admin", "crypter-own"][..]),
        ("bo", &["crypter-admin"][..]),
        ("olga", &["crypter-operator", "crypter-own"][..]),
    ] {
        app.user_with(name, "own-password-1", policies).await;
    }
    let mut people = Vec::new();
    for name in ["ana", "bo", "olga"] {
        let token = app.bao_login(name, "own-password-1").await;
        let me = app.entity_of(&token).await;
        people.push((token, me));
    }
    let [(ana, ana_id), (bo, bo_id), (olga, olga_id)] = <[_; 3]>::try_from(people).unwrap();
    let marker = |who: &str| format!("crypter/data/job-owners/{who}/job-0123456789abcdef");

    let (op, session) = app.admin().await;
    for (round, level) in [(0, None), (1, Some("full"))] {
        if let Some(level) = level {
            app.freeze_ok(&op, &session.csrf_token, level).await;
        }
        // A new request id each round: `create` only, so writing one again is refused.
        let request = |who: &str| format!("crypter/data/approvals/requests/{who}/{round:016x}");
        let post = Method::POST;
        let cases = [
            // (who, method, path, status, why)
            (&ana, post.clone(), request(&ana_id), 200, "ana asks"),
            (
                &ana,
                Method::GET,
                request(&ana_id),
                200,
                "ana reads her request",
            ),
            (
                &ana,
                post.clone(),
                request(&ana_id),
                403,
                "ana rewrites her request",
            ),
            (
                &ana,
                Method::GET,
                marker(&ana_id),
                404,
                "ana reads her own markers",
            ),
            (&ana, post.clone(), request(&bo_id), 403, "ana asks as bo"),
            (
                &ana,
                Method::GET,
                marker(&olga_id),
                403,
                "ana reads olga's marker",
            ),
            (
                &bo,
                post.clone(),
                request(&bo_id),
                403,
                "bo lacks crypter-own",
            ),
            (
                &bo,
                Method::GET,
                marker(&bo_id),
                403,
                "bo lacks crypter-own",
            ),
            (&olga, post.clone(), request(&olga_id), 200, "olga asks"),
            (
                &olga,
                post.clone(),
                request(&ana_id),
                403,
                "olga asks as ana",
            ),
            (
                &olga,
                Method::GET,
                request(&ana_id),
                403,
                "olga reads ana's request",
            ),
            (
                &olga,
                Method::GET,
                marker(&ana_id),
                404,
                "operators read every marker",
            ),
        ];
        for (token, method, path, want, why) in cases {
            assert_eq!(
                status(&app, token, method, &path).await,
                want,
                "{why} ({path}, frozen: {level:?})"
            );
        }
    }
}
