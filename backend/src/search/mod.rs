//! Search across environments: credentials found by path, owner, label, description and
//! class in every environment the caller's own token may list, from metadata only.
//!
//! Which environments: the `env/<name>/` mounts in OpenBao's `sys/internal/ui/mounts`,
//! which lists only the mounts the token has some access to; an environment whose SCAN the
//! token may not make is left out. The listings come from the session's
//! [`ListingCache`], so a second query in the same session answers without a SCAN.

use crate::bao::{Bao, BaoError};
use crate::credentials::{ListingCache, Want};
use crate::error::AppError;
use crate::session::Session;
use crypter_api::ErrorCode;
use crypter_api::{CredentialSummary, EnvName, SearchHit, SearchResults};
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use std::collections::BTreeMap;

/// How many environments are scanned at once on a cold search.
const FAN_OUT: usize = 4;
pub const MAX_QUERY: usize = 200;
pub const MAX_LIMIT: usize = 500;
pub const DEFAULT_LIMIT: usize = 50;

/// The words of a query, lower-cased; each must be found in some field.
pub fn terms(q: &str) -> Result<Vec<String>, AppError> {
    let terms: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    if terms.is_empty() || q.chars().count() > MAX_QUERY {
        return Err(AppError::bad_request(
            ErrorCode::InvalidQuery,
            format!("give 1 to {MAX_QUERY} characters to search for, e.g. q=payments"),
        ));
    }
    Ok(terms)
}

/// `Some(rank)` when every term is in the path, owner, a label, the description or the
/// class; rank 0 when every term is in the path itself.
pub fn rank(terms: &[String], c: &CredentialSummary) -> Option<u8> {
    let m = &c.metadata;
    let path = c.path.to_lowercase();
    let mut in_path = true;
    for t in terms {
        if path.contains(t.as_str()) {
            continue;
        }
        in_path = false;
        let found = [&m.owner, &m.description, &m.class]
            .into_iter()
            .flatten()
            .chain(m.labels.iter())
            .any(|s| s.to_lowercase().contains(t.as_str()));
        if !found {
            return None;
        }
    }
    Some(if in_path { 0 } else { 1 })
}

fn hit(env: &str, c: &CredentialSummary) -> SearchHit {
    let m = &c.metadata;
    SearchHit {
        kind: "credential".into(),
        environment: env.to_owned(),
        path: c.path.clone(),
        class: m.class.clone(),
        owner: m.owner.clone(),
        description: m.description.clone(),
        labels: m.labels.clone(),
        deleted: c.deleted,
    }
}

#[derive(Debug, Default, Deserialize)]
struct UiMounts {
    #[serde(default)]
    data: UiMountsData,
}

#[derive(Debug, Default, Deserialize)]
struct UiMountsData {
    #[serde(default)]
    secret: BTreeMap<String, serde_json::Value>,
}

/// The environments whose mounts the token can see.
async fn visible_environments(bao: &Bao, session: &Session) -> Result<Vec<EnvName>, AppError> {
    let mounts: UiMounts = bao
        .request_as(
            reqwest::Method::GET,
            "sys/internal/ui/mounts",
            Some(&session.token),
            None,
        )
        .await?
        .unwrap_or_default();
    Ok(mounts
        .data
        .secret
        .keys()
        .filter_map(|m| m.strip_prefix("env/")?.strip_suffix('/'))
        .filter_map(|name| EnvName::parse(name).ok())
        .collect())
}

pub async fn search(
    cache: &ListingCache,
    bao: &Bao,
    session: &Session,
    q: &str,
    limit: usize,
) -> Result<SearchResults, AppError> {
    let terms = terms(q)?;
    let envs = visible_environments(bao, session).await?;
    let listings: Vec<_> = stream::iter(envs)
        .map(|env| async move {
            let listing = cache.listing(bao, session, &env, Want::Servable).await;
            (env, listing)
        })
        .buffered(FAN_OUT)
        .collect()
        .await;
    let mut searched = Vec::new();
    let mut ranked: Vec<(u8, SearchHit)> = Vec::new();
    for (env, listing) in listings {
        let listing = match listing {
            Ok(l) => l,
            // Visible, but not listable with this token; or deleted meanwhile.
            Err(AppError::Store(BaoError::Forbidden { .. })) | Err(AppError::NotFound(..)) => {
                continue
            }
            Err(e) => return Err(e),
        };
        let name = env.to_string();
        ranked.extend(
            listing
                .rows
                .iter()
                .filter_map(|c| rank(&terms, c).map(|r| (r, hit(&name, c)))),
        );
        searched.push(name);
    }
    ranked.sort_by(|(ra, a), (rb, b)| {
        ra.cmp(rb)
            .then_with(|| a.environment.cmp(&b.environment))
            .then_with(|| a.path.cmp(&b.path))
    });
    let total = ranked.len() as u64;
    Ok(SearchResults {
        query: q.to_owned(),
        hits: ranked.into_iter().take(limit).map(|(_, h)| h).collect(),
        total,
        environments: searched,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::CredentialMetadata;

    fn cred() -> CredentialSummary {
        CredentialSummary {
            path: "payments/db-password".into(),
            metadata: CredentialMetadata {
                class: Some("service".into()),
                owner: Some("Team-Ledger".into()),
                description: Some("Main database login".into()),
                labels: vec!["pci".into()],
                ..Default::default()
            },
            current_version: 1,
            updated_time: String::new(),
            deleted: false,
            rotation_due: false,
        }
    }

    fn r(q: &str) -> Option<u8> {
        rank(&terms(q).unwrap(), &cred())
    }

    #[test]
    fn every_word_must_be_found_somewhere() {
        assert_eq!(r("payments"), Some(0));
        assert_eq!(r("PAYMENTS db"), Some(0));
        assert_eq!(r("ledger"), Some(1));
        assert_eq!(r("pci payments"), Some(1));
        assert_eq!(r("database"), Some(1));
        assert_eq!(r("service"), Some(1));
        assert_eq!(r("payments nothing"), None);
        assert_eq!(r("production"), None);
    }

    #[test]
    fn empty_and_long_queries_are_refused() {
        assert!(terms("   ").is_err());
        assert!(terms(&"x".repeat(MAX_QUERY + 1)).is_err());
        assert_eq!(terms(" a  B ").unwrap(), ["a", "b"]);
    }
}
