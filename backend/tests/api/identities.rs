//! Identity checks (every outcome provoked for real), human users and deprecated methods.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn e2e_role(grants: Vec<Value>) -> Value {
    json!({
        "name": "checkout-bot", "class": "e2e", "description": "checkout e2e",
        "grants": grants,
        "canaries": [{"environment": "staging", "path": "e2e/canary"}],
        "forbidden": [{"environment": "staging", "path": "payments/db"},
                      {"environment": "production", "path": "payments/db"}],
    })
}

fn only_result(report: &Value) -> &Value {
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{report}");
    &results[0]
}

#[tokio::test]
async fn identity_checks_report_every_outcome() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    put_secret(&app, "staging", "e2e/canary").await;
    put_secret(&app, "staging", "payments/db").await;
    put_secret(&app, "production", "payments/db").await;
    let good = vec![grant("staging", "e2e/*", &["read"], "allow")];
    assert_eq!(
        admin.create_role(e2e_role(good.clone())).await.status(),
        StatusCode::CREATED
    );

    // No secret-id kept yet: the identity cannot log in.
    let report = admin.identities_check().await;
    assert_eq!(only_result(&report)["status"], "login_failed");
    assert_eq!(report["ok"], false);

    // Issuing a secret-id for an e2e role keeps it for the checks.
    let issued: Value = admin
        .issue_secret_id("checkout-bot", "1h")
        .await
        .json()
        .await
        .unwrap();
    let report = admin.identities_check().await;
    let result = only_result(&report);
    assert_eq!(result["status"], "ok", "{report}");
    assert_eq!(report["ok"], true);
    let probes = result["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 4);
    assert!(probes.iter().all(|p| p["ok"] == true), "{report}");
    assert!(!report
        .to_string()
        .contains(issued["secret_id"].as_str().unwrap()));

    // Break the canary grant.
    let broken = vec![grant("staging", "e2e/other", &["read"], "allow")];
    assert_eq!(
        admin
            .update_role("checkout-bot", e2e_role(broken))
            .await
            .status(),
        StatusCode::OK
    );
    let report = admin.identities_check().await;
    let result = only_result(&report);
    assert_eq!(result["status"], "canary_failed", "{report}");
    assert!(result["details"]
        .as_str()
        .unwrap()
        .contains("staging/e2e/canary (403)"));

    // Give a forbidden path read access.
    let leaky = vec![
        grant("staging", "e2e/*", &["read"], "allow"),
        grant("staging", "payments/*", &["read"], "allow"),
    ];
    admin.update_role("checkout-bot", e2e_role(leaky)).await;
    let report = admin.identities_check().await;
    let result = only_result(&report);
    assert_eq!(result["status"], "forbidden_readable", "{report}");
    assert!(result["details"]
        .as_str()
        .unwrap()
        .contains("staging/payments/db (200)"));

    // Revoke the secret-id.
    admin.update_role("checkout-bot", e2e_role(good)).await;
    assert_eq!(only_result(&admin.identities_check().await)["status"], "ok");
    let resp = admin
        .revoke_secret_id("checkout-bot", issued["accessor"].as_str().unwrap())
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let report = admin.identities_check().await;
    let result = only_result(&report);
    assert_eq!(result["status"], "login_failed", "{report}");
    assert_eq!(result["probes"][0]["got"], 400);
}

