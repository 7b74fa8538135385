//! The files that hold the backend's AppRole credentials (`crypter-backend`, and
//! `crypter-carrier` for approved requests), and their login. `crypter bootstrap` issues
//! them; the records' identity logs in with them.

use crate::bao::{Bao, BaoError};
use anyhow::Context;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::Path;

/// A role-id and secret-id for `crypter-backend`, and one for `crypter-carrier`. Its
/// `Debug` hides the secret-ids.
#[derive(Clone, Serialize, Deserialize)]
pub struct BackendCredentials {
    pub role_id: String,
    pub secret_id: String,
    /// Files written before approvals existed have none: approved requests then wait
    /// until `crypter bootstrap --backend-credentials` writes the file again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<AppRoleCredentials>,
}

/// One AppRole's role-id and secret-id.
#[derive(Clone, Serialize, Deserialize)]
pub struct AppRoleCredentials {
    pub role_id: String,
    pub secret_id: String,
}

impl std::fmt::Debug for AppRoleCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppRoleCredentials")
            .field("role_id", &self.role_id)
            .finish_non_exhaustive()
    }
}

impl AppRoleCredentials {
    /// Log in: the token.
    pub async fn login(&self, bao: &Bao) -> Result<SecretString, BaoError> {
        approle_login(bao, &self.role_id, &self.secret_id)
            .await
            .map(|(t, _)| t)
    }
}

impl std::fmt::Debug for BackendCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendCredentials")
            .field("role_id", &self.role_id)
            .finish_non_exhaustive()
    }
}

impl BackendCredentials {
    /// Read the JSON file `crypter bootstrap --backend-credentials` wrote.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read(path).with_context(|| {
            format!(
                "cannot read the backend credentials {}; write them with `crypter bootstrap \
                 --bao-addr URL --backend-credentials {}` (an operator's BAO_TOKEN)",
                path.display(),
                path.display()
            )
        })?;
        serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a backend credentials file", path.display()))
    }

    /// Write them with mode 0600, through a temporary file.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        crate::private_file::write(path, &serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Log in; the token lives as long as the AppRole's token TTL (1 h).
    pub async fn login(&self, bao: &Bao) -> Result<SecretString, BaoError> {
        self.login_with_ttl(bao).await.map(|(token, _)| token)
    }

    /// Log in: the token and its TTL in seconds.
    pub async fn login_with_ttl(&self, bao: &Bao) -> Result<(SecretString, u64), BaoError> {
        approle_login(bao, &self.role_id, &self.secret_id).await
    }
}

/// An AppRole login: the token and its TTL in seconds.
async fn approle_login(
    bao: &Bao,
    role_id: &str,
    secret_id: &str,
) -> Result<(SecretString, u64), BaoError> {
    {
        let answer = bao
            .unauthenticated(
                reqwest::Method::POST,
                "auth/approle/login",
                Some(&json!({ "role_id": role_id, "secret_id": secret_id })),
            )
            .await?
            .unwrap_or_default();
        let ttl = answer
            .pointer("/auth/lease_duration")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        answer
            .pointer("/auth/client_token")
            .and_then(Value::as_str)
            .map(|t| (SecretString::from(t.to_owned()), ttl))
            .ok_or_else(|| BaoError::Decode("AppRole login returned no token".into()))
    }
}
