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
    /// The nodes grouped by data center, with replication lag and partition state.
    #[serde(default)]
    pub datacenters: Vec<DatacenterView>,
    /// How this instance sees the store: whether it reaches the leader, and how fresh
    /// the reads it serves are.
    #[serde(default)]
    pub consistency: Option<Consistency>,
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

/// One data center on the Cluster page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatacenterView {
    /// `dc1`, … (nodes without a label are grouped under `unlabelled`).
    pub name: String,
    /// Node ids (or API addresses) of its nodes, in the order of `ClusterView::nodes`.
    pub nodes: Vec<String>,
    /// The Raft leader is in this data center.
    pub has_leader: bool,
    /// The leader's committed Raft index minus this data center's node's applied index,
    /// as this instance last measured it.
    pub lag_index: Option<u64>,
    /// How long this data center's node took to apply what the leader had committed,
    /// as this instance last measured it (0 when it was already there).
    pub lag_ms: Option<u64>,
    /// This instance's reads are answered here (its own data center's node).
    pub reads_local: bool,
    /// This instance could not reach the data center's nodes since then (RFC 3339).
    pub unreachable_since: Option<String>,
}

/// This instance's consistency state: what `X-Crypter-Stale-Since` and the console's
/// banner say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consistency {
    /// The data center this instance runs in (`--datacenter`), if set.
    pub datacenter: Option<String>,
    /// The store's leader answered this instance's last probe.
    pub leader_reachable: bool,
    /// Since when it has not (RFC 3339); changes are refused here meanwhile.
    pub leader_unreachable_since: Option<String>,
    /// Every write acknowledged before this time is in what this instance reads (RFC 3339).
    pub fresh_as_of: Option<String>,
    /// Set when `fresh_as_of` is older than the staleness bound: reads may be older than
    /// this time (the `X-Crypter-Stale-Since` header).
    pub stale_since: Option<String>,
    /// The node that answers this instance's reads (node id or address).
    pub read_node: Option<String>,
}
