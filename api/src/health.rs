use serde::{Deserialize, Serialize};

/// `GET /api/v1/health`: the backend is alive, and how the store looks from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok` when the store is reachable, initialised and unsealed; `degraded` otherwise.
    pub status: String,
    pub store: StoreHealth,
    /// Across data centers: whether this instance reaches the store's leader and how
    /// fresh its reads are. Absent on a single node.
    #[serde(default)]
    pub consistency: Option<crate::Consistency>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreHealth {
    pub reachable: bool,
    pub initialized: bool,
    pub sealed: bool,
    pub standby: bool,
    /// OpenBao's version string, e.g. `2.7.2`.
    pub version: Option<String>,
    pub cluster_name: Option<String>,
    /// `active`, `standby` or `disabled` (no HA storage).
    pub ha_mode: Option<String>,
    /// Why the store could not be reached, when it could not.
    pub error: Option<String>,
    /// How many OpenBao nodes Crypter is configured with.
    #[serde(default)]
    pub nodes_total: u32,
    /// How many of them failed their last health check (the store is degraded).
    #[serde(default)]
    pub nodes_down: u32,
}

/// `GET /api/v1/health/ready`: whether a balancer should send this instance requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    pub ready: bool,
    /// Why not, when not: shutting down, or no unsealed active OpenBao node answers.
    pub reason: Option<String>,
}
