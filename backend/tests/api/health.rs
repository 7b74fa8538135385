use crate::helpers::*;
use crypter::bao::Bao;
use crypter::config::Settings;
use crypter::embedded::free_loopback_port;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn health_reports_the_store() {
    let app = spawn_app().await;
    let resp = browser().get(app.url("/health")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h: crypter_api::Health = resp.json().await.unwrap();
    assert_eq!(h.status, "ok", "{h:?}");
    assert!(h.store.reachable && h.store.initialized && !h.store.sealed);
    assert!(h.store.version.unwrap().starts_with("2."), "OpenBao 2.x");
    assert_eq!(
        h.store.ha_mode.as_deref(),
        Some("disabled"),
        "a dev server has no HA"
    );
}

#[tokio::test]
async fn an_unreachable_store_is_reported_and_logins_say_so() {
    let port = free_loopback_port().unwrap();
    let app = serve_backend(
        Bao::new(&format!("http://127.0.0.1:{port}")).unwrap(),
        Settings::default(),
        crate::helpers::no_credentials(),
    )
    .await;
    let h: crypter_api::Health = app.get_json(&browser(), "/health").await;
    assert_eq!(h.status, "degraded");
    assert!(!h.store.reachable);
    assert!(h.store.error.unwrap().contains("unreachable"));

    let resp = app.login(&browser(), "admin", "pw").await;
    let message = expect_error(resp, StatusCode::BAD_GATEWAY, "store_unreachable").await;
    assert!(message.contains("cannot be reached"), "{message}");
}

#[tokio::test]
async fn a_sealed_store_is_reported_and_logins_say_so() {
    let app = spawn_app().await;
    app.bao
        .request(reqwest::Method::PUT, "sys/seal", Some(&app.root), None)
        .await
        .unwrap();
    let h: Value = app.get_json(&browser(), "/health").await;
    assert_eq!(h["status"], "degraded");
    assert_eq!(h["store"]["sealed"], true);
    let resp = browser()
        .post(app.url("/session"))
        .json(&json!({"method": "userpass", "username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let message = expect_error(resp, StatusCode::SERVICE_UNAVAILABLE, "store_sealed").await;
    assert!(message.contains("sealed"), "{message}");
}

#[tokio::test]
async fn openapi_describes_the_endpoints() {
    let app = spawn_app().await;
    let doc: Value = app.get_json(&browser(), "/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/api/v1/health", "/api/v1/session", "/api/v1/openapi.json"] {
        assert!(doc["paths"].get(path).is_some(), "missing {path}");
    }
    assert!(doc["paths"]["/api/v1/session"].get("post").is_some());
    assert!(doc["paths"]["/api/v1/session"].get("delete").is_some());
    assert!(doc["components"]["schemas"].get("SessionInfo").is_some());
}

/// `GET /health/ready` of `app`: its status and answer.
async fn readiness(app: &TestApp) -> (StatusCode, crypter_api::Readiness) {
    let resp = browser()
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap())
}

#[tokio::test]
async fn ready_while_an_active_node_answers_and_not_while_draining_or_unreachable() {
    let app = spawn_app().await;
    let (status, r) = readiness(&app).await;
    assert_eq!(status, StatusCode::OK);
    assert!(r.ready && r.reason.is_none(), "{r:?}");

    app.state.start_draining();
    let (status, r) = readiness(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!r.ready && r.reason.unwrap().contains("shutting down"));

    let port = free_loopback_port().unwrap();
    let nowhere = serve_backend(
        Bao::new(&format!("http://127.0.0.1:{port}")).unwrap(),
        Settings::default(),
        no_credentials(),
    )
    .await;
    let (status, r) = readiness(&nowhere).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r
        .reason
        .unwrap()
        .contains("no unsealed active OpenBao node"));

    // A sealed store: not ready either.
    app.bao
        .write("sys/seal", &app.root, &json!({}))
        .await
        .unwrap();
    let (status, _) = readiness(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}
