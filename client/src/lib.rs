//! `crypter-client`: the library services use to read credentials from Crypter's store
//! (OpenBao), built for the day the store is partly unreachable.
//!
//! - It logs in with AppRole and memoizes the token. It logs in again ahead of time, at
//!   two-thirds of the token's TTL or every [`Config::relogin_interval`] (5 minutes by
//!   default), whichever comes first, less a random jitter.
//! - Concurrent callers share one login in flight: a hundred `get`s after the token ran out
//!   make one login.
//! - [`Client::get`] caches what it read for [`Config::cache_ttl`]. When the store or the
//!   login fails, it serves the last good value marked [`Freshness::Stale`], up to
//!   [`Config::max_staleness`]; after that it returns [`Error::TooStale`].
//! - [`Client::spawn_refresher`] does the re-login in the background, so reads never wait.
//! - It reports through `tracing` and through counters ([`Client::stats`]).
//! - [`Client::encrypt`], [`Client::decrypt`], [`Client::sign`], [`Client::verify`] and
//!   [`Client::hmac`] use an environment's keys on OpenBao's transit engine; keys never
//!   leave the store.
//! - It never panics; every failure is an [`Error`].
//!
//! ```no_run
//! # async fn run() -> Result<(), crypter_client::Error> {
//! use crypter_client::{Client, Config, Freshness};
//!
//! let config = Config::new("http://127.0.0.1:8200", "role-id", "secret-id".to_owned());
//! let client = Client::new(config)?;
//! let db = client.get("production", "billing/db").await?;
//! if let Freshness::Stale { since } = db.freshness {
//!     eprintln!("serving a value last confirmed at {since:?}");
//! }
//! let _password = db.get("password");
//! # Ok(()) }
//! ```

mod clock;
mod config;
mod error;
mod keys;
mod login;
mod stats;
mod transport;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Config;
pub use error::Error;
pub use keys::KeyOp;
pub use stats::Stats;

use crypter_api::{CredentialPath, EnvName};
use login::{Auth, Ctx};
use stats::Counters;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use transport::Transport;

/// Whether a value comes straight from the store or stands in for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Read from the store within the cache TTL.
    Fresh,
    /// The store or the login failed; this is the last good value, which the store last
    /// confirmed at `since`.
    Stale { since: SystemTime },
}

/// A credential's value: a map of string keys to string values. Its `Debug` output lists
/// the keys only, never the values.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    pub data: BTreeMap<String, String>,
    /// The KV version the value was read at.
    pub version: u64,
    pub freshness: Freshness,
}

impl Secret {
    /// One field of the value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.data.get(key).map(String::as_str)
    }

    pub fn is_stale(&self) -> bool {
        matches!(self.freshness, Freshness::Stale { .. })
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("keys", &self.data.keys().collect::<Vec<_>>())
            .field("version", &self.version)
            .field("freshness", &self.freshness)
            .finish()
    }
}

struct Cached {
    data: BTreeMap<String, String>,
    version: u64,
    confirmed_at: SystemTime,
}

struct Inner {
    config: Config,
    clock: Arc<dyn Clock>,
    transport: Transport,
    counters: Counters,
    auth: Auth,
    cache: Mutex<HashMap<(String, String), Arc<Cached>>>,
}

