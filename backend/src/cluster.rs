//! The cluster picture behind `GET /api/v1/cluster`: Raft's configuration, the HA status
//! and autopilot's state (read with the caller's own token), merged with Crypter's own
//! per-node health checks.

use crate::bao::freshness::rfc3339;
use crate::bao::{Bao, BaoError, NodeSpec, NodeStatus};
use crypter_api::{ClusterNode, ClusterView, Consistency, DatacenterView};
use secrecy::SecretString;
use serde_json::Value;
#[cfg(test)]
use std::time::SystemTime;

/// Read the three `sys/` views and merge them. A view that cannot be read becomes a
/// warning (a dev server has no Raft), except a refusal: that is the caller's answer.
pub async fn view(bao: &Bao, token: &SecretString) -> Result<ClusterView, BaoError> {
    let (raft, ha, autopilot) = tokio::join!(
        bao.read("sys/storage/raft/configuration", token),
        bao.read("sys/ha-status", token),
        bao.read("sys/storage/raft/autopilot/state", token),
    );
    let mut warnings = Vec::new();
    let mut keep = |name: &str, r: Result<Option<Value>, BaoError>| match r {
        Ok(Some(v)) => Ok(v),
        Ok(None) => {
            warnings.push(format!(
                "{name}: not available (this store does not use Raft)"
            ));
            Ok(Value::Null)
        }
        Err(e @ BaoError::Forbidden { .. }) => Err(e),
        Err(e) => {
            warnings.push(format!("{name}: {e}"));
            Ok(Value::Null)
        }
    };
    let raft = keep("raft configuration", raft)?;
    let ha = keep("HA status", ha)?;
    let autopilot = keep("autopilot state", autopilot)?;
    let mut view = merge(&bao.node_statuses(), &raft, &ha, &autopilot);
    for node in view.nodes.iter().filter(|n| n.configured) {
        if let (Some(url), Some(id), Some(addr)) =
            (&node.api_addr, &node.node_id, &node.cluster_addr)
        {
            bao.learn_identity(url, id, addr);
        }
    }
    view.datacenter = bao.own_datacenter().map(str::to_owned);
    view.warnings.extend(warnings);
    view.datacenters = datacenters(bao, &view.nodes);
    view.consistency = bao.is_cluster().then(|| consistency(bao));
    Ok(view)
}

/// This instance's consistency state (the `/health` and `/cluster` answers, the banner).
pub fn consistency(bao: &Bao) -> Consistency {
    let unreachable = bao.leader_unreachable_since();
    Consistency {
        datacenter: bao.own_datacenter().map(str::to_owned),
        leader_reachable: unreachable.is_none(),
        leader_unreachable_since: unreachable.map(rfc3339),
        fresh_as_of: bao.fresh_as_of().map(rfc3339),
        stale_since: bao.stale_since().map(rfc3339),
        read_node: Some(bao.node_label(bao.read_node())),
    }
}

/// The nodes grouped by data center, each with the lag this instance last measured.
fn datacenters(bao: &Bao, nodes: &[ClusterNode]) -> Vec<DatacenterView> {
    let configured = bao.node_statuses();
    let read_node = bao.read_node();
    let mut out: Vec<DatacenterView> = Vec::new();
    for node in nodes {
        let name = node
            .datacenter
            .clone()
            .unwrap_or_else(|| "unlabelled".to_owned());
        let i = match out.iter().position(|d| d.name == name) {
            Some(i) => i,
            None => {
                out.push(DatacenterView {
                    name,
                    ..DatacenterView::default()
                });
                out.len() - 1
            }
        };
        let dc = &mut out[i];
        dc.nodes.push(
            node.node_id
                .clone()
                .or_else(|| node.api_addr.clone())
                .unwrap_or_default(),
        );
        dc.has_leader |= node.leader;
        let Some(k) = configured
            .iter()
            .position(|(spec, _)| Some(&spec.url) == node.api_addr.as_ref())
        else {
            continue;
        };
        if let Some(lag) = bao.lag(k) {
            dc.lag_index = Some(dc.lag_index.unwrap_or(0).max(lag.index));
            dc.lag_ms = Some(dc.lag_ms.unwrap_or(0).max(lag.ms));
        }
        dc.reads_local |= k == read_node;
        let status = &configured[k].1;
        if status.checked && !status.reachable {
            dc.unreachable_since = status.last_ok.map(rfc3339);
        }
    }
    out
}

