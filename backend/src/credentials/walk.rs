//! The first rows of an environment at once: a walk of OpenBao's paged LIST of
//! `detailed-metadata/`, folder by folder in path order, that stops as soon as it holds
//! `limit` rows. Its cost follows the rows asked for, not the size of the environment,
//! where one SCAN of everything costs about a second per 10,000 credentials.
//!
//! Path order and walk order agree: OpenBao lists a folder's keys sorted, a folder's key
//! ends in `/`, and every path below a folder starts with that key, so visiting each
//! folder where its key sorts gives the paths in plain string order, as a SCAN sorted by
//! path does. Pages of both can therefore be mixed with the same `after` cursor.

use super::metadata::{summary, KvMetadata};
use super::missing_environment;
use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crypter_api::{CredentialSummary, EnvName};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, StreamExt};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The most keys asked of one LIST call.
const LIST_PAGE_MAX: usize = 1000;
/// How many sub-folders' first pages are fetched ahead of the one being read.
const PREFETCH: usize = 8;

/// The answer of a LIST or SCAN of `detailed-metadata/`. A BTreeMap keeps it in key order.
#[derive(Debug, Default, Deserialize)]
pub struct KeyInfoAnswer {
    #[serde(default)]
    pub data: KeyInfoData,
}

#[derive(Debug, Default, Deserialize)]
pub struct KeyInfoData {
    /// Leaves carry their metadata; folders (keys ending in `/`) an empty object.
    #[serde(default)]
    pub key_info: BTreeMap<String, KvMetadata>,
}

/// What to do with one listed key, whose full path is `full`.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Skip,
    Take,
    Descend,
    /// Past the prefix: nothing later in path order can match.
    Stop,
}

fn step(full: &str, prefix: &str, after: Option<&str>) -> Step {
    let folder = full.ends_with('/');
    let in_prefix = full.starts_with(prefix) || (folder && prefix.starts_with(full));
    if !in_prefix {
        return if full > prefix {
            Step::Stop
        } else {
            Step::Skip
        };
    }
    match after {
        // A folder that holds the cursor is entered; what it holds is filtered inside.
        Some(a) if folder && a.starts_with(full) => Step::Descend,
        Some(a) if full <= a => Step::Skip,
        _ if folder => Step::Descend,
        _ => Step::Take,
    }
}

/// Where to start listing `folder` so OpenBao skips what lies before the cursor: the
/// cursor's own segment there (LIST's `after` is exclusive, and `seg/` sorts after `seg`).
fn list_after<'a>(folder: &str, after: Option<&'a str>) -> Option<&'a str> {
    let rest = after?.strip_prefix(folder)?;
    let seg = rest.split('/').next().filter(|s| !s.is_empty())?;
    seg.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        .then_some(seg)
}

/// One LIST answer: its keys, and whether it was full (so the folder may hold more).
struct Page {
    keys: Vec<(String, KvMetadata)>,
    full: bool,
}

/// The rows a walk found, and whether more may follow them.
#[derive(Debug)]
pub struct Walked {
    pub rows: Vec<CredentialSummary>,
    pub more: bool,
}

struct Walker<'a> {
    bao: &'a Bao,
    token: &'a SecretString,
    env: &'a EnvName,
    prefix: &'a str,
    after: Option<&'a str>,
    limit: usize,
    now: OffsetDateTime,
}

enum Flow {
    /// The folder is done; go on with the next key.
    Next,
    /// The walk is done: `more` says whether rows may remain.
    Done { more: bool },
}

/// Up to `limit` rows in path order, after `after` (exclusive), starting with `prefix`.
/// `Ok(None)` when the environment's root lists nothing, which OpenBao answers alike for
/// an empty environment and a missing mount: the caller tells them apart with a SCAN.
pub async fn walk(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
    now: OffsetDateTime,
) -> Result<Option<Walked>, AppError> {
    let w = Walker {
        bao,
        token,
        env,
        prefix,
        after,
        limit: limit.max(1),
        now,
    };
    let Some(first) = w.page("", w.first_page_size(0)).await? else {
        return Ok(None);
    };
    let mut rows = Vec::new();
    let more = match w.folder(String::new(), Some(first), &mut rows).await? {
        Flow::Next => false,
        Flow::Done { more } => more,
    };
    Ok(Some(Walked { rows, more }))
}

