//! Under a freeze, key writes are refused inside OpenBao (an administrator's own token,
//! straight at OpenBao), and verification probes each kind.

use super::*;
use crypter_api::Verification;

async fn verify(app: &TestApp, operator: &Caller) -> Verification {
    let r = operator
        .call(app, Method::POST, "/freeze/verify", json!({}))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Every probe of `operation` on the admins' policy, each passing.
fn probed(v: &Verification, operation: &str) -> usize {
    let of: Vec<_> = v
        .probes
        .iter()
        .filter(|p| p.policy == "crypter-admin" && p.operation == operation)
        .collect();
    for p in &of {
        assert_eq!(p.status, "pass", "{p:?}");
    }
    of.len()
}

#[tokio::test]
async fn key_writes_are_refused_inside_openbao_under_a_freeze_and_verify_probes_them() {
    let app = spawn_app().await;
    let operator = Caller::admin(&app).await;
    operator
        .create_key(&app, "staging", "cards", "aes256-gcm96")
        .await;
    app.user_with("ana", "ana-password-1", &["crypter-admin"])
        .await;
    let ana = app.bao_login("ana", "ana-password-1").await;
    let use_key = json!({"plaintext": b64("x")});

    app.freeze_ok(&operator.client, &operator.csrf, "provisioning")
        .await;
    for (method, path, body) in [
        (
            Method::POST,
            "transit/staging/keys/new-key",
            json!({"type": "aes256-gcm96"}),
        ),
        (
            Method::POST,
            "transit/staging/keys/cards/config",
            json!({"min_decryption_version": 1}),
        ),
        (Method::DELETE, "transit/staging/keys/cards", Value::Null),
        (
            Method::POST,
            "transit/staging/config/keys",
            json!({"disable_upsert": false}),
        ),
        (
            Method::POST,
            "crypter/data/keys/staging/cards",
            json!({"data": {"owner": "me"}}),
        ),
        (
            Method::POST,
            "sys/mounts/transit/newenv",
            json!({"type": "transit"}),
        ),
    ] {
        assert_eq!(
            app.bao_status(&ana, method.clone(), path, body).await,
            403,
            "{method} {path}"
        );
    }
    // Provisioning leaves rotation and every use of a key alone.
    assert_eq!(
        app.bao_status(
            &ana,
            Method::POST,
            "transit/staging/encrypt/cards",
            use_key.clone()
        )
        .await,
        200
    );
    assert_eq!(
        app.bao_status(
            &ana,
            Method::POST,
            "transit/staging/keys/cards/rotate",
            json!({})
        )
        .await,
        200
    );
    // Crypter refuses early too, with who froze.
    let ana_web = Caller::user(&app, "ana", "ana-password-1").await;
    let r = ana_web
        .call(
            &app,
            Method::POST,
            "/environments/staging/keys",
            json!({"name": "late", "key_type": "hmac"}),
        )
        .await;
    assert_eq!(r.status(), 423);
    let v = verify(&app, &operator).await;
    assert!(
        v.verified,
        "{:?}",
        v.probes
            .iter()
            .filter(|p| p.status != "pass")
            .collect::<Vec<_>>()
    );
    for op in [
        "create key",
        "configure key",
        "delete key",
        "configure key mount",
        "create key by encrypting",
    ] {
        assert_eq!(probed(&v, op), 2, "{op}: one per environment");
    }
    assert_eq!(probed(&v, "write key record"), 1);
    assert_eq!(
        probed(&v, "rotate key"),
        0,
        "rotation is frozen at full only"
    );

    app.freeze_ok(&operator.client, &operator.csrf, "full")
        .await;
    assert_eq!(
        app.bao_status(
            &ana,
            Method::POST,
            "transit/staging/keys/cards/rotate",
            json!({})
        )
        .await,
        403
    );
    assert_eq!(
        app.bao_status(&ana, Method::POST, "transit/staging/encrypt/cards", use_key)
            .await,
        200
    );
    let v = verify(&app, &operator).await;
    assert!(v.verified);
    assert_eq!(probed(&v, "rotate key"), 2);
    // The operators, who froze, keep every right on keys (their policy is never frozen).
    let r = operator
        .call(
            &app,
            Method::POST,
            "/environments/staging/keys/cards/rotate",
            json!({}),
        )
        .await;
    assert_eq!(
        r.status(),
        423,
        "the console's early refusal applies to everyone"
    );
    let op_token = app.bao_login("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        app.bao_status(
            &op_token,
            Method::POST,
            "transit/staging/keys/cards/rotate",
            json!({})
        )
        .await,
        200
    );
    let r = operator
        .call(&app, Method::DELETE, "/freeze", json!({}))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(
        app.bao_status(
            &ana,
            Method::POST,
            "transit/staging/keys/cards/rotate",
            json!({})
        )
        .await,
        200
    );
    assert_eq!(
        in_openbao(&app, "staging", "cards").await.unwrap()["latest_version"],
        4
    );
}
