//! Credentials: KV v2 secrets at `env/<env>/data/<path>` with Crypter's metadata in
//! `custom_metadata`. Listing is one `SCAN` of `detailed-metadata/`; values leave only
//! through [`reveal`].

mod compare;
mod metadata;
mod write;

pub use compare::{compare, hashes, promote, value_hash};
pub use metadata::{from_custom, parse_entry, rotation_due, to_custom};
pub use write::{
    destroy, put, rollback, soft_delete, undelete, validate_class, validate_label, write_metadata,
};

use crate::bao::kv::{self, KvError, Mount};
use crate::bao::{Bao, BaoError};
use crate::environments;
use crate::error::AppError;
use crypter_api::{
    CredentialDetail, CredentialPage, CredentialPath, CredentialSummary, EnvName,
    RevealedCredential,
};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;
use std::collections::BTreeMap;
use time::OffsetDateTime;

pub const MAX_PAGE: usize = 10_000;
pub const DEFAULT_PAGE: usize = 1_000;

/// Filters of the list endpoint.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub prefix: Option<String>,
    pub class: Option<String>,
    /// Case-insensitive text in the path, owner, description or labels.
    pub q: Option<String>,
}

impl Filter {
    pub fn matches(&self, c: &CredentialSummary) -> bool {
        if let Some(prefix) = &self.prefix {
            if !c.path.starts_with(prefix.as_str()) {
                return false;
            }
        }
        if let Some(class) = &self.class {
            if c.metadata.class.as_deref() != Some(class.as_str()) {
                return false;
            }
        }
        if let Some(q) = &self.q {
            let q = q.to_lowercase();
            let m = &c.metadata;
            let hay = [
                Some(c.path.as_str()),
                m.owner.as_deref(),
                m.description.as_deref(),
            ];
            let hit = hay.iter().flatten().any(|s| s.to_lowercase().contains(&q))
                || m.labels.iter().any(|l| l.to_lowercase().contains(&q));
            if !hit {
                return false;
            }
        }
        true
    }
}

/// One SCAN of the environment's detailed metadata: every credential, sorted by path.
/// OpenBao 2.7.2 ignores `after`/`limit` on SCAN and answers in no particular order, so
/// sorting and paging happen here.
pub async fn scan(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    now: OffsetDateTime,
) -> Result<Vec<CredentialSummary>, AppError> {
    let method = Method::from_bytes(b"SCAN").map_err(|e| anyhow::anyhow!(e))?;
    let path = format!("{}/detailed-metadata/", env.mount());
    let answer = match bao.request(method, &path, Some(token), None).await {
        Ok(v) => v.unwrap_or_default(),
        // No mount there: the environment does not exist.
        Err(e) if kv::is_no_mount(&e) => return Err(environments::not_found(env)),
        Err(BaoError::NotFound { .. }) => return Err(environments::not_found(env)),
        Err(e) => return Err(e.into()),
    };
    let mut items: Vec<CredentialSummary> = answer
        .pointer("/data/key_info")
        .and_then(Value::as_object)
        .map(|info| {
            info.iter()
                .filter(|(k, _)| !k.ends_with('/'))
                .map(|(k, v)| parse_entry(k, v, now))
                .collect()
        })
        .unwrap_or_default();
    items.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(items)
}

/// How many credentials (soft-deleted ones included) the environment holds: a SCAN of
/// `metadata/`, which returns keys only and is much cheaper than `detailed-metadata/`.
pub async fn count(bao: &Bao, token: &SecretString, env: &EnvName) -> Result<u64, AppError> {
    let method = Method::from_bytes(b"SCAN").map_err(|e| anyhow::anyhow!(e))?;
    let path = format!("{}/metadata/", env.mount());
    let answer = match bao.request(method, &path, Some(token), None).await {
        Ok(v) => v.unwrap_or_default(),
        Err(BaoError::NotFound { .. }) => return Err(environments::not_found(env)),
        Err(e) => return Err(e.into()),
    };
    Ok(answer
        .pointer("/data/keys")
        .and_then(Value::as_array)
        .map_or(0, |keys| {
            keys.iter()
                .filter(|k| k.as_str().is_some_and(|k| !k.ends_with('/')))
                .count() as u64
        }))
}

/// The list endpoint: filter, then page by path (`after` is exclusive).
pub async fn list(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    filter: &Filter,
    after: Option<&str>,
    limit: usize,
) -> Result<CredentialPage, AppError> {
    let all = scan(bao, token, env, OffsetDateTime::now_utc()).await?;
    Ok(page(env, all, filter, after, limit))
}

pub fn page(
    env: &EnvName,
    all: Vec<CredentialSummary>,
    filter: &Filter,
    after: Option<&str>,
    limit: usize,
) -> CredentialPage {
    let matching: Vec<CredentialSummary> = all.into_iter().filter(|c| filter.matches(c)).collect();
    let total = matching.len() as u64;
    let start = after.map_or(0, |a| matching.partition_point(|c| c.path.as_str() <= a));
    let items: Vec<CredentialSummary> = matching[start..].iter().take(limit).cloned().collect();
    let next = if start + items.len() < matching.len() {
        items.last().map(|c| c.path.clone())
    } else {
        None
    };
    CredentialPage {
        environment: env.to_string(),
        items,
        total,
        next,
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

pub fn not_found(env: &EnvName, path: &CredentialPath) -> AppError {
    AppError::NotFound(format!("no credential {path:?} in environment {env:?}"))
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
        (None, Some(v)) => Err(AppError::NotFound(format!(
            "version {v} of {path:?} in {env:?} does not exist, or is deleted or destroyed; \
             undelete it first"
        ))),
        (None, None) => Err(AppError::NotFound(format!(
            "{path:?} in {env:?} has no readable current version (missing or deleted)"
        ))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::CredentialMetadata;

    fn summary(path: &str, class: &str) -> CredentialSummary {
        CredentialSummary {
            path: path.into(),
            metadata: CredentialMetadata {
                class: Some(class.into()),
                owner: Some("team".into()),
                description: Some("The Main DB".into()),
                labels: vec!["blue".into()],
                ..Default::default()
            },
            current_version: 1,
            updated_time: String::new(),
            deleted: false,
            rotation_due: false,
        }
    }

    #[test]
    fn pages_follow_after_and_limit() {
        let env = EnvName::parse("staging").unwrap();
        let all: Vec<_> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|p| summary(p, "service"))
            .collect();
        let p1 = page(&env, all.clone(), &Filter::default(), None, 2);
        assert_eq!(
            p1.items.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(p1.next.as_deref(), Some("b"));
        assert_eq!(p1.total, 5);
        let p3 = page(&env, all, &Filter::default(), Some("d"), 2);
        assert_eq!(p3.items.len(), 1);
        assert_eq!(p3.next, None);
    }

    #[test]
    fn filters_combine() {
        let c = summary("payments/db", "service");
        let f = |prefix: Option<&str>, class: Option<&str>, q: Option<&str>| Filter {
            prefix: prefix.map(Into::into),
            class: class.map(Into::into),
            q: q.map(Into::into),
        };
        assert!(f(Some("payments/"), Some("service"), Some("main db")).matches(&c));
        assert!(f(None, None, Some("BLUE")).matches(&c));
        assert!(!f(Some("users/"), None, None).matches(&c));
        assert!(!f(None, Some("e2e"), None).matches(&c));
        assert!(!f(None, None, Some("nothing")).matches(&c));
    }
}
