//! Credentials: KV v2 secrets at `env/<env>/data/<path>` with Crypter's metadata in
//! `custom_metadata`. Listing is one `SCAN` of `detailed-metadata/`; values leave only
//! through [`reveal`].

mod compare;
mod listing;
mod metadata;
mod walk;
mod write;

pub use compare::{compare, hashes, promote, value_hash};
pub use listing::{Freshness, Listing, ListingCache, Want};
pub use metadata::{from_custom, parse_entry, rotation_due, summary, to_custom, KvMetadata};
pub use walk::{walk, KeyInfoAnswer, Walked};
pub use write::{destroy, put, rollback, soft_delete, undelete, validate_class, write_metadata};

use crate::bao::{Bao, BaoError};
use crate::environments;
use crate::error::AppError;
use crate::session::Session;
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
    let answer: KeyInfoAnswer = match bao.request_as(method, &path, Some(token), None).await {
        Ok(v) => v.unwrap_or_default(),
        Err(e) => return Err(missing_environment(e, env)),
    };
    // `key_info` is a BTreeMap: already in path order.
    Ok(answer
        .data
        .key_info
        .iter()
        .filter(|(k, _)| !k.ends_with('/'))
        .map(|(k, v)| summary(k, v, now))
        .collect())
}

/// A request on an environment's mount that finds no mount there: the environment does
/// not exist.
pub fn missing_environment(e: BaoError, env: &EnvName) -> AppError {
    match e {
        BaoError::NotFound { .. } => environments::not_found(env),
        BaoError::Rejected {
            status: 400,
            ref message,
            ..
        } if message.contains("no handler") => environments::not_found(env),
        e => e.into(),
    }
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

/// How the list endpoint may answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// From the full listing (cached for the session, else one SCAN): `total` is exact.
    Full,
    /// At once: from the full listing if the session has it, else from a walk of paged
    /// LISTs that stops after `limit` rows (`partial`, `total` counts only those).
    Quick,
}

/// The list endpoint: filter, then page by path (`after` is exclusive).
#[allow(clippy::too_many_arguments)]
pub async fn list(
    cache: &ListingCache,
    bao: &Bao,
    session: &Session,
    env: &EnvName,
    filter: &Filter,
    after: Option<&str>,
    limit: usize,
    mode: Mode,
) -> Result<CredentialPage, AppError> {
    let now = OffsetDateTime::now_utc();
    if mode == Mode::Quick {
        if let Some(listing) = cache.cached(bao, session, env, std::time::Instant::now()) {
            return Ok(page(env, &listing.rows, filter, after, limit));
        }
        let prefix = filter.prefix.as_deref().unwrap_or_default();
        if let Some(w) = walk(bao, &session.token, env, prefix, after, limit, now).await? {
            return Ok(walked_page(env, w, filter));
        }
    }
    // A first page shows the store as it is now; the next ones continue the same listing.
    let want = match after {
        None => Want::ScannedSince(std::time::Instant::now()),
        Some(_) => Want::Servable,
    };
    let listing = cache.listing(bao, session, env, want).await?;
    Ok(page(env, &listing.rows, filter, after, limit))
}

/// A page from a walk: the prefix is already applied, the other filters are applied here
/// (so the page may hold fewer than `limit` rows while `next` says more follow).
fn walked_page(env: &EnvName, w: Walked, filter: &Filter) -> CredentialPage {
    let next = w
        .more
        .then(|| w.rows.last().map(|c| c.path.clone()))
        .flatten();
    let items: Vec<CredentialSummary> = w.rows.into_iter().filter(|c| filter.matches(c)).collect();
    CredentialPage {
        environment: env.to_string(),
        total: items.len() as u64,
        items,
        next,
        partial: true,
    }
}

pub fn page(
    env: &EnvName,
    all: &[CredentialSummary],
    filter: &Filter,
    after: Option<&str>,
    limit: usize,
) -> CredentialPage {
    let matching: Vec<&CredentialSummary> = all.iter().filter(|c| filter.matches(c)).collect();
    let total = matching.len() as u64;
    let start = after.map_or(0, |a| matching.partition_point(|c| c.path.as_str() <= a));
    let items: Vec<CredentialSummary> = matching[start..]
        .iter()
        .take(limit)
        .map(|c| (*c).clone())
        .collect();
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
        partial: false,
    }
}

/// The metadata of one credential, `NotFound` when it does not exist.
pub async fn metadata_of(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
) -> Result<Value, AppError> {
    match bao
        .read(&format!("{}/metadata/{path}", env.mount()), token)
        .await
    {
        Ok(Some(v)) => Ok(v["data"].clone()),
        Ok(None) => Err(not_found(env, path)),
        Err(BaoError::Rejected {
            status: 400,
            message,
            ..
        }) if message.contains("no handler") => Err(environments::not_found(env)),
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
    let mut url = format!("{}/data/{path}", env.mount());
    if let Some(v) = version {
        url.push_str(&format!("?version={v}"));
    }
    let answer = bao.read(&url, token).await?;
    let data = answer.as_ref().map(|a| &a["data"]);
    let values = data.and_then(|d| d["data"].as_object());
    match (data, values) {
        (Some(d), Some(values)) => {
            let version = d["metadata"]["version"].as_u64().unwrap_or_default();
            let map = values
                .iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), s)
                })
                .collect();
            Ok((version, map))
        }
        _ => Err(match version {
            Some(v) => AppError::NotFound(format!(
                "version {v} of {path:?} in {env:?} does not exist, or is deleted or destroyed; \
                 undelete it first"
            )),
            None => AppError::NotFound(format!(
                "{path:?} in {env:?} has no readable current version (missing or deleted)"
            )),
        }),
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
        let p1 = page(&env, &all, &Filter::default(), None, 2);
        assert_eq!(
            p1.items.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(p1.next.as_deref(), Some("b"));
        assert_eq!(p1.total, 5);
        let p3 = page(&env, &all, &Filter::default(), Some("d"), 2);
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
