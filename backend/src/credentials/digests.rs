//! Keyed digests of credential values, kept as values are written, so the lint's
//! `shared-value` rule compares digests instead of reading every value on every run.
//!
//! A digest is an HMAC from the backend's own transit key (`crypter-backend-transit`,
//! key `digests`), never a bare hash of a secret: only the backend's identity may call the
//! key, so nobody can test guesses against the digests. They live in records under
//! `crypter/data/digests/<env>/<shard>` that only that identity may write (admins cannot
//! even read them). Each entry names the version it was made from: an entry whose version
//! is not the credential's current one (written outside Crypter) is stale, and the
//! credential's digest is *unknown* until a full lint reads its value once.
//!
//! An environment's entries are spread over [`SHARDS`] records (by a hash of the path), so
//! a lint reads a few dozen records per environment and concurrent writers rarely meet on
//! one record; a write merges into its shard with check-and-set and tries again on a clash.

use crate::bao::kv::KvError;
use crate::error::AppError;
use crate::records::Records;
use crypter_api::EnvName;
use crypter_api::ErrorCode;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;

/// Records per environment.
pub const SHARDS: u8 = 64;
/// Values per transit call.
const BATCH: usize = 256;
/// Shard records read or written at once.
const PARALLEL: usize = 16;
/// Check-and-set clashes on one shard before giving up (the digest is then unknown).
const ATTEMPTS: usize = 8;

/// One credential's digest and the version it was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub version: u64,
    pub digest: String,
}

type Shard = BTreeMap<String, Entry>;

/// A value as it is digested: the same canonical bytes for the same data.
pub fn canonical(data: &BTreeMap<String, String>) -> Vec<u8> {
    // A map of strings always serialises; the empty vector is unreachable.
    serde_json::to_vec(data).unwrap_or_default()
}

fn shard_of(path: &str) -> u8 {
    Sha256::digest(path.as_bytes())[0] % SHARDS
}

fn key(env: &EnvName, shard: u8) -> String {
    format!("digests/{env}/{shard:02x}")
}

/// A value Crypter just wrote: its path, the version it became, its canonical bytes.
pub struct Written {
    pub path: String,
    pub version: u64,
    pub value: Vec<u8>,
}

/// Make and keep the digests of values just written in `env`; the entries made, by path.
pub async fn keep(
    records: &Records,
    env: &EnvName,
    written: Vec<Written>,
) -> Result<BTreeMap<String, Entry>, AppError> {
    let mut shards: BTreeMap<u8, Shard> = BTreeMap::new();
    for chunk in written.chunks(BATCH) {
        let inputs: Vec<Vec<u8>> = chunk.iter().map(|w| w.value.clone()).collect();
        let digests = records.digests(&inputs).await?;
        for (w, digest) in chunk.iter().zip(digests) {
            let entry = Entry {
                version: w.version,
                digest,
            };
            shards
                .entry(shard_of(&w.path))
                .or_default()
                .insert(w.path.clone(), entry);
        }
    }
    let made: BTreeMap<String, Entry> = shards
        .values()
        .flatten()
        .map(|(p, e)| (p.clone(), e.clone()))
        .collect();
    stream::iter(shards)
        .map(|(shard, entries)| merge(records, env, shard, entries))
        .buffer_unordered(PARALLEL)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(made)
}

/// [`keep`], for a write that must not fail because its digest could not be kept: the
/// credential's digest is then unknown until the next full lint, and the log says why.
pub async fn keep_or_log(records: &Records, env: &EnvName, written: Vec<Written>) {
    let count = written.len();
    if let Err(e) = keep(records, env, written).await {
        tracing::warn!(environment = %env, count, error = %e,
            "could not keep value digests; the next full lint reads those values once");
    }
}