/// The pure merge: configured nodes matched to Raft servers by address.
pub fn merge(
    configured: &[(NodeSpec, NodeStatus)],
    raft: &Value,
    ha: &Value,
    autopilot: &Value,
) -> ClusterView {
    let ha_nodes = array_at(ha, "/data/nodes");
    let servers = array_at(raft, "/data/config/servers");
    let ap = autopilot.get("data").cloned().unwrap_or(Value::Null);

    let mut nodes: Vec<ClusterNode> = configured
        .iter()
        .map(|(spec, status)| from_health(spec, status))
        .collect();
    merge_ha(&mut nodes, &ha_nodes);
    pair_by_elimination(&mut nodes);
    pair_down_node(&mut nodes, &servers);
    merge_raft(&mut nodes, &servers);
    merge_autopilot(&mut nodes, &ap);
    let leader = nodes
        .iter()
        .find(|n| n.leader)
        .and_then(|n| n.node_id.clone().or_else(|| n.api_addr.clone()));
    ClusterView {
        datacenter: None,
        leader,
        healthy: !nodes.is_empty() && nodes.iter().all(|n| n.healthy),
        autopilot_healthy: ap["healthy"].as_bool(),
        failure_tolerance: ap["failure_tolerance"]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok()),
        nodes,
        warnings: Vec::new(),
        ..ClusterView::default()
    }
}

fn array_at(v: &Value, pointer: &str) -> Vec<Value> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The node that `matches`, or a new one made by `make` and appended.
fn find_or_push(
    nodes: &mut Vec<ClusterNode>,
    matches: impl Fn(&ClusterNode) -> bool,
    make: impl FnOnce() -> ClusterNode,
) -> &mut ClusterNode {
    let i = match nodes.iter().position(matches) {
        Some(i) => i,
        None => {
            nodes.push(make());
            nodes.len() - 1
        }
    };
    &mut nodes[i]
}

/// HA status ties API addresses to cluster addresses, which Raft knows nodes by.
fn merge_ha(nodes: &mut Vec<ClusterNode>, ha_nodes: &[Value]) {
    for h in ha_nodes {
        let api = h["api_address"].as_str().map(trim_url);
        let cluster = h["cluster_address"].as_str().map(host_port);
        let node = find_or_push(
            nodes,
            // By address, or by the cluster address learned for a configured node that is
            // reached at another address than it advertises.
            |n| {
                n.api_addr.as_deref().map(trim_url) == api
                    || (n.configured && cluster.is_some() && n.cluster_addr.as_deref() == cluster)
            },
            || ClusterNode {
                api_addr: api.map(str::to_owned),
                ..ClusterNode::default()
            },
        );
        node.cluster_addr = cluster.map(str::to_owned);
        node.version = node
            .version
            .clone()
            .or_else(|| h["version"].as_str().map(str::to_owned));
        if h["active_node"].as_bool() == Some(true) {
            node.leader = true;
        }
    }
}

