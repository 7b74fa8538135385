//! Errors: a failed job keeps its real cause, every response carries a request id that the
//! log repeats with OpenBao's own reason, and messages name Crypter's nouns, not OpenBao's
//! paths.

mod jobs;
mod logs;
mod messages;
mod typed;

use crate::helpers::TestApp;
use crypter_api::CSRF_HEADER;
use reqwest::{Client, Method, Response};
use serde_json::Value;

/// Any call as a logged-in browser (`csrf`: its session's token).
pub async fn send(
    app: &TestApp,
    client: &Client,
    csrf: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Response {
    let mut req = client
        .request(method, app.url(path))
        .header(CSRF_HEADER, csrf);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}
