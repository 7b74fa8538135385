//! Roles: grants become policies that OpenBao enforces exactly as the grants say.

use crate::helpers::*;
use crypter_api::{SessionInfo, CSRF_HEADER};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

#[tokio::test]
async fn create_role_writes_record_policy_and_approle() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    let role = json!({
        "name": "deployer", "class": "service", "description": "CI deploys",
        "grants": [grant("staging", "app/*", &["read", "list"], "allow"),
                   grant("*", "app/root", &["read"], "deny")],
    });
    let resp = admin.create_role(role.clone()).await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    let again = admin.create_role(role.clone()).await;
    assert_eq!(error_code(again).await.0, StatusCode::CONFLICT);

    let got: Value = admin
        .send(Method::GET, "/roles/deployer", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["grants"], role["grants"]);

    let policy = admin.role_policy("deployer").await;
    assert_eq!(policy["drift"], false);
    assert_eq!(policy["live"], policy["derived"]);
    assert!(policy["derived"]
        .as_str()
        .unwrap()
        .contains("path \"env/staging/data/app/*\""));

    let approle = app
        .bao
        .read("auth/approle/role/deployer", &app.root)
        .await
        .unwrap()
        .expect("the AppRole exists");
    assert_eq!(
        approle["data"]["token_policies"],
        json!(["crypter-role-deployer"])
    );
    assert_eq!(approle["data"]["token_ttl"], 3600);

    let list: Vec<Value> = admin
        .send(Method::GET, "/roles", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["class"], "service");
    assert_eq!(list[0]["grant_count"], 2);
    assert_eq!(list[0]["drift"], false);

    // Every change is in OpenBao's audit log, as the activity feed shows it.
    let events = app.events(&admin.caller.client).await;
    let policies: Vec<&str> = events
        .iter()
        .filter(|e| e.action == "policy.write" && e.actor == "admin")
        .map(|e| e.target.as_str())
        .collect();
    assert!(
        policies.contains(&"policy/crypter-role-deployer"),
        "{policies:?}"
    );
}

