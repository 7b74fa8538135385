//! Read-your-writes across instances and data centers.
//!
//! OpenBao answers every request with `X-Vault-Index`, the storage index of the node that
//! answered. A standby that is sent a request with a newer index and
//! `X-Vault-Inconsistent: forward-active-node` forwards it to the active node instead of
//! answering from older data. Crypter carries the highest index a session has seen with
//! the session itself (a cookie, or the `X-Crypter-Index` header for scripts), so whichever
//! instance serves the session's next request sends that index, and a standby behind it
//! forwards instead of answering stale. Reads of a session whose own writes are already
//! replicated stay on the local node.
//!
//! A request runs inside a [`RequestScope`] (a task-local set by the HTTP layer): the
//! index the session requires, and what the store answered with. Work outside a request
//! (jobs, sweeps) or in a task spawned from it falls back to the highest index this process
//! has seen, which is stronger, never weaker.

use std::sync::{Arc, Mutex};

/// One position in OpenBao's storage: its order, and the opaque header value to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreIndex {
    pub position: u64,
    pub cluster: String,
    pub header: String,
}

impl StoreIndex {
    /// Parse OpenBao's opaque `X-Vault-Index` (base64 of `{"cluster":…,"value":"48"}`).
    pub fn parse(header: &str) -> Option<Self> {
        use base64::Engine;
        let header = header.trim();
        if header.is_empty() || header.len() > 512 {
            return None;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(header)
            .ok()?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        Some(Self {
            position: v.get("value")?.as_str()?.parse().ok()?,
            cluster: v.get("cluster")?.as_str()?.to_owned(),
            header: header.to_owned(),
        })
    }

    /// The further along of two indexes of the same cluster (`other` when they differ).
    pub fn max(self, other: Self) -> Self {
        if other.cluster != self.cluster || other.position > self.position {
            other
        } else {
            self
        }
    }
}

/// What one HTTP request needs from the store, and what the store answered with.
#[derive(Debug, Default)]
pub struct RequestScope {
    /// The highest index the session has seen (its own writes, and what it read).
    required: Option<StoreIndex>,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    index: Option<StoreIndex>,
    /// The nodes that answered this request, in order, without repeats.
    nodes: Vec<String>,
    /// A read that had to be answered without the session's index (the leader was out of
    /// reach): it may be older than the session's own last write.
    below_session: bool,
}

tokio::task_local! {
    static SCOPE: Arc<RequestScope>;
}

impl RequestScope {
    pub fn new(required: Option<StoreIndex>) -> Arc<Self> {
        Arc::new(Self {
            required,
            seen: Mutex::default(),
        })
    }

    /// Run `f` with this scope as the current request's.
    pub async fn run<F: std::future::Future>(self: Arc<Self>, f: F) -> F::Output {
        SCOPE.scope(self, f).await
    }

    /// The current request's scope, if the caller runs inside one.
    pub fn current() -> Option<Arc<Self>> {
        SCOPE.try_with(Arc::clone).ok()
    }

    /// The index the next call must be answered at: the session's, or what this request
    /// already saw when that is further along (a write, then a read of it).
    pub fn required(&self) -> Option<StoreIndex> {
        let seen = self.seen().index.clone();
        match (self.required.clone(), seen) {
            (Some(r), Some(s)) => Some(if s.cluster == r.cluster { r.max(s) } else { s }),
            (r, s) => r.or(s),
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The store answered from `node`, at `index`.
    pub fn answered(&self, node: &str, index: Option<StoreIndex>) {
        let mut seen = self.seen();
        if !seen.nodes.iter().any(|n| n == node) {
            seen.nodes.push(node.to_owned());
        }
        if let Some(index) = index {
            seen.index = Some(match seen.index.take() {
                Some(old) => old.max(index),
                None => index,
            });
        }
    }

    pub fn answered_below_session(&self) {
        self.seen().below_session = true;
    }

    /// The index to hand back to the session: the highest seen, when it is further along
    /// than what the session sent.
    pub fn advanced(&self) -> Option<StoreIndex> {
        let seen = self.seen().index.clone()?;
        match &self.required {
            Some(r) if r.cluster == seen.cluster && r.position >= seen.position => None,
            _ => Some(seen),
        }
    }

    /// The nodes that answered, comma-separated (for the log line and a response header).
    pub fn nodes(&self) -> String {
        self.seen().nodes.join(",")
    }

    pub fn below_session(&self) -> bool {
        self.seen().below_session
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(cluster: &str, v: u64) -> StoreIndex {
        use base64::Engine;
        let header = base64::engine::general_purpose::STANDARD
            .encode(format!(r#"{{"cluster":"{cluster}","value":"{v}"}}"#));
        StoreIndex::parse(&header).unwrap()
    }

    #[test]
    fn parses_openbao_index_and_refuses_anything_else() {
        assert_eq!(index("c", 48).position, 48);
        assert!(StoreIndex::parse("not base64!").is_none());
        assert!(StoreIndex::parse("").is_none());
        assert!(StoreIndex::parse(&"A".repeat(600)).is_none());
        use base64::Engine;
        let no_value = base64::engine::general_purpose::STANDARD.encode(r#"{"cluster":"c"}"#);
        assert!(StoreIndex::parse(&no_value).is_none());
    }

    #[test]
    fn a_scope_hands_back_only_an_index_further_along() {
        let scope = RequestScope::new(Some(index("c", 10)));
        scope.answered("node2", Some(index("c", 9)));
        assert_eq!(scope.advanced(), None);
        scope.answered("node1", Some(index("c", 12)));
        scope.answered("node2", Some(index("c", 11)));
        assert_eq!(scope.advanced().map(|i| i.position), Some(12));
        assert_eq!(scope.nodes(), "node2,node1");
    }

    #[test]
    fn an_index_of_another_cluster_is_replaced() {
        let scope = RequestScope::new(Some(index("old", 900)));
        scope.answered("node1", Some(index("new", 5)));
        assert_eq!(scope.advanced().map(|i| i.cluster), Some("new".into()));
    }

    #[tokio::test]
    async fn the_scope_is_seen_inside_and_not_outside() {
        let scope = RequestScope::new(None);
        assert!(RequestScope::current().is_none());
        scope
            .clone()
            .run(async {
                RequestScope::current().unwrap().answered("n", None);
            })
            .await;
        assert_eq!(scope.nodes(), "n");
    }
}
