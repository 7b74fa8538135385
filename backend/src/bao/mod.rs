//! The OpenBao HTTP client. Every call names the token it acts with, so the caller's own
//! token goes out on every request and OpenBao makes the authorization decision.

pub mod concept;
pub mod consistency;
mod error;
mod flight;
pub mod freshness;
mod health_loop;
pub mod kv;
mod limits;
mod nodes;
pub mod path;
mod purpose;
mod route;
mod sys;
pub mod transit;

pub use error::BaoError;
pub use limits::Limits;
pub use nodes::{NodeSpec, NodeStatus};
pub use purpose::{Purpose, PURPOSE_HEADER};
pub use sys::{InitResponse, LeaderStatus, SysHealth};

use nodes::Nodes;
use reqwest::Method;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::Value;
// The same type as reqwest's `bytes::Bytes`, re-exported by axum.
use axum::body::Bytes;
use std::sync::Arc;
use std::time::Duration;

/// One request, as the client routes, retries and sends it.
struct Call<'a> {
    method: Method,
    path: &'a str,
    query: Option<&'a str>,
    token: Option<&'a SecretString>,
    body: Option<&'a Value>,
    /// Safe to send again after OpenBao refused it unprocessed (a KV mount upgrading).
    idempotent: bool,
}

/// A handle on OpenBao: one node, or a cluster of nodes across data centers. Cheap to
/// clone: the connection pool and the nodes' health are shared.
///
/// With several nodes, reads go to a healthy node (our own data center first) and writes
/// to the active node. A request whose node is down goes to the next node; while the
/// cluster elects a leader (nodes answer, but none is active), it follows a standby's
/// redirect and keeps trying, within its deadline (see `route.rs`).
#[derive(Clone, Debug)]
pub struct Bao {
    http: reqwest::Client,
    nodes: Arc<Nodes>,
    /// Sent as `X-Crypter-Purpose` on every request, so that OpenBao's audit log tells
    /// Crypter's own reads (plan, compare, …) from a person's reveal.
    purpose: Option<Purpose>,
    /// How long a request may keep trying while the cluster elects a leader.
    deadline: Duration,
    /// Reads go to the active node too (plans and verify: never stale, whatever the
    /// session's index).
    leader_reads: bool,
    /// The turns to ask OpenBao, shared by every clone (see [`Limits`]).
    gate: Arc<limits::Gate>,
    /// Identical reads in flight, shared by every clone (see [`Bao::shared`]).
    flights: Arc<flight::Flights>,
}

impl Bao {
    /// One node.
    pub fn new(addr: &str) -> Result<Self, BaoError> {
        Self::cluster(
            vec![NodeSpec {
                url: addr.to_owned(),
                datacenter: None,
            }],
            None,
        )
    }

