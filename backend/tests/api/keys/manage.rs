//! Creating, rotating, configuring, trying and deleting keys, checked in OpenBao.

use super::*;
use reqwest::StatusCode;

#[tokio::test]
async fn a_key_is_created_rotated_and_its_minimum_versions_moved_as_openbao_shows() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    let made = admin
        .create_key(&app, "staging", "cards", "aes256-gcm96")
        .await;
    assert_eq!(made.key.latest_version, 1);
    assert_eq!(made.key.owner.as_deref(), Some("payments"));
    let live = in_openbao(&app, "staging", "cards").await.unwrap();
    assert_eq!(live["type"], "aes256-gcm96");
    assert_eq!(live["exportable"], false);
    assert_eq!(live["allow_plaintext_backup"], false);
    assert_eq!(live["deletion_allowed"], false);
    let record = app
        .bao
        .read("crypter/data/keys/staging/cards", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record["data"]["data"]["owner"], "payments");
    assert_eq!(record["data"]["data"]["created_by"], "admin");

    let on_cards = |op: &'static str, body: Value| admin.key_op(&app, "staging", "cards", op, body);
    let (s, old) = on_cards("encrypt", json!({"plaintext": b64("4111 1111")})).await;
    assert_eq!(s, 200, "{old}");
    let old = old["ciphertext"].as_str().unwrap().to_owned();
    assert!(old.starts_with("vault:v1:"));

    let (s, rotated) = on_cards("rotate", json!({})).await;
    assert_eq!(s, 200, "{rotated}");
    assert_eq!(rotated["key"]["latest_version"], 2);
    assert_eq!(rotated["versions"].as_array().unwrap().len(), 2);
    assert_eq!(
        in_openbao(&app, "staging", "cards").await.unwrap()["latest_version"],
        2
    );
    // A rotated key keeps decrypting the old ciphertext, and encrypts with the new version.
    let (s, plain) = on_cards("decrypt", json!({"ciphertext": old})).await;
    assert_eq!(
        (s, plain["plaintext"].as_str()),
        (200, Some(b64("4111 1111").as_str()))
    );
    let (_, new) = on_cards("encrypt", json!({"plaintext": b64("x")})).await;
    assert_eq!(new["key_version"], 2);

    // Raise the minimum decryption version: the old ciphertext stops decrypting, in OpenBao.
    let patch = |body: Value| {
        admin.call(
            &app,
            Method::PATCH,
            "/environments/staging/keys/cards",
            body,
        )
    };
    let r = patch(json!({"min_decryption_version": 2})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        in_openbao(&app, "staging", "cards").await.unwrap()["min_decryption_version"],
        2
    );
    let (s, refused) = on_cards("decrypt", json!({"ciphertext": old})).await;
    assert_eq!(
        (s, refused["error"]["code"].as_str()),
        (400, Some("key_refused"))
    );
    // Lower it again: it decrypts again.
    assert_eq!(
        patch(json!({"min_decryption_version": 1})).await.status(),
        200
    );
    assert_eq!(
        in_openbao(&app, "staging", "cards").await.unwrap()["min_decryption_version"],
        1
    );
    let (s, _) = on_cards("decrypt", json!({"ciphertext": old})).await;
    assert_eq!(s, 200);
    let r = patch(json!({"min_encryption_version": 3})).await;
    let msg = expect_error(r, StatusCode::BAD_REQUEST, "invalid_version").await;
    assert!(msg.contains("rotate first"), "{msg}");

    let r = admin
        .call(&app, Method::GET, "/environments/staging/keys", Value::Null)
        .await;
    let list: Vec<Value> = r.json().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0]["name"].as_str(), list[0]["latest_version"].as_u64()),
        (Some("cards"), Some(2))
    );
    assert_eq!(list[0]["rotation_due"], false);
}

