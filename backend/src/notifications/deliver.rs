//! The delivery loop, started beside the sweepers (`cli/serve.rs`): it never runs in a
//! request, so a slow receiver never slows the API. A manager lists the subscriptions
//! (as the backend's own identity) and keeps one worker per subscription; a worker holds
//! the subscription's lease, reads the feed from its cursor, and delivers each matching
//! event in order, retrying with backoff; after the last retry the event becomes a dead
//! letter and the cursor moves on. The cursor is written after each event, so a crash
//! delivers an event at most once more (receivers drop duplicates by `id`).

use super::lease::Hold;
use super::send;
use super::state::{self, Cursor};
use super::subscriptions::{self, Stored};
use crate::activity::{nanos_of, AuditFeed};
use crate::records::Records;
use crypter_api::{ActivityEvent, DeadLetter, Subscription};
use std::collections::HashMap;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use tokio::task::{AbortHandle, JoinSet};

/// How deliveries are paced. The defaults keep a receiver that is down for minutes from
/// losing anything: its events wait, in order, and go out once it answers again.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// How often an idle worker looks at the feed.
    pub tick: Duration,
    /// The waits between attempts of one event: one attempt more than waits.
    pub backoff: Vec<Duration>,
    /// Per attempt (connect and answer).
    pub timeout: Duration,
    /// A lease without a heartbeat for this long may be taken over (seconds).
    pub stale_after: u64,
    /// Events are delivered once they are this old: the audit log is written as
    /// requests end, so an older event may still land right behind a newer one.
    pub settle: Duration,
    /// Events read from the feed at once.
    pub batch: usize,
}

impl Default for Schedule {
    fn default() -> Self {
        let secs = [1, 2, 4, 8, 15, 30, 60, 60, 60, 60, 60];
        Self {
            tick: Duration::from_millis(250),
            backoff: secs.into_iter().map(Duration::from_secs).collect(),
            timeout: Duration::from_secs(10),
            stale_after: 30,
            settle: Duration::from_millis(750),
            batch: 500,
        }
    }
}

/// Start delivering for every subscription; abort the handle to stop (workers go too).
pub fn spawn(feed: AuditFeed, records: Records, schedule: Schedule) -> tokio::task::JoinHandle<()> {
    tokio::spawn(manage(feed, records, schedule))
}

async fn manage(feed: AuditFeed, records: Records, schedule: Schedule) {
    let holder = crate::notifications::lease::holder();
    let mut workers = JoinSet::new();
    let mut running: HashMap<String, AbortHandle> = HashMap::new();
    loop {
        while workers.try_join_next().is_some() {}
        match subscriptions::all_as_backend(&records).await {
            Ok(subs) => {
                running.retain(|id, handle| {
                    let keep =
                        subs.iter().any(|s| &s.subscription.id == id) && !handle.is_finished();
                    if !keep {
                        handle.abort();
                    }
                    keep
                });
                for stored in subs {
                    let id = stored.subscription.id.clone();
                    if running.contains_key(&id) {
                        continue;
                    }
                    let secret = match subscriptions::open_secret(&records, &stored).await {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::warn!(subscription = %id, error = %e, "notifications: cannot open the signing secret");
                            continue;
                        }
                    };
                    let worker = Worker {
                        feed: feed.clone(),
                        records: records.clone(),
                        sub: stored,
                        secret,
                        holder: holder.clone(),
                        schedule: schedule.clone(),
                    };
                    running.insert(id, workers.spawn(worker.run()));
                }
            }
            Err(e) => tracing::warn!(error = %e, "notifications: cannot list the subscriptions"),
        }
        tokio::time::sleep(schedule.tick * 4).await;
    }
}

/// Whether `event` is one `sub` asked for.
pub fn wanted(sub: &Subscription, event: &ActivityEvent) -> bool {
    event.outcome == "ok"
        && sub.actions.contains(&event.action)
        && (sub.environments.is_empty()
            || event
                .environment
                .as_ref()
                .is_some_and(|e| sub.environments.contains(e)))
        && send::payload(event, &sub.id)
            .path
            .starts_with(&sub.path_prefix)
}

