//! The OpenBao nodes behind one [`Bao`](super::Bao): which of them answer, which one is
//! active, and which one a request should go to. A health loop refreshes this every 5 s;
//! failed requests mark a node down at once.

use super::freshness::Freshness;
use super::sys::SysHealth;
use std::sync::{Mutex, RwLock};
use std::time::SystemTime;

/// One configured node: its URL and, optionally, its data center.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    pub url: String,
    pub datacenter: Option<String>,
}

/// What the last health check (or the last failed request) said about a node.
#[derive(Debug, Clone, Default)]
pub struct NodeStatus {
    /// A check has run at least once.
    pub checked: bool,
    pub reachable: bool,
    pub initialized: bool,
    pub sealed: bool,
    pub standby: bool,
    pub version: Option<String>,
    pub last_checked: Option<SystemTime>,
    /// When the node last answered its health check.
    pub last_ok: Option<SystemTime>,
    pub error: Option<String>,
    /// Raft's node id and cluster address for this node, learned from the HA status while
    /// it was up, so that it is still recognised in Raft's configuration once it is down.
    pub node_id: Option<String>,
    pub cluster_addr: Option<String>,
}

impl NodeStatus {
    /// Able to serve requests: reachable, initialised and unsealed.
    pub fn healthy(&self) -> bool {
        self.reachable && self.initialized && !self.sealed
    }

    /// Usable as far as we know: healthy, or never checked yet.
    fn usable(&self) -> bool {
        !self.checked || self.healthy()
    }
}

/// How long a node that answered still counts towards a majority after a failed check.
const QUORUM_GRACE: std::time::Duration = std::time::Duration::from_millis(2500);

#[derive(Debug)]
pub(super) struct Nodes {
    nodes: Vec<(NodeSpec, RwLock<NodeStatus>)>,
    own_dc: Option<String>,
    /// The highest storage index OpenBao reported (`X-Vault-Index`): its position and the
    /// opaque header value to send back.
    last_index: Mutex<Option<(u64, String)>>,
    /// Whether a majority answers, and how fresh our reads are.
    pub(super) freshness: Freshness,
}

impl Nodes {
    pub fn new(specs: Vec<NodeSpec>, own_dc: Option<String>) -> Self {
        Self {
            nodes: specs
                .into_iter()
                .map(|s| (s, RwLock::new(NodeStatus::default())))
                .collect(),
            own_dc,
            last_index: Mutex::new(None),
            freshness: Freshness::default(),
        }
    }

