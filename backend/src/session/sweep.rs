//! Ending sessions nobody comes back to: every instance, once a minute, reads every
//! session record and ends those whose time is up (the token revoked, the record removed).
//! Ending one twice is harmless, so instances need not agree on who sweeps.

use super::record::SessionRecord;
use super::store::{revoke, SessionStore};
use crate::clock::unix;
use crate::error::AppError;
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use std::time::Duration;

impl SessionStore {
    /// End every session whose time is up, on every instance's behalf: revoke the token,
    /// remove the record. Returns how many ended. Runs every minute on each instance.
    pub async fn sweep(&self) -> Result<usize, AppError> {
        let keys = self.records.list("sessions").await?;
        let now = unix(self.now());
        let ended = stream::iter(keys)
            .map(|hash| async move { self.sweep_one(&hash, now).await })
            .buffer_unordered(8)
            .filter(|ended| std::future::ready(*ended))
            .count()
            .await;
        Ok(ended)
    }

    async fn sweep_one(&self, hash: &str, now: u64) -> bool {
        let key = format!("sessions/{hash}");
        let Ok(Some((data, _))) = self.records.read(&key).await else {
            return false;
        };
        let Ok(r) = serde_json::from_value::<SessionRecord>(data) else {
            return false;
        };
        let last_seen = self
            .cached(hash)
            .map_or(r.last_seen, |c| c.last_seen.max(r.last_seen));
        if now < self.lifetimes.end(&r, last_seen) {
            return false;
        }
        if !r.keep_token {
            match self.records.open(hash, &r.token).await {
                Ok(plain) => {
                    let token = SecretString::from(String::from_utf8_lossy(&plain).into_owned());
                    if let Err(e) = revoke(&self.records, &token).await {
                        tracing::warn!(error = %e, "could not revoke an ended session's token");
                        return false;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not open an ended session's token"),
            }
        }
        self.drop_cached(hash);
        self.records.remove(&key).await.is_ok()
    }

    /// Run [`Self::sweep`] every minute until the task is aborted.
    pub fn spawn_sweeper(&self) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match store.sweep().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(sessions = n, "ended idle or expired sessions"),
                    Err(e) => tracing::warn!(error = %e, "sweeping sessions"),
                }
            }
        })
    }
}
