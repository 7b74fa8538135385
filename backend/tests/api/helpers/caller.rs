//! A logged-in caller of the API and the one way tests call it.

use super::TestApp;
use crypter_api::CSRF_HEADER;
use reqwest::{Client, Method, Response};
use serde_json::Value;

/// A logged-in caller: the cookie-holding client and its CSRF token.
pub struct Caller {
    pub client: Client,
    pub csrf: String,
}

impl TestApp {
    pub async fn caller(&self) -> Caller {
        let (client, info) = self.admin().await;
        Caller {
            client,
            csrf: info.csrf_token,
        }
    }

    /// Any call as `caller`, with the CSRF header on mutating methods.
    pub async fn call(
        &self,
        caller: &Caller,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = caller.client.request(method.clone(), self.url(path));
        if method != Method::GET {
            req = req.header(CSRF_HEADER, &caller.csrf);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }
}