/// The client. Cheap to clone; clones share the token, the cache and the counters.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("addrs", &self.inner.config.addrs)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client on the wall clock. It does not log in until the first `get` (or [`Client::login`]).
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// A client on the given clock, e.g. a [`ManualClock`] in tests.
    pub fn with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<Self, Error> {
        config.validate()?;
        let transport = Transport::new(&config.addrs, config.request_timeout)?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                clock,
                transport,
                counters: Counters::default(),
                auth: Auth::new(),
                cache: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Log in now (if the memoized token is missing or due), e.g. to fail fast at start-up.
    pub async fn login(&self) -> Result<(), Error> {
        self.inner.auth.token(&self.ctx(), None).await.map(drop)
    }

    /// Keep the token fresh in the background, so that a `get` never waits for a login:
    /// every `check_every` (of real time), log in again if the renewal time has come. The
    /// task ends when every clone of the client is dropped, or when the handle is aborted.
    /// Needs a Tokio runtime.
    pub fn spawn_refresher(&self, check_every: Duration) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(check_every).await;
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let client = Client { inner };
                if let Err(e) = client.login().await {
                    tracing::debug!(error = %e, "crypter-client background re-login failed");
                }
            }
        })
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.inner.counters.snapshot()
    }

    /// The credential at `path` in environment `env` (the KV v2 mount `env/<env>/`).
    ///
    /// Served from the cache while it is fresh. When the store or the login fails it serves
    /// the last good value as [`Freshness::Stale`] up to the maximum staleness. A definite
    /// answer from the store (not found, forbidden) is never covered up by a stale value.
    pub async fn get(&self, env: &str, path: &str) -> Result<Secret, Error> {
        let result = self.get_inner(env, path).await;
        if result.is_err() {
            Counters::bump(&self.inner.counters.errors);
        }
        result
    }

    async fn get_inner(&self, env: &str, path: &str) -> Result<Secret, Error> {
        let env = EnvName::parse(env).map_err(|e| Error::Config(e.message))?;
        let path = CredentialPath::parse(path).map_err(|e| Error::Config(e.message))?;
        let key = (env.as_str().to_owned(), path.as_str().to_owned());
        let inner = &self.inner;
        let cached = inner
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        let now = inner.clock.now();
        if let Some(c) = &cached {
            if clock::elapsed(c.confirmed_at, now) < inner.config.cache_ttl {
                Counters::bump(&inner.counters.cache_hits);
                return Ok(secret(c, Freshness::Fresh));
            }
        }
        match self.fetch(&key.0, &key.1).await {
            Ok(Some(value)) => {
                let fresh = Arc::new(Cached {
                    data: value.data,
                    version: value.version,
                    confirmed_at: inner.clock.now(),
                });
                self.cache_put(key, Some(fresh.clone()));
                Ok(secret(&fresh, Freshness::Fresh))
            }
            Ok(None) => {
                self.cache_put(key.clone(), None);
                Err(Error::NotFound {
                    env: key.0,
                    path: key.1,
                })
            }
            Err(err) if err.allows_stale() => self.stale_or_fail(&key, cached, err),
            Err(err) => {
                self.cache_put(key, None);
                Err(err)
            }
        }
    }

    fn stale_or_fail(
        &self,
        key: &(String, String),
        cached: Option<Arc<Cached>>,
        err: Error,
    ) -> Result<Secret, Error> {
        let inner = &self.inner;
        let Some(c) = cached else {
            return Err(err);
        };
        let age = clock::elapsed(c.confirmed_at, inner.clock.now());
        if age <= inner.config.max_staleness {
            Counters::bump(&inner.counters.stale_served);
            tracing::warn!(env = %key.0, path = %key.1, age_s = age.as_secs(), error = %err,
                "crypter-client serves a stale value");
            return Ok(secret(
                &c,
                Freshness::Stale {
                    since: c.confirmed_at,
                },
            ));
        }
        tracing::error!(env = %key.0, path = %key.1, age_s = age.as_secs(), error = %err,
            "crypter-client's cached value is too stale to serve");
        Err(Error::TooStale {
            env: key.0.clone(),
            path: key.1.clone(),
            since: c.confirmed_at,
            age,
            max: inner.config.max_staleness,
            cause: Box::new(err),
        })
    }

    /// One read from the store. If the store refuses the token itself (revoked, expired
    /// early), log in again and retry once.
    async fn fetch(&self, env: &str, path: &str) -> Result<Option<transport::KvValue>, Error> {
        let inner = &self.inner;
        let ctx = self.ctx();
        let token = inner.auth.token(&ctx, None).await?;
        let result = match inner.transport.read_kv(&token.secret, env, path).await {
            Err(Error::Forbidden { .. }) if !inner.transport.token_alive(&token.secret).await => {
                tracing::info!("crypter-client's token was refused; logging in again");
                let token = inner.auth.token(&ctx, Some(&token)).await?;
                inner.transport.read_kv(&token.secret, env, path).await
            }
            other => other,
        };
        match &result {
            Ok(_) | Err(Error::Forbidden { .. }) => Counters::bump(&inner.counters.store_reads),
            Err(_) => Counters::bump(&inner.counters.store_failures),
        }
        result
    }

    fn cache_put(&self, key: (String, String), value: Option<Arc<Cached>>) {
        let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        match value {
            Some(v) => cache.insert(key, v),
            None => cache.remove(&key),
        };
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            config: &self.inner.config,
            clock: self.inner.clock.as_ref(),
            transport: &self.inner.transport,
            counters: &self.inner.counters,
        }
    }
}

fn secret(c: &Cached, freshness: Freshness) -> Secret {
    Secret {
        data: c.data.clone(),
        version: c.version,
        freshness,
    }
}
