//! Identical reads in flight share one request: a second list of the same environment
//! with the same token, while the first one's SCAN is still running, waits for that SCAN
//! and takes its answer instead of asking OpenBao again.
//!
//! - Shared only between callers with the same token: OpenBao decides what each token may
//!   see. The key holds a salted hash of the token (the salt is this process's own), never
//!   the token, and is never logged.
//! - The handle's purpose and whether it reads from the leader are part of the key too: a
//!   plan's read never takes a standby's answer, an audit line never names another purpose.
//! - A write sent through this process, with any token, closes every open flight when it
//!   starts and again when it ends: a read that begins after a write was acknowledged
//!   never takes the answer of a request sent before it (read-your-writes holds).
//! - The request runs as long as one caller still waits for it; when the last one goes
//!   (its client hung up), the request is dropped and the next caller starts afresh.

use super::{Bao, BaoError};
use futures::future::{BoxFuture, FutureExt, Shared, WeakShared};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

type Answer = Result<Arc<dyn Any + Send + Sync>, BaoError>;
type Flight = Shared<BoxFuture<'static, Answer>>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    token: [u8; 32],
    what: String,
    kind: TypeId,
}

#[derive(Default)]
struct Open {
    next: u64,
    flights: HashMap<Key, (u64, WeakShared<BoxFuture<'static, Answer>>)>,
}

/// The open flights of one handle and its clones.
pub(super) struct Flights {
    salt: [u8; 32],
    open: Mutex<Open>,
}

impl std::fmt::Debug for Flights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flights")
            .field("open", &self.lock().flights.len())
            .finish_non_exhaustive()
    }
}

impl Default for Flights {
    fn default() -> Self {
        Self {
            salt: rand::random(),
            open: Mutex::default(),
        }
    }
}

impl Flights {
    fn lock(&self) -> MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn key<T: 'static>(&self, token: &SecretString, what: String) -> Key {
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update(token.expose_secret().as_bytes());
        Key {
            token: h.finalize().into(),
            what,
            kind: TypeId::of::<T>(),
        }
    }

    /// A write starts or ends: nothing asked before it is shared with what comes after.
    pub(super) fn close_all(&self) {
        let mut open = self.lock();
        if !open.flights.is_empty() {
            open.flights.clear();
        }
    }

    /// The open flight for `key`, or a new one running `start`.
    fn join_or_start(
        self: &Arc<Self>,
        key: Key,
        start: impl FnOnce() -> BoxFuture<'static, Answer>,
    ) -> Flight {
        let mut open = self.lock();
        if let Some(flight) = open.flights.get(&key).and_then(|(_, w)| w.upgrade()) {
            return flight;
        }
        open.next += 1;
        let id = open.next;
        let (flights, k) = (Arc::clone(self), key.clone());
        let run = start();
        let flight = async move {
            let answer = run.await;
            flights.finish(&k, id);
            answer
        }
        .boxed()
        .shared();
        if let Some(weak) = flight.downgrade() {
            // Flights whose callers all left are dropped here, as new ones open.
            open.flights.retain(|_, (_, w)| w.upgrade().is_some());
            open.flights.insert(key, (id, weak));
        }
        flight
    }

    fn finish(&self, key: &Key, id: u64) {
        let mut open = self.lock();
        if open
            .flights
            .get(key)
            .is_some_and(|(open_id, _)| *open_id == id)
        {
            open.flights.remove(key);
        }
    }
}

