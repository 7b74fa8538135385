//! OpenBao's Raft snapshot endpoints, and which store is at an address.
//!
//! A snapshot is a gzip stream, not JSON, and can take longer than the 30 s a `Bao`
//! request may: these two calls go through a client of their own. Everything else the
//! snapshots module asks of OpenBao goes through [`Bao`].

use super::{SnapshotError, StoreIdentity};
use crate::bao::Bao;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::time::Duration;

const SNAPSHOT: &str = "sys/storage/raft/snapshot";
const SNAPSHOT_FORCE: &str = "sys/storage/raft/snapshot-force";
const CONFIGURATION: &str = "sys/storage/raft/configuration";

fn client() -> Result<reqwest::Client, SnapshotError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| SnapshotError::Http(format!("cannot build the HTTP client: {e}")))
}

/// `GET sys/storage/raft/snapshot`: the whole store, as OpenBao writes it.
pub(super) async fn fetch(addr: &str, token: &SecretString) -> Result<Vec<u8>, SnapshotError> {
    let resp = send(addr, Method::GET, SNAPSHOT, token, None).await?;
    let status = resp.status();
    let body = resp
        .bytes()
        .await
        .map_err(|e| SnapshotError::Http(format!("reading the snapshot from {addr}: {e}")))?;
    if status.is_success() {
        return Ok(body.to_vec());
    }
    let message = errors_of(&body);
    not_raft(addr, status, &message)?;
    Err(refused(addr, SNAPSHOT, status, &message))
}

/// Refuse a store without Raft storage before anything is taken or written: asking for
/// its Raft configuration changes nothing. Any other answer (a refusal included) leaves
/// the snapshot itself to tell.
pub(super) async fn require(addr: &str, token: &SecretString) -> Result<(), SnapshotError> {
    let resp = send(addr, Method::GET, CONFIGURATION, token, None).await?;
    let status = resp.status();
    let body = resp.bytes().await.unwrap_or_default();
    not_raft(addr, status, &errors_of(&body))
}

/// Only Raft storage has the `sys/storage/raft/` endpoints: OpenBao's in-memory and file
/// storage answer that the path is not supported.
fn not_raft(addr: &str, status: StatusCode, message: &str) -> Result<(), SnapshotError> {
    if status == StatusCode::NOT_FOUND && message.contains("unsupported path") {
        return Err(SnapshotError::NotRaft {
            addr: addr.to_owned(),
        });
    }
    Ok(())
}

/// `POST sys/storage/raft/snapshot-force`: replace the store at `addr` with `snapshot`,
/// even though it was taken under other keys. Only ever called on a scratch store.
pub(super) async fn force_restore(
    addr: &str,
    token: &SecretString,
    snapshot: Vec<u8>,
) -> Result<(), SnapshotError> {
    let resp = send(addr, Method::POST, SNAPSHOT_FORCE, token, Some(snapshot)).await?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let body = resp.bytes().await.unwrap_or_default();
    Err(refused(addr, SNAPSHOT_FORCE, status, &errors_of(&body)))
}

async fn send(
    addr: &str,
    method: Method,
    path: &str,
    token: &SecretString,
    body: Option<Vec<u8>>,
) -> Result<reqwest::Response, SnapshotError> {
    let mut req = client()?
        .request(method, format!("{}/v1/{path}", addr.trim_end_matches('/')))
        .header("X-Vault-Token", token.expose_secret());
    if let Some(body) = body {
        req = req.body(body);
    }
    req.send()
        .await
        .map_err(|e| SnapshotError::Http(format!("OpenBao at {addr} did not answer {path}: {e}")))
}

fn refused(addr: &str, path: &str, status: StatusCode, message: &str) -> SnapshotError {
    SnapshotError::Http(match status {
        StatusCode::FORBIDDEN => format!(
            "OpenBao at {addr} denied {path} ({message}): it needs a token with `sudo` on it, \
             such as root's or an operator's"
        ),
        _ => format!("OpenBao at {addr} refused {path} ({status}): {message}"),
    })
}

/// OpenBao's error strings, one line.
fn errors_of(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v["errors"].as_array().map(|errs| {
                errs.iter()
                    .filter_map(Value::as_str)
                    .map(|e| e.split_whitespace().collect::<Vec<_>>().join(" "))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        })
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned())
}

/// Which store answers at `bao`, from `sys/health` (unauthenticated).
pub(super) async fn identity(bao: &Bao) -> Result<StoreIdentity, SnapshotError> {
    let v = bao
        .request_query(
            Method::GET,
            "sys/health",
            "standbyok=true&perfstandbyok=true&sealedcode=200&uninitcode=200",
            None,
        )
        .await?
        .unwrap_or_default();
    let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    Ok(StoreIdentity {
        addr: bao.addr().to_owned(),
        cluster_id: text("cluster_id"),
        cluster_name: text("cluster_name"),
        version: text("version"),
    })
}
