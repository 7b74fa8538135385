//! Sessions over several backend processes sharing one OpenBao: a session made on one
//! instance works on another and survives a restart; a logout anywhere ends it
//! everywhere; idle timeout and absolute lifetime come from the server's record (time is
//! a parameter here, never a sleep); nobody but the backend reads the records.

use crate::changesets::process::{start, Backend};
use crate::helpers::*;
use crypter::config::Settings;
use crypter::embedded::free_loopback_port;
use crypter_api::{SessionInfo, CSRF_HEADER};
use reqwest::{Client, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

async fn whoami_on(client: &Client, base: &str) -> StatusCode {
    client
        .get(format!("{base}/api/v1/session"))
        .send()
        .await
        .unwrap()
        .status()
}

/// Write a credential through `base` with `csrf` (None: without the header).
async fn write_on(client: &Client, base: &str, csrf: Option<&str>, path: &str) -> StatusCode {
    let mut req = client
        .put(format!(
            "{base}/api/v1/environments/staging/credentials/{path}"
        ))
        .json(&json!({"data": {"k": "v"}, "class": "service"}));
    if let Some(c) = csrf {
        req = req.header(CSRF_HEADER, c);
    }
    req.send().await.unwrap().status()
}

/// A session token login through `base`: a fresh admin token made by root, so the test
/// can ask OpenBao itself whether it was revoked.
async fn token_session(app: &TestApp, base: &str) -> (Client, SessionInfo, SecretString) {
    let token = app
        .token_with(&["default", "crypter-admin", "crypter-operator"])
        .await;
    let client = browser();
    let resp = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"method": "token", "token": token.expose_secret()}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    (client, resp.json().await.unwrap(), token)
}

#[tokio::test]
async fn a_session_works_on_every_instance_survives_a_restart_and_ends_everywhere() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (free_loopback_port().unwrap(), free_loopback_port().unwrap());
    let mut a: Backend = start(&app.bao, &app.root, dir.path(), pa, None).await;
    let b: Backend = start(&app.bao, &app.root, dir.path(), pb, None).await;

    // Log in on A; use the session on B (the cookie is the balancer's to route).
    let (client, info, token) = token_session(&app, &a.addr).await;
    assert_eq!(whoami_on(&client, &b.addr).await, StatusCode::OK);
    // CSRF across instances: B checks the token A issued, and refuses a request without it.
    assert_eq!(
        write_on(&client, &b.addr, None, "svc/a").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        write_on(&client, &b.addr, Some("not-the-token"), "svc/a").await,
        StatusCode::FORBIDDEN
    );
    let wrote = write_on(&client, &b.addr, Some(&info.csrf_token), "svc/a").await;
    assert!(wrote.is_success(), "{wrote}");

    // Restart A (SIGKILL, then a new process on the same port): the session lives on.
    a.kill().await;
    let a = start(&app.bao, &app.root, dir.path(), pa, None).await;
    assert_eq!(whoami_on(&client, &a.addr).await, StatusCode::OK);
    assert_eq!(whoami_on(&client, &b.addr).await, StatusCode::OK);
    let wrote = write_on(&client, &a.addr, Some(&info.csrf_token), "svc/b").await;
    assert!(wrote.is_success(), "{wrote}");

    // Log out on B: A answers 401 at once (its cached copy meets a revoked token), and
    // OpenBao says the token is revoked.
    let out = client
        .delete(format!("{}/api/v1/session", b.addr))
        .header(CSRF_HEADER, &info.csrf_token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(!app.token_alive(&token).await, "logout revokes the token");
    assert_eq!(whoami_on(&client, &a.addr).await, StatusCode::UNAUTHORIZED);
    let listed = client
        .get(format!(
            "{}/api/v1/environments/staging/credentials",
            a.addr
        ))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(
        listed,
        StatusCode::UNAUTHORIZED,
        "not 403: the session is gone"
    );
    assert_eq!(whoami_on(&client, &b.addr).await, StatusCode::UNAUTHORIZED);
}

/// The session's record as OpenBao holds it, read with the backend's own identity.
async fn record_of(app: &TestApp, session_id: &str) -> Option<Value> {
    let backend = app.creds.login(&app.bao).await.unwrap();
    let key = crypter::session::record_key(session_id);
    app.bao
        .read(&format!("crypter/data/{key}"), &backend)
        .await
        .unwrap()
        .map(|v| v["data"]["data"].clone())
}

