//! A logged-in caller of the API, as each kind of user, and the one way tests call it.

use super::TestApp;
use crypter_api::CSRF_HEADER;
use reqwest::{Client, Method, Response};
use secrecy::SecretString;
use serde_json::{json, Value};

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

    /// A role of `class` with `grants`, made through the API; panics unless it answers 201.
    pub async fn role_with(&self, app: &TestApp, name: &str, class: &str, grants: Value) {
        let role = json!({"name": name, "class": class, "description": "made by a test", "grants": grants});
        let r = self.call(app, Method::POST, "/roles", role).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    /// The machine identity of role `name`: a secret-id issued through the API, then an
    /// AppRole login straight at OpenBao, as the service would.
    pub async fn machine_login(&self, app: &TestApp, role: &str) -> SecretString {
        let path = format!("/roles/{role}/secret-ids");
        let r = self
            .call(app, Method::POST, &path, json!({"ttl": "1h"}))
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let issued: Value = r.json().await.unwrap();
        super::approle_login(app, &issued).await
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