struct Worker {
    feed: AuditFeed,
    records: Records,
    sub: Stored,
    secret: String,
    holder: String,
    schedule: Schedule,
}

/// How one event ended.
enum Outcome {
    Done,
    LeaseLost,
}

impl Worker {
    async fn run(self) {
        let id = self.sub.subscription.id.clone();
        let client = send::client(self.schedule.timeout);
        let mut lease = Hold::new(&id, &self.holder, self.schedule.stale_after);
        let mut cursor: Option<Cursor> = None;
        loop {
            if !matches!(lease.ensure(&self.records).await, Ok(true)) {
                cursor = None;
                tokio::time::sleep(self.schedule.tick).await;
                continue;
            }
            let at = match cursor.take() {
                Some(c) => c,
                None => match state::read_cursor(&self.records, &id).await {
                    Ok(c) => {
                        c.unwrap_or_else(|| Cursor::at_creation(&self.sub.subscription.created_at))
                    }
                    Err(e) => {
                        tracing::warn!(subscription = %id, error = %e, "notifications: cannot read the cursor");
                        tokio::time::sleep(self.schedule.tick).await;
                        continue;
                    }
                },
            };
            self.feed.catch_up().await;
            let events = self.pending(&at);
            if events.is_empty() {
                cursor = Some(at);
                tokio::time::sleep(self.schedule.tick).await;
                continue;
            }
            let mut at = Some(at);
            for event in events {
                match self.deliver(&client, &mut lease, &event).await {
                    Outcome::Done => {
                        let next = Cursor {
                            nanos: nanos_of(&event.time).unwrap_or_default(),
                            id: event.id.clone(),
                        };
                        if let Err(e) = state::write_cursor(&self.records, &id, &next).await {
                            tracing::warn!(subscription = %id, error = %e, "notifications: cannot keep the cursor");
                        }
                        at = Some(next);
                    }
                    Outcome::LeaseLost => {
                        at = None;
                        break;
                    }
                }
            }
            cursor = at;
        }
    }

    /// The events after `at` this subscription wants, settled, oldest first.
    fn pending(&self, at: &Cursor) -> Vec<ActivityEvent> {
        let settled = time::OffsetDateTime::now_utc().unix_timestamp_nanos()
            - i128::try_from(self.schedule.settle.as_nanos()).unwrap_or_default();
        let sub = &self.sub.subscription;
        self.feed
            .between(at.nanos, Some(settled), self.schedule.batch, |e| {
                nanos_of(&e.time).is_some_and(|n| at.before(n, &e.id)) && wanted(sub, e)
            })
    }

    /// Deliver `event`, retrying with backoff; dead-letter it after the last attempt.
    async fn deliver(
        &self,
        client: &reqwest::Client,
        lease: &mut Hold,
        event: &ActivityEvent,
    ) -> Outcome {
        let sub = &self.sub.subscription;
        let payload = send::payload(event, &sub.id);
        let body = send::body(sub.target.kind, &payload);
        let mut attempts = 0u32;
        let mut waits = self.schedule.backoff.iter();
        loop {
            if !matches!(lease.ensure(&self.records).await, Ok(true)) {
                return Outcome::LeaseLost;
            }
            attempts += 1;
            let result = send::post(client, &sub.target.url, &self.secret, body.clone()).await;
            if result.delivered {
                return Outcome::Done;
            }
            let error = match result.status {
                Some(s) => format!("HTTP {s}: {}", result.detail),
                None => result.detail,
            };
            let Some(wait) = waits.next() else {
                tracing::warn!(subscription = %sub.id, event = %event.id, %error, "notifications: dead letter");
                let letter = DeadLetter {
                    payload,
                    attempts,
                    last_error: error,
                    failed_at: time::OffsetDateTime::now_utc()
                        .format(&Rfc3339)
                        .unwrap_or_default(),
                };
                if let Err(e) = state::add_dead_letter(&self.records, &sub.id, &letter).await {
                    tracing::warn!(subscription = %sub.id, error = %e, "notifications: cannot keep the dead letter");
                }
                return Outcome::Done;
            };
            tracing::debug!(subscription = %sub.id, event = %event.id, %error, "notifications: retrying");
            tokio::time::sleep(*wait).await;
        }
    }
}