/// A configured node that the HA status lists under another address (reached directly,
/// while it advertises a proxy's or a WAN relay's), paired with the one HA entry nobody
/// claimed, when there is exactly one of each: the same node, not two.
fn pair_by_elimination(nodes: &mut Vec<ClusterNode>) {
    let unmatched = |nodes: &[ClusterNode]| -> Vec<usize> {
        (0..nodes.len())
            .filter(|&i| nodes[i].configured && nodes[i].cluster_addr.is_none())
            .collect()
    };
    let unclaimed = |nodes: &[ClusterNode]| -> Vec<usize> {
        (0..nodes.len())
            .filter(|&i| !nodes[i].configured && nodes[i].cluster_addr.is_some())
            .collect()
    };
    // The active node is known on both sides: our health check, and the HA status.
    let active_mine = unmatched(nodes)
        .into_iter()
        .find(|&i| nodes[i].standby == Some(false));
    let active_theirs = unclaimed(nodes).into_iter().find(|&i| nodes[i].leader);
    if let (Some(mine), Some(theirs)) = (active_mine, active_theirs) {
        absorb(nodes, mine, theirs);
    }
    if let ([mine], [theirs]) = (unmatched(nodes).as_slice(), unclaimed(nodes).as_slice()) {
        absorb(nodes, *mine, *theirs);
    }
}

/// Node `mine` (configured) takes what the HA entry `theirs` says, which then goes.
fn absorb(nodes: &mut Vec<ClusterNode>, mine: usize, theirs: usize) {
    let ha = nodes.remove(theirs);
    let node = &mut nodes[if theirs < mine { mine - 1 } else { mine }];
    node.cluster_addr = ha.cluster_addr;
    node.leader |= ha.leader;
    node.version = node.version.clone().or(ha.version);
}

/// A configured node that Raft lists but the HA status does not (it is down), paired
/// with the one Raft server nobody claimed, when there is exactly one of each.
fn pair_down_node(nodes: &mut [ClusterNode], servers: &[Value]) {
    let unclaimed: Vec<&Value> = servers
        .iter()
        .filter(|s| {
            let addr = s["address"].as_str().map(host_port);
            !nodes
                .iter()
                .any(|n| n.cluster_addr.is_some() && n.cluster_addr.as_deref() == addr)
        })
        .collect();
    let unmatched: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].configured && nodes[i].cluster_addr.is_none())
        .collect();
    if let ([server], [i]) = (unclaimed.as_slice(), unmatched.as_slice()) {
        nodes[*i].cluster_addr = server["address"].as_str().map(|a| host_port(a).to_owned());
    }
}

fn merge_raft(nodes: &mut Vec<ClusterNode>, servers: &[Value]) {
    for s in servers {
        let addr = s["address"].as_str().map(host_port);
        let node_id = s["node_id"].as_str().map(str::to_owned);
        let node = find_or_push(
            nodes,
            |n| n.cluster_addr.is_some() && n.cluster_addr.as_deref() == addr,
            || ClusterNode {
                cluster_addr: addr.map(str::to_owned),
                ..ClusterNode::default()
            },
        );
        node.node_id = node_id;
        node.voter = s["voter"].as_bool().unwrap_or(false);
        node.leader = s["leader"].as_bool().unwrap_or(node.leader);
    }
}

fn merge_autopilot(nodes: &mut [ClusterNode], ap: &Value) {
    for node in nodes {
        let Some(id) = node.node_id.clone() else {
            continue;
        };
        let Some(a) = ap.pointer(&format!("/servers/{id}")) else {
            continue;
        };
        node.last_contact = a["last_contact"].as_str().map(short_duration);
        if a["healthy"].as_bool() == Some(false) {
            node.healthy = false;
        }
        if !node.configured && node.version.is_none() {
            node.version = a["version"].as_str().map(str::to_owned);
        }
        if !node.configured {
            node.healthy = a["healthy"].as_bool().unwrap_or(false);
            node.reachable = a["node_status"].as_str() == Some("alive");
        }
    }
}

fn from_health(spec: &NodeSpec, status: &NodeStatus) -> ClusterNode {
    ClusterNode {
        api_addr: Some(spec.url.clone()),
        datacenter: spec.datacenter.clone(),
        healthy: status.checked && status.healthy(),
        reachable: status.reachable,
        sealed: status.checked.then_some(status.sealed),
        standby: (status.checked && status.reachable).then_some(status.standby),
        last_checked: status.last_checked.map(rfc3339),
        last_seen: status.last_ok.map(rfc3339),
        version: status.version.clone(),
        configured: true,
        error: status.error.clone(),
        node_id: status.node_id.clone(),
        cluster_addr: status.cluster_addr.clone(),
        ..ClusterNode::default()
    }
}

