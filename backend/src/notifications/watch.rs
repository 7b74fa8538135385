//! The freeze watcher: turns the freeze record and the audit feed into product events,
//! `freeze.start`, `freeze.thaw` and `freeze.breach`, whoever froze or thawed and however
//! (console, CLI, runbook). One instance watches at a time (a lease, like a
//! subscription's); what it has announced is a record of its own, so a restart or another
//! instance goes on from there and announces each freeze, thaw and breach once.

use super::lease::Hold;
use super::state::Cursor;
use super::CURSORS;
use crate::activity::{frozen, nanos_of, AuditFeed};
use crate::error::AppError;
use crate::freeze::FreezeRecord;
use crate::records::{ProductEvent, Records};
use crypter_api::FreezeLevel as Level;
use crypter_api::{ActivityAction, ActivityEvent};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The watcher's lease and record names (no subscription id looks like them).
const NAME: &str = "watch-freeze";

/// The freeze record, under `crypter/data/`.
const STATE_KEY: &str = "freeze/state";

/// Breaches announced per round, at most.
const BATCH: usize = 500;

/// What has been announced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Announced {
    /// The `since` of the freeze last announced, its level, its frozen path patterns and
    /// the policies it wrote (the record loses them at the thaw).
    since: Option<String>,
    level: Option<Level>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    policies: Vec<String>,
    /// The time of the thaw last announced.
    thaw_at: Option<String>,
    /// Every breach up to here is announced.
    breaches: Option<Cursor>,
}

/// Start watching; abort the handle to stop.
pub fn spawn(feed: AuditFeed, records: Records, tick: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let holder = crate::notifications::lease::holder();
        let mut lease = Hold::new(NAME, &holder, 30);
        loop {
            if matches!(lease.ensure(&records).await, Ok(true)) {
                if let Err(e) = round(&feed, &records, tick).await {
                    tracing::warn!(error = %e, "freeze watcher: round failed; trying again");
                }
            }
            tokio::time::sleep(tick).await;
        }
    })
}

async fn round(feed: &AuditFeed, records: &Records, settle: Duration) -> Result<(), AppError> {
    let key = format!("{CURSORS}/{NAME}");
    let record = match records.read(STATE_KEY).await? {
        Some((data, _)) if !data.is_null() => serde_json::from_value(data).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "freeze watcher: the freeze record does not decode");
            FreezeRecord::none()
        }),
        _ => FreezeRecord::none(),
    };
    let Some((data, _)) = records.read(&key).await? else {
        // First watch of this store: what is there now is the start, not news.
        let now = crate::clock::now_rfc3339();
        let mut start = Announced {
            thaw_at: record.last_thaw.as_ref().map(|t| t.at.clone()),
            ..Announced::default()
        };
        if record.level != Level::None {
            start.started(&record);
        }
        start.breaches = Some(Cursor::at_creation(&now));
        return save(records, &key, &start).await;
    };
    let mut done: Announced = serde_json::from_value(data).unwrap_or_default();
    let before = done.clone();
    feed.catch_up().await;
    let settled = time::OffsetDateTime::now_utc().unix_timestamp_nanos()
        - i128::try_from(settle.as_nanos()).unwrap_or_default();
    // The window announced last: its breaches up to its thaw, then the thaw.
    let thaw = record
        .last_thaw
        .as_ref()
        .filter(|t| done.thaw_at.as_ref() != Some(&t.at));
    let frozen_now = record.level != Level::None;
    let same_freeze = frozen_now && record.since == done.since;
    if done.since.is_some() {
        let (until, thawer) = match thaw {
            Some(t) if !same_freeze => (nanos_of(&t.at), Some(t.by.as_str())),
            _ => (Some(settled), None),
        };
        breaches(feed, records, &mut done, until, thawer).await;
    }
    if let Some(t) = thaw.filter(|_| !same_freeze) {
        // A freeze that began and ended between two looks is announced by its thaw alone.
        let level = done.level.map_or("freeze", |l| l.as_str());
        emit(records, ActivityAction::FreezeThaw, &t.by, level).await;
        done = Announced {
            thaw_at: Some(t.at.clone()),
            breaches: done.breaches,
            ..Announced::default()
        };
    }
    if frozen_now && record.since != done.since {
        let by = record.by.as_deref().unwrap_or("unknown");
        emit(
            records,
            ActivityAction::FreezeStart,
            by,
            record.level.as_str(),
        )
        .await;
        done.started(&record);
        breaches(feed, records, &mut done, Some(settled), None).await;
    }
    if done != before {
        save(records, &key, &done).await?;
    }
    Ok(())
}

impl Announced {
    /// `record`'s freeze is announced: its breaches are looked for from its start.
    fn started(&mut self, record: &FreezeRecord) {
        self.since = record.since.clone();
        self.level = Some(record.level);
        self.patterns = record.patterns();
        self.policies = record.written.keys().cloned().collect();
        let from = record
            .since
            .as_deref()
            .and_then(nanos_of)
            .unwrap_or_default();
        self.breaches = Some(Cursor {
            nanos: from,
            id: String::new(),
        });
    }

    /// A thaw's own write: `thawer` putting back a policy this freeze wrote.
    fn thawing(&self, e: &ActivityEvent, thawer: Option<&str>) -> bool {
        let policy = e.path.strip_prefix("sys/policies/acl/");
        thawer == Some(e.actor.as_str())
            && e.purpose.as_deref() == Some("thaw")
            && policy.is_some_and(|p| self.policies.iter().any(|w| w == p))
    }
}

/// Announce the writes that got through the announced freeze after the cursor, up to
/// `until`; a thaw by `thawer` ends the window.
async fn breaches(
    feed: &AuditFeed,
    records: &Records,
    done: &mut Announced,
    until: Option<i128>,
    thawer: Option<&str>,
) {
    let since = done.since.as_deref().and_then(nanos_of).unwrap_or_default();
    let at = done.breaches.clone().unwrap_or(Cursor {
        nanos: since,
        id: String::new(),
    });
    let backend = format!("approle:{}", crate::bootstrap::BACKEND_ROLE);
    let writes = frozen::through(
        feed,
        &done.patterns,
        at.nanos.max(since),
        until,
        BATCH,
        |e: &ActivityEvent| {
            nanos_of(&e.time).is_some_and(|n| at.before(n, &e.id))
                && e.actor != backend
                && frozen::job_of(e).is_none()
                && !done.thawing(e, thawer)
        },
    );
    for w in writes {
        let target = match &w.environment {
            Some(env) => w
                .target
                .strip_prefix(&format!("{env}/"))
                .unwrap_or(&w.target),
            None => w.target.as_str(),
        };
        let event = ProductEvent {
            action: ActivityAction::FreezeBreach,
            environment: w.environment.clone(),
            actor: w.actor.clone(),
            target: target.to_owned(),
            detail: None,
        };
        records.emit(event).await;
        done.breaches = Some(Cursor {
            nanos: nanos_of(&w.time).unwrap_or_default(),
            id: w.id.clone(),
        });
    }
}

async fn emit(records: &Records, action: ActivityAction, actor: &str, target: &str) {
    let event = ProductEvent {
        action,
        environment: None,
        actor: actor.to_owned(),
        target: target.to_owned(),
        detail: None,
    };
    records.emit(event).await;
}

async fn save(records: &Records, key: &str, done: &Announced) -> Result<(), AppError> {
    let data = serde_json::to_value(done).map_err(anyhow::Error::from)?;
    records.write(key, &data, None).await?;
    Ok(())
}
