//! The few OpenBao calls the client makes: AppRole login, a KV v2 read, transit POSTs, and
//! a token self-lookup to tell a dead token from a missing grant.

use crate::Error;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const TOKEN_HEADER: &str = "X-Vault-Token";
const INDEX_HEADER: &str = "X-Vault-Index";

/// A store index further along than any the store will reach, for the cluster `cluster`.
/// Sent with `X-Vault-Inconsistent: forward-active-node`, it makes a standby forward the
/// read to the active node rather than answer from its own copy: a value the client
/// confirms is the leader's, and a data center cut off from the leader cannot confirm one
/// (the client then serves its cache as stale). The active node itself answers as usual.
fn leader_index(cluster: &str) -> String {
    use base64::Engine;
    let json = json!({"cluster": cluster, "value": i64::MAX.to_string()}).to_string();
    base64::engine::general_purpose::STANDARD.encode(json)
}

/// The cluster id inside OpenBao's opaque `X-Vault-Index` (base64 of JSON).
fn cluster_of(header: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(header)
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    Some(v.get("cluster")?.as_str()?.to_owned())
}

#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    /// The store's nodes; requests start at `current` and move on when a node cannot answer.
    addrs: Vec<String>,
    current: AtomicUsize,
    /// The store's cluster id, learned from its answers (see [`leader_index`]).
    cluster: std::sync::Mutex<Option<String>>,
}

pub(crate) struct LoginReply {
    pub token: SecretString,
    /// Zero for a token that does not expire.
    pub ttl: Duration,
}

pub(crate) struct KvValue {
    pub data: BTreeMap<String, String>,
    pub version: u64,
}

impl Transport {
    pub fn new(addrs: &[String], timeout: Duration) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            // A standby that cannot reach the leader answers 307 to the leader's address:
            // the client stays with the nodes it was given (another node, or its cache as
            // stale), never a node it was not told to use.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            addrs: addrs.to_vec(),
            current: AtomicUsize::new(0),
            cluster: std::sync::Mutex::default(),
        })
    }

    /// Send to the current node; when it cannot answer (unreachable, 502/503/504: sealed, no
    /// leader, or 307: a standby that cannot reach the leader), try each other node once and
    /// stay with the first that answers.
    async fn send(
        &self,
        build: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Error> {
        let start = self.current.load(Ordering::Relaxed);
        let mut last = Error::Unavailable("no store address configured".into());
        for step in 0..self.addrs.len() {
            let i = (start + step) % self.addrs.len();
            let addr = &self.addrs[i];
            match build(addr).send().await {
                Ok(resp) if !matches!(resp.status().as_u16(), 307 | 502..=504) => {
                    self.learn_cluster(&resp);
                    if step > 0 {
                        tracing::warn!(node = %addr, "crypter-client switched to another store node");
                        self.current.store(i, Ordering::Relaxed);
                    }
                    return Ok(resp);
                }
                Ok(resp) => {
                    last = Error::Unavailable(format!("{addr}: answered {}", resp.status()));
                }
                Err(e) => last = unavailable(addr, &e),
            }
        }
        Err(last)
    }

    fn learn_cluster(&self, resp: &reqwest::Response) {
        let Some(id) = resp
            .headers()
            .get(INDEX_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(cluster_of)
        else {
            return;
        };
        *self.cluster.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
    }

    pub async fn login(
        &self,
        mount: &str,
        role_id: &str,
        secret_id: &SecretString,
    ) -> Result<LoginReply, Error> {
        let body = json!({ "role_id": role_id, "secret_id": secret_id.expose_secret() });
        let resp = self
            .send(|addr| {
                self.http
                    .post(format!("{addr}/v1/auth/{mount}/login"))
                    .json(&body)
            })
            .await?;
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Error::Unavailable(format!(
                "login answered {status}: {}",
                messages(&value)
            )));
        }
        if !status.is_success() {
            return Err(Error::LoginRefused {
                status: status.as_u16(),
                message: messages(&value),
            });
        }
        let token = value
            .pointer("/auth/client_token")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Protocol("the login answer has no auth.client_token".into()))?;
        let ttl = value
            .pointer("/auth/lease_duration")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        Ok(LoginReply {
            token: SecretString::from(token.to_owned()),
            ttl: Duration::from_secs(ttl),
        })
    }

    /// `Ok(None)` when the credential does not exist or its latest version is deleted.
    pub async fn read_kv(
        &self,
        token: &SecretString,
        env: &str,
        path: &str,
    ) -> Result<Option<KvValue>, Error> {
        let cluster = self
            .cluster
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let resp = self
            .send(|addr| {
                let req = self
                    .http
                    .get(format!("{addr}/v1/env/{env}/data/{path}"))
                    .header(TOKEN_HEADER, token.expose_secret());
                match &cluster {
                    Some(c) => req
                        .header(INDEX_HEADER, leader_index(c))
                        .header("X-Vault-Inconsistent", "forward-active-node"),
                    None => req,
                }
            })
            .await?;
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        match status {
            s if s.is_success() => parse_kv(&value).map(Some),
            StatusCode::NOT_FOUND => Ok(None),
            StatusCode::FORBIDDEN => Err(Error::Forbidden {
                env: env.to_owned(),
                path: path.to_owned(),
            }),
            s => Err(Error::Unavailable(format!(
                "reading {env}/{path} answered {s}: {}",
                messages(&value)
            ))),
        }
    }

    /// A POST to `/v1/<path>`: the status and the JSON answer (`null` when there is none).
    pub async fn post(
        &self,
        token: &SecretString,
        path: &str,
        body: &Value,
    ) -> Result<(StatusCode, Value), Error> {
        let resp = self
            .send(|addr| {
                self.http
                    .post(format!("{addr}/v1/{path}"))
                    .header(TOKEN_HEADER, token.expose_secret())
                    .json(body)
            })
            .await?;
        let status = resp.status();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }

    /// Whether the store still accepts `token` at all. Errors count as "yes": only a
    /// definite 403 means the token is dead.
    pub async fn token_alive(&self, token: &SecretString) -> bool {
        match self
            .send(|addr| {
                self.http
                    .get(format!("{addr}/v1/auth/token/lookup-self"))
                    .header(TOKEN_HEADER, token.expose_secret())
            })
            .await
        {
            Ok(resp) => resp.status() != StatusCode::FORBIDDEN,
            Err(_) => true,
        }
    }
}

fn parse_kv(value: &Value) -> Result<KvValue, Error> {
    let data = value
        .pointer("/data/data")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::Protocol("the KV answer has no data.data object".into()))?;
    let data = data
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect();
    let version = value
        .pointer("/data/metadata/version")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Ok(KvValue { data, version })
}

/// OpenBao's `errors` array joined; it never echoes request bodies, so no secret leaks here.
pub(crate) fn messages(value: &Value) -> String {
    value
        .get("errors")
        .and_then(Value::as_array)
        .map(|errs| {
            errs.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "no error message".to_owned())
}

fn unavailable(addr: &str, e: &reqwest::Error) -> Error {
    let why = if e.is_connect() {
        "connection refused or no route"
    } else if e.is_timeout() {
        "timed out"
    } else {
        "transport error"
    };
    Error::Unavailable(format!("{addr}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leader_index_names_the_cluster_and_is_further_than_any_real_one() {
        let header = leader_index("abc");
        assert_eq!(cluster_of(&header).as_deref(), Some("abc"));
        use base64::Engine;
        let v: Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(header)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(v["value"], i64::MAX.to_string());
        assert_eq!(cluster_of("not base64!"), None);
    }
}
