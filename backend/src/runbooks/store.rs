//! Runs at `crypter/data/runbooks/<id>`, written with check-and-set. Every change is a
//! read-modify-write retried on a check-and-set conflict, so two browsers acting at once
//! never lose each other's events.

use crate::bao::{kv, Bao};
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{Runbook, RunbookSummary};
use futures::stream::{self, StreamExt};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::time::Duration;

const RUNS: &str = "crypter/data/runbooks";
const RUNS_LIST: &str = "crypter/metadata/runbooks";
const RETRIES: u32 = 30;

pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The run and its KV version (for check-and-set).
pub async fn load(bao: &Bao, token: &SecretString, id: &str) -> Result<(Runbook, u64), AppError> {
    let not_found = || AppError::NotFound(ErrorCode::RunNotFound, format!("no runbook run {id:?}"));
    if !valid_id(id) {
        return Err(not_found());
    }
    let v = bao
        .read(&format!("{RUNS}/{id}"), token)
        .await?
        .ok_or_else(not_found)?;
    let version = v
        .pointer("/data/metadata/version")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let text = v
        .pointer("/data/data/run")
        .and_then(Value::as_str)
        .ok_or_else(not_found)?;
    let run = serde_json::from_str(text)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("runbook record {id}: {e}")))?;
    Ok((run, version))
}

/// Write `run` if its stored version is still `cas` (0: must not exist). `Ok(false)` on a
/// check-and-set conflict.
pub async fn save(
    bao: &Bao,
    token: &SecretString,
    run: &Runbook,
    cas: u64,
) -> Result<bool, AppError> {
    // One JSON string: evidence holds thousands of strings, more than OpenBao's JSON
    // complexity limit allows in a request body.
    let text = serde_json::to_string(run)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("runbook record: {e}")))?;
    let mount = kv::Mount::v2("crypter");
    let path = format!("runbooks/{}", run.id);
    match kv::write_json(
        bao,
        token,
        &mount,
        &path,
        &json!({ "run": text }),
        Some(cas),
    )
    .await
    {
        Ok(_) => Ok(true),
        Err(kv::KvError::CasFailed { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Apply `change` to the latest stored run and save it with check-and-set, retrying from a
/// fresh read when someone else wrote in between. `change` must be repeatable.
pub async fn update<F>(
    bao: &Bao,
    token: &SecretString,
    id: &str,
    mut change: F,
) -> Result<Runbook, AppError>
where
    F: FnMut(&mut Runbook) -> Result<(), AppError>,
{
    for attempt in 0..RETRIES {
        let (mut run, version) = load(bao, token, id).await?;
        change(&mut run)?;
        super::settle(&mut run);
        if save(bao, token, &run, version).await? {
            return Ok(run);
        }
        let jitter = u64::from(rand::random::<u8>() % 20);
        tokio::time::sleep(Duration::from_millis(5 + jitter + u64::from(attempt) * 5)).await;
    }
    Err(AppError::Conflict(
        ErrorCode::WriteContention,
        "the run kept changing under this action; reload and try again".into(),
    ))
}

/// Every run, newest first (at most 200).
pub async fn list(bao: &Bao, token: &SecretString) -> Result<Vec<RunbookSummary>, AppError> {
    let ids: Vec<String> = bao
        .list(RUNS_LIST, token)
        .await?
        .into_iter()
        .filter(|id| valid_id(id))
        .collect();
    let loaded: Vec<Result<(Runbook, u64), AppError>> = stream::iter(ids)
        .map(|id| async move { load(bao, token, &id).await })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut out = Vec::new();
    for r in loaded {
        match r {
            Ok((run, _)) => out.push(super::summary(&run)),
            Err(AppError::NotFound(..)) => {}
            Err(e) => return Err(e),
        }
    }
    out.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    out.truncate(200);
    Ok(out)
}
