//! Refusals that OpenBao words loosely are told apart by status and state, never by the
//! wording: a mount in the way, an accessor it does not know.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_environment_over_a_mount_made_outside_crypter_is_a_conflict() {
    let app = spawn_app().await;
    app.bao
        .write(
            "sys/mounts/env/taken",
            &app.root,
            &json!({"type": "kv", "options": {"version": "2"}}),
        )
        .await
        .unwrap();
    let client = app.caller().await;
    let r = app
        .call(
            &client,
            Method::POST,
            "/environments",
            Some(json!({"name": "taken", "description": ""})),
        )
        .await;
    let (status, code, message) = error_code(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "mount_taken"),
        "{message}"
    );
    assert!(message.contains("environment taken"), "{message}");
    assert!(message.contains("pick another name"), "{message}");
    // Any other refusal of the mount is not mistaken for one.
    expect_status(
        app.call(
            &client,
            Method::POST,
            "/environments",
            Some(json!({"name": "fresh", "description": ""})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn revoking_a_secret_id_openbao_does_not_know_is_not_found() {
    let app = spawn_app().await;
    let client = app.caller().await;
    expect_status(
        app.call(
            &client,
            Method::POST,
            "/roles",
            Some(json!({"name": "svc", "class": "service", "grants": []})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let unknown = "6f1c0000-0000-0000-0000-000000000000";
    let r = app
        .call(
            &client,
            Method::DELETE,
            &format!("/roles/svc/secret-ids/{unknown}"),
            None,
        )
        .await;
    let (status, code, message) = error_code(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "secret_id_not_found"),
        "{message}"
    );
    assert!(
        message.contains("role svc has no secret-id with accessor"),
        "{message}"
    );
    // A known one is revoked.
    let issued = expect_status(
        app.call(
            &client,
            Method::POST,
            "/roles/svc/secret-ids",
            Some(json!({"ttl": "1h"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let accessor = issued["accessor"].as_str().unwrap();
    expect_success(
        app.call(
            &client,
            Method::DELETE,
            &format!("/roles/svc/secret-ids/{accessor}"),
            None,
        )
        .await,
    )
    .await;
}