#[tokio::test]
async fn signing_and_hmac_keys_sign_verify_and_refuse_what_they_cannot_do() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    admin
        .create_key(&app, "staging", "webhooks", "ed25519")
        .await;
    let input = b64("{\"event\":\"paid\"}");
    let (s, signed) = admin
        .key_op(&app, "staging", "webhooks", "sign", json!({"input": input}))
        .await;
    assert_eq!(s, 200, "{signed}");
    let signature = signed["signature"].as_str().unwrap();
    let (_, ok) = admin
        .key_op(
            &app,
            "staging",
            "webhooks",
            "verify",
            json!({"input": input, "signature": signature}),
        )
        .await;
    assert_eq!(ok["valid"], true);
    let (_, forged) = admin
        .key_op(
            &app,
            "staging",
            "webhooks",
            "verify",
            json!({"input": b64("{\"event\":\"refunded\"}"), "signature": signature}),
        )
        .await;
    assert_eq!(forged["valid"], false);
    let (s, body) = admin
        .key_op(
            &app,
            "staging",
            "webhooks",
            "encrypt",
            json!({"plaintext": input}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("key_refused")),
        "{body}"
    );

    let (s, mac) = admin
        .key_op(&app, "staging", "webhooks", "hmac", json!({"input": input}))
        .await;
    assert_eq!(s, 200);
    let (_, ok) = admin
        .key_op(
            &app,
            "staging",
            "webhooks",
            "verify",
            json!({"input": input, "hmac": mac["hmac"]}),
        )
        .await;
    assert_eq!(ok["valid"], true);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    admin
        .create_key(&app, "staging", "cards", "aes256-gcm96")
        .await;
    let (by, on) = (&admin, &app);
    let post = move |path: String, body: Value| async move {
        by.call(on, Method::POST, &path, body).await
    };
    // Each case: the path below /environments/, the status, the code, the JSON body.
    for case in [
        r#"staging/keys 400 invalid_json {"name": "Cards", "key_type": "aes256-gcm96"}"#,
        r#"staging/keys 400 invalid_json {"name": "ends-", "key_type": "aes256-gcm96"}"#,
        r#"staging/keys 400 invalid_json {"name": "x", "key_type": "des"}"#,
        r#"staging/keys 400 invalid_auto_rotate_period {"name": "x", "key_type": "hmac", "auto_rotate_period": 60}"#,
        r#"staging/keys 400 invalid_labels {"name": "x", "key_type": "hmac", "labels": ["no spaces"]}"#,
        r#"nowhere/keys 404 environment_not_found {"name": "x", "key_type": "hmac"}"#,
        r#"Prod/keys 400 invalid_environment {"name": "x", "key_type": "hmac"}"#,
        r#"staging/keys 409 key_exists {"name": "cards", "key_type": "hmac"}"#,
        r#"staging/keys/cards/encrypt 400 invalid_base64 {"plaintext": "hunter2 is not base64!"}"#,
        r#"staging/keys/cards/decrypt 400 invalid_key_request {"ciphertext": "hunter2"}"#,
        r#"staging/keys/cards/decrypt 400 invalid_key_request {}"#,
        r#"staging/keys/cards/explode 400 invalid_action {}"#,
        r#"staging/keys/ghost/encrypt 404 key_not_found {"plaintext": "aGk="}"#,
        r#"staging/keys/cards/scan 400 invalid_field {"field": ""}"#,
    ] {
        let [path, status, code, body] = case.splitn(4, ' ').collect::<Vec<_>>()[..] else {
            panic!("a case is: path status code body")
        };
        let (status, body): (u16, Value) =
            (status.parse().unwrap(), serde_json::from_str(body).unwrap());
        let r = post(format!("/environments/{path}"), body).await;
        let (s, c, message) = error_code(r).await;
        assert_eq!(
            (s.as_u16(), c.as_str()),
            (status, code),
            "{path}: {message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }
    let r = admin
        .call(
            &app,
            Method::PATCH,
            "/environments/staging/keys/cards",
            json!({"deletion_allowed": true}),
        )
        .await;
    let (s, c, _) = error_code(r).await;
    assert_eq!((s.as_u16(), c.as_str()), (400, "reason_required"));
    assert!(in_openbao(&app, "staging", "x").await.is_none());
    assert_eq!(
        in_openbao(&app, "staging", "cards").await.unwrap()["deletion_allowed"],
        false
    );

    // A transit key Crypter did not make is never taken over.
    app.bao
        .write(
            "transit/staging/keys/foreign",
            &app.root,
            &json!({"type": "aes256-gcm96"}),
        )
        .await
        .unwrap();
    let r = post(
        "/environments/staging/keys".to_owned(),
        json!({"name": "foreign", "key_type": "ed25519"}),
    )
    .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        in_openbao(&app, "staging", "foreign").await.unwrap()["type"],
        "aes256-gcm96"
    );
    assert!(!app.bao_has("crypter/data/keys/staging/foreign").await);
}

