use crate::names::EnvName;
use serde::{Deserialize, Serialize};

/// An environment: a KV v2 mount `env/<name>/` plus its record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Environment {
    pub name: EnvName,
    #[serde(default)]
    pub description: String,
    /// `#rrggbb`.
    #[serde(default)]
    pub color: String,
    /// Destructive actions here need the environment's name typed as confirmation.
    #[serde(default)]
    pub protected: bool,
    /// How many credentials the environment holds; `None` when the caller may not list them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_count: Option<u64>,
}

/// `POST /api/v1/environments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnvironmentCreate {
    /// `^[a-z][a-z0-9-]{0,31}$`.
    pub name: EnvName,
    #[serde(default)]
    pub description: String,
    /// `#rrggbb`; a neutral grey when left out.
    #[serde(default)]
    pub color: Option<String>,
    #[serde(default)]
    pub protected: bool,
}

/// `PATCH /api/v1/environments/{env}`: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnvironmentUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected: Option<bool>,
}
