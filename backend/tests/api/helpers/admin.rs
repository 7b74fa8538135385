//! An admin with one method per roles/users endpoint.

use super::{Caller, TestApp};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

/// The bootstrap admin as a [`Caller`], with one method per roles/users endpoint.
pub struct Admin<'a> {
    pub app: &'a TestApp,
    pub caller: Caller,
}

impl<'a> Admin<'a> {
    pub async fn new(app: &'a TestApp) -> Self {
        let caller = Caller::admin(app).await;
        Self { app, caller }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        self.app.call(&self.caller, method, path, body).await
    }

    pub async fn create_role(&self, role: Value) -> Response {
        self.send(Method::POST, "/roles", Some(role)).await
    }

    pub async fn update_role(&self, name: &str, role: Value) -> Response {
        self.send(Method::PUT, &format!("/roles/{name}"), Some(role))
            .await
    }

    pub async fn delete_role(&self, name: &str) -> Response {
        self.send(Method::DELETE, &format!("/roles/{name}"), None)
            .await
    }

    pub async fn role_policy(&self, name: &str) -> Value {
        let resp = self
            .send(Method::GET, &format!("/roles/{name}/policy"), None)
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }

    pub async fn check(&self, name: &str, env: &str, path: &str) -> Value {
        let resp = self
            .send(
                Method::POST,
                &format!("/roles/{name}/check"),
                Some(json!({"environment": env, "path": path})),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }

    pub async fn issue_secret_id(&self, name: &str, ttl: &str) -> Response {
        self.send(
            Method::POST,
            &format!("/roles/{name}/secret-ids"),
            Some(json!({ "ttl": ttl })),
        )
        .await
    }

    pub async fn secret_ids(&self, name: &str) -> Vec<Value> {
        let resp = self
            .send(Method::GET, &format!("/roles/{name}/secret-ids"), None)
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }

    pub async fn revoke_secret_id(&self, name: &str, accessor: &str) -> Response {
        self.send(
            Method::DELETE,
            &format!("/roles/{name}/secret-ids/{accessor}"),
            None,
        )
        .await
    }

    pub async fn identities_check(&self) -> Value {
        let resp = self.send(Method::POST, "/identities/check", None).await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }
}

pub fn grant(env: &str, scope: &str, caps: &[&str], effect: &str) -> Value {
    json!({"environment": env, "scope": scope, "capabilities": caps, "effect": effect})
}
