//! Counters the caller can read, e.g. to export as metrics.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub logins: AtomicU64,
    pub login_failures: AtomicU64,
    pub store_reads: AtomicU64,
    pub store_failures: AtomicU64,
    pub cache_hits: AtomicU64,
    pub stale_served: AtomicU64,
    pub errors: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            logins: get(&self.logins),
            login_failures: get(&self.login_failures),
            store_reads: get(&self.store_reads),
            store_failures: get(&self.store_failures),
            cache_hits: get(&self.cache_hits),
            stale_served: get(&self.stale_served),
            errors: get(&self.errors),
        }
    }
}

/// A snapshot of the client's counters since it was built. All counters only grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Successful AppRole logins.
    pub logins: u64,
    /// AppRole logins that failed (store unreachable, or credentials refused).
    pub login_failures: u64,
    /// Reads that reached the store and got an answer.
    pub store_reads: u64,
    /// Reads that failed because the store could not answer.
    pub store_failures: u64,
    /// `get`s answered from the cache while it was fresh.
    pub cache_hits: u64,
    /// `get`s answered with a stale value because the store or the login failed.
    pub stale_served: u64,
    /// `get`s that returned an error.
    pub errors: u64,
}