impl Walker<'_> {
    fn first_page_size(&self, have: usize) -> usize {
        (self.limit - have.min(self.limit) + 1).clamp(16, LIST_PAGE_MAX)
    }

    /// One LIST page of `folder` (after `from`, or after the cursor's segment there).
    async fn list(
        &self,
        folder: &str,
        from: Option<&str>,
        size: usize,
    ) -> Result<Option<Page>, AppError> {
        let method = Method::from_bytes(b"LIST").map_err(|e| anyhow::anyhow!(e))?;
        // The folder is a path (encoded with every request); `after` is a query value.
        let url = format!("{}/detailed-metadata/{folder}", self.env.mount());
        let mut query = format!("limit={size}");
        if let Some(from) = from.or_else(|| list_after(folder, self.after)) {
            query.push_str(&format!("&after={}", crate::bao::path::encode(from)));
        }
        match self
            .bao
            .request_query_as::<KeyInfoAnswer>(method, &url, &query, Some(self.token))
            .await
        {
            Ok(answer) => {
                let keys: Vec<_> = answer
                    .unwrap_or_default()
                    .data
                    .key_info
                    .into_iter()
                    .collect();
                let full = keys.len() >= size;
                Ok(Some(Page { keys, full }))
            }
            // An empty folder lists as 404 (it was emptied since its parent was listed).
            Err(BaoError::NotFound { .. }) => Ok(None),
            Err(e) => Err(missing_environment(e, self.env)),
        }
    }

    async fn page(&self, folder: &str, size: usize) -> Result<Option<Page>, AppError> {
        self.list(folder, None, size).await
    }

    /// Walks `folder` (whose first page may already be fetched) into `out`.
    fn folder<'b>(
        &'b self,
        folder: String,
        first: Option<Page>,
        out: &'b mut Vec<CredentialSummary>,
    ) -> BoxFuture<'b, Result<Flow, AppError>> {
        Box::pin(async move {
            let mut page = first;
            loop {
                let Some(Page { keys, full }) = page.take() else {
                    return Ok(Flow::Next);
                };
                let last = keys.last().map(|(k, _)| k.clone());
                if let flow @ Flow::Done { .. } = self.keys(&folder, keys, out).await? {
                    return Ok(flow);
                }
                let Some(last) = last.filter(|_| full) else {
                    return Ok(Flow::Next);
                };
                let size = self.first_page_size(out.len());
                page = self.list(&folder, Some(&last), size).await?;
            }
        })
    }

    /// The keys of one page, in order: leaves become rows, folders are walked, and the
    /// first pages of the next few folders are fetched meanwhile.
    async fn keys(
        &self,
        folder: &str,
        keys: Vec<(String, KvMetadata)>,
        out: &mut Vec<CredentialSummary>,
    ) -> Result<Flow, AppError> {
        let sub_folders: Vec<String> = keys
            .iter()
            .map(|(k, _)| format!("{folder}{k}"))
            .filter(|full| step(full, self.prefix, self.after) == Step::Descend)
            .collect();
        let mut firsts = stream::iter(sub_folders)
            .map(|full| async move {
                let page = self.page(&full, self.first_page_size(0)).await;
                (full, page)
            })
            .buffered(PREFETCH);
        for (key, meta) in keys {
            if out.len() >= self.limit {
                return Ok(Flow::Done { more: true });
            }
            let full = format!("{folder}{key}");
            match step(&full, self.prefix, self.after) {
                Step::Skip => {}
                Step::Stop => return Ok(Flow::Done { more: false }),
                Step::Take => out.push(summary(&full, &meta, self.now)),
                Step::Descend => {
                    let Some((fetched, first)) = firsts.next().await else {
                        continue;
                    };
                    debug_assert_eq!(fetched, full);
                    if let flow @ Flow::Done { .. } = self.folder(full, first?, out).await? {
                        return Ok(flow);
                    }
                }
            }
        }
        Ok(Flow::Next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_prefix_and_cursor() {
        assert_eq!(step("a", "", None), Step::Take);
        assert_eq!(step("a/", "", None), Step::Descend);
        // The cursor is exclusive; a folder holding it is entered.
        assert_eq!(step("a/b", "", Some("a/b")), Step::Skip);
        assert_eq!(step("a/c", "", Some("a/b")), Step::Take);
        assert_eq!(step("a/", "", Some("a/b")), Step::Descend);
        assert_eq!(step("a-", "", Some("a/b")), Step::Skip);
        assert_eq!(step("b/", "", Some("a/b")), Step::Descend);
        // A prefix: folders on the way in are entered, keys before it skipped, and the
        // first key past it ends the walk.
        assert_eq!(step("pay/", "pay/db", None), Step::Descend);
        assert_eq!(step("pay/db", "pay/db", None), Step::Take);
        assert_eq!(step("pay/db-2", "pay/db", None), Step::Take);
        assert_eq!(step("pay/a", "pay/db", None), Step::Skip);
        assert_eq!(step("pay/e", "pay/db", None), Step::Stop);
        assert_eq!(step("pax", "pay/", None), Step::Skip);
        assert_eq!(step("pay0", "pay/", None), Step::Stop);
    }

    #[test]
    fn listing_starts_at_the_cursor_segment() {
        assert_eq!(list_after("", Some("a/b/c")), Some("a"));
        assert_eq!(list_after("a/", Some("a/b/c")), Some("b"));
        assert_eq!(list_after("a/b/", Some("a/b/c")), Some("c"));
        assert_eq!(list_after("x/", Some("a/b/c")), None);
        assert_eq!(list_after("", None), None);
        assert_eq!(list_after("", Some("a b/c")), None);
    }
}
