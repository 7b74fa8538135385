//! One environment's credentials from several SCANs at once, for the whole-store lint.
//!
//! OpenBao answers one SCAN on one core (a second or more per 10,000 credentials), so a
//! large environment read in one SCAN leaves the other cores idle. Read in parts instead:
//! one LIST of the environment's top folder (its credentials come with their metadata, as
//! in a SCAN), then a SCAN of each folder below it, a few at once. The rows are the same
//! as one SCAN's. Where the parts cannot be read (a token that may SCAN the environment
//! but not LIST it or SCAN below it) or the top folder lists nothing (an empty or missing
//! environment), one whole SCAN answers instead, with its own answer or refusal.

use super::metadata::summary;
use super::{missing_environment, scan, KeyInfoAnswer};
use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crypter_api::{CredentialSummary, EnvName};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use reqwest::Method;
use secrecy::SecretString;
use time::OffsetDateTime;

/// Every credential of `env`, sorted by path, as [`scan`] finds them: `parallel` SCANs of
/// its folders at a time.
pub async fn scan_in_parts(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    now: OffsetDateTime,
    parallel: usize,
) -> Result<Vec<CredentialSummary>, AppError> {
    match parts(bao, token, env, now, parallel.max(1)).await {
        Ok(Some(rows)) => Ok(rows),
        Ok(None) => scan(bao, token, env, now).await,
        Err(BaoError::Forbidden { .. }) => {
            tracing::debug!(environment = %env,
                "the token may not read the environment in parts; one whole SCAN instead");
            scan(bao, token, env, now).await
        }
        Err(e) => Err(missing_environment(e, env)),
    }
}

/// `Ok(None)`: the top folder lists nothing (empty, or no such environment).
async fn parts(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    now: OffsetDateTime,
    parallel: usize,
) -> Result<Option<Vec<CredentialSummary>>, BaoError> {
    let root = format!("{}/detailed-metadata/", env.mount());
    let list = Method::from_bytes(b"LIST").map_err(|e| BaoError::Config(e.to_string()))?;
    let top = match bao
        .request_as::<KeyInfoAnswer>(list, &root, Some(token), None)
        .await
    {
        Ok(Some(top)) => top,
        Ok(None) | Err(BaoError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut rows = Vec::new();
    let mut folders = Vec::new();
    for (key, meta) in &top.data.key_info {
        if key.ends_with('/') {
            folders.push(key.clone());
        } else {
            rows.push(summary(key, meta, now));
        }
    }
    let below: Vec<Vec<CredentialSummary>> = stream::iter(folders)
        .map(|folder| {
            let url = format!("{root}{folder}");
            async move {
                let scan =
                    Method::from_bytes(b"SCAN").map_err(|e| BaoError::Config(e.to_string()))?;
                let answer = match bao
                    .request_as::<KeyInfoAnswer>(scan, &url, Some(token), None)
                    .await
                {
                    Ok(answer) => answer.unwrap_or_default(),
                    // Emptied since the LIST.
                    Err(BaoError::NotFound { .. }) => KeyInfoAnswer::default(),
                    Err(e) => return Err(e),
                };
                Ok::<_, BaoError>(
                    answer
                        .data
                        .key_info
                        .iter()
                        .filter(|(k, _)| !k.ends_with('/'))
                        .map(|(k, meta)| summary(&format!("{folder}{k}"), meta, now))
                        .collect(),
                )
            }
        })
        .buffered(parallel)
        .try_collect()
        .await?;
    rows.extend(below.into_iter().flatten());
    // A folder's rows sort where its key does, except beside keys such as `a-b` (`-`
    // sorts before `/`): sort the whole, as one SCAN's rows are.
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Some(rows))
}
