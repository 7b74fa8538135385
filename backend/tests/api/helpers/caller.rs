//! A logged-in caller of the API, as each kind of user, and the one way tests call it.

use super::TestApp;
use crypter_api::CSRF_HEADER;
use reqwest::{Client, Method, Response};
use serde_json::Value;

/// A logged-in caller: the cookie-holding client and its CSRF token.
pub struct Caller {
    pub client: Client,
    pub csrf: String,
}

impl Caller {
    /// The bootstrap admin.
    pub async fn admin(app: &TestApp) -> Self {
        app.caller().await
    }

    /// An existing userpass user.
    pub async fn user(app: &TestApp, name: &str, password: &str) -> Self {
        let (client, csrf) = app.session_of(name, password).await;
        Self { client, csrf }
    }

    /// A new userpass user holding `policies` (e.g. `crypter-operator`), made by root.
    pub async fn new_user(app: &TestApp, name: &str, password: &str, policies: &[&str]) -> Self {
        app.user_with(name, password, policies).await;
        Self::user(app, name, password).await
    }

    /// A call whose body is sent unless the method takes none (GET, DELETE).
    pub async fn call(&self, app: &TestApp, method: Method, path: &str, body: Value) -> Response {
        let body = (method != Method::GET && method != Method::DELETE).then_some(body);
        app.call(self, method, path, body).await
    }
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
