//! Bypassed approval: admins keep their rights, and anyone with a token can go straight
//! to OpenBao, so every change to a ruled environment that no approved request made is
//! found in the audit log (as writes through a freeze are) and listed on the environment;
//! a watcher records each as an `approval.bypass` event, once, for notifications. The
//! carrier's own writes count as approved only where an applied request names the path.

use super::requests;
use super::RULES;
use crate::activity::{frozen, nanos_of, AuditFeed};
use crate::notifications::lease::Hold;
use crate::notifications::state::{self, Cursor};
use crate::records::{ProductEvent, Records};
use crypter_api::{ActivityAction, ActivityEvent, ApprovalRule, RequestState, RequestedChange};
use std::collections::HashSet;
use std::time::Duration;

/// At most this many writes are listed (and announced per round).
pub const MAX_LISTED: usize = 1_000;

/// The paths of an environment's credentials and keys that change something.
pub fn patterns(env: &str) -> Vec<String> {
    let mut out: Vec<String> = ["data", "metadata", "delete", "undelete", "destroy"]
        .iter()
        .map(|kind| format!("env/{env}/{kind}/*"))
        .collect();
    out.push(format!("transit/{env}/keys/*"));
    out
}

/// The paths (inside `env`) that applied requests changed.
pub async fn applied_paths(
    records: &Records,
    env: &str,
) -> Result<HashSet<String>, crate::error::AppError> {
    // Applied is final: the time does not matter.
    let now = crate::clock::now_rfc3339();
    Ok(requests::all(records)
        .await?
        .into_iter()
        .filter(|l| {
            l.stored.environment == env && requests::state(l, &now) == RequestState::Applied
        })
        .filter_map(|l| match &l.stored.change {
            RequestedChange::KeyRotate { key } | RequestedChange::KeyConfigure { key, .. } => {
                Some(key.clone())
            }
            other => other.path().map(str::to_owned),
        })
        .collect())
}

/// Changes to `env` from `from` (Unix nanoseconds) on that no approved request made,
/// oldest first, that `also` keeps.
pub fn list(
    feed: &AuditFeed,
    env: &str,
    from: i128,
    applied: &HashSet<String>,
    also: impl Fn(&ActivityEvent) -> bool,
) -> Vec<ActivityEvent> {
    let carrier = format!("approle:{}", crate::bootstrap::CARRIER_ROLE);
    let backend = format!("approle:{}", crate::bootstrap::BACKEND_ROLE);
    frozen::through(feed, &patterns(env), from, None, MAX_LISTED, |e| {
        let inside = e
            .target
            .strip_prefix(&format!("{env}/"))
            .unwrap_or(&e.target);
        let approved = e.actor == carrier && applied.contains(inside);
        !approved && e.actor != backend && also(e)
    })
}

/// Watch every ruled environment and record each bypass as an event, once (a lease, and a
/// cursor per environment).
pub fn spawn(feed: AuditFeed, records: Records, tick: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let holder = crate::notifications::lease::holder();
        let mut lease = Hold::new("approvals-bypass", &holder, 30);
        loop {
            tokio::time::sleep(tick).await;
            if !matches!(lease.ensure(&records).await, Ok(true)) {
                continue;
            }
            if let Err(e) = round(&feed, &records, tick).await {
                tracing::warn!(error = %e, "bypass watcher: round failed; trying again");
            }
        }
    })
}

async fn round(
    feed: &AuditFeed,
    records: &Records,
    settle: Duration,
) -> Result<(), crate::error::AppError> {
    let envs = records.list(RULES).await?;
    if envs.is_empty() {
        return Ok(());
    }
    feed.catch_up().await;
    let settled = time::OffsetDateTime::now_utc().unix_timestamp_nanos()
        - i128::try_from(settle.as_nanos()).unwrap_or_default();
    for env in envs {
        let Some((data, _)) = records.read(&format!("{RULES}/{env}")).await? else {
            continue;
        };
        let Ok(rule) = serde_json::from_value::<ApprovalRule>(data) else {
            continue;
        };
        let Some(since) = rule.set_at.as_deref().and_then(nanos_of) else {
            continue;
        };
        let name = format!("bypass-{env}");
        let at = state::read_cursor(records, &name)
            .await?
            .filter(|c| c.nanos >= since)
            .unwrap_or(Cursor {
                nanos: since,
                id: String::new(),
            });
        let applied = applied_paths(records, &env).await?;
        let writes = list(feed, &env, at.nanos, &applied, |e| {
            nanos_of(&e.time).is_some_and(|n| at.before(n, &e.id) && n <= settled)
        });
        let Some(last) = writes.last() else {
            continue;
        };
        let next = Cursor {
            nanos: nanos_of(&last.time).unwrap_or_default(),
            id: last.id.clone(),
        };
        for w in &writes {
            let target = w
                .target
                .strip_prefix(&format!("{env}/"))
                .unwrap_or(&w.target);
            records
                .emit(ProductEvent {
                    action: ActivityAction::ApprovalBypass,
                    environment: Some(env.clone()),
                    actor: w.actor.clone(),
                    target: target.to_owned(),
                    detail: None,
                })
                .await;
        }
        state::write_cursor(records, &name, &next).await?;
    }
    Ok(())
}