    pub fn last_index(&self) -> Option<String> {
        self.last_index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(_, v)| v.clone())
    }

    /// Keep `header` if it is further along than the index kept so far.
    pub fn saw_index(&self, header: &str) {
        let Some(position) = super::consistency::StoreIndex::parse(header).map(|i| i.position)
        else {
            return;
        };
        let mut last = self.last_index.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_ref().is_none_or(|(p, _)| position > *p) {
            *last = Some((position, header.to_owned()));
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn spec(&self, i: usize) -> &NodeSpec {
        &self.nodes[i].0
    }

    pub fn own_dc(&self) -> Option<&str> {
        self.own_dc.as_deref()
    }

    pub fn status(&self, i: usize) -> NodeStatus {
        self.nodes[i]
            .1
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn snapshot(&self) -> Vec<(NodeSpec, NodeStatus)> {
        (0..self.len())
            .map(|i| (self.spec(i).clone(), self.status(i)))
            .collect()
    }

    /// The nodes in the order to try them. Reads: usable nodes first, those of our own data
    /// center before the others. Writes: the active node first, then the other usable ones
    /// (a standby forwards a write to the active node).
    pub fn order(&self, write: bool) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by_key(|&i| {
            let status = self.status(i);
            let down = u8::from(!status.usable());
            let second = if write {
                u8::from(!status.checked || status.standby)
            } else {
                let own = self.own_dc.is_some() && self.spec(i).datacenter == self.own_dc;
                u8::from(!own)
            };
            (down, second)
        });
        order
    }

    pub fn record(&self, i: usize, result: Result<SysHealth, String>, now: SystemTime) {
        self.record_one(i, result, now);
        if self.len() > 1 {
            // A node counts while it answered within the grace: one slow health check on
            // a busy machine is not a partition.
            let answering = (0..self.len())
                .filter(|&k| {
                    let s = self.status(k);
                    s.usable()
                        || s.last_ok.is_some_and(|ok| {
                            now.duration_since(ok).unwrap_or_default() < QUORUM_GRACE
                        })
                })
                .count();
            self.freshness.quorum(answering * 2 > self.len(), now);
        }
    }

    /// How a request's log line and `X-Crypter-Store-Node` name node `i`: its Raft node id
    /// when known, else its data center, else its address.
    pub fn label(&self, i: usize) -> String {
        let status = self.status(i);
        let spec = self.spec(i);
        status
            .node_id
            .or_else(|| spec.datacenter.clone())
            .unwrap_or_else(|| spec.url.clone())
    }

    fn record_one(&self, i: usize, result: Result<SysHealth, String>, now: SystemTime) {
        let mut status = self.nodes[i].1.write().unwrap_or_else(|p| p.into_inner());
        status.checked = true;
        status.last_checked = Some(now);
        match result {
            Ok(h) => {
                status.reachable = true;
                status.initialized = h.initialized;
                status.sealed = h.sealed;
                status.standby = h.standby;
                status.version = h.version;
                status.last_ok = Some(now);
                status.error = None;
            }
            Err(e) => {
                status.reachable = false;
                status.error = Some(e);
            }
        }
    }

    /// The configured node that `location` (a URL, e.g. a redirect's) points at.
    pub fn find(&self, location: &str) -> Option<usize> {
        self.nodes.iter().position(|(spec, _)| {
            location
                .strip_prefix(spec.url.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }

    /// Remember which Raft node the node at `url` is.
    pub fn learn_identity(&self, url: &str, node_id: &str, cluster_addr: &str) {
        for (spec, status) in &self.nodes {
            if spec.url == url {
                let mut status = status.write().unwrap_or_else(|p| p.into_inner());
                status.node_id = Some(node_id.to_owned());
                status.cluster_addr = Some(cluster_addr.to_owned());
            }
        }
    }

    /// A request to node `i` failed at the transport level, or it said it is sealed.
    pub fn mark_down(&self, i: usize, reason: String, now: SystemTime) {
        self.record(i, Err(reason), now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(url: &str, dc: &str) -> NodeSpec {
        NodeSpec {
            url: url.into(),
            datacenter: Some(dc.into()),
        }
    }

    fn health(standby: bool) -> Result<SysHealth, String> {
        Ok(SysHealth {
            initialized: true,
            sealed: false,
            standby,
            ..SysHealth::default()
        })
    }

    #[test]
    fn reads_prefer_a_healthy_node_of_our_own_data_center() {
        let nodes = Nodes::new(
            vec![
                spec("http://a", "dc1"),
                spec("http://b", "dc2"),
                spec("http://c", "dc2"),
            ],
            Some("dc2".into()),
        );
        let now = SystemTime::now();
        nodes.record(0, health(false), now);
        nodes.record(1, Err("refused".into()), now);
        nodes.record(2, health(true), now);
        assert_eq!(nodes.order(false), vec![2, 0, 1]);
    }

    #[test]
    fn writes_go_to_the_active_node_first() {
        let nodes = Nodes::new(
            vec![
                spec("http://a", "dc1"),
                spec("http://b", "dc2"),
                spec("http://c", "dc3"),
            ],
            Some("dc1".into()),
        );
        let now = SystemTime::now();
        nodes.record(0, health(true), now);
        nodes.record(1, health(true), now);
        nodes.record(2, health(false), now);
        assert_eq!(nodes.order(true)[0], 2);
        nodes.mark_down(2, "refused".into(), now);
        assert_eq!(nodes.order(true), vec![0, 1, 2]);
    }

    #[test]
    fn keeps_the_highest_storage_index() {
        use base64::Engine;
        let header = |v: u64| {
            base64::engine::general_purpose::STANDARD
                .encode(format!(r#"{{"cluster":"c","value":"{v}"}}"#))
        };
        let nodes = Nodes::new(vec![spec("http://a", "dc1")], None);
        nodes.saw_index(&header(48));
        nodes.saw_index(&header(12));
        nodes.saw_index("not base64!");
        assert_eq!(nodes.last_index(), Some(header(48)));
        nodes.saw_index(&header(50));
        assert_eq!(nodes.last_index(), Some(header(50)));
    }

    #[test]
    fn a_redirect_names_a_configured_node() {
        let nodes = Nodes::new(
            vec![
                spec("http://10.0.0.1:8200", "dc1"),
                spec("http://10.0.0.2:8200", "dc2"),
            ],
            None,
        );
        assert_eq!(nodes.find("http://10.0.0.2:8200/v1/env/x/data/y"), Some(1));
        assert_eq!(nodes.find("http://10.0.0.1:8200"), Some(0));
        assert_eq!(nodes.find("http://10.0.0.1:82001/v1/x"), None);
        assert_eq!(nodes.find("http://10.0.0.9:8200/v1/x"), None);
    }

    #[test]
    fn unchecked_nodes_are_tried_and_sealed_ones_last() {
        let nodes = Nodes::new(vec![spec("http://a", "dc1"), spec("http://b", "dc1")], None);
        let sealed = SysHealth {
            initialized: true,
            sealed: true,
            ..SysHealth::default()
        };
        nodes.record(0, Ok(sealed), SystemTime::now());
        assert_eq!(nodes.order(false), vec![1, 0]);
    }
}
