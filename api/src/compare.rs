use crate::names::{CredentialPath, EnvName};
use serde::{Deserialize, Serialize};

/// One path of `GET /api/v1/compare`. Values are compared by SHA-256 on the server and
/// never returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompareEntry {
    pub path: String,
    pub in_left: bool,
    pub in_right: bool,
    /// `Some` only when the path is present on both sides.
    pub equal: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comparison {
    pub left: String,
    pub right: String,
    pub entries: Vec<CompareEntry>,
}

/// `POST /api/v1/promote`: copy the current version of `path` from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PromoteRequest {
    pub from: EnvName,
    pub to: EnvName,
    pub path: CredentialPath,
    /// Without it, promote refuses (409) when the target already holds the path.
    #[serde(default)]
    pub overwrite: bool,
}