#[tokio::test]
async fn session_records_hold_a_sealed_token_that_only_the_backend_reads() {
    let app = spawn_app().await;
    let client = browser();
    let resp = app.login(&client, "admin", ADMIN_PASSWORD).await;
    let id = session_id(&resp);
    let session = app.state.sessions.get(&id).await.unwrap().unwrap();
    let record = record_of(&app, &id)
        .await
        .expect("a record under the id's hash");
    let key = crypter::session::record_key(&id);
    assert!(!key.contains(&id), "the path is a hash, not the cookie");
    let text = record.to_string();
    assert!(!text.contains(session.token.expose_secret()), "{text}");
    assert!(!text.contains(&id), "{text}");
    let sealed = record["token"].as_str().unwrap();
    assert!(sealed.starts_with("vault:v1:"), "{sealed}");

    // The attacker's own tokens, straight against OpenBao: an admin's and an operator's
    // read no session record, list none, and cannot use the key (nor export it).
    let admin = app.bao_login("admin", ADMIN_PASSWORD).await;
    let operator = app.token_with(&["crypter-operator"]).await;
    let body = json!({ "ciphertext": sealed, "context": "" });
    for (who, token) in [("admin", &admin), ("operator", &operator)] {
        let read = app.bao.read(&format!("crypter/data/{key}"), token).await;
        assert!(
            matches!(read, Err(crypter::bao::BaoError::Forbidden { .. })),
            "{who}: {read:?}"
        );
        let list = app.bao.list("crypter/metadata/sessions/", token).await;
        assert!(
            matches!(list, Err(crypter::bao::BaoError::Forbidden { .. })),
            "{who}: {list:?}"
        );
        for path in [
            "crypter-backend-transit/decrypt/sessions",
            "crypter-backend-transit/encrypt/sessions",
            "crypter-backend-transit/export/encryption-key/sessions",
        ] {
            let used = app.bao.write(path, token, &body).await;
            assert!(
                matches!(used, Err(crypter::bao::BaoError::Forbidden { .. })),
                "{who} {path}: {used:?}"
            );
        }
    }
    // The backend's identity opens it, bound to its record: a ciphertext moved to another
    // record's context does not open.
    let backend = app.creds.login(&app.bao).await.unwrap();
    let hash = key.trim_start_matches("sessions/");
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let opened = app
        .bao
        .write(
            "crypter-backend-transit/decrypt/sessions",
            &backend,
            &json!({ "ciphertext": sealed, "context": b64(hash) }),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        opened["data"]["plaintext"].as_str().unwrap(),
        b64(session.token.expose_secret())
    );
    let moved = app
        .bao
        .write(
            "crypter-backend-transit/decrypt/sessions",
            &backend,
            &json!({ "ciphertext": sealed, "context": b64("another-record") }),
        )
        .await;
    assert!(moved.is_err(), "{moved:?}");

    // Logout removes the record.
    let out = app.logout(&client, Some(&session.csrf_token)).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(record_of(&app, &id).await.is_none());
}

#[tokio::test]
async fn an_idle_session_ends_and_its_token_is_revoked() {
    let (clock, c) = clocked();
    let app = spawn_app_clocked(Settings::default(), c).await;
    let (client, _, token) = token_session(&app, &app.addr).await;
    // Used every 29 minutes, it lives on past the first 30.
    for _ in 0..3 {
        clock.advance(time::Duration::minutes(29));
        assert_eq!(app.whoami(&client).await.status(), StatusCode::OK);
    }
    // 30 minutes without a request: over, whatever the token's own TTL says.
    clock.advance(time::Duration::minutes(30));
    let message = expect_error(
        app.whoami(&client).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert!(message.contains("log in again"), "{message}");
    assert!(
        !app.token_alive(&token).await,
        "an ended session's token is revoked"
    );
}

#[tokio::test]
async fn a_root_token_session_ends_at_the_absolute_lifetime() {
    let (clock, c) = clocked();
    let settings = Settings {
        lifetimes: crypter::session::Lifetimes {
            idle: std::time::Duration::from_secs(30 * 60),
            absolute: std::time::Duration::from_secs(12 * 3600),
        },
        ..Settings::default()
    };
    let app = spawn_app_clocked(settings, c).await;
    // A root token (no TTL): only the absolute lifetime bounds its session.
    let root_child = app.token_with(&["root"]).await;
    let looked = app
        .bao
        .request(
            reqwest::Method::GET,
            "auth/token/lookup-self",
            Some(&root_child),
            None,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(looked["data"]["ttl"], 0, "a token without a TTL");
    let client = browser();
    let resp = client
        .post(app.url("/session"))
        .json(&json!({"method": "token", "token": root_child.expose_secret()}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let info: SessionInfo = resp.json().await.unwrap();
    assert!(
        info.ends_at.is_some(),
        "the session says when it ends: {info:?}"
    );
    // Active every 25 minutes for 11 h 40 min: still there.
    for i in 1..=28 {
        clock.advance(time::Duration::minutes(25));
        assert_eq!(
            app.whoami(&client).await.status(),
            StatusCode::OK,
            "after {i} × 25 min"
        );
    }
    clock.advance(time::Duration::minutes(25));
    assert_eq!(app.whoami(&client).await.status(), StatusCode::UNAUTHORIZED);
    assert!(!app.token_alive(&root_child).await, "its token is revoked");
}

#[tokio::test]
async fn sessions_nobody_comes_back_to_are_swept() {
    let (clock, c) = clocked();
    let app = spawn_app_clocked(Settings::default(), c).await;
    let (_client, _, token) = token_session(&app, &app.addr).await;
    let (_other, _, kept) = token_session(&app, &app.addr).await;
    assert_eq!(
        app.state.sessions.sweep().await.unwrap(),
        0,
        "none is due yet"
    );
    clock.advance(time::Duration::minutes(31));
    assert_eq!(app.state.sessions.sweep().await.unwrap(), 2);
    assert!(!app.token_alive(&token).await);
    assert!(!app.token_alive(&kept).await);
    assert_eq!(
        app.state.sessions.sweep().await.unwrap(),
        0,
        "ending twice is harmless"
    );
}
