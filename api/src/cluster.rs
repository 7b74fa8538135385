use serde::{Deserialize, Serialize};

/// `GET /api/v1/cluster`: the store's nodes, merged from Raft's configuration, the HA
/// status, autopilot's state and Crypter's own health checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterView {
    /// The data center this backend runs in (`--datacenter`), if set.
    pub datacenter: Option<String>,
    /// The Raft leader's node id, when one is known.
    pub leader: Option<String>,
    /// Every node answers and is unsealed.
    pub healthy: bool,
    /// Autopilot's own verdict, when Raft storage is in use.
    pub autopilot_healthy: Option<bool>,
    /// How many voters can fail without losing quorum, per autopilot.
    pub failure_tolerance: Option<u32>,
    pub nodes: Vec<ClusterNode>,
    /// Parts of the picture that could not be read (e.g. no Raft storage on a dev server).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterNode {
    /// Raft's node id, when the node is part of the Raft configuration.
    pub node_id: Option<String>,
    /// The node's API address, e.g. `http://10.0.0.1:8200`.
    pub api_addr: Option<String>,
    /// The node's Raft/cluster address (`host:port`).
    pub cluster_addr: Option<String>,
    /// The data center label given with `--bao-addr dc1=…`.
    pub datacenter: Option<String>,
    pub leader: bool,
    pub voter: bool,
    /// Answers, is initialised and unsealed (and autopilot agrees, when it has a say).
    pub healthy: bool,
    /// Crypter's last health check reached it.
    pub reachable: bool,
    pub sealed: Option<bool>,
    pub standby: Option<bool>,
    /// Autopilot's time since the leader last heard from it, e.g. `1.2s`.
    pub last_contact: Option<String>,
    /// When Crypter last checked the node (RFC 3339).
    pub last_checked: Option<String>,
    /// When the node last answered Crypter's health check (RFC 3339).
    pub last_seen: Option<String>,
    pub version: Option<String>,
    /// Listed in `--bao-addr` (otherwise known only from the Raft configuration).
    pub configured: bool,
    pub error: Option<String>,
}
