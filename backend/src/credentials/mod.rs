//! Credentials: KV v2 secrets at `env/<env>/data/<path>` with Crypter's metadata in
//! `custom_metadata`. Listing is one `SCAN` of `detailed-metadata/`; values leave only
//! through [`reveal`].

mod compare;
pub mod digests;
mod list;
mod listing;
mod metadata;
mod parts;
mod walk;
mod write;

pub use compare::{compare, hashes, promote, promotion, value_hash};
pub use list::{list, page, validate_prefix, Filter, Mode, DEFAULT_PAGE, MAX_PAGE};
pub use listing::{Freshness, Listing, ListingCache, Want};
pub use metadata::{
    from_custom, parse_entry, parse_expires, rotation_due, summary, to_custom, KvMetadata,
};
pub use parts::scan_in_parts;
pub use walk::{walk, KeyInfoAnswer, Walked};
pub use write::validate as validate_write;
pub use write::{
    destroy, parse_class, put, rollback, soft_delete, undelete, validate_label, write_metadata,
};

use crate::bao::kv::{self, KvError, Mount};
use crate::bao::{Bao, BaoError};
use crate::environments;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{
    CredentialDetail, CredentialPath, CredentialSummary, EnvName, RevealedCredential,
};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use time::OffsetDateTime;

/// One SCAN of the environment's detailed metadata: every credential, sorted by path.
/// OpenBao 2.7.2 ignores `after`/`limit` on SCAN and answers in no particular order, so
/// sorting and paging happen here.
pub async fn scan(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    now: OffsetDateTime,
) -> Result<Vec<CredentialSummary>, AppError> {
    let scanned = scan_shared(bao, token, env, now).await?;
    Ok(Arc::unwrap_or_clone(scanned).rows)
}

/// An environment's credentials as one SCAN found them, and when that SCAN was sent.
#[derive(Debug, Clone)]
pub struct Scanned {
    pub rows: Vec<CredentialSummary>,
    pub started: Instant,
}

/// [`scan`], shared with an identical SCAN already in flight for the same token and
/// purpose (see [`Bao::shared`]): concurrent lists of one environment in one session ask
/// OpenBao once, and its answer is read into rows once.
pub async fn scan_shared(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    now: OffsetDateTime,
) -> Result<Arc<Scanned>, AppError> {
    let path = format!("{}/detailed-metadata/", env.mount());
    let (b, t, p) = (bao.clone(), token.clone(), path.clone());
    let scanned = bao
        .shared(token, &format!("SCAN {path}"), move || async move {
            let started = Instant::now();
            let method =
                Method::from_bytes(b"SCAN").map_err(|e| BaoError::Config(e.to_string()))?;
            let answer: KeyInfoAnswer = b
                .request_as(method, &p, Some(&t), None)
                .await?
                .unwrap_or_default();
            // `key_info` is a BTreeMap: already in path order.
            let rows = answer
                .data
                .key_info
                .iter()
                .filter(|(k, _)| !k.ends_with('/'))
                .map(|(k, v)| summary(k, v, now))
                .collect();
            Ok(Scanned { rows, started })
        })
        .await;
    scanned.map_err(|e| missing_environment(e, env))
}

/// A request on an environment's mount that finds no mount there: the environment does
/// not exist.
pub fn missing_environment(e: BaoError, env: &EnvName) -> AppError {
    match e {
        BaoError::NotFound { .. } => environments::not_found(env),
        e if kv::is_no_mount(&e) => environments::not_found(env),
        e => e.into(),
    }
}

/// The metadata of one credential (as OpenBao answers it), `NotFound` when it does not
/// exist.
pub async fn metadata_of(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
) -> Result<Value, AppError> {
    match kv::metadata(bao, token, &Mount::env(env), path.as_ref()).await {
        Ok(Some(m)) => Ok(m.raw),
        Ok(None) => Err(not_found(env, path)),
        Err(KvError::NoMount { .. }) => Err(environments::not_found(env)),
        Err(e) => Err(e.into()),
    }
}

/// One credential's list row, from one metadata read.
pub async fn summary_of(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
) -> Result<CredentialSummary, AppError> {
    let meta = metadata_of(bao, token, env, path).await?;
    Ok(parse_entry(path.as_str(), &meta, OffsetDateTime::now_utc()))
}

pub fn not_found(env: &EnvName, path: &CredentialPath) -> AppError {
    AppError::NotFound(
        ErrorCode::CredentialNotFound,
        format!("no credential {path:?} in environment {env:?}"),
    )
}

pub async fn detail(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
) -> Result<CredentialDetail, AppError> {
    let meta = metadata_of(bao, token, env, path).await?;
    Ok(metadata::detail(
        env,
        path,
        &meta,
        OffsetDateTime::now_utc(),
    ))
}

/// The data of one version (`None` = current). `NotFound` when it is deleted or destroyed.
pub async fn read_data(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    version: Option<u64>,
) -> Result<(u64, BTreeMap<String, String>), AppError> {
    let secret = match kv::read(bao, token, &Mount::env(env), path.as_ref(), version).await {
        Ok(s) => s,
        Err(KvError::NoMount { .. }) => return Err(environments::not_found(env)),
        Err(e) => return Err(e.into()),
    };
    match (secret, version) {
        (Some(s), _) => Ok((s.version, s.data)),
        (None, Some(v)) => Err(AppError::NotFound(
            ErrorCode::VersionNotFound,
            format!(
                "version {v} of {path:?} in {env:?} does not exist, or is deleted or destroyed; \
             undelete it first"
            ),
        )),
        (None, None) => Err(AppError::NotFound(
            ErrorCode::CredentialNotFound,
            format!("{path:?} in {env:?} has no readable current version (missing or deleted)"),
        )),
    }
}

pub async fn reveal(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    version: Option<u64>,
) -> Result<RevealedCredential, AppError> {
    let (version, data) = read_data(bao, token, env, path, version).await?;
    Ok(RevealedCredential {
        environment: env.to_string(),
        path: path.to_string(),
        version,
        data,
    })
}
