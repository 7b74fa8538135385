//! The list endpoint: filters, and pages from the session's listing or from a quick walk.

use super::{walk, ListingCache, Walked, Want};
use crate::bao::Bao;
use crate::error::AppError;
use crate::session::Session;
use crypter_api::{CredentialPage, CredentialSummary, EnvName, ErrorCode};
use time::OffsetDateTime;

pub const MAX_PAGE: usize = 10_000;
pub const DEFAULT_PAGE: usize = 1_000;

/// A path prefix to filter on (`None` when empty), refused when it holds characters a
/// path cannot.
pub fn validate_prefix(prefix: Option<String>) -> Result<Option<String>, AppError> {
    let Some(prefix) = prefix.filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let ok = prefix.len() <= 600
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'));
    if ok {
        Ok(Some(prefix))
    } else {
        Err(AppError::bad_request(
            ErrorCode::InvalidPrefix,
            "a prefix holds only A-Z a-z 0-9 _ . - / and at most 600 characters",
        ))
    }
}

/// Filters of the list endpoint.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub prefix: Option<String>,
    pub class: Option<String>,
    /// Case-insensitive text in the path, owner, description or labels.
    pub q: Option<String>,
}

impl Filter {
    /// The rule itself is [`crypter_api::CredentialFilter`], shared with the console.
    fn shared(&self) -> crypter_api::CredentialFilter {
        let field = |f: &Option<String>| f.clone().unwrap_or_default();
        crypter_api::CredentialFilter::new(
            &field(&self.prefix),
            &field(&self.class),
            &field(&self.q),
        )
    }
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
    let filter = filter.shared();
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
    let filter = filter.shared();
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
        let matches = |f: Filter| f.shared().matches(&c);
        assert!(matches(f(
            Some("payments/"),
            Some("service"),
            Some("main db")
        )));
        assert!(matches(f(None, None, Some("BLUE"))));
        assert!(!matches(f(Some("users/"), None, None)));
        assert!(!matches(f(None, Some("e2e"), None)));
        assert!(!matches(f(None, None, Some("nothing"))));
    }
}