impl Bao {
    /// What `make` answers, shared with every identical call in flight at the same time:
    /// the same token, the same `what` (name the request: method and path), the same
    /// answer type, through a handle with the same purpose and leader reads. `make` runs
    /// only when no such call is in flight; it should read, never write.
    pub async fn shared<T, F, Fut>(
        &self,
        token: &SecretString,
        what: &str,
        make: F,
    ) -> Result<Arc<T>, BaoError>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, BaoError>> + Send + 'static,
    {
        let purpose = self.purpose.as_ref().map(|p| p.as_header().into_owned());
        // The index this caller's answer must be at (its session's last write, on any
        // instance): a read asked after a write made through another instance never takes
        // the answer of one asked before it.
        let index = self.required_index(super::consistency::RequestScope::current().as_deref());
        let what = format!("{what}\n{purpose:?}\n{}\n{index:?}", self.leader_reads);
        let key = self.flights.key::<T>(token, what);
        let flight = self.flights.join_or_start(key, || {
            make()
                .map(|r| r.map(|t| Arc::new(t) as Arc<dyn Any + Send + Sync>))
                .boxed()
        });
        let answer = flight.await?;
        answer
            .downcast::<T>()
            .map_err(|_| BaoError::Config("a shared answer had another type".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn bao() -> Bao {
        Bao::new("http://127.0.0.1:9").unwrap()
    }

    /// `n` concurrent calls as `token`; how many times the request itself ran.
    async fn calls(bao: &Bao, tokens: &[&str], what: &str) -> usize {
        let runs = Arc::new(AtomicUsize::new(0));
        let all = tokens.iter().map(|t| {
            let runs = runs.clone();
            let token = SecretString::from((*t).to_owned());
            async move {
                bao.shared(&token, what, || async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, BaoError>(7_u32)
                })
                .await
                .unwrap()
            }
        });
        let answers = futures::future::join_all(all).await;
        assert!(answers.iter().all(|a| **a == 7));
        runs.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn the_same_token_shares_other_tokens_do_not() {
        let bao = bao();
        assert_eq!(calls(&bao, &["a", "a", "a"], "SCAN x").await, 1);
        assert_eq!(calls(&bao, &["a", "b"], "SCAN x").await, 2);
        // Nothing stays open once answered: the next call asks again.
        assert_eq!(calls(&bao, &["a"], "SCAN x").await, 1);
        assert!(bao.flights.lock().flights.is_empty());
    }

    #[tokio::test]
    async fn other_requests_and_purposes_are_not_shared() {
        let bao = bao();
        let lint = bao.with_purpose(crate::bao::Purpose::Lint);
        let runs = Arc::new(AtomicUsize::new(0));
        let token = SecretString::from("t".to_owned());
        let call = |b: Bao, what: &'static str| {
            let (runs, token) = (runs.clone(), token.clone());
            async move {
                b.shared(&token, what, || async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, BaoError>(())
                })
                .await
            }
        };
        let (a, b, c) = tokio::join!(
            call(bao.clone(), "SCAN x"),
            call(lint, "SCAN x"),
            call(bao.from_leader(), "SCAN x")
        );
        let d = call(bao.clone(), "SCAN y").await;
        assert!(a.is_ok() && b.is_ok() && c.is_ok() && d.is_ok());
        assert_eq!(runs.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_write_closes_open_flights_and_errors_reach_every_caller() {
        let bao = bao();
        let token = SecretString::from("t".to_owned());
        let runs = Arc::new(AtomicUsize::new(0));
        let call = || {
            let (runs, token, bao) = (runs.clone(), token.clone(), bao.clone());
            async move {
                bao.shared(&token, "SCAN x", || async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(80)).await;
                    Err::<(), _>(BaoError::Electing)
                })
                .await
            }
        };
        let first = tokio::spawn(call());
        tokio::time::sleep(Duration::from_millis(20)).await;
        bao.flights.close_all();
        let (first, second) = tokio::join!(first, call());
        assert!(matches!(first.unwrap(), Err(BaoError::Electing)));
        assert!(matches!(second, Err(BaoError::Electing)));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_flight_whose_callers_left_is_not_joined() {
        let bao = bao();
        let token = SecretString::from("t".to_owned());
        let slow = bao.shared(&token, "SCAN x", || async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, BaoError>(1_u8)
        });
        // The caller gives up (its client hung up): the request goes with it.
        assert!(tokio::time::timeout(Duration::from_millis(20), slow)
            .await
            .is_err());
        let fast = bao
            .shared(&token, "SCAN x", || async { Ok::<_, BaoError>(2_u8) })
            .await
            .unwrap();
        assert_eq!(*fast, 2);
    }
}
