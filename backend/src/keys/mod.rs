//! Keys: encryption, signing and HMAC keys that never leave the store. Each lives in one
//! environment, as an OpenBao transit key in that environment's transit mount
//! (`transit/<env>/keys/<name>`), with Crypter's record beside it
//! (`crypter/data/keys/<env>/<name>`, see [`record`]). Every call acts with the caller's
//! own token: OpenBao decides who may create, configure, rotate, use or delete a key, and
//! its policies keep keys unexportable and their deletion off (only operators may turn it
//! on, one key at a time).

mod manage;
pub mod ops;
pub mod record;
pub mod scan;

pub use manage::{create, delete, rotate, update};

use crate::bao::transit::{self, KeyInfo};
use crate::bao::Bao;
use crate::environments::{self, FAN_OUT};
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{EnvName, KeyDetail, KeyName, KeySummary, KeyType, KeyVersion};
use futures_util::stream::{self, StreamExt};
use record::KeyRecord;
use secrecy::SecretString;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The rotation period that applies: the shorter of OpenBao's automatic one and Crypter's.
pub fn rotation_period(info: &KeyInfo, record: &KeyRecord) -> Option<u64> {
    [Some(info.auto_rotate_period), record.rotation_period]
        .into_iter()
        .flatten()
        .filter(|p| *p > 0)
        .min()
}

/// A key's line: OpenBao's view of it joined with Crypter's record. `None` for a type
/// Crypter does not offer (a key made directly in OpenBao).
pub fn summary(
    env: &EnvName,
    name: &KeyName,
    info: &KeyInfo,
    record: &KeyRecord,
    now: OffsetDateTime,
) -> Option<KeySummary> {
    let key_type = KeyType::parse(&info.key_type)?;
    let last = info.last_rotated();
    let due = rotation_period(info, record).is_some_and(|p| {
        let age = now.unix_timestamp() - last;
        age >= 0 && age as u64 >= p
    });
    Some(KeySummary {
        name: name.clone(),
        environment: env.clone(),
        key_type,
        latest_version: info.latest_version,
        min_decryption_version: info.min_decryption_version,
        min_encryption_version: info.min_encryption_version,
        auto_rotate_period: info.auto_rotate_period,
        rotation_period: record.rotation_period,
        last_rotated: rfc3339(last),
        rotation_due: due,
        deletion_allowed: info.deletion_allowed,
        owner: record.owner.clone(),
        description: record.description.clone(),
        labels: record.labels.clone(),
    })
}

/// The key and its record, or 404.
pub async fn load(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
) -> Result<(KeyInfo, Option<(KeyRecord, u64)>), AppError> {
    let (info, record) = tokio::join!(
        transit::read_key(bao, token, env, name),
        record::read(bao, token, env, name)
    );
    let info = info?.ok_or_else(|| not_found(env, name))?;
    Ok((info, record?))
}

pub fn not_found(env: &EnvName, name: &KeyName) -> AppError {
    AppError::NotFound(
        ErrorCode::KeyNotFound,
        format!("there is no key {name} in environment {env}; create it first or pick another"),
    )
}

/// Every key of the environment, sorted by name: one LIST, then each key and its record,
/// `FAN_OUT` at a time.
pub async fn list(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    now: OffsetDateTime,
) -> Result<Vec<KeySummary>, AppError> {
    environments::record(bao, token, env).await?;
    let names: Vec<KeyName> = transit::list_keys(bao, token, env)
        .await?
        .iter()
        .filter_map(|n| KeyName::parse(n).ok())
        .collect();
    let read: Vec<Result<Option<KeySummary>, AppError>> = stream::iter(names)
        .map(|name| async move {
            match load(bao, token, env, &name).await {
                Ok((info, record)) => {
                    let record = record.map(|(r, _)| r).unwrap_or_default();
                    Ok(summary(env, &name, &info, &record, now))
                }
                // Deleted between the LIST and the read.
                Err(AppError::NotFound(..)) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .buffered(FAN_OUT)
        .collect()
        .await;
    let mut keys = Vec::new();
    for r in read {
        keys.extend(r?);
    }
    Ok(keys)
}

pub async fn get(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
    now: OffsetDateTime,
) -> Result<KeyDetail, AppError> {
    let (info, record) = load(bao, token, env, name).await?;
    let record = record.map(|(r, _)| r).unwrap_or_default();
    let key = summary(env, name, &info, &record, now).ok_or_else(|| {
        AppError::bad_request(
            ErrorCode::UnsupportedKeyType,
            format!(
                "key {env}/{name} has type {}, which Crypter does not manage",
                info.key_type
            ),
        )
    })?;
    let (usage, _) = record::usage(bao, token, env, name).await?;
    Ok(KeyDetail {
        key,
        versions: info
            .versions
            .iter()
            .map(|(v, at)| KeyVersion {
                version: *v,
                created: rfc3339(*at),
            })
            .collect(),
        deletion: record.deletion,
        ciphertexts: usage.places,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn info(auto: u64, made: i64) -> KeyInfo {
        KeyInfo {
            key_type: "aes256-gcm96".into(),
            latest_version: 2,
            min_decryption_version: 1,
            min_encryption_version: 0,
            auto_rotate_period: auto,
            deletion_allowed: false,
            exportable: false,
            allow_plaintext_backup: false,
            versions: BTreeMap::from([(1, 0), (2, made)]),
        }
    }

    #[test]
    fn rotation_is_due_after_the_shorter_period_since_the_latest_version() {
        let env = EnvName::parse("production").unwrap();
        let name = KeyName::parse("cards").unwrap();
        let now = OffsetDateTime::from_unix_timestamp(100_000).unwrap();
        let none = KeyRecord::default();
        let day = KeyRecord {
            rotation_period: Some(86_400),
            ..KeyRecord::default()
        };
        let s = |i: &KeyInfo, r: &KeyRecord| summary(&env, &name, i, r, now).unwrap();
        assert!(!s(&info(0, 0), &none).rotation_due, "no period, never due");
        assert!(s(&info(0, 0), &day).rotation_due);
        assert!(!s(&info(0, 50_000), &day).rotation_due);
        assert!(
            s(&info(3_600, 50_000), &day).rotation_due,
            "the shorter one"
        );
        assert_eq!(s(&info(0, 0), &none).last_rotated, "1970-01-01T00:00:00Z");
        let odd = KeyInfo {
            key_type: "aes128-gcm96".into(),
            ..info(0, 0)
        };
        assert!(summary(&env, &name, &odd, &none, now).is_none());
    }
}
