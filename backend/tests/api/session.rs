use crate::helpers::*;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

#[tokio::test]
async fn login_with_the_right_password_sets_a_strict_httponly_cookie() {
    let app = spawn_app().await;
    let client = browser();
    let resp = app.login(&client, "admin", ADMIN_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP must not set Secure: {cookie}"
    );
    let id = session_id(&resp);
    let body = resp.text().await.unwrap();
    let token = app.state.sessions.get(&id).await.unwrap().unwrap().token;
    assert!(
        !body.contains(token.expose_secret()),
        "the OpenBao token must not reach the browser"
    );
    let info: crypter_api::SessionInfo = serde_json::from_str(&body).unwrap();
    assert_eq!(info.username, "admin");
    assert_eq!(info.method, "userpass");
    assert!(info.policies.contains(&"crypter-admin".to_owned()));
    assert_eq!(info.csrf_token.len(), 43);
    assert!(info.expires_at.is_some(), "userpass tokens have a TTL");

    let me = app.whoami(&client).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: crypter_api::SessionInfo = me.json().await.unwrap();
    assert_eq!(me.username, "admin");
    assert_eq!(me.csrf_token, info.csrf_token);
}

#[tokio::test]
async fn secure_cookie_behind_tls_proxy() {
    let app = spawn_app().await;
    let resp = browser()
        .post(app.url("/session"))
        .header("X-Forwarded-Proto", "https")
        .json(&json!({"method": "userpass", "username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn login_with_a_wrong_password_or_unknown_user_is_refused() {
    let app = spawn_app().await;
    let client = browser();
    for (user, pass) in [("admin", "wrong password"), ("nobody", "whatever")] {
        let resp = app.login(&client, user, pass).await;
        assert!(resp.headers().get(reqwest::header::SET_COOKIE).is_none());
        let (status, code, message) = error_code(resp).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(code, "invalid_credentials");
        assert!(!message.contains(pass), "the password must not be echoed");
    }
    assert_eq!(app.whoami(&client).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_validates_its_input() {
    let app = spawn_app().await;
    let client = browser();
    let (status, code, message) = error_code(app.login(&client, "bad name/..", "x").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    assert!(message.contains("a username is 1-64"), "{message}");
    let (status, code, _) = error_code(app.login(&client, "admin", "").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_password")
    );
    let resp = client
        .post(app.url("/session"))
        .json(&json!({"method": "ldap", "username": "a", "password": "b"}))
        .send()
        .await
        .unwrap();
    let message = expect_error(resp, StatusCode::BAD_REQUEST, "invalid_json").await;
    assert!(message.contains("userpass"), "{message}");
}

#[tokio::test]
async fn token_login_uses_the_token_identity() {
    let app = spawn_app().await;
    let client = browser();
    let resp = client
        .post(app.url("/session"))
        .json(&json!({"method": "token", "token": app.root.expose_secret()}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let info: crypter_api::SessionInfo = resp.json().await.unwrap();
    assert_eq!(info.method, "token");
    // OpenBao names tokens without a login method "token".
    assert_eq!(info.username, "token");
    assert_eq!(info.policies, vec!["root".to_owned()]);
    assert_eq!(info.expires_at, None, "the root token never expires");

    let resp = browser()
        .post(app.url("/session"))
        .json(&json!({"method": "token", "token": "s.not-a-real-token"}))
        .send()
        .await
        .unwrap();
    let message = expect_error(resp, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert!(!message.contains("not-a-real-token"));
}

#[tokio::test]
async fn logout_revokes_the_token_in_openbao() {
    let app = spawn_app().await;
    let client = browser();
    let resp = app.login(&client, "admin", ADMIN_PASSWORD).await;
    let id = session_id(&resp);
    let info: crypter_api::SessionInfo = resp.json().await.unwrap();
    let token = app.state.sessions.get(&id).await.unwrap().unwrap().token;
    assert!(app.token_alive(&token).await);

    let resp = app.logout(&client, Some(&info.csrf_token)).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let cleared = resp.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    assert!(
        !app.token_alive(&token).await,
        "the token must be revoked in OpenBao"
    );
    assert!(app.state.sessions.get(&id).await.unwrap().is_none());
    assert_eq!(app.whoami(&client).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_ends_when_its_token_expires() {
    // The backend's clock is moved, not waited for. The token's TTL (10 min) is below the
    // idle timeout (30 min), so its expiry is what ends the session.
    let (clock, c) = clocked();
    let app = spawn_app_clocked(crypter::config::Settings::default(), c).await;
    let created = app
        .bao
        .write(
            "auth/token/create",
            &app.root,
            &json!({"ttl": "10m", "policies": ["default"], "display_name": "short"}),
        )
        .await
        .unwrap()
        .unwrap();
    let token = created["auth"]["client_token"].as_str().unwrap().to_owned();
    let client = browser();
    let resp = client
        .post(app.url("/session"))
        .json(&json!({"method": "token", "token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.whoami(&client).await.status(), StatusCode::OK);
    clock.advance(time::Duration::minutes(9));
    assert_eq!(
        app.whoami(&client).await.status(),
        StatusCode::OK,
        "alive a minute before its token expires"
    );
    clock.advance(time::Duration::minutes(2));
    expect_error(
        app.whoami(&client).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // The session's end reaches OpenBao: the token is dead there too.
    let token = SecretString::from(token);
    assert!(!app.token_alive(&token).await, "the token must be dead");
}

#[tokio::test]
async fn a_token_revoked_behind_crypters_back_ends_the_session() {
    let app = spawn_app().await;
    let client = browser();
    let resp = app.login(&client, "admin", ADMIN_PASSWORD).await;
    let id = session_id(&resp);
    let token = app.state.sessions.get(&id).await.unwrap().unwrap().token;
    app.bao
        .write(
            "auth/token/revoke",
            &app.root,
            &json!({"token": token.expose_secret()}),
        )
        .await
        .unwrap();
    assert_eq!(app.whoami(&client).await.status(), StatusCode::UNAUTHORIZED);
    assert!(app.state.sessions.get_fresh(&id).await.unwrap().is_none());
}
