//! The environments endpoints, and seeding credentials through the API.

use super::{Caller, TestApp};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

impl TestApp {
    pub async fn list_environments(&self, c: &Caller) -> Response {
        self.call(c, Method::GET, "/environments", None).await
    }

    pub async fn create_environment(&self, c: &Caller, body: Value) -> Response {
        self.call(c, Method::POST, "/environments", Some(body))
            .await
    }

    pub async fn get_environment(&self, c: &Caller, env: &str) -> Response {
        self.call(c, Method::GET, &format!("/environments/{env}"), None)
            .await
    }

    pub async fn update_environment(&self, c: &Caller, env: &str, body: Value) -> Response {
        self.call(
            c,
            Method::PATCH,
            &format!("/environments/{env}"),
            Some(body),
        )
        .await
    }

    pub async fn delete_environment(&self, c: &Caller, env: &str) -> Response {
        self.call(c, Method::DELETE, &format!("/environments/{env}"), None)
            .await
    }

    /// Write a credential through the API; panics unless it succeeds.
    pub async fn seed(&self, c: &Caller, env: &str, path: &str, value: &str, class: &str) {
        let resp = self
            .put_credential(
                c,
                env,
                path,
                json!({"data": {"value": value}, "class": class, "owner": "team"}),
            )
            .await;
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "{}",
            resp.text().await.unwrap()
        );
    }
}
