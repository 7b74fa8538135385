//! The unauthenticated `sys/` endpoints: health, leader, init and unseal.

use super::{Bao, BaoError};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

/// `GET sys/health`, asked to answer 200 in every state so that the body is always there.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SysHealth {
    #[serde(default)]
    pub initialized: bool,
    #[serde(default)]
    pub sealed: bool,
    #[serde(default)]
    pub standby: bool,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub cluster_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct LeaderStatus {
    #[serde(default)]
    pub ha_enabled: bool,
    #[serde(default)]
    pub is_self: bool,
    #[serde(default)]
    pub leader_address: String,
}

#[derive(Deserialize)]
pub struct InitResponse {
    pub keys_base64: Vec<String>,
    pub root_token: String,
}

impl Bao {
    pub async fn health(&self) -> Result<SysHealth, BaoError> {
        let v = self
            .request_query(
                Method::GET,
                "sys/health",
                "standbyok=true&perfstandbyok=true&sealedcode=200&uninitcode=200&drsecondarycode=200",
                None,
            )
            .await?
            .ok_or_else(|| BaoError::Decode("empty sys/health".into()))?;
        serde_json::from_value(v).map_err(|e| BaoError::Decode(format!("sys/health: {e}")))
    }

    pub async fn leader(&self) -> Result<LeaderStatus, BaoError> {
        let v = self
            .unauthenticated(Method::GET, "sys/leader", None)
            .await?
            .ok_or_else(|| BaoError::Decode("empty sys/leader".into()))?;
        serde_json::from_value(v).map_err(|e| BaoError::Decode(format!("sys/leader: {e}")))
    }

    /// Initialise with a single unseal key: the embedded store has one operator.
    pub async fn init_single_key(&self) -> Result<InitResponse, BaoError> {
        let v = self
            .unauthenticated(
                Method::PUT,
                "sys/init",
                Some(&json!({"secret_shares": 1, "secret_threshold": 1})),
            )
            .await?
            .ok_or_else(|| BaoError::Decode("empty sys/init".into()))?;
        serde_json::from_value(v).map_err(|e| BaoError::Decode(format!("sys/init: {e}")))
    }

    pub async fn unseal(&self, key: &secrecy::SecretString) -> Result<bool, BaoError> {
        use secrecy::ExposeSecret;
        let v = self
            .unauthenticated(
                Method::PUT,
                "sys/unseal",
                Some(&json!({"key": key.expose_secret()})),
            )
            .await?
            .unwrap_or_default();
        Ok(v.get("sealed").and_then(|s| s.as_bool()).unwrap_or(true))
    }
}