/// After a write whose value the caller did not hold (a rollback, a promote): read the
/// new current value once with the caller's token and keep its digest. Failures are
/// logged: the digest is then unknown until the next full lint.
pub async fn refresh(
    records: &Records,
    bao: &crate::bao::Bao,
    token: &secrecy::SecretString,
    env: &EnvName,
    path: &crypter_api::CredentialPath,
) {
    let bao = bao.with_purpose(crate::bao::Purpose::Lint);
    match super::read_data(&bao, token, env, path, None).await {
        Ok((version, data)) => {
            let written = Written {
                path: path.to_string(),
                version,
                value: canonical(&data),
            };
            keep_or_log(records, env, vec![written]).await;
        }
        Err(e) => {
            tracing::warn!(environment = %env, error = %e,
                "could not read a value back to keep its digest; the next full lint reads it");
        }
    }
}

/// Merge `entries` into one shard record, check-and-set, newer versions winning.
async fn merge(
    records: &Records,
    env: &EnvName,
    shard: u8,
    entries: Shard,
) -> Result<(), AppError> {
    let key = key(env, shard);
    for _ in 0..ATTEMPTS {
        let (mut stored, cas) = match records.read(&key).await? {
            Some((value, version)) => (decode(value), version),
            None => (Shard::new(), 0),
        };
        for (path, entry) in &entries {
            if stored
                .get(path)
                .is_none_or(|old| old.version <= entry.version)
            {
                stored.insert(path.clone(), entry.clone());
            }
        }
        let value = serde_json::to_value(&stored).map_err(|e| AppError::Internal(e.into()))?;
        match records.write(&key, &value, Some(cas)).await {
            Ok(_) => return Ok(()),
            Err(KvError::CasFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict(
        ErrorCode::WriteContention,
        format!("the digest record {key} kept changing under concurrent writes"),
    ))
}

/// A shard record that does not decode is treated as empty: its credentials are unknown
/// and the next full lint writes the record afresh.
fn decode(value: serde_json::Value) -> Shard {
    serde_json::from_value(value).unwrap_or_default()
}

/// Every digest kept for `env`, by path.
pub async fn load(records: &Records, env: &EnvName) -> Result<BTreeMap<String, Entry>, AppError> {
    let shards: Vec<Shard> = stream::iter(0..SHARDS)
        .map(|shard| async move {
            match records.read(&key(env, shard)).await {
                Ok(found) => Ok(found.map(|(v, _)| decode(v)).unwrap_or_default()),
                Err(e) => Err(AppError::from(e)),
            }
        })
        .buffer_unordered(PARALLEL)
        .try_collect()
        .await?;
    Ok(shards.into_iter().flatten().collect())
}

/// Drop every digest of `env` (the environment is gone; a new one of the same name starts
/// its versions again at 1, and must not inherit digests).
pub async fn forget(records: &Records, env: &EnvName) -> Result<(), AppError> {
    stream::iter(0..SHARDS)
        .map(|shard| async move { records.remove(&key(env, shard)).await })
        .buffer_unordered(PARALLEL)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_data_in_any_order_is_the_same_input() {
        let a: BTreeMap<String, String> = [("a", "1"), ("b", "2")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into();
        let mut b = BTreeMap::new();
        b.insert("b".to_owned(), "2".to_owned());
        b.insert("a".to_owned(), "1".to_owned());
        assert_eq!(canonical(&a), canonical(&b));
    }

    #[test]
    fn shards_spread_paths_and_stay_in_range() {
        let used: std::collections::BTreeSet<u8> =
            (0..1000).map(|i| shard_of(&format!("svc/{i}"))).collect();
        assert!(used.iter().all(|s| *s < SHARDS));
        assert!(
            used.len() > usize::from(SHARDS) / 2,
            "only {} shards used",
            used.len()
        );
        assert_eq!(shard_of("a/b"), shard_of("a/b"));
    }

    #[test]
    fn a_damaged_shard_reads_as_empty() {
        assert!(decode(serde_json::json!({"x": "not an entry"})).is_empty());
        let ok = serde_json::json!({"p": {"version": 2, "digest": "vault:v1:abc"}});
        assert_eq!(decode(ok)["p"].version, 2);
    }
}
