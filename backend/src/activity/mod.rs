//! The activity feed: OpenBao's own audit log, read by Crypter. Crypter writes no activity
//! of its own. The audit log is written by the store itself (HMAC'd), and it includes
//! requests made outside Crypter, so what the Activity page shows cannot be forged by
//! writing a record, nor skipped by going around Crypter.
//!
//! Sources are the audit files of the nodes Crypter runs (embedded, dev and `--nodes`
//! modes write the device into each node's configuration), files named with
//! `--audit-log`, and the file the ingest endpoint appends to. Each query first reads
//! what was appended since the last one, so it sees every request already answered.
//!
//! OpenBao decides who sees the feed, although Crypter reads it itself: a session must
//! hold `read` on `sys/audit` (asked with `sys/capabilities-self`), and sees events of an
//! environment only if it may list that environment's credentials.

pub mod actions;
pub mod entry;
pub mod frozen;
pub mod ingest;
pub mod source;
pub mod visibility;

use crate::error::AppError;
use crypter_api::{ActivityEvent, AuditFeedStatus, AuditSource};
use entry::Stored;
use secrecy::SecretString;
use source::FileSource;
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Events kept in memory; the oldest go first.
const MAX_EVENTS: usize = 200_000;
/// A page scans at most this many events (visible or not) before it stops and hands back
/// a cursor, so that a user who sees little of a busy feed never makes one request
/// walk the whole log.
pub const SCAN_BOUND: usize = 20_000;
const CHUNK: usize = 2_000;

#[derive(Default)]
struct Inner {
    sources: Vec<FileSource>,
    /// Sorted by (time, request id).
    events: Vec<Stored>,
    ids: HashSet<String>,
    environments: BTreeSet<String>,
}

impl Inner {
    fn insert(&mut self, stored: Stored) {
        // Several nodes may audit the same request (a standby forwarding it).
        if !self.ids.insert(stored.event.id.clone()) {
            return;
        }
        if let Some(env) = &stored.event.environment {
            if !self.environments.contains(env) {
                self.environments.insert(env.clone());
            }
        }
        let at = match self.events.last() {
            Some(last) if last.key() > stored.key() => {
                self.events.partition_point(|s| s.key() < stored.key())
            }
            _ => self.events.len(),
        };
        self.events.insert(at, stored);
        if self.events.len() > MAX_EVENTS {
            let drop = MAX_EVENTS / 10;
            for old in self.events.drain(..drop) {
                self.ids.remove(&old.event.id);
            }
        }
    }

    fn read_sources(&mut self) {
        let mut parsed = Vec::new();
        for src in &mut self.sources {
            src.read_new(|line| {
                if let Ok(stored) = entry::parse(line) {
                    parsed.push(stored);
                }
            });
        }
        for stored in parsed {
            self.insert(stored);
        }
    }

    /// Up to `n` events strictly older than `before` (all when `None`), newest first.
    fn before(&self, before: Option<&Cursor>, n: usize) -> Vec<Stored> {
        let end = match before {
            Some(c) => self
                .events
                .partition_point(|s| s.key() < (c.nanos, c.id.as_str())),
            None => self.events.len(),
        };
        self.events[end.saturating_sub(n)..end]
            .iter()
            .rev()
            .cloned()
            .collect()
    }
}

/// Where a page stopped: the sort key of the last event it looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub nanos: i128,
    pub id: String,
}

impl Cursor {
    pub fn parse(text: &str) -> Option<Self> {
        let (nanos, id) = text.split_once('-')?;
        // Request ids are UUIDs, but OpenBao names some of its own (`dev-revoke-init-root`).
        let ok_id = !id.is_empty()
            && id.len() <= 128
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok_id || nanos.is_empty() || !nanos.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Some(Self {
            nanos: nanos.parse().ok()?,
            id: id.to_owned(),
        })
    }

    fn of(s: &Stored) -> Self {
        Self {
            nanos: s.nanos,
            id: s.event.id.clone(),
        }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.nanos, self.id)
    }
}

/// One page of events, newest first.
#[derive(Debug, Default)]
pub struct Page {
    pub events: Vec<ActivityEvent>,
    pub next: Option<String>,
}

/// The feed, shared by every request. Cheap to clone.
#[derive(Clone, Default)]
pub struct AuditFeed {
    inner: Arc<Mutex<Inner>>,
    ingest_file: Option<PathBuf>,
}

