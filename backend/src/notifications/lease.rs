//! A lease per subscription at `crypter/data/notifications/leases/<id>`, like the apply
//! lock (`changesets/lock.rs`): written with check-and-set, it names the instance that
//! delivers and carries a heartbeat; another instance takes it over once the heartbeat is
//! older than `stale_after`. So several instances over one store deliver each event once.

use super::LEASES;
use crate::bao::kv::KvError;
use crate::changesets::lock::{host, now_secs};
use crate::error::AppError;
use crate::records::Records;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Lease {
    holder: String,
    host: String,
    heartbeat: u64,
}

/// This instance's name on the leases it takes: its host and a random part, so two
/// instances on one host differ (and a restart is a new holder).
pub fn holder() -> String {
    format!("{} {}", host(), crate::session::random_token())
}

/// One instance's hold on one subscription's lease.
pub struct Hold {
    key: String,
    holder: String,
    stale_after: u64,
    /// The KV version we last wrote, and when; `None` while not held.
    held: Option<(u64, u64)>,
}

impl Hold {
    pub fn new(subscription: &str, holder: &str, stale_after: u64) -> Self {
        Self {
            key: format!("{LEASES}/{subscription}"),
            holder: holder.to_owned(),
            stale_after,
            held: None,
        }
    }

    /// Take or renew the lease; `false` when another live instance holds it. Renews only
    /// when a third of `stale_after` has passed, so a busy delivery writes little.
    pub async fn ensure(&mut self, records: &Records) -> Result<bool, AppError> {
        let now = now_secs();
        if let Some((_, at)) = self.held {
            if now.saturating_sub(at) * 3 < self.stale_after {
                return Ok(true);
            }
        }
        let current = records.read(&self.key).await?;
        let cas = match &current {
            None => 0,
            Some((data, v)) => {
                let lease: Option<Lease> = serde_json::from_value(data.clone()).ok();
                let mine = self.held.is_some_and(|(held, _)| held == *v)
                    && lease.as_ref().is_some_and(|l| l.holder == self.holder);
                let stale =
                    lease.is_none_or(|l| now.saturating_sub(l.heartbeat) > self.stale_after);
                if !mine && !stale {
                    self.held = None;
                    return Ok(false);
                }
                *v
            }
        };
        let lease = json!({ "holder": self.holder, "host": host(), "heartbeat": now });
        match records.write(&self.key, &lease, Some(cas)).await {
            Ok(v) => {
                self.held = Some((v, now));
                Ok(true)
            }
            Err(KvError::CasFailed { .. }) => {
                self.held = None;
                Ok(false)
            }
            Err(e) => {
                self.held = None;
                Err(e.into())
            }
        }
    }

    /// Whether we hold it as far as we know (without asking the store).
    pub fn held(&self) -> bool {
        self.held.is_some()
    }
}
