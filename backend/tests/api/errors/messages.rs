//! What a refused request tells the browser (Crypter's nouns and a request id) and what it
//! leaves in the log under that id (OpenBao's path and reason).

use super::logs;
use crate::helpers::*;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

const INTERNAL: [&str; 5] = ["env/", "sys/", "auth/", "crypter/data", "crypter/metadata"];

#[tokio::test]
async fn every_response_carries_a_request_id_and_errors_repeat_it() {
    let app = spawn_app().await;
    let client = browser();
    let id_of = |r: &Response| {
        r.headers()
            .get("x-request-id")
            .expect("x-request-id")
            .to_str()
            .unwrap()
            .to_owned()
    };
    let ok = client.get(app.url("/health")).send().await.unwrap();
    let made = id_of(&ok);
    assert_eq!(made.len(), 24, "{made}");
    assert!(made.bytes().all(|b| b.is_ascii_hexdigit()), "{made}");
    let other = client.get(app.url("/health")).send().await.unwrap();
    assert_ne!(id_of(&other), made, "each request gets its own id");
    // The console's files too.
    let page = client.get(format!("{}/", app.addr)).send().await.unwrap();
    assert!(page.headers().contains_key("x-request-id"));

    // A caller's plain id is kept; anything else is replaced.
    let kept = client
        .get(app.url("/session"))
        .header("x-request-id", "proxy-7f3a.1")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(id_of(&kept), "proxy-7f3a.1");
    let body: Value = kept.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], "proxy-7f3a.1", "{body}");
    for bad in ["has space", &"x".repeat(65), "a/b"] {
        let r = client
            .get(app.url("/session"))
            .header("x-request-id", bad)
            .send()
            .await
            .unwrap();
        let id = id_of(&r);
        assert_ne!(id, bad);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["request_id"], id.as_str(), "{body}");
    }
}

/// A user whose token carries only OpenBao's `default` policy, logged in through Crypter.
async fn nobody(app: &TestApp) -> Caller {
    Caller::new_user(app, "nobody", "nobody-password", &["default"]).await
}

/// The refusal names `names` and no OpenBao path, carries a request id, and the log has
/// OpenBao's reason and path under that id.
async fn check_refusal(resp: Response, names: &[&str], bao_path: &str) {
    let header = resp
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "store_forbidden", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    for name in names {
        assert!(message.contains(name), "{name}: {message}");
    }
    for path in INTERNAL {
        assert!(!message.contains(path), "{path}: {message}");
    }
    assert_eq!(body["error"]["request_id"], header.as_str(), "{body}");
    let lines = logs::lines_with(&header);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("permission denied") && l.contains(bao_path)),
        "the log under {header} lacks OpenBao's reason at {bao_path}: {lines:#?}"
    );
}

#[tokio::test]
async fn a_forbidden_credential_read_or_write_names_the_credential_and_logs_the_reason() {
    logs::keep();
    let app = spawn_app().await;
    let admin = app.caller().await;
    expect_status(
        app.call(
            &admin,
            Method::POST,
            "/environments",
            Some(json!({"name": "qa", "description": ""})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    expect_success(
        app.call(
            &admin,
            Method::PUT,
            "/environments/qa/credentials/db/password",
            Some(json!({"data": {"password": "top-secret-value"}, "class": "service"})),
        )
        .await,
    )
    .await;

    let client = nobody(&app).await;
    let read = app
        .call(
            &client,
            Method::GET,
            "/environments/qa/credentials/db/password",
            None,
        )
        .await;
    check_refusal(
        read,
        &["credential db/password", "environment qa"],
        "env/qa/",
    )
    .await;
    let write = app
        .call(
            &client,
            Method::PUT,
            "/environments/qa/credentials/db/other",
            Some(json!({"data": {"password": "their-value"}, "class": "service"})),
        )
        .await;
    check_refusal(write, &["credential db/other", "environment qa"], "env/qa/").await;
}

#[tokio::test]
async fn a_forbidden_role_change_names_the_role_and_logs_the_reason() {
    logs::keep();
    let app = spawn_app().await;
    let admin = app.caller().await;
    let role = json!({"name": "ops", "class": "human", "description": "", "grants": []});
    expect_status(
        app.call(&admin, Method::POST, "/roles", Some(role.clone()))
            .await,
        StatusCode::CREATED,
    )
    .await;

    let client = nobody(&app).await;
    let change = app
        .call(&client, Method::PUT, "/roles/ops", Some(role))
        .await;
    check_refusal(change, &["role ops"], "ops").await;
}
