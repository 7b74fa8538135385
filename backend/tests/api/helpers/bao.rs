//! OpenBao itself, with a given token: what a user with direct access (or root, to set a
//! test up) does without going through Crypter.

use super::TestApp;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};

impl TestApp {
    /// A token carrying exactly `policies` (plus `default` only if named), made by root.
    pub async fn token_with(&self, policies: &[&str]) -> SecretString {
        let v = self
            .bao
            .write(
                "auth/token/create",
                &self.root,
                &json!({"policies": policies, "no_default_policy": !policies.contains(&"default")}),
            )
            .await
            .unwrap()
            .unwrap();
        SecretString::from(v["auth"]["client_token"].as_str().unwrap().to_owned())
    }

    /// The status OpenBao answers `token` for one request straight at it: 200 for any
    /// success, 0 when no status came back. A null `body` sends none.
    pub async fn bao_status(
        &self,
        token: &SecretString,
        method: Method,
        path: &str,
        body: Value,
    ) -> u16 {
        let body = (!body.is_null()).then_some(body);
        match self
            .bao
            .request(method, path, Some(token), body.as_ref())
            .await
        {
            Ok(_) => 200,
            Err(e) => e.status().unwrap_or(0),
        }
    }

    /// Whether OpenBao's ACL lets `token` through (any answer but 403 Forbidden).
    pub async fn bao_allows(
        &self,
        token: &SecretString,
        method: Method,
        path: &str,
        body: &Value,
    ) -> bool {
        let result = self
            .bao
            .request(method, path, Some(token), Some(body))
            .await;
        !matches!(result, Err(crypter::bao::BaoError::Forbidden { .. }))
    }

    /// Whether root reads something at `path` in OpenBao.
    pub async fn bao_has(&self, path: &str) -> bool {
        self.bao.read(path, &self.root).await.unwrap().is_some()
    }

    /// A userpass user with `policies`, made by root.
    pub async fn user_with(&self, name: &str, password: &str, policies: &[&str]) {
        self.bao
            .write(
                &format!("auth/userpass/users/{name}"),
                &self.root,
                &json!({"password": password, "token_policies": policies}),
            )
            .await
            .unwrap();
    }

    /// Log in as a userpass user straight against OpenBao (not through Crypter).
    pub async fn bao_login(&self, name: &str, password: &str) -> SecretString {
        let v = self
            .bao
            .request(
                reqwest::Method::POST,
                &format!("auth/userpass/login/{name}"),
                None,
                Some(&json!({ "password": password })),
            )
            .await
            .expect("userpass login against OpenBao")
            .unwrap();
        SecretString::from(v["auth"]["client_token"].as_str().unwrap().to_owned())
    }

    /// The identity entity OpenBao ties `token` to (what `{{identity.entity.id}}` names).
    pub async fn entity_of(&self, token: &SecretString) -> String {
        let v = self
            .bao
            .read("auth/token/lookup-self", token)
            .await
            .unwrap()
            .unwrap();
        v["data"]["entity_id"].as_str().unwrap().to_owned()
    }

    /// Ask OpenBao directly whether a token is alive.
    pub async fn token_alive(&self, token: &SecretString) -> bool {
        self.bao
            .request(
                reqwest::Method::GET,
                "auth/token/lookup-self",
                Some(token),
                None,
            )
            .await
            .is_ok()
    }

    pub async fn policy_text(&self, name: &str) -> String {
        let v = self
            .bao
            .read(&format!("sys/policies/acl/{name}"), &self.root)
            .await
            .unwrap()
            .unwrap();
        v["data"]["policy"].as_str().unwrap().to_owned()
    }

    pub async fn all_policies(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for name in self.bao.list("sys/policies/acl", &self.root).await.unwrap() {
            let text = self.policy_text(&name).await;
            out.push((name, text));
        }
        out
    }

    pub async fn put_policy(&self, name: &str, hcl: &str) {
        self.bao
            .write(
                &format!("sys/policies/acl/{name}"),
                &self.root,
                &json!({"policy": hcl}),
            )
            .await
            .unwrap();
    }
}

/// Write a credential with the root token.
pub async fn put_secret(app: &TestApp, env: &str, path: &str) {
    app.bao
        .write(
            &format!("env/{env}/data/{path}"),
            &app.root,
            &json!({ "data": { "value": format!("v-{path}") } }),
        )
        .await
        .unwrap();
}

/// Log in to OpenBao directly with an AppRole pair, as a machine would.
pub async fn approle_login(app: &TestApp, issued: &Value) -> SecretString {
    let resp = app
        .bao
        .request(
            Method::POST,
            "auth/approle/login",
            None,
            Some(&json!({"role_id": issued["role_id"], "secret_id": issued["secret_id"]})),
        )
        .await
        .expect("AppRole login with the issued pair")
        .unwrap();
    SecretString::from(resp["auth"]["client_token"].as_str().unwrap().to_owned())
}
