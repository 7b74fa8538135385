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

#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    /// The store's nodes; requests start at `current` and move on when a node cannot answer.
    addrs: Vec<String>,
    current: AtomicUsize,
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
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            addrs: addrs.to_vec(),
            current: AtomicUsize::new(0),
        })
    }

    /// Send to the current node; when it cannot answer (unreachable, or 502/503/504: sealed,
    /// no leader), try each other node once and stay with the first that answers.
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
                Ok(resp) if !matches!(resp.status().as_u16(), 502..=504) => {
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
        let resp = self
            .send(|addr| {
                self.http
                    .get(format!("{addr}/v1/env/{env}/data/{path}"))
                    .header(TOKEN_HEADER, token.expose_secret())
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
