//! The freeze endpoints.

use super::TestApp;
use crypter_api::CSRF_HEADER;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

impl TestApp {
    pub async fn freeze(&self, client: &Client, csrf: &str, level: &str) -> Response {
        client
            .put(self.url("/freeze"))
            .header(CSRF_HEADER, csrf)
            .json(&json!({"level": level, "reason": "migration to dc2"}))
            .send()
            .await
            .unwrap()
    }

    /// Freeze at `level`; panics unless it answers 200.
    pub async fn freeze_ok(&self, client: &Client, csrf: &str, level: &str) {
        let r = self.freeze(client, csrf, level).await;
        assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    }

    pub async fn thaw(&self, client: &Client, csrf: &str, body: Option<Value>) -> Response {
        let mut req = client.delete(self.url("/freeze")).header(CSRF_HEADER, csrf);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    pub async fn verify_freeze(&self, client: &Client, csrf: &str) -> Response {
        client
            .post(self.url("/freeze/verify"))
            .header(CSRF_HEADER, csrf)
            .send()
            .await
            .unwrap()
    }
}
