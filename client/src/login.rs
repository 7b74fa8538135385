//! The memoized AppRole token: re-login ahead of expiry, single-flight, and keeping the old
//! token while it lasts when a re-login fails.

use crate::clock::Clock;
use crate::stats::Counters;
use crate::transport::Transport;
use crate::{Config, Error};
use secrecy::SecretString;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// A token the client holds, with the times it computed for it on its own clock.
#[derive(Debug)]
pub(crate) struct Token {
    pub secret: SecretString,
    pub renew_at: SystemTime,
    pub expires_at: SystemTime,
}

#[derive(Default)]
struct Flight {
    /// Bumped after every completed login attempt, successful or not.
    generation: u64,
    /// The last failed login and when it failed (on the client's clock).
    last_failure: Option<(SystemTime, Error)>,
}

pub(crate) struct Auth {
    current: Mutex<Option<Arc<Token>>>,
    flight: tokio::sync::Mutex<Flight>,
    generation: AtomicU64,
}

/// What [`Auth::token`] needs from the client.
pub(crate) struct Ctx<'a> {
    pub config: &'a Config,
    pub clock: &'a dyn Clock,
    pub transport: &'a Transport,
    pub counters: &'a Counters,
}

impl Auth {
    pub fn new() -> Self {
        Self {
            current: Mutex::new(None),
            flight: tokio::sync::Mutex::new(Flight::default()),
            generation: AtomicU64::new(0),
        }
    }

    fn current(&self) -> Option<Arc<Token>> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A token to read with. Logs in when there is none, when the renewal time has come, or
    /// when `stale` is the token the store just refused. Concurrent callers share one login.
    pub async fn token(
        &self,
        ctx: &Ctx<'_>,
        stale: Option<&Arc<Token>>,
    ) -> Result<Arc<Token>, Error> {
        let usable = |t: &Arc<Token>, now: SystemTime| {
            now < t.renew_at && stale.is_none_or(|s| !Arc::ptr_eq(s, t))
        };
        if let Some(t) = self.current() {
            if usable(&t, ctx.clock.now()) {
                return Ok(t);
            }
        }
        let seen = self.generation.load(Ordering::Acquire);
        let mut flight = self.flight.lock().await;
        let now = ctx.clock.now();
        let current = self.current();
        if let Some(t) = current.as_ref().filter(|t| usable(t, now)) {
            return Ok(t.clone());
        }
        if let Some((at, err)) = &flight.last_failure {
            // A login finished while this caller waited, or failed very recently: share its
            // outcome instead of hammering a store that is down or refusing us.
            let recent = now < *at + ctx.config.login_backoff;
            if flight.generation != seen || recent {
                return self.keep_or_fail(current, stale, now, err.clone());
            }
        }
        let result = ctx
            .transport
            .login(
                &ctx.config.approle_mount,
                &ctx.config.role_id,
                &ctx.config.secret_id,
            )
            .await;
        flight.generation += 1;
        self.generation.store(flight.generation, Ordering::Release);
        match result {
            Ok(reply) => {
                Counters::bump(&ctx.counters.logins);
                let obtained = ctx.clock.now();
                let token = Arc::new(Token {
                    secret: reply.token,
                    renew_at: obtained + renew_after(ctx.config, reply.ttl),
                    expires_at: if reply.ttl.is_zero() {
                        obtained + Duration::from_secs(100 * 365 * 24 * 3600)
                    } else {
                        obtained + reply.ttl
                    },
                });
                tracing::info!(
                    ttl_s = reply.ttl.as_secs(),
                    "crypter-client logged in with AppRole"
                );
                flight.last_failure = None;
                *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
                Ok(token)
            }
            Err(err) => {
                Counters::bump(&ctx.counters.login_failures);
                tracing::warn!(error = %err, "crypter-client AppRole login failed");
                flight.last_failure = Some((ctx.clock.now(), err.clone()));
                self.keep_or_fail(current, stale, now, err)
            }
        }
    }

    /// After a failed login: the old token still serves until it expires, unless the store
    /// already refused it.
    fn keep_or_fail(
        &self,
        current: Option<Arc<Token>>,
        stale: Option<&Arc<Token>>,
        now: SystemTime,
        err: Error,
    ) -> Result<Arc<Token>, Error> {
        match current {
            Some(t) if now < t.expires_at && stale.is_none_or(|s| !Arc::ptr_eq(s, &t)) => {
                tracing::warn!("crypter-client keeps its current token until it expires");
                Ok(t)
            }
            _ => Err(err),
        }
    }
}

/// Two-thirds of the TTL or the configured interval, whichever is first, less a random
/// share (the jitter) of it.
fn renew_after(config: &Config, ttl: Duration) -> Duration {
    let base = if ttl.is_zero() {
        config.relogin_interval
    } else {
        (ttl * 2 / 3).min(config.relogin_interval)
    };
    base.mul_f64(1.0 - config.jitter * random_unit())
}

/// A number in [0, 1) from the standard library's randomly seeded hasher; jitter needs no
/// cryptographic quality.
fn random_unit() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_takes_the_earlier_of_two_thirds_ttl_and_interval() {
        let config = Config::new("http://x", "r", "s".into()).jitter(0.0);
        assert_eq!(
            renew_after(&config, Duration::from_secs(3600)),
            Duration::from_secs(300)
        );
        assert_eq!(
            renew_after(&config, Duration::from_secs(60)),
            Duration::from_secs(40)
        );
        assert_eq!(
            renew_after(&config, Duration::ZERO),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn jitter_only_shortens_the_delay_within_its_fraction() {
        let config = Config::new("http://x", "r", "s".into()).jitter(0.2);
        for _ in 0..200 {
            let d = renew_after(&config, Duration::from_secs(3600));
            assert!(d <= Duration::from_secs(300));
            assert!(d >= Duration::from_secs(240));
        }
    }
}
