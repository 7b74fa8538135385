//! The OpenBao HTTP client. Every call names the token it acts with, so the caller's own
//! token goes out on every request and OpenBao makes the authorization decision.

mod error;
mod sys;

pub use error::BaoError;
pub use sys::{InitResponse, LeaderStatus, SysHealth};

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

const TOKEN_HEADER: &str = "X-Vault-Token";

/// A handle on one OpenBao node. Cheap to clone: the connection pool is shared.
#[derive(Clone, Debug)]
pub struct Bao {
    http: reqwest::Client,
    addr: String,
}

impl Bao {
    pub fn new(addr: &str) -> Result<Self, BaoError> {
        let addr = addr.trim_end_matches('/').to_owned();
        if !(addr.starts_with("http://") || addr.starts_with("https://")) {
            return Err(BaoError::Config(format!(
                "OpenBao address {addr:?} must start with http:// or https://"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| BaoError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { http, addr })
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// One request to `/v1/<path>`. `Ok(None)` for 204 and for an empty body.
    /// 404 is returned as `BaoError::NotFound`; use [`Bao::read`] to turn it into `None`.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&SecretString>,
        body: Option<&Value>,
    ) -> Result<Option<Value>, BaoError> {
        let url = format!("{}/v1/{}", self.addr, path.trim_start_matches('/'));
        let mut req = self.http.request(method, &url);
        if let Some(token) = token {
            req = req.header(TOKEN_HEADER, token.expose_secret());
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(|e| BaoError::Unreachable {
            addr: self.addr.clone(),
            reason: describe_transport_error(&e),
        })?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| BaoError::Unreachable {
            addr: self.addr.clone(),
            reason: describe_transport_error(&e),
        })?;
        if status.is_success() {
            if bytes.is_empty() {
                return Ok(None);
            }
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| BaoError::Decode(format!("{path}: {e}")));
        }
        Err(BaoError::from_status(status, path, &bytes))
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
