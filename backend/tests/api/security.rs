use crate::helpers::*;
use crypter::config::Settings;
use crypter_api::CSRF_HEADER;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn mutating_without_the_csrf_header_is_forbidden() {
    let app = spawn_app().await;
    let (client, info) = app.admin().await;

    let message = expect_error(
        app.logout(&client, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert!(message.contains("X-Crypter-Csrf"), "{message}");

    let (status, _, message) = error_code(app.logout(&client, Some("wrong-token")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message.contains("does not match"), "{message}");

    // Both refusals left the session alone; the right header works.
    assert_eq!(app.whoami(&client).await.status(), StatusCode::OK);
    assert_eq!(
        app.logout(&client, Some(&info.csrf_token)).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn another_sessions_csrf_token_does_not_work() {
    let app = spawn_app().await;
    let (alice, _) = app.admin().await;
    let (_, other) = app.admin().await;
    let resp = app.logout(&alice, Some(&other.csrf_token)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn mutating_without_a_session_is_unauthenticated() {
    let app = spawn_app().await;
    let resp = browser()
        .delete(app.url("/session"))
        .header(CSRF_HEADER, "anything")
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn logins_past_the_limit_get_429() {
    let app = spawn_app_with(Settings {
        login_per_minute: 1,
        login_burst: 3,
        ..Settings::default()
    })
    .await;
    let client = browser();
    for _ in 0..3 {
        let status = app.login(&client, "admin", "wrong").await.status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let resp = app.login(&client, "admin", ADMIN_PASSWORD).await;
    let retry_after: u64 = resp.headers()[reqwest::header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    expect_error(resp, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(app.whoami(&client).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_oversized_body_gets_413() {
    let app = spawn_app().await;
    let big = "x".repeat(crypter::config::BODY_LIMIT + 1);
    let resp = browser()
        .post(app.url("/session"))
        .json(&json!({"method": "userpass", "username": "admin", "password": big}))
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn malformed_json_gets_a_json_400() {
    let app = spawn_app().await;
    let client = browser();
    let resp = client
        .post(app.url("/session"))
        .header("content-type", "application/json")
        .body("{\"method\": \"userpass\", ")
        .send()
        .await
        .unwrap();
    let message = expect_error(resp, StatusCode::BAD_REQUEST, "invalid_json").await;
    assert!(message.contains("not valid JSON"), "{message}");

    let resp = client
        .post(app.url("/session"))
        .header("content-type", "application/json")
        .body(r#"{"method": "userpass", "username": "admin", "password": 987654321}"#)
        .send()
        .await
        .unwrap();
    let message = expect_error(resp, StatusCode::BAD_REQUEST, "invalid_json").await;
    assert!(
        !message.contains("987654321"),
        "a wrong-typed value must not be echoed: {message}"
    );

    let resp = client
        .post(app.url("/session"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let message = expect_error(resp, StatusCode::BAD_REQUEST, "invalid_json").await;
    assert!(message.contains("Content-Type"), "{message}");
}

#[tokio::test]
async fn api_responses_carry_the_security_headers() {
    let app = spawn_app().await;
    for resp in [
        browser().get(app.url("/health")).send().await.unwrap(),
        browser().get(app.url("/session")).send().await.unwrap(),
        browser()
            .get(app.url("/no-such-thing"))
            .send()
            .await
            .unwrap(),
    ] {
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
    }
}

#[tokio::test]
async fn unknown_api_paths_get_a_json_404() {
    let app = spawn_app().await;
    let resp = browser().get(app.url("/nope")).send().await.unwrap();
    expect_error(resp, StatusCode::NOT_FOUND, "endpoint_not_found").await;
}
