//! Crypter's records beside each key: what people say of it, at
//! `crypter/data/keys/<env>/<name>` (admins write it; frozen at `provisioning` with the key's
//! configuration), and the ciphertexts known of it per key version, at
//! `crypter/data/key-usage/<env>/<name>` (admins and operators write it; never frozen: it
//! records what a scan or an apply saw, not a right or a setting).

use crate::bao::kv::{self, KvError, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{CiphertextCount, DeletionNote, EnvName, KeyName};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The record beside a key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    /// Seconds.
    #[serde(default)]
    pub rotation_period: Option<u64>,
    #[serde(default)]
    pub deletion: Option<DeletionNote>,
    #[serde(default)]
    pub created_by: Option<String>,
}

/// The ciphertexts known of a key, per place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    #[serde(default)]
    pub places: Vec<CiphertextCount>,
}

impl UsageRecord {
    /// Replace (or add) the counts of one place.
    pub fn set(&mut self, count: CiphertextCount) {
        self.places
            .retain(|p| !(p.prefix == count.prefix && p.field == count.field));
        self.places.push(count);
        self.places
            .sort_by(|a, b| (&a.prefix, &a.field).cmp(&(&b.prefix, &b.field)));
    }
}

fn crypter() -> Mount {
    Mount::v2("crypter")
}

pub fn record_key(env: &EnvName, name: &KeyName) -> String {
    format!("keys/{env}/{name}")
}

pub fn usage_key(env: &EnvName, name: &KeyName) -> String {
    format!("key-usage/{env}/{name}")
}

fn unreadable(what: &str, e: serde_json::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("{what} is unreadable: {e}"))
}

/// The record and its version; `None` when there is none (a key made outside Crypter).
pub async fn read(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
) -> Result<Option<(KeyRecord, u64)>, AppError> {
    let key = record_key(env, name);
    match kv::read_json(bao, token, &crypter(), &key).await? {
        Some((data, version)) => {
            let record = serde_json::from_value(data).map_err(|e| unreadable(&key, e))?;
            Ok(Some((record, version)))
        }
        None => Ok(None),
    }
}

/// Write the record with check-and-set `cas` (0: it must not exist yet). 409 when someone
/// else wrote it meanwhile.
pub async fn write(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
    record: &KeyRecord,
    cas: u64,
) -> Result<u64, AppError> {
    let data = serde_json::to_value(record).map_err(|e| AppError::Internal(e.into()))?;
    let key = record_key(env, name);
    match kv::write_json(bao, token, &crypter(), &key, &data, Some(cas)).await {
        Ok(v) => Ok(v),
        Err(KvError::CasFailed { .. }) if cas == 0 => Err(AppError::Conflict(
            ErrorCode::KeyExists,
            format!("a key named {name} already exists in {env}; pick another name"),
        )),
        Err(KvError::CasFailed { .. }) => Err(AppError::Conflict(
            ErrorCode::StaleVersion,
            format!("key {env}/{name} changed meanwhile; reload it and try again"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Remove both records (every version).
pub async fn remove(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
) -> Result<(), AppError> {
    for key in [record_key(env, name), usage_key(env, name)] {
        kv::remove(bao, token, &crypter(), &key).await?;
    }
    Ok(())
}

pub async fn usage(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
) -> Result<(UsageRecord, u64), AppError> {
    let key = usage_key(env, name);
    match kv::read_json(bao, token, &crypter(), &key).await? {
        Some((data, version)) => Ok((
            serde_json::from_value(data).map_err(|e| unreadable(&key, e))?,
            version,
        )),
        None => Ok((UsageRecord::default(), 0)),
    }
}

/// Replace one place's counts, with check-and-set (retried when another writer got in
/// between: each writer owns its own place, so the merge is safe).
pub async fn record_usage(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
    count: CiphertextCount,
) -> Result<UsageRecord, AppError> {
    let key = usage_key(env, name);
    for _ in 0..5 {
        let (mut usage, version) = usage(bao, token, env, name).await?;
        usage.set(count.clone());
        let data = serde_json::to_value(&usage).map_err(|e| AppError::Internal(e.into()))?;
        match kv::write_json(bao, token, &crypter(), &key, &data, Some(version)).await {
            Ok(_) => return Ok(usage),
            Err(KvError::CasFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict(
        ErrorCode::WriteContention,
        format!("the ciphertext counts of {env}/{name} kept changing; try again"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn count(prefix: &str, field: &str, n: u64) -> CiphertextCount {
        CiphertextCount {
            prefix: prefix.into(),
            field: field.into(),
            by_version: BTreeMap::from([(1, n)]),
            source: "scan".into(),
            by: "ana".into(),
            at: String::new(),
        }
    }

    #[test]
    fn a_place_is_replaced_never_doubled() {
        let mut u = UsageRecord::default();
        u.set(count("cards/", "pan", 3));
        u.set(count("users/", "email", 2));
        u.set(count("cards/", "pan", 5));
        assert_eq!(u.places.len(), 2);
        assert_eq!(u.places[0].by_version[&1], 5);
    }
}