#[tokio::test]
async fn deprecated_methods_are_reported_and_flagged() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    let r = admin
        .send(Method::GET, "/settings/auth", None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(r["deprecated_methods"], json!([]));
    let r = admin
        .send(
            Method::PUT,
            "/settings/auth",
            Some(json!({"deprecated_methods": ["approle", "ldap/"]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let saved: Value = r.json().await.unwrap();
    assert_eq!(saved["deprecated_methods"], json!(["approle/", "ldap/"]));
    let (status, code, _) = error_code(
        admin
            .send(
                Method::PUT,
                "/settings/auth",
                Some(json!({"deprecated_methods": ["../x"]})),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_auth_method")
    );

    // approle/ is enabled (bootstrap), ldap/ is not.
    let report = admin.identities_check().await;
    assert_eq!(report["deprecated_enabled"], json!(["approle/"]));
    assert_eq!(report["ok"], false);

    for (name, class) in [("bot", "service"), ("person", "human")] {
        admin
            .create_role(json!({"name": name, "class": class, "grants": []}))
            .await;
    }
    let roles: Vec<Value> = admin
        .send(Method::GET, "/roles", None)
        .await
        .json()
        .await
        .unwrap();
    let flags =
        |n: &str| roles.iter().find(|r| r["name"] == n).unwrap()["deprecated_methods"].clone();
    assert_eq!(flags("bot"), json!(["approle/"]));
    assert_eq!(flags("person"), json!([]));

    admin
        .send(
            Method::PUT,
            "/settings/auth",
            Some(json!({"deprecated_methods": ["userpass/"]})),
        )
        .await;
    let users: Vec<Value> = admin
        .send(Method::GET, "/users", None)
        .await
        .json()
        .await
        .unwrap();
    let admin_user = users.iter().find(|u| u["name"] == "admin").unwrap();
    assert_eq!(admin_user["deprecated_methods"], json!(["userpass/"]));
}

#[tokio::test]
async fn human_users_get_their_roles_policies() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    put_secret(&app, "staging", "team/a").await;
    for (name, scope) in [("team-reader", "team/*"), ("other", "other/*")] {
        admin
            .create_role(json!({"name": name, "class": "human",
                "grants": [grant("staging", scope, &["read"], "allow")]}))
            .await;
    }
    let password = "dave's very long password";
    let resp = admin
        .send(
            Method::POST,
            "/users",
            Some(json!({"name": "dave", "password": password, "roles": ["team-reader"]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body = resp.text().await.unwrap();
    assert!(!body.contains(password), "{body}");
    let user: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(user["roles"], json!(["team-reader"]));

    let live = app
        .bao
        .read("auth/userpass/users/dave", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        live["data"]["token_policies"],
        json!(["crypter-role-team-reader"])
    );

    // dave logs in to OpenBao and reads what his role grants.
    let login = app
        .bao
        .request(
            Method::POST,
            "auth/userpass/login/dave",
            None,
            Some(&json!({ "password": password })),
        )
        .await
        .unwrap()
        .unwrap();
    let token =
        secrecy::SecretString::from(login["auth"]["client_token"].as_str().unwrap().to_owned());
    assert!(app
        .bao
        .read("env/staging/data/team/a", &token)
        .await
        .is_ok());

    // Errors: duplicate, weak password, unknown role, bad name.
    for (body, status, code) in [
        (
            json!({"name": "dave", "password": password}),
            409,
            "user_exists",
        ),
        (
            json!({"name": "erin", "password": "short"}),
            400,
            "weak_password",
        ),
        (
            json!({"name": "erin", "password": password, "roles": ["nope"]}),
            400,
            "unknown_role",
        ),
        (
            json!({"name": "../x", "password": password}),
            400,
            "invalid_json",
        ),
    ] {
        let (s, c, message) =
            error_code(admin.send(Method::POST, "/users", Some(body)).await).await;
        assert_eq!((s.as_u16(), c.as_str()), (status, code), "{message}");
        assert!(!message.contains(password));
    }

    let resp = admin
        .send(
            Method::PUT,
            "/users/dave",
            Some(json!({"roles": ["other"]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let live = app
        .bao
        .read("auth/userpass/users/dave", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        live["data"]["token_policies"],
        json!(["crypter-role-other"])
    );

    // The admin's own non-role policies survive a role change.
    let resp = admin
        .send(
            Method::PUT,
            "/users/admin",
            Some(json!({"roles": ["other"]})),
        )
        .await;
    let u: Value = resp.json().await.unwrap();
    assert_eq!(
        u["other_policies"],
        json!(["crypter-admin", "crypter-operator", "crypter-own"])
    );

    assert_eq!(
        admin
            .send(Method::DELETE, "/users/dave", None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        admin
            .send(Method::DELETE, "/users/dave", None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_demo_e2e_identity_passes() {
    let app = spawn_app().await;
    crypter::demo::load(&app.bao, &app.root).await.unwrap();
    assert_eq!(
        crypter::demo::load_roles(&app.bao, &app.root)
            .await
            .unwrap(),
        2
    );
    // Idempotent.
    assert_eq!(
        crypter::demo::load_roles(&app.bao, &app.root)
            .await
            .unwrap(),
        0
    );
    let admin = Admin::new(&app).await;
    let report = admin.identities_check().await;
    assert_eq!(only_result(&report)["status"], "ok", "{report}");
    assert_eq!(report["ok"], true);
}

/// One username rule: a name the user form refuses, the login refuses too, with the same
/// code; a name one accepts, the other does not refuse as malformed.
#[tokio::test]
async fn login_and_user_creation_share_one_username_rule() {
    // Many logins from one address: above the default rate limit.
    let app = spawn_app_with(crypter::config::Settings {
        login_per_minute: 1000,
        login_burst: 100,
        ..crypter::config::Settings::default()
    })
    .await;
    let admin = Admin::new(&app).await;
    let password = "a-long-enough-password";
    let long = "a".repeat(65);
    let longest = "b".repeat(64);
    for (name, valid) in [
        ("", false),
        (long.as_str(), false),
        ("-starts-with-dash", false),
        ("has space", false),
        ("a/b", false),
        (longest.as_str(), true),
        ("ok.name_2", true),
        ("at@sign", false),
        ("ends-with-dash-", false),
        ("9lives_x-y", true),
    ] {
        let create = admin
            .send(
                Method::POST,
                "/users",
                Some(json!({"name": name, "password": password})),
            )
            .await;
        let login = app.login(&browser(), name, password).await;
        if valid {
            let status = create.status();
            assert_eq!(
                status,
                StatusCode::CREATED,
                "create {name:?}: {}",
                create.text().await.unwrap()
            );
            assert_eq!(login.status(), StatusCode::OK, "login {name:?}");
        } else {
            // Both bodies hold a `Username`: the same refusal, naming the field.
            let (cs, cc, cm) = error_code(create).await;
            let (ls, lc, lm) = error_code(login).await;
            assert_eq!(
                (cs, cc.as_str()),
                (StatusCode::BAD_REQUEST, "invalid_json"),
                "{name:?}"
            );
            assert_eq!(
                (ls, lc.as_str()),
                (StatusCode::BAD_REQUEST, "invalid_json"),
                "{name:?}"
            );
            assert!(cm.contains("name: a username is 1-64"), "{cm}");
            assert!(lm.contains("a username is 1-64"), "{lm}");
        }
    }
}
