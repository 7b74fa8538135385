//! Compare two environments by SHA-256 of canonical values, and promote a credential from
//! one to another. Neither ever returns a value.

use super::metadata::from_custom;
use super::write::write_metadata;
use super::{metadata_of, read_data, scan};
use crate::bao::kv::{self, KvError, Mount};
use crate::environments::FAN_OUT;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{CompareEntry, Comparison, CredentialPath, CredentialWritten, EnvName};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

use crate::bao::Bao;

/// SHA-256 of the canonical JSON of a value: keys sorted (a `BTreeMap`), no whitespace.
pub fn value_hash(data: &BTreeMap<String, String>) -> String {
    let canonical = serde_json::to_vec(data).unwrap_or_default();
    hex::encode(Sha256::digest(canonical))
}

/// Hashes of the current values of `paths`, `FAN_OUT` reads at a time. A path whose
/// current version cannot be read (deleted meanwhile) is left out.
pub async fn hashes(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    paths: Vec<String>,
) -> Result<BTreeMap<String, String>, AppError> {
    let results: Vec<Result<Option<(String, String)>, AppError>> = stream::iter(paths)
        .map(|p| async move {
            let path = CredentialPath::parse(&p)?;
            match read_data(bao, token, env, &path, None).await {
                Ok((_, data)) => Ok(Some((p, value_hash(&data)))),
                Err(AppError::NotFound(..)) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(FAN_OUT)
        .collect()
        .await;
    let mut out = BTreeMap::new();
    for r in results {
        if let Some((p, h)) = r? {
            out.insert(p, h);
        }
    }
    Ok(out)
}

async fn live_paths(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    prefix: &str,
) -> Result<Vec<String>, AppError> {
    Ok(scan(bao, token, env, OffsetDateTime::now_utc())
        .await?
        .into_iter()
        .filter(|c| !c.deleted && c.path.starts_with(prefix))
        .map(|c| c.path)
        .collect())
}

pub async fn compare(
    bao: &Bao,
    token: &SecretString,
    left: &EnvName,
    right: &EnvName,
    prefix: &str,
) -> Result<Comparison, AppError> {
    let (l, r) = futures_util::try_join!(
        live_paths(bao, token, left, prefix),
        live_paths(bao, token, right, prefix)
    )?;
    let r_set: BTreeSet<&String> = r.iter().collect();
    let both: Vec<String> = l.iter().filter(|p| r_set.contains(p)).cloned().collect();
    let (lh, rh) = futures_util::try_join!(
        hashes(bao, token, left, both.clone()),
        hashes(bao, token, right, both)
    )?;
    let all: BTreeSet<&String> = l.iter().chain(r.iter()).collect();
    let l_set: BTreeSet<&String> = l.iter().collect();
    let entries = all
        .into_iter()
        .map(|p| {
            let (in_left, in_right) = (l_set.contains(p), r_set.contains(p));
            let equal = match (lh.get(p), rh.get(p)) {
                (Some(a), Some(b)) => Some(a == b),
                _ => None,
            };
            CompareEntry {
                path: p.clone(),
                in_left,
                in_right,
                equal,
            }
        })
        .collect();
    Ok(Comparison {
        left: left.to_string(),
        right: right.to_string(),
        entries,
    })
}

/// Copies the current version and its metadata (environment set to the target). Without
/// `overwrite` it refuses when the target holds the path, and writes with check-and-set 0
/// so a concurrent create cannot be overwritten either; with it, the write replaces the
/// version it read (check-and-set), so a concurrent change is not overwritten unseen.
/// What a promote would write into `to`: the source's value and metadata, and the
/// version of the target it replaces (0: none), after the same checks as the promote.
pub async fn promotion(
    bao: &Bao,
    token: &SecretString,
    from: &EnvName,
    to: &EnvName,
    path: &CredentialPath,
    overwrite: bool,
) -> Result<
    (
        BTreeMap<String, String>,
        crypter_api::CredentialMetadata,
        u64,
    ),
    AppError,
> {
    let (data, source_meta, cas) = source_and_cas(bao, token, from, to, path, overwrite).await?;
    Ok((data, from_custom(&source_meta["custom_metadata"]), cas))
}

async fn source_and_cas(
    bao: &Bao,
    token: &SecretString,
    from: &EnvName,
    to: &EnvName,
    path: &CredentialPath,
    overwrite: bool,
) -> Result<(BTreeMap<String, String>, Value, u64), AppError> {
    if from == to {
        return Err(AppError::bad_request(
            ErrorCode::SameEnvironment,
            "promote copies between two different environments; pick another target",
        ));
    }
    let source_meta = metadata_of(bao, token, from, path).await?;
    let (_, data) = read_data(bao, token, from, path, None).await?;
    let target = Mount::env(to);
    let existing = match kv::metadata(bao, token, &target, path.as_ref()).await {
        Ok(m) => m,
        Err(KvError::NoMount { .. }) => return Err(crate::environments::not_found(to)),
        Err(e) => return Err(e.into()),
    };
    let cas = match (&existing, overwrite) {
        (Some(_), false) => {
            return Err(AppError::Conflict(
                ErrorCode::CredentialExists,
                format!("{path:?} already exists in {to:?}; promote with overwrite to replace it"),
            ))
        }
        (Some(m), true) => m.current_version,
        (None, _) => 0,
    };
    Ok((data, source_meta, cas))
}

pub async fn promote(
    bao: &Bao,
    token: &SecretString,
    from: &EnvName,
    to: &EnvName,
    path: &CredentialPath,
    overwrite: bool,
) -> Result<CredentialWritten, AppError> {
    let (data, source_meta, cas) = source_and_cas(bao, token, from, to, path, overwrite).await?;
    let target = Mount::env(to);
    let version = kv::write(bao, token, &target, path.as_ref(), &data, Some(cas))
        .await
        .map_err(|e| match e {
            KvError::CasFailed { .. } => AppError::Conflict(
                ErrorCode::StaleVersion,
                format!("{path:?} changed in {to:?} meanwhile; look at it and promote again"),
            ),
            other => other.into(),
        })?;
    let mut meta = from_custom(&source_meta["custom_metadata"]);
    meta.environment = Some(to.to_string());
    write_metadata(bao, token, to, path, &meta).await?;
    Ok(CredentialWritten {
        environment: to.to_string(),
        path: path.to_string(),
        version,
        row: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_ignore_insertion_order() {
        let a: BTreeMap<String, String> =
            [("b".into(), "2".into()), ("a".into(), "1".into())].into();
        let b: BTreeMap<String, String> =
            [("a".into(), "1".into()), ("b".into(), "2".into())].into();
        assert_eq!(value_hash(&a), value_hash(&b));
        let c: BTreeMap<String, String> = [("a".into(), "1".into())].into();
        assert_ne!(value_hash(&a), value_hash(&c));
        assert_eq!(value_hash(&a).len(), 64);
    }
}