impl AuditFeed {
    /// A feed over `files`, and over `ingest_file`, which the ingest endpoint appends to.
    pub fn new(files: Vec<PathBuf>, ingest_file: Option<PathBuf>) -> Self {
        let mut sources: Vec<FileSource> = files.into_iter().map(FileSource::new).collect();
        if let Some(f) = &ingest_file {
            sources.push(FileSource::new(f.clone()));
        }
        Self {
            inner: Arc::new(Mutex::new(Inner {
                sources,
                ..Inner::default()
            })),
            ingest_file,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn connected(&self) -> bool {
        !self.lock().sources.is_empty()
    }

    pub fn ingest_file(&self) -> Option<&PathBuf> {
        self.ingest_file.as_ref()
    }

    /// Read whatever the sources gained since the last call (file I/O, off the runtime).
    pub async fn catch_up(&self) {
        let inner = self.inner.clone();
        let _ = tokio::task::spawn_blocking(move || {
            inner
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .read_sources();
        })
        .await;
    }

    pub fn status(&self) -> AuditFeedStatus {
        let inner = self.lock();
        AuditFeedStatus {
            connected: !inner.sources.is_empty(),
            sources: inner
                .sources
                .iter()
                .map(|s| AuditSource {
                    name: s.name(),
                    entries: s.entries,
                    error: s.error.clone(),
                })
                .collect(),
        }
    }

    /// Newest first, older than `before`, at most `limit` events the caller may see and
    /// `keep` accepts; at most [`SCAN_BOUND`] events are looked at.
    pub async fn page(
        &self,
        bao: &crate::bao::Bao,
        token: &SecretString,
        before: Option<Cursor>,
        limit: usize,
        keep: impl Fn(&ActivityEvent) -> bool,
    ) -> Result<Page, AppError> {
        self.catch_up().await;
        let mut viewer = visibility::Viewer::check(bao, token).await?;
        let mut cursor = before;
        let mut page = Page::default();
        let mut scanned = 0;
        loop {
            let chunk = self.lock().before(cursor.as_ref(), CHUNK);
            let Some(last) = chunk.last() else {
                return Ok(page);
            };
            let at_end = chunk.len() < CHUNK;
            let chunk_end = Cursor::of(last);
            viewer
                .learn(bao, token, chunk.iter().map(|s| &s.event))
                .await?;
            for s in chunk {
                scanned += 1;
                let here = Cursor::of(&s);
                if keep(&s.event) && viewer.sees(&s.event) {
                    page.events.push(s.event);
                }
                if page.events.len() == limit || scanned == SCAN_BOUND {
                    let older = !self.lock().before(Some(&here), 1).is_empty();
                    page.next = older.then(|| here.to_string());
                    return Ok(page);
                }
            }
            if at_end {
                return Ok(page);
            }
            cursor = Some(chunk_end);
        }
    }

    /// Events from `from` to `to` (nanoseconds; open-ended when `None`), oldest first,
    /// that `keep` accepts, at most `max`.
    pub fn between(
        &self,
        from: i128,
        to: Option<i128>,
        max: usize,
        keep: impl Fn(&ActivityEvent) -> bool,
    ) -> Vec<ActivityEvent> {
        let inner = self.lock();
        let start = inner.events.partition_point(|s| s.nanos < from);
        inner.events[start..]
            .iter()
            .take_while(|s| to.is_none_or(|t| s.nanos <= t))
            .filter(|s| keep(&s.event))
            .take(max)
            .map(|s| s.event.clone())
            .collect()
    }
}

/// RFC 3339 → nanoseconds since the epoch.
pub fn nanos_of(time: &str) -> Option<i128> {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(time, &Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(nanos: i128, id: &str) -> Stored {
        Stored {
            nanos,
            event: ActivityEvent {
                id: id.into(),
                time: String::new(),
                actor: "a".into(),
                entity_id: None,
                action: crypter_api::ActivityAction::StoreWrite,
                target: "t".into(),
                environment: None,
                path: "p".into(),
                operation: "update".into(),
                outcome: "ok".into(),
                purpose: None,
                detail: None,
            },
        }
    }

    #[test]
    fn events_stay_sorted_and_unique_across_sources() {
        let mut inner = Inner::default();
        for (n, id) in [(3, "c"), (1, "a"), (2, "b"), (3, "c"), (2, "bb")] {
            inner.insert(stored(n, id));
        }
        let ids: Vec<&str> = inner.events.iter().map(|s| s.event.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "bb", "c"]);
        let page: Vec<String> = inner
            .before(Some(&Cursor::of(&inner.events[3])), 2)
            .into_iter()
            .map(|s| s.event.id)
            .collect();
        assert_eq!(page, ["bb", "b"]);
    }

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = Cursor {
            nanos: 1_795_893_604_000_000_001,
            id: "7f533cea-8e25".into(),
        };
        assert_eq!(Cursor::parse(&c.to_string()), Some(c));
        assert!(Cursor::parse("5-dev-revoke-init-root").is_some());
        for bad in ["", "-", "12-", "x-ab", "12-../x", "12-a b", "12-a/b"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }
}