#[tokio::test]
async fn keys_are_never_exportable_and_only_an_operator_turns_deletion_on() {
    let app = spawn_app().await;
    let operator = Caller::admin(&app).await;
    operator
        .create_key(&app, "staging", "cards", "aes256-gcm96")
        .await;
    // An administrator who is not an operator, with their own token, straight at OpenBao.
    app.user_with("ana", "ana-password-1", &["crypter-admin"])
        .await;
    let ana = app.bao_login("ana", "ana-password-1").await;
    for (method, path, body) in [
        (
            Method::POST,
            "transit/staging/keys/cards/config",
            json!({"exportable": true}),
        ),
        (
            Method::POST,
            "transit/staging/keys/cards/config",
            json!({"allow_plaintext_backup": true}),
        ),
        (
            Method::POST,
            "transit/staging/keys/cards/config",
            json!({"deletion_allowed": true}),
        ),
        (
            Method::POST,
            "transit/staging/keys/open",
            json!({"type": "aes256-gcm96", "exportable": true}),
        ),
        (
            Method::GET,
            "transit/staging/export/encryption-key/cards",
            Value::Null,
        ),
        (Method::GET, "transit/staging/backup/cards", Value::Null),
        (
            Method::POST,
            "transit/staging/keys/cards/trim",
            json!({"min_available_version": 1}),
        ),
        (Method::DELETE, "transit/staging/keys/cards", Value::Null),
    ] {
        let got = app
            .bao_status(&ana, method.clone(), path, body.clone())
            .await;
        // Deleting is let through by the ACL and refused by the key itself (400).
        let want = if method == Method::DELETE { 400 } else { 403 };
        assert_eq!(got, want, "{method} {path} {body}");
    }
    assert!(in_openbao(&app, "staging", "open").await.is_none());
    // Her ordinary configuration goes through.
    let ok = app
        .bao_status(
            &ana,
            Method::POST,
            "transit/staging/keys/cards/config",
            json!({"min_decryption_version": 1}),
        )
        .await;
    assert_eq!(ok, 200);

    // Through Crypter: she may not turn deletion on (OpenBao refuses), nor delete.
    let ana_web = Caller::user(&app, "ana", "ana-password-1").await;
    let r = ana_web
        .call(
            &app,
            Method::PATCH,
            "/environments/staging/keys/cards",
            json!({"deletion_allowed": true, "reason": "tidy up"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = ana_web
        .call(
            &app,
            Method::DELETE,
            "/environments/staging/keys/cards",
            Value::Null,
        )
        .await;
    let (s, _, message) = error_code(r).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(message.contains("operator must turn it on"), "{message}");

    // The operator turns it on for this key, with a reason kept beside it; then it goes.
    let r = operator
        .call(
            &app,
            Method::PATCH,
            "/environments/staging/keys/cards",
            json!({"deletion_allowed": true, "reason": "retired with the v1 API"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let detail: KeyDetail = r.json().await.unwrap();
    let note = detail.deletion.unwrap();
    assert_eq!(
        (note.by.as_str(), note.reason.as_str()),
        ("admin", "retired with the v1 API")
    );
    assert_eq!(
        in_openbao(&app, "staging", "cards").await.unwrap()["deletion_allowed"],
        true
    );
    let r = ana_web
        .call(
            &app,
            Method::DELETE,
            "/environments/staging/keys/cards",
            Value::Null,
        )
        .await;
    assert_eq!(r.status(), 204);
    assert!(in_openbao(&app, "staging", "cards").await.is_none());
    assert!(!app.bao_has("crypter/data/keys/staging/cards").await);
}

#[tokio::test]
async fn an_environment_that_holds_keys_is_not_deleted() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    let r = admin
        .call(&app, Method::POST, "/environments", json!({"name": "qa"}))
        .await;
    assert_eq!(r.status(), 201);
    let upsert = app
        .bao
        .read("transit/qa/config/keys", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        upsert["data"]["disable_upsert"], true,
        "a new environment's keys mount"
    );
    admin.create_key(&app, "qa", "tokens", "hmac").await;
    let r = admin
        .call(&app, Method::DELETE, "/environments/qa", Value::Null)
        .await;
    let (s, _, message) = error_code(r).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(message.contains("1 key(s)"), "{message}");
    assert!(in_openbao(&app, "qa", "tokens").await.is_some());

    admin
        .call(
            &app,
            Method::PATCH,
            "/environments/qa/keys/tokens",
            json!({"deletion_allowed": true, "reason": "qa is going"}),
        )
        .await;
    let r = admin
        .call(
            &app,
            Method::DELETE,
            "/environments/qa/keys/tokens",
            Value::Null,
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = admin
        .call(&app, Method::DELETE, "/environments/qa", Value::Null)
        .await;
    assert_eq!(r.status(), 204);
    let mounts = app
        .bao
        .read("sys/mounts", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert!(mounts["data"].get("transit/qa/").is_none());
    assert!(mounts["data"].get("env/qa/").is_none());
}
