//! Grants on keys, enforced by OpenBao for real logins; check access answering for keys;
//! the `create`-on-encrypt escape on bao 2.7.2.

use super::*;

/// The key `staging/cards`, and the service role `payments-api` allowed `capabilities`
/// on the keys that `scope` names.
async fn cards_and_payments_api(app: &TestApp, admin: &Caller, scope: &str, capabilities: Value) {
    admin
        .create_key(app, "staging", "cards", "aes256-gcm96")
        .await;
    let grant = json!({"environment": "staging", "target": "keys", "scope": scope,
        "capabilities": capabilities, "effect": "allow"});
    admin
        .role_with(app, "payments-api", "service", json!([grant]))
        .await;
}

#[tokio::test]
async fn an_approle_login_with_an_encrypt_only_grant_encrypts_and_nothing_else() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    cards_and_payments_api(&app, &admin, "cards", json!(["encrypt"])).await;
    let svc = admin.machine_login(&app, "payments-api").await;

    let body = json!({"plaintext": b64("4111 1111 1111 1111")});
    let encrypted = app
        .bao
        .write("transit/staging/encrypt/cards", &svc, &body)
        .await
        .expect("encrypt is granted");
    let ciphertext = encrypted.unwrap()["data"]["ciphertext"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.bao_status(
            &svc,
            Method::POST,
            "transit/staging/decrypt/cards",
            json!({"ciphertext": ciphertext})
        )
        .await,
        403,
        "decrypt"
    );
    assert_eq!(
        app.bao_status(
            &svc,
            Method::POST,
            "transit/staging/keys/cards/rotate",
            json!({})
        )
        .await,
        403,
        "rotate"
    );
    assert_eq!(
        app.bao_status(&svc, Method::GET, "transit/staging/keys/cards", Value::Null)
            .await,
        403,
        "read"
    );
    // Encrypting with a missing key needs `create`, which no grant derives: no key is made.
    assert_eq!(
        app.bao_status(
            &svc,
            Method::POST,
            "transit/staging/encrypt/cards2",
            body.clone()
        )
        .await,
        403
    );
    assert!(in_openbao(&app, "staging", "cards2").await.is_none());
    assert_eq!(
        in_openbao(&app, "staging", "cards").await.unwrap()["latest_version"],
        1
    );

    // Check access answers the same, from OpenBao.
    let r = admin
        .call(
            &app,
            Method::POST,
            "/roles/payments-api/check",
            json!({"environment": "staging", "key": "cards"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let check: Value = r.json().await.unwrap();
    let allowed: Vec<&str> = check["answers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["allowed"] == true)
        .map(|a| a["capability"].as_str().unwrap())
        .collect();
    assert_eq!(allowed, vec!["encrypt"]);
    assert_eq!(
        check["capabilities"]["transit/staging/encrypt/cards"],
        json!(["update"])
    );
    // Naming both or neither is refused.
    for body in [
        json!({"environment": "staging"}),
        json!({"environment": "staging", "key": "cards", "path": "a"}),
    ] {
        let r = admin
            .call(&app, Method::POST, "/roles/payments-api/check", body)
            .await;
        assert_eq!(r.status(), 400);
    }
}

#[tokio::test]
async fn a_deny_on_one_key_wins_over_an_allow_on_every_key() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    admin
        .create_key(&app, "staging", "cards", "aes256-gcm96")
        .await;
    admin
        .create_key(&app, "staging", "root-ca", "aes256-gcm96")
        .await;
    admin.role_with(&app, "signer", "service", json!([
        {"environment": "*", "target": "keys", "scope": "*", "capabilities": ["encrypt", "rotate"], "effect": "allow"},
        {"environment": "staging", "target": "keys", "scope": "root-ca", "capabilities": ["encrypt", "rotate"], "effect": "deny"}
    ])).await;
    let svc = admin.machine_login(&app, "signer").await;
    let body = json!({"plaintext": b64("x")});
    assert_eq!(
        app.bao_status(
            &svc,
            Method::POST,
            "transit/staging/encrypt/cards",
            body.clone()
        )
        .await,
        200
    );
    assert_eq!(
        app.bao_status(&svc, Method::POST, "transit/staging/encrypt/root-ca", body)
            .await,
        403
    );
    assert_eq!(
        app.bao_status(
            &svc,
            Method::POST,
            "transit/staging/keys/cards/rotate",
            json!({})
        )
        .await,
        200
    );
    assert_eq!(
        app.bao_status(
            &svc,
            Method::POST,
            "transit/staging/keys/root-ca/rotate",
            json!({})
        )
        .await,
        403
    );
    // Exports are denied to the role's policy however the key is configured.
    let policy = app
        .bao
        .read("sys/policies/acl/crypter-role-signer", &app.root)
        .await
        .unwrap()
        .unwrap();
    let hcl = policy["data"]["policy"].as_str().unwrap();
    assert!(
        hcl.contains("path \"transit/+/export/*\" {\n  capabilities = [\"deny\"]"),
        "{hcl}"
    );
    assert!(!hcl.contains("\"create\""), "{hcl}");
}

#[tokio::test]
async fn bad_key_grants_are_refused_with_what_to_change() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    for (grant, why) in [
        (
            json!({"environment": "staging", "target": "keys", "scope": "pay*", "capabilities": ["rotate"], "effect": "allow"}),
            "rotate",
        ),
        (
            json!({"environment": "staging", "target": "keys", "scope": "cards", "capabilities": ["list"], "effect": "allow"}),
            "not a capability on keys",
        ),
        (
            json!({"environment": "staging", "scope": "a/*", "capabilities": ["decrypt"], "effect": "allow"}),
            "not a capability on credentials",
        ),
        (
            json!({"environment": "staging", "target": "keys", "scope": "Cards", "capabilities": ["encrypt"], "effect": "allow"}),
            "key scope",
        ),
    ] {
        let r = admin
            .call(
                &app,
                Method::POST,
                "/roles",
                json!({"name": "bad", "class": "service", "grants": [grant]}),
            )
            .await;
        let (s, code, message) = error_code(r).await;
        assert_eq!(
            (s.as_u16(), code.as_str()),
            (400, "invalid_grant"),
            "{message}"
        );
        assert!(message.contains(why), "{message}");
    }
    assert!(!app.bao_has("sys/policies/acl/crypter-role-bad").await);
}

/// On bao 2.7.2, a token with `create` on `…/encrypt/<name>` makes a missing key just by
/// encrypting: that would escape the freeze of key creation. Crypter derives `update`
/// only, and its transit mounts refuse the upsert whatever a policy grants.
#[tokio::test]
async fn the_create_on_encrypt_escape_is_closed() {
    let app = spawn_app().await;
    app.bao
        .write(
            "sys/mounts/transit/plain",
            &app.root,
            &json!({"type": "transit"}),
        )
        .await
        .unwrap();
    let policy = "path \"transit/+/encrypt/*\" { capabilities = [\"create\", \"update\"] }";
    app.bao
        .write(
            "sys/policies/acl/upserter",
            &app.root,
            &json!({"policy": policy}),
        )
        .await
        .unwrap();
    let token = app.token_with(&["upserter"]).await;
    let body = json!({"plaintext": b64("x")});
    // The escape exists on a transit mount as OpenBao makes it…
    assert_eq!(
        app.bao_status(
            &token,
            Method::POST,
            "transit/plain/encrypt/made",
            body.clone()
        )
        .await,
        200
    );
    assert!(app.bao_has("transit/plain/keys/made").await);
    // …and not on an environment's: refused, nothing made.
    assert_eq!(
        app.bao_status(&token, Method::POST, "transit/staging/encrypt/made", body)
            .await,
        400
    );
    assert!(in_openbao(&app, "staging", "made").await.is_none());
}

#[tokio::test]
async fn ciphertext_counts_are_written_by_admins_and_operators_only() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    cards_and_payments_api(&app, &admin, "*", json!(["encrypt", "decrypt", "read"])).await;
    let svc = admin.machine_login(&app, "payments-api").await;
    let body = json!({"data": {"places": []}});
    let path = "crypter/data/key-usage/staging/cards";
    assert_eq!(
        app.bao_status(&svc, Method::POST, path, body.clone()).await,
        403
    );
    let backend = app.token_with(&["crypter-backend"]).await;
    assert_eq!(
        app.bao_status(&backend, Method::POST, path, body.clone())
            .await,
        403
    );
    assert_eq!(
        app.bao_status(
            &svc,
            Method::POST,
            "crypter/data/keys/staging/cards",
            body.clone()
        )
        .await,
        403
    );
    let admin_only = app.token_with(&["crypter-admin"]).await;
    assert_eq!(
        app.bao_status(&admin_only, Method::POST, path, body).await,
        200
    );
}
