//! Keys against a real OpenBao: each result is checked in OpenBao itself
//! (`transit/<env>/keys/<name>`), and each permission with the attacker's own token,
//! directly against OpenBao.

mod cli;
mod freeze;
mod grants;
mod manage;

use crate::helpers::*;
use crypter_api::KeyDetail;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};

impl Caller {
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

pub fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
