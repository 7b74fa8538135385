//! Keys through the client, against the real transit engine: a rotated key still decrypts
//! what its old version encrypted and encrypts with the new one; signatures and HMACs; each
//! refusal is its own typed error.

use super::*;

/// Transit at `transit/staging/` with keys `cards` (aes), `webhooks` (ed25519), `mac` (hmac)
/// and `locked` (aes, no grant); the service may use the first three, and only encrypt with
/// `enc-only` (update, never create: no key springs up from an encrypt).
async fn transit(store: &Store) {
    store
        .root_post("sys/mounts/transit/staging", json!({"type": "transit"}))
        .await;
    for (name, kind) in [
        ("cards", "aes256-gcm96"),
        ("webhooks", "ed25519"),
        ("mac", "hmac"),
        ("locked", "aes256-gcm96"),
        ("enc-only", "aes256-gcm96"),
    ] {
        // An HMAC key needs a size (bytes); the others refuse one.
        let body = if kind == "hmac" {
            json!({"type": kind, "key_size": 32})
        } else {
            json!({ "type": kind })
        };
        store
            .root_post(&format!("transit/staging/keys/{name}"), body)
            .await;
    }
    let policy = r#"
path "env/staging/data/*" { capabilities = ["read"] }
path "transit/staging/encrypt/cards" { capabilities = ["update"] }
path "transit/staging/decrypt/cards" { capabilities = ["update"] }
path "transit/staging/sign/webhooks" { capabilities = ["update"] }
path "transit/staging/verify/webhooks" { capabilities = ["update"] }
path "transit/staging/hmac/mac" { capabilities = ["update"] }
path "transit/staging/encrypt/enc-only" { capabilities = ["update"] }
path "transit/staging/encrypt/missing" { capabilities = ["update"] }
path "transit/staging/decrypt/missing" { capabilities = ["update"] }
"#;
    store
        .root_post("sys/policies/acl/svc", json!({ "policy": policy }))
        .await;
}

#[tokio::test]
async fn a_rotated_key_decrypts_old_ciphertexts_and_encrypts_with_the_new_version() {
    let mut store = Store::start("1h").await;
    transit(&store).await;
    let clock = Arc::new(ManualClock::new());
    let client = store.client(&clock, |c| c);
    let old = client
        .encrypt("staging", "cards", b"4111-1111")
        .await
        .unwrap();
    assert!(old.starts_with("vault:v1:"), "{old}");
    store
        .root_post("transit/staging/keys/cards/rotate", json!({}))
        .await;
    let new = client
        .encrypt("staging", "cards", b"4222-2222")
        .await
        .unwrap();
    assert!(new.starts_with("vault:v2:"), "{new}");
    assert_eq!(
        client.decrypt("staging", "cards", &old).await.unwrap(),
        b"4111-1111"
    );
    assert_eq!(
        client.decrypt("staging", "cards", &new).await.unwrap(),
        b"4222-2222"
    );
    // Raised minimum: the old ciphertext is refused by the store, with its reason.
    store
        .root_post(
            "transit/staging/keys/cards/config",
            json!({"min_decryption_version": 2}),
        )
        .await;
    match client.decrypt("staging", "cards", &old).await {
        Err(Error::KeyRejected { op, message, .. }) => {
            assert_eq!(op, KeyOp::Decrypt);
            assert!(message.contains("too old"), "{message}");
        }
        other => panic!("expected KeyRejected, got {other:?}"),
    }
    // One login for all of it.
    assert_eq!(store.logins().await, 1);
    store.stop().await;
}

#[tokio::test]
async fn signatures_and_hmacs_come_from_the_store() {
    let mut store = Store::start("1h").await;
    transit(&store).await;
    let clock = Arc::new(ManualClock::new());
    let client = store.client(&clock, |c| c);
    let body = br#"{"event":"paid"}"#;
    let sig = client.sign("staging", "webhooks", body).await.unwrap();
    assert!(sig.starts_with("vault:v1:"), "{sig}");
    assert!(client
        .verify("staging", "webhooks", body, &sig)
        .await
        .unwrap());
    let tampered = br#"{"event":"refunded"}"#;
    assert!(!client
        .verify("staging", "webhooks", tampered, &sig)
        .await
        .unwrap());
    assert!(matches!(
        client
            .verify("staging", "webhooks", body, "not a signature")
            .await,
        Err(Error::KeyRejected {
            op: KeyOp::Verify,
            ..
        })
    ));
    let a = client.hmac("staging", "mac", body).await.unwrap();
    let b = client.hmac("staging", "mac", body).await.unwrap();
    let c = client.hmac("staging", "mac", tampered).await.unwrap();
    assert!(a.starts_with("vault:v1:"), "{a}");
    assert_eq!(a, b, "the same input gives the same HMAC");
    assert_ne!(a, c);
    store.stop().await;
}

#[tokio::test]
async fn refusals_are_typed_and_no_key_springs_from_an_encrypt() {
    let mut store = Store::start("1h").await;
    transit(&store).await;
    let clock = Arc::new(ManualClock::new());
    let client = store.client(&clock, |c| c);
    let ct = client.encrypt("staging", "enc-only", b"x").await.unwrap();
    match client.decrypt("staging", "enc-only", &ct).await {
        Err(Error::KeyForbidden { env, key, op }) => {
            assert_eq!(
                (env.as_str(), key.as_str(), op),
                ("staging", "enc-only", KeyOp::Decrypt)
            );
        }
        other => panic!("expected KeyForbidden, got {other:?}"),
    }
    assert!(matches!(
        client.encrypt("staging", "locked", b"x").await,
        Err(Error::KeyForbidden {
            op: KeyOp::Encrypt,
            ..
        })
    ));
    // `update` without `create`: encrypting with a missing key is refused, not a new key.
    assert!(matches!(
        client.encrypt("staging", "missing", b"x").await,
        Err(Error::KeyForbidden { .. })
    ));
    let keys = store.root_get("transit/staging/keys/missing").await;
    assert_eq!(keys, reqwest::StatusCode::NOT_FOUND);
    assert!(matches!(
        client.decrypt("staging", "missing", "vault:v1:AAAA").await,
        Err(Error::KeyNotFound { .. })
    ));
    assert!(matches!(
        client.encrypt("staging", "Bad Key", b"x").await,
        Err(Error::Config(_))
    ));
    // Messages name the key and the operation, never the data.
    let err = client
        .decrypt("staging", "enc-only", &ct)
        .await
        .unwrap_err();
    assert!(!err.to_string().contains(&ct));
    // A forbidden key does not cost a re-login: the token itself is still alive.
    assert_eq!(store.logins().await, 1);
    assert!(client.stats().errors >= 4);
    store.stop().await;
}
