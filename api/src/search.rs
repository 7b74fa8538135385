use serde::{Deserialize, Serialize};

/// One hit of `GET /api/v1/search`: found from metadata only, never from a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// `credential` (keys join once they exist).
    pub kind: String,
    pub environment: String,
    pub path: String,
    pub class: Option<String>,
    pub owner: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    /// The current version is soft-deleted or destroyed.
    #[serde(default)]
    pub deleted: bool,
}

/// `GET /api/v1/search?q=&limit=`: hits across every environment the caller may list,
/// best first (every word in the path), then by environment and path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResults {
    pub query: String,
    pub hits: Vec<SearchHit>,
    /// Every hit, beyond `limit` too.
    pub total: u64,
    /// The environments searched: those the caller's token may list.
    pub environments: Vec<String>,
}
