//! The OpenBao HTTP client. Every call names the token it acts with, so the caller's own
//! token goes out on every request and OpenBao makes the authorization decision.

mod error;
mod health_loop;
pub mod kv;
mod nodes;
pub mod path;
mod purpose;
mod sys;
pub mod transit;

pub use error::BaoError;
pub use nodes::{NodeSpec, NodeStatus};
pub use purpose::{Purpose, PURPOSE_HEADER};
pub use sys::{InitResponse, LeaderStatus, SysHealth};

use nodes::Nodes;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const TOKEN_HEADER: &str = "X-Vault-Token";
const INDEX_HEADER: &str = "X-Vault-Index";

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
/// to the active node; a request that fails because its node is down is retried once on
/// the next node, so a failover is invisible beyond that one retry.
#[derive(Clone, Debug)]
pub struct Bao {
    http: reqwest::Client,
    nodes: Arc<Nodes>,
    /// Sent as `X-Crypter-Purpose` on every request, so that OpenBao's audit log tells
    /// Crypter's own reads (plan, compare, …) from a person's reveal.
    purpose: Option<Purpose>,
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
        })
    }

    /// The same handle, marking every request it sends with `purpose` (see [`Purpose`]).
    /// Cheap: the connection pool and the nodes' health stay shared.
    pub fn with_purpose(&self, purpose: Purpose) -> Self {
        Self {
            purpose: Some(purpose),
            ..self.clone()
        }
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
        let idempotent = path::is_idempotent(&method);
        self.call(&Call {
            method,
            path,
            query: None,
            token,
            body,
            idempotent,
        })
        .await
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
        let idempotent = path::is_idempotent(&method);
        self.call(&Call {
            method,
            path,
            query: Some(query),
            token,
            body: None,
            idempotent,
        })
        .await
    }

    /// A write the caller knows to be idempotent (check-and-set, or a full replacement
    /// such as a metadata write): it may be retried while a KV mount upgrades.
    pub async fn write_idempotent(
        &self,
        path: &str,
        token: &SecretString,
        body: &Value,
    ) -> Result<Option<Value>, BaoError> {
        self.call(&Call {
            method: Method::POST,
            path,
            query: None,
            token: Some(token),
            body: Some(body),
            idempotent: true,
        })
        .await
    }

    async fn call(&self, call: &Call<'_>) -> Result<Option<Value>, BaoError> {
        // A KV v2 mount is briefly unavailable right after it is created, while it upgrades
        // (much longer on a cluster, or under load, than on an idle dev server): wait for
        // it, up to ~30 s. OpenBao refuses such a request before acting on it, but only
        // requests that may safely run twice are repeated.
        if call.idempotent {
            for _ in 0..120 {
                match self.route(call).await {
                    Err(e) if e.is_kv_upgrading() => {
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                    other => return other,
                }
            }
        }
        self.route(call).await
    }

    async fn route(&self, call: &Call<'_>) -> Result<Option<Value>, BaoError> {
        let write = !matches!(call.method.as_str(), "GET" | "HEAD" | "LIST" | "SCAN");
        let order = self.nodes.order(write);
        let first = order[0];
        let result = self.send(first, call).await;
        match (result, order.get(1)) {
            (Err(e), Some(&next)) if e.is_node_failure() => {
                if e.node_is_down() {
                    self.nodes
                        .mark_down(first, e.to_string(), SystemTime::now());
                }
                tracing::warn!(node = %self.nodes.spec(first).url, retry = %self.nodes.spec(next).url,
                    error = %e, "OpenBao node failed; retrying once on another node");
                self.send(next, call).await
            }
            (result, _) => result,
        }
    }

    async fn send(&self, node: usize, call: &Call<'_>) -> Result<Option<Value>, BaoError> {
        let addr = &self.nodes.spec(node).url;
        let mut url = format!("{}/v1/{}", addr, path::encode(call.path));
        if let Some(query) = call.query {
            url.push('?');
            url.push_str(query);
        }
        let mut req = self.http.request(call.method.clone(), &url);
        if let Some(token) = call.token {
            req = req.header(TOKEN_HEADER, token.expose_secret());
        }
        if let Some(purpose) = &self.purpose {
            req = req.header(PURPOSE_HEADER, purpose.as_header().into_owned());
        }
        if self.nodes.len() > 1 {
            // Read-after-write across nodes: a standby that has not yet replicated our last
            // write forwards the request to the active node instead of answering stale.
            if let Some(index) = self.nodes.last_index() {
                req = req
                    .header(INDEX_HEADER, index)
                    .header("X-Vault-Inconsistent", "forward-active-node");
            }
        }
        if let Some(body) = call.body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(|e| BaoError::Unreachable {
            addr: addr.clone(),
            reason: describe_transport_error(&e),
        })?;
        let status = resp.status();
        if let Some(index) = resp
            .headers()
            .get(INDEX_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            self.nodes.saw_index(index);
        }
        let bytes = resp.bytes().await.map_err(|e| BaoError::Unreachable {
            addr: addr.clone(),
            reason: describe_transport_error(&e),
        })?;
        if status.is_success() {
            if bytes.is_empty() {
                return Ok(None);
            }
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| BaoError::Decode(format!("{}: {e}", call.path)));
        }
        Err(BaoError::from_status(status, call.path, &bytes))
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

fn describe_transport_error(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "connection refused or no route; is OpenBao running at this address?".into()
    } else if e.is_timeout() {
        "timed out".into()
    } else {
        // reqwest's Display includes the URL, which holds no secrets (tokens travel in headers).
        e.to_string()
    }
}
