//! Each session's listing of each environment: one SCAN of `detailed-metadata/`, made with
//! the session's own token and kept briefly, so the console's pages, its filters and
//! search across environments answer without a SCAN per request.
//!
//! - The first page of a list request is always a new SCAN (it then fills the cache):
//!   what the list endpoint shows is current. Its next pages, quick pages and search
//!   are served from the cache, by age:
//! - A listing younger than [`FRESH`] is served as it is.
//! - An older one is still served, and refreshed in the background (one refresh at a
//!   time).
//! - One older than [`MAX_AGE`] is never served: the request waits for a new SCAN. So
//!   a write made directly in OpenBao shows in every listing and search within `MAX_AGE`
//!   (plus the time of one SCAN, which ages from when it ends: one of 100,000 entries
//!   takes longer than `MAX_AGE` by itself), and a token that lost the right to list stops
//!   seeing rows within it too.
//! - Writes made through Crypter patch their row at once ([`ListingCache::put_row`]).
//! - One SCAN per token and environment at a time: a request that finds one in flight
//!   takes its answer ([`scan_shared`]). A write through Crypter closes that sharing, so a
//!   list asked after a write was acknowledged never shows the store from before it.
//! - Memory is bounded: at most [`MAX_ROWS`] rows in all (least recently used listings
//!   go first; a larger environment is served uncached), and listings unused for
//!   [`IDLE`] are dropped. A row takes about 350 bytes.

use super::scan_shared;
use crate::bao::Bao;
use crate::error::AppError;
use crate::session::Session;
use crypter_api::{CredentialSummary, EnvName};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

pub const FRESH: Duration = Duration::from_secs(3);
pub const MAX_AGE: Duration = Duration::from_secs(10);
pub const IDLE: Duration = Duration::from_secs(120);
pub const MAX_ROWS: usize = 120_000;

/// Every credential of one environment, sorted by path.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub rows: Vec<CredentialSummary>,
}

/// Which listing a request may be answered from.
#[derive(Debug, Clone, Copy)]
pub enum Want {
    /// Any that [`Freshness`] allows to serve.
    Servable,
    /// Only one whose SCAN started at or after this instant (a list request's first
    /// page: what it shows is current).
    ScannedSince(Instant),
}

/// How a cached listing of this age may be used.
#[derive(Debug, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// Serve it, and refresh it in the background.
    Stale,
    Expired,
}

impl Freshness {
    pub fn of(age: Duration) -> Self {
        if age < FRESH {
            Self::Fresh
        } else if age < MAX_AGE {
            Self::Stale
        } else {
            Self::Expired
        }
    }
}

type Key = (String, String);

struct Entry {
    listing: Arc<Listing>,
    /// When its SCAN started: the listing is at least this new.
    scanned: Instant,
    /// When its SCAN ended: its age counts from here.
    fetched: Instant,
    used: Instant,
    refreshing: bool,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
}

impl Inner {
    fn rows(&self) -> usize {
        self.entries.values().map(|e| e.listing.rows.len()).sum()
    }

    /// Drops idle listings, then the least recently used until `room` more rows fit.
    fn make_room(&mut self, room: usize, now: Instant) {
        self.entries
            .retain(|_, e| now.saturating_duration_since(e.used) < IDLE);
        while self.rows() + room > MAX_ROWS {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.entries.remove(&oldest);
        }
    }
}

/// Shared by every request (it lives in `AppState`); cheap to clone.
#[derive(Clone, Default)]
pub struct ListingCache {
    inner: Arc<Mutex<Inner>>,
}

fn key(session: &Session, env: &EnvName) -> Key {
    (session.id.clone(), env.to_string())
}

