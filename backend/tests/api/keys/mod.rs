//! Keys against a real OpenBao: each result is checked in OpenBao itself
//! (`transit/<env>/keys/<name>`), and each permission with the attacker's own token,
//! directly against OpenBao.

mod cli;
mod freeze;
mod grants;
mod manage;

use crate::helpers::*;
use crypter_api::{KeyDetail, CSRF_HEADER};
use reqwest::{Client, Method, Response};
use secrecy::SecretString;
use serde_json::{json, Value};

/// A signed-in browser and its CSRF token.
pub struct As {
    pub client: Client,
    pub csrf: String,
}

impl As {
    pub async fn admin(app: &TestApp) -> Self {
        let (client, s) = app.admin().await;
        Self {
            client,
            csrf: s.csrf_token,
        }
    }

    pub async fn user(app: &TestApp, name: &str, password: &str) -> Self {
        let (client, csrf) = app.session_of(name, password).await;
        Self { client, csrf }
    }

    pub async fn call(&self, app: &TestApp, method: Method, path: &str, body: Value) -> Response {
        let mut req = self
            .client
            .request(method.clone(), app.url(path))
            .header(CSRF_HEADER, &self.csrf);
        if method != Method::GET && method != Method::DELETE {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    /// Create a key through the API; panics unless it answers 201.
    pub async fn create_key(&self, app: &TestApp, env: &str, name: &str, kind: &str) -> KeyDetail {
        let r = self
            .call(
                app,
                Method::POST,
                &format!("/environments/{env}/keys"),
                json!({"name": name, "key_type": kind, "owner": "payments",
                       "description": "card numbers", "labels": ["pci"]}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// `POST …/keys/{name}/{op}`: status and body.
    pub async fn key_op(
        &self,
        app: &TestApp,
        env: &str,
        name: &str,
        op: &str,
        body: Value,
    ) -> (u16, Value) {
        let r = self
            .call(
                app,
                Method::POST,
                &format!("/environments/{env}/keys/{name}/{op}"),
                body,
            )
            .await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// The key as OpenBao itself describes it (root's read), `None` when there is none.
pub async fn in_openbao(app: &TestApp, env: &str, name: &str) -> Option<Value> {
    app.bao
        .read(&format!("transit/{env}/keys/{name}"), &app.root)
        .await
        .unwrap()
        .map(|v| v["data"].clone())
}

/// Status of one request made with `token` straight against OpenBao.
pub async fn direct(
    app: &TestApp,
    token: &SecretString,
    method: Method,
    path: &str,
    body: Value,
) -> u16 {
    let body = (!body.is_null()).then_some(body);
    match app
        .bao
        .request(method, path, Some(token), body.as_ref())
        .await
    {
        Ok(_) => 200,
        Err(e) => e.status().unwrap_or(0),
    }
}

pub fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
