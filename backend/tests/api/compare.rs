use crate::helpers::*;
use crypter_api::{Comparison, CredentialDetail, RevealedCredential};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

impl TestApp {
    pub async fn compare(&self, c: &Caller, query: &str) -> Response {
        self.call(c, Method::GET, &format!("/compare{query}"), None)
            .await
    }

    pub async fn promote(&self, c: &Caller, body: Value) -> Response {
        self.call(c, Method::POST, "/promote", Some(body)).await
    }
}

#[tokio::test]
async fn compare_reports_presence_and_equality_without_values() {
    let app = spawn_app().await;
    let c = app.caller().await;
    app.seed(&c, "staging", "svc/same", "same-value", "service")
        .await;
    app.seed(&c, "production", "svc/same", "same-value", "service")
        .await;
    app.seed(&c, "staging", "svc/diff", "left-value", "service")
        .await;
    app.seed(&c, "production", "svc/diff", "right-value", "service")
        .await;
    app.seed(&c, "staging", "svc/only-left", "only-left-value", "service")
        .await;
    app.seed(
        &c,
        "production",
        "svc/only-right",
        "only-right-value",
        "service",
    )
    .await;
    app.seed(&c, "staging", "other/x", "x-value", "service")
        .await;

    let resp = app
        .compare(&c, "?left=staging&right=production&prefix=svc/")
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert!(!text.contains("-value"), "{text}");
    let cmp: Comparison = serde_json::from_str(&text).unwrap();
    let rows: Vec<(&str, bool, bool, Option<bool>)> = cmp
        .entries
        .iter()
        .map(|e| (e.path.as_str(), e.in_left, e.in_right, e.equal))
        .collect();
    assert_eq!(
        rows,
        [
            ("svc/diff", true, true, Some(false)),
            ("svc/only-left", true, false, None),
            ("svc/only-right", false, true, None),
            ("svc/same", true, true, Some(true)),
        ]
    );

    for (q, want) in [
        ("?right=production", "missing_environment"),
        ("?left=staging", "missing_environment"),
        ("?left=Staging&right=production", "invalid_environment"),
        (
            "?left=staging&right=production&prefix=..%20",
            "invalid_prefix",
        ),
    ] {
        let (status, code, _) = error_code(app.compare(&c, q).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, want),
            "{q}"
        );
    }
    let (status, _, _) = error_code(app.compare(&c, "?left=staging&right=nowhere").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn promote_copies_and_refuses_to_overwrite_unless_told() {
    let app = spawn_app().await;
    let c = app.caller().await;
    let resp = app
        .put_credential(
            &c,
            "staging",
            "svc/api",
            json!({"data": {"key": "promoted-value"}, "class": "integration", "owner": "team-a",
                   "description": "API key", "rotate_after_days": 10}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let body = json!({"from": "staging", "to": "production", "path": "svc/api"});
    assert_eq!(app.promote(&c, body.clone()).await.status(), StatusCode::OK);
    let d: CredentialDetail = app
        .get_credential(&c, "production", "svc/api")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d.metadata.environment.as_deref(), Some("production"));
    assert_eq!(d.metadata.owner.as_deref(), Some("team-a"));
    assert_eq!(d.metadata.class.as_deref(), Some("integration"));
    assert_eq!(d.metadata.rotate_after_days, Some(10));
    let r: RevealedCredential = app
        .reveal(&c, "production", "svc/api", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.data["key"], "promoted-value");

    // Again: the target exists now.
    app.seed(&c, "staging", "svc/api", "newer-value", "integration")
        .await;
    let (status, _, message) = error_code(app.promote(&c, body.clone()).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        message.contains("overwrite") && !message.contains("newer-value"),
        "{message}"
    );
    let r: RevealedCredential = app
        .reveal(&c, "production", "svc/api", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.data["key"], "promoted-value");

    let mut over = body.clone();
    over["overwrite"] = json!(true);
    assert_eq!(app.promote(&c, over).await.status(), StatusCode::OK);
    let r: RevealedCredential = app
        .reveal(&c, "production", "svc/api", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((r.version, r.data["value"].as_str()), (2, "newer-value"));

    // Names in the body are typed (`EnvName`, `CredentialPath`): a bad one is refused
    // while the body is read, and the message names the field.
    for (body, status, code, says) in [
        (
            json!({"from": "staging", "to": "staging", "path": "svc/api"}),
            StatusCode::BAD_REQUEST,
            "same_environment",
            "",
        ),
        (
            json!({"from": "staging", "to": "production", "path": "a/../b"}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "path: invalid credential path",
        ),
        (
            json!({"from": "Staging", "to": "production", "path": "a"}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "from: invalid environment name",
        ),
        (
            json!({"from": "staging", "to": "../x", "path": "a"}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "to: invalid environment name",
        ),
        (
            json!({"from": "staging", "to": "production", "path": "svc/none"}),
            StatusCode::NOT_FOUND,
            "credential_not_found",
            "",
        ),
    ] {
        let (got, got_code, message) = error_code(app.promote(&c, body).await).await;
        assert_eq!((got, got_code.as_str()), (status, code), "{message}");
        assert!(message.contains(says), "{message}");
    }
}