    /// Several nodes of one cluster, each optionally labelled with its data center;
    /// `own_dc` is the data center this backend runs in (its reads prefer it).
    pub fn cluster(specs: Vec<NodeSpec>, own_dc: Option<String>) -> Result<Self, BaoError> {
        if specs.is_empty() {
            return Err(BaoError::Config("give at least one OpenBao address".into()));
        }
        let mut checked = Vec::with_capacity(specs.len());
        for spec in specs {
            let url = spec.url.trim_end_matches('/').to_owned();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(BaoError::Config(format!(
                    "OpenBao address {url:?} must start with http:// or https://"
                )));
            }
            checked.push(NodeSpec { url, ..spec });
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64)
            // A standby that cannot forward answers 307 to the active node; we choose the
            // node ourselves instead of following it (it may point at a dead leader).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| BaoError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            nodes: Arc::new(Nodes::new(checked, own_dc)),
            purpose: None,
            deadline: route::DEADLINE,
            leader_reads: false,
            gate: Arc::new(limits::Gate::new(Limits::default())),
            flights: Arc::default(),
        })
    }

    /// The same nodes with other bounds on what this process asks of OpenBao at once and
    /// how long a request waits (see [`Limits`]). A new queue: call it where the handle is
    /// made, before it is cloned.
    pub fn limited(&self, limits: Limits) -> Self {
        Self {
            gate: Arc::new(limits::Gate::new(limits)),
            ..self.clone()
        }
    }

    /// The bounds this handle's requests keep to.
    pub fn limits(&self) -> Limits {
        self.gate.limits
    }

    /// The same handle, marking every request it sends with `purpose` (see [`Purpose`]).
    /// Cheap: the connection pool and the nodes' health stay shared.
    pub fn with_purpose(&self, purpose: Purpose) -> Self {
        Self {
            purpose: Some(purpose),
            ..self.clone()
        }
    }

    /// The same handle, sending reads to the active node as well: what a plan or a freeze
    /// verification reads is never older than the latest acknowledged write.
    pub fn from_leader(&self) -> Self {
        Self {
            leader_reads: true,
            ..self.clone()
        }
    }

    /// Whether this handle has more than one node (a cluster, possibly across data centers).
    pub fn is_cluster(&self) -> bool {
        self.nodes.len() > 1
    }

    /// How the request log names node `i` (see [`Bao::read_node`]).
    pub fn node_label(&self, i: usize) -> String {
        self.nodes.label(i)
    }

    /// What this handle marks its requests with, if anything.
    pub fn purpose(&self) -> Option<&Purpose> {
        self.purpose.as_ref()
    }

    /// The first configured node's address (the only one for a single node).
    pub fn addr(&self) -> &str {
        &self.nodes.spec(0).url
    }

    /// Every configured node with what the health loop last saw of it.
    pub fn node_statuses(&self) -> Vec<(NodeSpec, NodeStatus)> {
        self.nodes.snapshot()
    }

    /// Remember that the node at `url` is Raft node `node_id` at `cluster_addr`.
    pub fn learn_identity(&self, url: &str, node_id: &str, cluster_addr: &str) {
        self.nodes.learn_identity(url, node_id, cluster_addr);
    }

    /// The data center this backend runs in, if configured.
    pub fn own_datacenter(&self) -> Option<&str> {
        self.nodes.own_dc()
    }

    /// One request to `/v1/<path>`. `Ok(None)` for 204 and for an empty body.
    /// 404 is returned as `BaoError::NotFound`; use [`Bao::read`] to turn it into `None`.
    /// Every segment of `path` is percent-encoded on the way out (see [`path::encode`]),
    /// so callers pass names as they are, including names that came back from OpenBao.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&SecretString>,
        body: Option<&Value>,
    ) -> Result<Option<Value>, BaoError> {
        self.request_as(method, path, token, body).await
    }

    /// [`Bao::request`], decoded straight into `T`: large answers (a SCAN of 100,000
    /// entries is ~50 MB) never pass through a `serde_json::Value`.
    pub async fn request_as<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&SecretString>,
        body: Option<&Value>,
    ) -> Result<Option<T>, BaoError> {
        let idempotent = path::is_idempotent(&method);
        let call = Call {
            method,
            path,
            query: None,
            token,
            body,
            idempotent,
        };
        decode(path, self.call(&call).await?)
    }

    /// [`Bao::request`] with a query string (`version=3`), kept apart from the path so
    /// that the path can be encoded whole.
    pub async fn request_query(
        &self,
        method: Method,
        path: &str,
        query: &str,
        token: Option<&SecretString>,
    ) -> Result<Option<Value>, BaoError> {
        self.request_query_as(method, path, query, token).await
    }

    /// [`Bao::request_query`], decoded straight into `T`.
    pub async fn request_query_as<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &str,
        token: Option<&SecretString>,
    ) -> Result<Option<T>, BaoError> {
        let idempotent = path::is_idempotent(&method);
        let call = Call {
            method,
            path,
            query: Some(query),
            token,
            body: None,
            idempotent,
        };
        decode(path, self.call(&call).await?)
    }

    /// A write the caller knows to be idempotent (check-and-set, or a full replacement
    /// such as a metadata write): it may be retried while a KV mount upgrades.
    pub async fn write_idempotent(
        &self,
        path: &str,
        token: &SecretString,
        body: &Value,
    ) -> Result<Option<Value>, BaoError> {
        let call = Call {
            method: Method::POST,
            path,
            query: None,
            token: Some(token),
            body: Some(body),
            idempotent: true,
        };
        decode(path, self.call(&call).await?)
    }

    /// GET returning `None` for 404.
    pub async fn read(&self, path: &str, token: &SecretString) -> Result<Option<Value>, BaoError> {
        match self.request(Method::GET, path, Some(token), None).await {
            Ok(v) => Ok(v),
            Err(BaoError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET decoded into `T`, `None` for 404.
    pub async fn read_as<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &SecretString,
    ) -> Result<Option<T>, BaoError> {
        match self.read(path, token).await? {
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| BaoError::Decode(format!("{path}: {e}"))),
            None => Ok(None),
        }
    }

    pub async fn write(
        &self,
        path: &str,
        token: &SecretString,
        body: &Value,
    ) -> Result<Option<Value>, BaoError> {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &SecretString) -> Result<(), BaoError> {
        self.request(Method::DELETE, path, Some(token), None)
            .await
            .map(|_| ())
    }

    /// LIST: the `keys` under a path; empty when there is nothing there.
    pub async fn list(&self, path: &str, token: &SecretString) -> Result<Vec<String>, BaoError> {
        let method = Method::from_bytes(b"LIST").map_err(|e| BaoError::Config(e.to_string()))?;
        match self.request(method, path, Some(token), None).await {
            Ok(Some(v)) => Ok(keys_of(&v)),
            Ok(None) | Err(BaoError::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Requests that need no token: health, init and unseal.
    pub async fn unauthenticated(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, BaoError> {
        self.request(method, path, None, body).await
    }
}

/// An answer's body decoded into `T` (`None`: no body, as for 204).
fn decode<T: DeserializeOwned>(path: &str, bytes: Option<Bytes>) -> Result<Option<T>, BaoError> {
    match bytes {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| BaoError::Decode(format!("{path}: {e}"))),
    }
}

/// The strings of a JSON array in an OpenBao answer (policies, group ids, redirect URIs
/// …); empty when the field is missing or not an array.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn keys_of(v: &Value) -> Vec<String> {
    v.pointer("/data/keys")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