impl ListingCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The listing: with [`Want::Servable`] from the cache when it may be served, with
    /// [`Want::ScannedSince`] only from a SCAN that started at or after that instant;
    /// else from a SCAN: the one in flight for the same token, or a new one.
    pub async fn listing(
        &self,
        bao: &Bao,
        session: &Session,
        env: &EnvName,
        want: Want,
    ) -> Result<Arc<Listing>, AppError> {
        let fits = |cache: &Self| match want {
            Want::Servable => cache.cached(bao, session, env, Instant::now()),
            Want::ScannedSince(t) => cache.scanned_since(session, env, t),
        };
        if let Some(listing) = fits(self) {
            return Ok(listing);
        }
        self.load(bao, session, env).await
    }

    fn scanned_since(&self, session: &Session, env: &EnvName, t: Instant) -> Option<Arc<Listing>> {
        let mut inner = self.lock();
        let entry = inner.entries.get_mut(&key(session, env))?;
        (entry.scanned >= t).then(|| {
            entry.used = Instant::now();
            entry.listing.clone()
        })
    }

    /// A listing that may be served now, if there is one; a stale one starts a refresh.
    pub fn cached(
        &self,
        bao: &Bao,
        session: &Session,
        env: &EnvName,
        now: Instant,
    ) -> Option<Arc<Listing>> {
        let k = key(session, env);
        let mut inner = self.lock();
        let entry = inner.entries.get_mut(&k)?;
        let freshness = Freshness::of(now.saturating_duration_since(entry.fetched));
        if freshness == Freshness::Expired {
            return None;
        }
        entry.used = now;
        let listing = entry.listing.clone();
        if freshness == Freshness::Stale && !entry.refreshing {
            entry.refreshing = true;
            drop(inner);
            self.spawn_refresh(bao.clone(), session.clone(), env.clone());
        }
        Some(listing)
    }

    /// A SCAN (new, or the one in flight), cached when it fits. An error (403 once the
    /// token lost the right) drops what was cached.
    async fn load(
        &self,
        bao: &Bao,
        session: &Session,
        env: &EnvName,
    ) -> Result<Arc<Listing>, AppError> {
        let result = scan_shared(bao, &session.token, env, OffsetDateTime::now_utc()).await;
        let k = key(session, env);
        match result {
            Ok(scanned) => {
                let started = scanned.started;
                let rows = Arc::unwrap_or_clone(scanned).rows;
                let listing = Arc::new(Listing { rows });
                self.insert(k, listing.clone(), started, Instant::now());
                Ok(listing)
            }
            Err(e) => {
                self.lock().entries.remove(&k);
                Err(e)
            }
        }
    }

    fn insert(&self, k: Key, listing: Arc<Listing>, scanned: Instant, now: Instant) {
        let mut inner = self.lock();
        inner.entries.remove(&k);
        let rows = listing.rows.len();
        if rows > MAX_ROWS {
            return;
        }
        inner.make_room(rows, now);
        inner.entries.insert(
            k,
            Entry {
                listing,
                scanned,
                fetched: now,
                used: now,
                refreshing: false,
            },
        );
    }

    fn spawn_refresh(&self, bao: Bao, session: Session, env: EnvName) {
        let cache = self.clone();
        tokio::spawn(async move {
            let k = key(&session, &env);
            // A logout while this waited leaves nothing behind.
            if cache.lock().entries.contains_key(&k) {
                // Errors are for the next request to meet; this one only drops the entry.
                let _ = cache.load(&bao, &session, &env).await;
            }
        });
    }

    /// A write through Crypter: its row changes in this session's listing at once.
    pub fn put_row(&self, session: &Session, env: &EnvName, row: CredentialSummary) {
        let k = key(session, env);
        let mut inner = self.lock();
        let Some(entry) = inner.entries.get_mut(&k) else {
            return;
        };
        let rows = &mut Arc::make_mut(&mut entry.listing).rows;
        match rows.binary_search_by(|r| r.path.as_str().cmp(row.path.as_str())) {
            Ok(i) => rows[i] = row,
            Err(i) => rows.insert(i, row),
        }
    }

    /// A logout: the session's listings go.
    pub fn forget_session(&self, session_id: &str) {
        self.lock().entries.retain(|(s, _), _| s != session_id);
    }

    /// Rows held, over every session (for tests and the memory figure).
    pub fn rows(&self) -> usize {
        self.lock().rows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::CredentialMetadata;

    fn row(path: &str) -> CredentialSummary {
        CredentialSummary {
            path: path.into(),
            metadata: CredentialMetadata::default(),
            current_version: 1,
            updated_time: String::new(),
            deleted: false,
            rotation_due: false,
        }
    }

    fn listing(n: usize) -> Arc<Listing> {
        Arc::new(Listing {
            rows: (0..n).map(|i| row(&format!("p{i:06}"))).collect(),
        })
    }

    fn k(s: &str) -> Key {
        (s.into(), "staging".into())
    }

    #[test]
    fn freshness_follows_age() {
        assert_eq!(Freshness::of(Duration::ZERO), Freshness::Fresh);
        assert_eq!(Freshness::of(FRESH), Freshness::Stale);
        assert_eq!(
            Freshness::of(MAX_AGE - Duration::from_millis(1)),
            Freshness::Stale
        );
        assert_eq!(Freshness::of(MAX_AGE), Freshness::Expired);
    }

    #[test]
    fn rows_stay_under_the_bound_least_recently_used_first() {
        let cache = ListingCache::default();
        let t0 = Instant::now();
        cache.insert(k("a"), listing(MAX_ROWS / 2), t0, t0);
        let t1 = t0 + Duration::from_secs(1);
        cache.insert(k("b"), listing(MAX_ROWS / 2), t1, t1);
        assert_eq!(cache.rows(), MAX_ROWS);
        let t2 = t0 + Duration::from_secs(2);
        cache.insert(k("c"), listing(10), t2, t2);
        let inner = cache.lock();
        assert!(!inner.entries.contains_key(&k("a")));
        assert!(inner.entries.contains_key(&k("b")) && inner.entries.contains_key(&k("c")));
        drop(inner);
        // Larger than the bound: not cached at all.
        let t3 = t0 + Duration::from_secs(3);
        cache.insert(k("d"), listing(MAX_ROWS + 1), t3, t3);
        assert!(!cache.lock().entries.contains_key(&k("d")));
    }

    fn session(id: &str) -> Session {
        Session {
            id: id.into(),
            token: secrecy::SecretString::from(String::new()),
            csrf_token: String::new(),
            username: "u".into(),
            method: "token".into(),
            policies: vec![],
            expires_at: None,
            ends_at: None,
            entity_id: None,
            keep_token: false,
        }
    }

    #[tokio::test]
    async fn a_listing_ages_from_the_end_of_its_scan() {
        let cache = ListingCache::default();
        let bao = Bao::new("http://127.0.0.1:9").unwrap();
        let (s, env) = (session("a"), EnvName::parse("staging").unwrap());
        let t0 = Instant::now();
        // A SCAN of 100,000 entries can outlast MAX_AGE; it is not born expired.
        let ended = t0 + MAX_AGE + Duration::from_secs(20);
        cache.insert(key(&s, &env), listing(3), t0, ended);
        let at = ended + Duration::from_secs(1);
        assert!(cache.cached(&bao, &s, &env, at).is_some());
        assert!(cache.cached(&bao, &s, &env, ended + MAX_AGE).is_none());
        // "Scanned since" counts from its start: a request made after the SCAN began
        // does not take it as current.
        assert!(cache.scanned_since(&s, &env, t0).is_some());
        assert!(cache
            .scanned_since(&s, &env, t0 + Duration::from_millis(1))
            .is_none());
    }

    #[test]
    fn idle_listings_are_dropped() {
        let cache = ListingCache::default();
        let t0 = Instant::now();
        cache.insert(k("a"), listing(3), t0, t0);
        cache.insert(k("b"), listing(3), t0 + IDLE, t0 + IDLE);
        assert_eq!(cache.rows(), 3);
    }
}