/// Autopilot's Go durations (`4.149444083s`, `812.3ms`) to something readable (`4.1s`,
/// `812ms`); anything else is kept as it is.
fn short_duration(go: &str) -> String {
    let parsed = if let Some(ms) = go.strip_suffix("ms") {
        ms.parse::<f64>().ok().map(|v| v / 1000.0)
    } else if let Some(secs) = go.strip_suffix('s') {
        secs.parse::<f64>().ok()
    } else {
        None
    };
    match parsed {
        Some(0.0) => "0s".to_owned(),
        Some(secs) if secs < 1.0 => format!("{}ms", (secs * 1000.0).round()),
        Some(secs) => format!("{secs:.1}s"),
        None => go.to_owned(),
    }
}

fn trim_url(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// `https://127.0.0.1:8201` → `127.0.0.1:8201`.
fn host_port(addr: &str) -> &str {
    let addr = addr.split_once("://").map_or(addr, |(_, rest)| rest);
    addr.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn configured(url: &str, dc: &str, healthy: bool, standby: bool) -> (NodeSpec, NodeStatus) {
        (
            NodeSpec {
                url: url.into(),
                datacenter: Some(dc.into()),
            },
            NodeStatus {
                checked: true,
                reachable: healthy,
                initialized: true,
                standby,
                last_checked: Some(SystemTime::now()),
                ..NodeStatus::default()
            },
        )
    }

    #[test]
    fn merges_raft_ha_and_autopilot_by_address() {
        let nodes = [
            configured("http://127.0.0.1:1", "dc1", true, false),
            configured("http://127.0.0.1:2", "dc2", false, true),
        ];
        let ha = json!({"data": {"nodes": [
            {"api_address": "http://127.0.0.1:1", "cluster_address": "https://127.0.0.1:11", "active_node": true, "version": "2.7.2"},
            {"api_address": "http://127.0.0.1:2", "cluster_address": "https://127.0.0.1:12", "active_node": false},
        ]}});
        let raft = json!({"data": {"config": {"servers": [
            {"node_id": "n1", "address": "127.0.0.1:11", "leader": true, "voter": true},
            {"node_id": "n2", "address": "127.0.0.1:12", "leader": false, "voter": true},
            {"node_id": "n3", "address": "127.0.0.1:13", "leader": false, "voter": false},
        ]}}});
        let ap = json!({"data": {"healthy": false, "failure_tolerance": 0, "servers": {
            "n1": {"last_contact": "0s", "healthy": true},
            "n2": {"last_contact": "9s", "healthy": false},
            "n3": {"last_contact": "1s", "healthy": true, "node_status": "alive", "version": "2.7.2"},
        }}});
        let view = merge(&nodes, &raft, &ha, &ap);
        assert_eq!(view.nodes.len(), 3);
        assert_eq!(view.leader.as_deref(), Some("n1"));
        assert!(!view.healthy);
        let n1 = &view.nodes[0];
        assert_eq!(
            (
                n1.node_id.as_deref(),
                n1.datacenter.as_deref(),
                n1.leader,
                n1.voter,
                n1.healthy
            ),
            (Some("n1"), Some("dc1"), true, true, true)
        );
        let n2 = &view.nodes[1];
        assert_eq!(
            (n2.healthy, n2.reachable, n2.last_contact.as_deref()),
            (false, false, Some("9.0s"))
        );
        let n3 = &view.nodes[2];
        assert_eq!((n3.configured, n3.voter, n3.healthy), (false, false, true));
        assert_eq!(view.failure_tolerance, Some(0));
    }

    #[test]
    fn a_down_node_missing_from_ha_status_is_still_matched_to_its_raft_server() {
        let nodes = [
            configured("http://127.0.0.1:1", "dc1", false, false),
            configured("http://127.0.0.1:2", "dc2", true, false),
        ];
        let ha = json!({"data": {"nodes": [
            {"api_address": "http://127.0.0.1:2", "cluster_address": "https://127.0.0.1:12", "active_node": true},
        ]}});
        let raft = json!({"data": {"config": {"servers": [
            {"node_id": "n1", "address": "127.0.0.1:11", "leader": false, "voter": true},
            {"node_id": "n2", "address": "127.0.0.1:12", "leader": true, "voter": true},
        ]}}});
        let view = merge(&nodes, &raft, &ha, &Value::Null);
        assert_eq!(view.nodes.len(), 2);
        assert_eq!(view.nodes[0].node_id.as_deref(), Some("n1"));
        assert!(!view.nodes[0].healthy);
        assert_eq!(view.leader.as_deref(), Some("n2"));
    }

    #[test]
    fn a_node_reached_directly_but_advertised_elsewhere_is_one_node() {
        let nodes = [
            configured("http://127.0.0.1:1", "dc1", true, false),
            configured("http://relay:2", "dc2", true, true),
        ];
        let ha = json!({"data": {"nodes": [
            {"api_address": "http://relay:1", "cluster_address": "https://relay:11", "active_node": true},
            {"api_address": "http://relay:2", "cluster_address": "https://relay:12", "active_node": false},
        ]}});
        let raft = json!({"data": {"config": {"servers": [
            {"node_id": "n1", "address": "relay:11", "leader": true, "voter": true},
            {"node_id": "n2", "address": "relay:12", "leader": false, "voter": true},
        ]}}});
        let view = merge(&nodes, &raft, &ha, &Value::Null);
        assert_eq!(view.nodes.len(), 2, "{:?}", view.nodes);
        assert_eq!(view.nodes[0].node_id.as_deref(), Some("n1"));
        assert_eq!(view.nodes[0].datacenter.as_deref(), Some("dc1"));
        assert!(view.nodes[0].leader);
    }

    #[test]
    fn while_a_node_is_missing_from_ha_status_the_active_one_is_still_paired() {
        let nodes = [
            configured("http://127.0.0.1:1", "dc1", true, false),
            configured("http://relay:2", "dc2", true, true),
            configured("http://relay:3", "dc3", false, true),
        ];
        let ha = json!({"data": {"nodes": [
            {"api_address": "http://relay:1", "cluster_address": "https://relay:11", "active_node": true},
            {"api_address": "http://relay:2", "cluster_address": "https://relay:12", "active_node": false},
        ]}});
        let raft = json!({"data": {"config": {"servers": [
            {"node_id": "n1", "address": "relay:11", "leader": true, "voter": true},
            {"node_id": "n2", "address": "relay:12", "leader": false, "voter": true},
            {"node_id": "n3", "address": "relay:13", "leader": false, "voter": true},
        ]}}});
        let view = merge(&nodes, &raft, &ha, &Value::Null);
        let ids: Vec<_> = view
            .nodes
            .iter()
            .map(|n| n.node_id.clone().unwrap_or_default())
            .collect();
        assert_eq!(ids, ["n1", "n2", "n3"], "{:?}", view.nodes);
    }

    #[test]
    fn last_contact_is_shortened() {
        assert_eq!(short_duration("4.149444083s"), "4.1s");
        assert_eq!(short_duration("812.345ms"), "812ms");
        assert_eq!(short_duration("0s"), "0s");
        assert_eq!(short_duration("2m3.5s"), "2m3.5s");
    }

    #[test]
    fn without_raft_the_configured_nodes_still_show() {
        let view = merge(
            &[configured("http://a", "dc1", true, false)],
            &Value::Null,
            &Value::Null,
            &Value::Null,
        );
        assert_eq!(view.nodes.len(), 1);
        assert!(view.healthy);
        assert_eq!(view.leader, None);
    }
}