#[tokio::test]
async fn invalid_roles_get_clear_400s() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    let cases = [
        (
            json!({"name": "Bad Name", "class": "service", "grants": []}),
            "name: invalid role name",
        ),
        (
            json!({"name": "r", "class": "service", "grants": [], "descripton": "typo"}),
            "unknown field `descripton`",
        ),
        (
            json!({"name": "r", "class": "service",
                   "grants": [grant("staging", "a", &["sudo"], "allow")]}),
            "unknown variant `sudo`",
        ),
        (
            json!({"name": "r", "class": "service",
                   "grants": [grant("staging", "a/../b", &["read"], "allow")]}),
            "'..' is not allowed",
        ),
        (
            json!({"name": "r", "class": "service",
                   "grants": [grant("nowhere", "a", &["read"], "allow")]}),
            "environment nowhere does not exist",
        ),
        (
            json!({"name": "r", "class": "service",
                   "grants": [grant("staging", "a", &[], "allow")]}),
            "has no capabilities",
        ),
        (
            json!({"name": "r", "class": "robot", "grants": []}),
            "class: unknown variant `robot`",
        ),
        (
            json!({"name": "r", "class": "service", "grants": [],
                   "canaries": [{"environment": "staging", "path": "a"}]}),
            "only e2e roles",
        ),
    ];
    for (body, why) in cases {
        let (status, _, message) = error_code(admin.create_role(body.clone()).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(message.contains(why), "{body}: {message}");
    }
    // Nothing was written for the refused role.
    assert!(app
        .bao
        .read("sys/policies/acl/crypter-role-r", &app.root)
        .await
        .unwrap()
        .is_none());
    // A misspelled field inside a grant too: `traget` must not quietly grant on credentials.
    let (status, code, message) = error_code(
        admin
            .create_role(
                json!({"name": "typo-grant", "class": "service", "description": "",
                "grants": [{"environment": "staging", "traget": "keys", "scope": "*",
                            "capabilities": ["encrypt"], "effect": "allow"}]}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    assert!(message.contains("unknown field `traget`"), "{message}");
    assert!(
        !app.bao_has("sys/policies/acl/crypter-role-typo-grant")
            .await
    );
    // A PUT with a misspelled field is refused whole: the role keeps what it had.
    let typo = json!({"name": "typo", "class": "service", "description": "before", "grants": []});
    assert_eq!(admin.create_role(typo).await.status(), StatusCode::CREATED);
    let (status, code, message) = error_code(
        admin
            .update_role(
                "typo",
                json!({"name": "typo", "class": "service", "description": "after",
                       "grants": [], "grnats": [grant("staging", "a", &["read"], "allow")]}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    assert!(message.contains("unknown field `grnats`"), "{message}");
    let kept = admin.send(Method::GET, "/roles/typo", None).await;
    let kept: Value = kept.json().await.unwrap();
    assert_eq!(kept["description"], "before");
    // The deprecated-login settings too.
    let (status, _, message) = error_code(
        admin
            .send(
                Method::PUT,
                "/settings/auth",
                Some(json!({"deprecated_method": ["userpass/"]})),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        message.contains("unknown field `deprecated_method`"),
        "{message}"
    );

    let (status, code, _) = error_code(admin.send(Method::GET, "/roles/Nope", None).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_role")
    );
    let (status, _, _) = error_code(admin.send(Method::GET, "/roles/nope", None).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_machine_login_gets_exactly_what_the_grants_say_and_check_access_agrees() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    for p in ["app/a", "app/root", "other/x"] {
        put_secret(&app, "staging", p).await;
    }
    put_secret(&app, "production", "app/a").await;
    let resp = admin
        .create_role(json!({
            "name": "reader", "class": "integration",
            "grants": [grant("staging", "app/*", &["read"], "allow"),
                       grant("*", "app/root", &["read"], "deny"),
                       grant("staging", "other/*", &["list"], "allow")],
        }))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    let resp = admin.issue_secret_id("reader", "1h").await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let issued: Value = resp.json().await.unwrap();
    assert!(issued["expires_at"].is_string());
    let token = approle_login(&app, &issued).await;

    // (method, OpenBao path, expected status, check-access env, path, capability)
    let cases = [
        (
            "GET",
            "env/staging/data/app/a",
            200,
            "staging",
            "app/a",
            "read",
        ),
        (
            "GET",
            "env/staging/data/app/root",
            403,
            "staging",
            "app/root",
            "read",
        ),
        (
            "GET",
            "env/production/data/app/a",
            403,
            "production",
            "app/a",
            "read",
        ),
        (
            "LIST",
            "env/staging/metadata/app",
            403,
            "staging",
            "app",
            "list",
        ),
        (
            "LIST",
            "env/staging/metadata/other",
            200,
            "staging",
            "other",
            "list",
        ),
        (
            "GET",
            "env/staging/data/other/x",
            403,
            "staging",
            "other/x",
            "read",
        ),
    ];
    for (method, path, expected, env, cpath, cap) in cases {
        let got = app
            .bao_status(
                &token,
                Method::from_bytes(method.as_bytes()).unwrap(),
                path,
                Value::Null,
            )
            .await;
        assert_eq!(got, expected, "{method} {path}");
        let answer = admin.check("reader", env, cpath).await;
        let allowed = answer["answers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["capability"] == cap)
            .unwrap()["allowed"]
            .as_bool()
            .unwrap();
        assert_eq!(
            allowed,
            expected == 200,
            "check access for {cap} {env}/{cpath}: {answer}"
        );
    }
    // An environment that does not exist is a 400, not a fallback.
    let resp = admin
        .send(
            Method::POST,
            "/roles/reader/check",
            Some(json!({"environment": "nowhere", "path": "app/a"})),
        )
        .await;
    expect_error(resp, StatusCode::BAD_REQUEST, "unknown_environment").await;

    // A write was never granted: OpenBao refuses it, and check access says so.
    let write = app
        .bao
        .write(
            "env/staging/data/app/a",
            &token,
            &json!({"data": {"v": "x"}}),
        )
        .await;
    assert_eq!(write.unwrap_err().status(), Some(403));
    let answer = admin.check("reader", "staging", "app/a").await;
    for a in answer["answers"].as_array().unwrap() {
        if a["capability"] != "read" {
            assert_eq!(a["allowed"], false, "{answer}");
        }
    }
    assert!(answer["capabilities"]["env/staging/data/app/a"]
        .as_array()
        .unwrap()
        .contains(&json!("read")));

    // Listed by accessor; revoked, the pair no longer logs in.
    let ids = admin.secret_ids("reader").await;
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0]["accessor"], issued["accessor"]);
    assert!(ids[0].get("secret_id").is_none());
    let resp = admin
        .revoke_secret_id("reader", issued["accessor"].as_str().unwrap())
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(admin.secret_ids("reader").await.is_empty());
    let relogin = app
        .bao
        .request(
            Method::POST,
            "auth/approle/login",
            None,
            Some(&json!({"role_id": issued["role_id"], "secret_id": issued["secret_id"]})),
        )
        .await;
    assert!(relogin.is_err());
    let again = admin
        .revoke_secret_id("reader", issued["accessor"].as_str().unwrap())
        .await;
    let (status, _, message) = error_code(again).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{message}");
}

#[tokio::test]
async fn secret_ids_refuse_bad_ttls_and_human_roles() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    for (name, class) in [("svc", "service"), ("person", "human")] {
        let r = admin
            .create_role(json!({"name": name, "class": class, "grants": []}))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    expect_error(
        admin.issue_secret_id("svc", "forever").await,
        StatusCode::BAD_REQUEST,
        "invalid_ttl",
    )
    .await;
    // Without a ttl: the documented default, 24 hours, checked on the secret-id in OpenBao.
    let resp = admin
        .send(Method::POST, "/roles/svc/secret-ids", Some(json!({})))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let issued: Value = resp.json().await.unwrap();
    let looked = app
        .bao
        .write(
            "auth/approle/role/svc/secret-id-accessor/lookup",
            &app.root,
            &json!({"secret_id_accessor": issued["accessor"]}),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(looked["data"]["secret_id_ttl"], 24 * 3600, "{looked}");
    expect_error(
        admin.issue_secret_id("person", "1h").await,
        StatusCode::BAD_REQUEST,
        "human_role",
    )
    .await;
    assert!(!app.bao_has("auth/approle/role/person").await);
    let (status, code, _) = error_code(admin.revoke_secret_id("svc", "not;hex").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_accessor")
    );
}

#[tokio::test]
async fn drift_after_a_direct_policy_write_and_lint_rules() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    // A temporary environment that exists only as a mount.
    app.bao
        .write(
            "sys/mounts/env/tmp",
            &app.root,
            &json!({"type": "kv", "options": {"version": "2"}}),
        )
        .await
        .unwrap();
    let r = admin
        .create_role(json!({"name": "ops", "class": "human",
            "grants": [grant("tmp", "*", &["read"], "allow")]}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let findings = crypter::roles::lint::findings(&app.bao, &app.root)
        .await
        .unwrap();
    assert!(findings.is_empty(), "{findings:?}");

    // Someone edits the policy in OpenBao directly.
    app.bao
        .write(
            "sys/policies/acl/crypter-role-ops",
            &app.root,
            &json!({"policy": "path \"env/+/data/*\" { capabilities = [\"read\"] }"}),
        )
        .await
        .unwrap();
    let policy = admin.role_policy("ops").await;
    assert_eq!(policy["drift"], true);
    assert!(policy["live"].as_str().unwrap().contains("env/+/data/*"));
    // The environment goes away: the grant dangles.
    app.bao
        .delete("sys/mounts/env/tmp", &app.root)
        .await
        .unwrap();
    let findings = crypter::roles::lint::findings(&app.bao, &app.root)
        .await
        .unwrap();
    let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        rules,
        vec!["policy-drift", "dangling-grant"],
        "{findings:?}"
    );
    assert_eq!(findings[1].environment.as_deref(), Some("tmp"));

    // Saving the role again (to an existing environment) restores the policy.
    let r = admin
        .update_role(
            "ops",
            json!({"name": "ops", "class": "human",
                "grants": [grant("staging", "*", &["read"], "allow")]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(admin.role_policy("ops").await["drift"], false);
    assert!(crypter::roles::lint::findings(&app.bao, &app.root)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn deleting_a_role_removes_its_policy_and_approle() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    let r = admin
        .create_role(json!({"name": "gone", "class": "service",
            "grants": [grant("staging", "*", &["read"], "allow")]}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        admin.delete_role("gone").await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(!app.bao_has("sys/policies/acl/crypter-role-gone").await);
    assert!(!app.bao_has("auth/approle/role/gone").await);
    assert!(!app.bao_has("crypter/metadata/roles/gone").await);
    assert_eq!(
        admin.delete_role("gone").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_user_without_admin_rights_cannot_manage_roles() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    let r = admin
        .send(
            Method::POST,
            "/users",
            Some(json!({"name": "carol", "password": "a long enough password", "roles": []})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let client = browser();
    let resp = app.login(&client, "carol", "a long enough password").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let info: SessionInfo = resp.json().await.unwrap();
    let resp = client
        .post(app.url("/roles"))
        .header(CSRF_HEADER, &info.csrf_token)
        .json(&json!({"name": "x", "class": "service", "grants": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let _ = app.root.expose_secret();
}

#[tokio::test]
async fn write_grants_are_enforced_on_every_kv2_path() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    put_secret(&app, "staging", "w/existing").await;
    put_secret(&app, "staging", "d/x").await;
    let resp = admin
        .create_role(json!({
            "name": "writer", "class": "service",
            "grants": [grant("staging", "w/*", &["create"], "allow"),
                       grant("staging", "u/*", &["create", "update"], "allow"),
                       grant("staging", "d/*", &["delete"], "allow")],
        }))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let issued: Value = admin
        .issue_secret_id("writer", "1h")
        .await
        .json()
        .await
        .unwrap();
    let token = approle_login(&app, &issued).await;
    let write = |path: &'static str| {
        let (bao, token) = (app.bao.clone(), token.clone());
        async move {
            match bao.write(path, &token, &json!({"data": {"v": "x"}})).await {
                Ok(_) => 200,
                Err(e) => e.status().unwrap(),
            }
        }
    };
    // create: a new credential yes, a new version of an existing one no.
    assert_eq!(write("env/staging/data/w/new").await, 200);
    assert_eq!(write("env/staging/data/w/existing").await, 403);
    // create + update: both.
    assert_eq!(write("env/staging/data/u/a").await, 200);
    assert_eq!(write("env/staging/data/u/a").await, 200);
    // No read was granted on any of them.
    assert_eq!(
        app.bao_status(&token, Method::GET, "env/staging/data/u/a", Value::Null)
            .await,
        403
    );
    // delete: soft delete, undelete, destroy a version, and delete everything.
    let post = |path: &'static str, body: Value| {
        let (bao, token) = (app.bao.clone(), token.clone());
        async move {
            match bao.write(path, &token, &body).await {
                Ok(_) => 200,
                Err(e) => e.status().unwrap(),
            }
        }
    };
    assert_eq!(
        app.bao_status(&token, Method::DELETE, "env/staging/data/d/x", Value::Null)
            .await,
        200
    );
    assert_eq!(
        post("env/staging/undelete/d/x", json!({"versions": [1]})).await,
        200
    );
    assert_eq!(
        post("env/staging/delete/d/x", json!({"versions": [1]})).await,
        200
    );
    assert_eq!(
        post("env/staging/destroy/d/x", json!({"versions": [1]})).await,
        200
    );
    assert_eq!(
        app.bao_status(
            &token,
            Method::DELETE,
            "env/staging/metadata/d/x",
            Value::Null
        )
        .await,
        200
    );
    assert_eq!(write("env/staging/data/d/y").await, 403);
    assert_eq!(
        app.bao_status(
            &token,
            Method::DELETE,
            "env/staging/data/w/new",
            Value::Null
        )
        .await,
        403
    );
    // Check access agrees for each capability on u/a and d/x.
    let answers = admin.check("writer", "staging", "u/a").await;
    let allowed = |a: &Value, cap: &str| {
        a["answers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["capability"] == cap && x["allowed"] == true)
    };
    assert!(allowed(&answers, "create") && allowed(&answers, "update"));
    assert!(!allowed(&answers, "read") && !allowed(&answers, "delete"));
    let answers = admin.check("writer", "staging", "d/x").await;
    assert!(allowed(&answers, "delete") && !allowed(&answers, "update"));
}

#[tokio::test]
async fn the_lint_endpoint_reports_role_rules_and_a_freeze_is_not_drift() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    let r = admin
        .create_role(json!({"name": "writer", "class": "human",
            "grants": [grant("staging", "*", &["read", "create", "update"], "allow")]}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // At full, the freeze rewrites the role's policy: that is not drift.
    let resp = admin
        .send(
            Method::PUT,
            "/freeze",
            Some(json!({"level": "full", "reason": "lint test"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let state: Value = resp.json().await.unwrap();
    assert!(state["policies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "crypter-role-writer"));
    assert_eq!(admin.role_policy("writer").await["drift"], false);
    let lint: Value = admin
        .send(Method::GET, "/lint", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !lint
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "policy-drift"),
        "{lint}"
    );

    // An edit made while frozen is drift, and /lint says so.
    app.bao
        .write(
            "sys/policies/acl/crypter-role-writer",
            &app.root,
            &json!({"policy": "path \"env/+/data/*\" {\n  capabilities = [\"read\", \"update\"]\n}\n"}),
        )
        .await
        .unwrap();
    assert_eq!(admin.role_policy("writer").await["drift"], true);
    let lint: Value = admin
        .send(Method::GET, "/lint", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        lint.as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "policy-drift" && f["path"] == "role/writer"),
        "{lint}"
    );
}
