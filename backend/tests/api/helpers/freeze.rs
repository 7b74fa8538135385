//! The freeze endpoints.

use super::TestApp;
use crypter_api::CSRF_HEADER;
use reqwest::{Client, Response};
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
