//! Reminders of credentials' `expires` dates: 14 and 3 days before, and on the day, a
//! `reminder.due` product event (detail `14d`, `3d` or `0d`) that subscriptions deliver like
//! any other. Every round the backend, as itself, lists the environments and SCANs their
//! credentials' metadata (never a value). One instance sweeps at a time (a lease, like the
//! freeze watcher's); what was sent is a record of its own, so a restart or another
//! instance sends each reminder once.
//!
//! Each credential and `expires` date is remembered with the day it was first seen, and
//! the nearest reminder sent: a new date starts afresh; a credential past two thresholds at
//! once gets the nearer one only; and a threshold that passed more than a day before the
//! date was first seen is not announced late (the lint lists what is overdue).

use super::lease::Hold;
use super::CURSORS;
use crate::credentials::parse_expires;
use crate::error::AppError;
use crate::records::{ProductEvent, Records};
use crypter_api::{ActivityAction, EnvName};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use time::Date;

/// The sweeper's lease and record names (no subscription id looks like them).
const NAME: &str = "reminders";

/// Days before `expires` that a reminder goes out, farthest first.
pub const THRESHOLDS: [u8; 3] = [14, 3, 0];

/// The product event's actor: Crypter itself.
const ACTOR: &str = "crypter";

/// How often a round runs (`--reminders-every-secs`).
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub every: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(600),
        }
    }
}

/// What is known of one credential's `expires` date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    expires: String,
    /// The UTC day this date was first seen (`YYYY-MM-DD`).
    seen: String,
    /// The nearest threshold sent for this date, in days before it.
    sent: Option<u8>,
}

/// Environment → credential path → what is known; only credentials with an `expires`.
type Sent = BTreeMap<String, BTreeMap<String, Seen>>;

/// The reminder due today for a credential expiring on `expires`, first seen with that date
/// on `seen`, whose nearest reminder sent so far is `sent`: the nearest threshold reached,
/// unless it was sent already or passed more than a day before `seen`.
pub fn due(expires: Date, seen: Date, sent: Option<u8>, today: Date) -> Option<u8> {
    let at = |d: u8| expires.saturating_sub(time::Duration::days(i64::from(d)));
    let nearest = THRESHOLDS.into_iter().filter(|d| today >= at(*d)).min()?;
    let timely = at(nearest) >= seen.saturating_sub(time::Duration::days(1));
    let newer = sent.is_none_or(|s| nearest < s);
    (timely && newer).then_some(nearest)
}

/// Start sweeping; abort the handle to stop.
pub fn spawn(records: Records, s: Schedule) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let holder = crate::notifications::lease::holder();
        // Stale after two missed rounds (the holder renews it every round): a restarted
        // instance, which holds under a new name, takes over after that.
        let stale_after = s.every.as_secs().saturating_mul(2).max(2);
        let mut lease = Hold::new(NAME, &holder, stale_after);
        loop {
            if matches!(lease.ensure(&records).await, Ok(true)) {
                let today = time::OffsetDateTime::now_utc().date();
                match round(&records, today).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(reminders = n, "sent expiry reminders"),
                    Err(e) => tracing::warn!(error = %e.cause_chain(), "reminders: round failed"),
                }
            }
            tokio::time::sleep(s.every).await;
        }
    })
}

/// One sweep of every environment on `today` (UTC): the reminders sent.
pub async fn round(records: &Records, today: Date) -> Result<usize, AppError> {
    let key = format!("{CURSORS}/{NAME}");
    let before: Sent = match records.read(&key).await? {
        Some((data, _)) => serde_json::from_value(data).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "reminders: the record does not decode; starting afresh");
            Sent::new()
        }),
        None => Sent::new(),
    };
    let mut after = Sent::new();
    let mut sent = 0;
    let envs = records.list("environments").await?;
    for env in envs.iter().filter_map(|e| EnvName::parse(e).ok()) {
        let known = before.get(env.as_ref()).cloned().unwrap_or_default();
        let (now_known, n) = match sweep(records, &env, known.clone(), today).await {
            Ok(swept) => swept,
            Err(e) => {
                // Keep what was known: a later round tries this environment again.
                tracing::warn!(environment = %env, error = %e.cause_chain(), "reminders");
                (known, 0)
            }
        };
        sent += n;
        if !now_known.is_empty() {
            after.insert(env.to_string(), now_known);
        }
    }
    if after != before {
        let data = serde_json::to_value(&after).map_err(anyhow::Error::from)?;
        records.write(&key, &data, None).await?;
    }
    Ok(sent)
}

/// One environment: what is known of it afterwards, and the reminders sent.
async fn sweep(
    records: &Records,
    env: &EnvName,
    mut known: BTreeMap<String, Seen>,
    today: Date,
) -> Result<(BTreeMap<String, Seen>, usize), AppError> {
    let bao = records.bao();
    let now = time::OffsetDateTime::now_utc();
    let credentials = records
        .as_backend(|t| async move { crate::credentials::scan(bao, &t, env, now).await })
        .await?;
    let day = |d: Date| d.to_string();
    let mut out = BTreeMap::new();
    let mut sent = 0;
    for c in credentials.into_iter().filter(|c| !c.deleted) {
        let Some(text) = c.metadata.expires else {
            continue;
        };
        let Some(expires) = parse_expires(&text) else {
            continue;
        };
        let mut seen = match known.remove(&c.path) {
            Some(s) if s.expires == text => s,
            // New, or a new date: reminders start afresh.
            _ => Seen {
                expires: text,
                seen: day(today),
                sent: None,
            },
        };
        let first = parse_expires(&seen.seen).unwrap_or(today);
        if let Some(d) = due(expires, first, seen.sent, today) {
            records
                .emit(ProductEvent {
                    action: ActivityAction::ReminderDue,
                    environment: Some(env.to_string()),
                    actor: ACTOR.into(),
                    target: c.path.clone(),
                    detail: Some(format!("{d}d")),
                })
                .await;
            seen.sent = Some(d);
            sent += 1;
        }
        out.insert(c.path, seen);
    }
    Ok((out, sent))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        parse_expires(text).unwrap()
    }

    #[test]
    fn each_threshold_once_on_its_day() {
        let (expires, seen) = (date("2027-01-31"), date("2027-01-01"));
        let on = |day: &str, sent| due(expires, seen, sent, date(day));
        assert_eq!(on("2027-01-16", None), None);
        assert_eq!(on("2027-01-17", None), Some(14));
        assert_eq!(on("2027-01-20", Some(14)), None);
        assert_eq!(on("2027-01-28", Some(14)), Some(3));
        assert_eq!(on("2027-01-29", Some(3)), None);
        assert_eq!(on("2027-01-31", Some(3)), Some(0));
        assert_eq!(on("2027-02-05", Some(0)), None);
    }

    #[test]
    fn past_two_thresholds_at_once_only_the_nearer_goes_out() {
        // A sweeper that was down from the 14-day to past the 3-day threshold.
        let seen = date("2027-01-01");
        assert_eq!(
            due(date("2027-01-31"), seen, None, date("2027-01-29")),
            Some(3)
        );
        // A credential created two days before it expires: 3d, not 14d then 3d.
        let today = date("2027-01-29");
        assert_eq!(due(date("2027-01-31"), today, None, today), Some(3));
    }

    #[test]
    fn a_threshold_long_past_when_the_date_was_set_is_not_announced() {
        let today = date("2027-01-10");
        // Expires in 10 days: the 14-day threshold passed four days ago.
        assert_eq!(due(date("2027-01-20"), today, None, today), None);
        // Expired last week.
        assert_eq!(due(date("2027-01-03"), today, None, today), None);
        // A threshold that passed yesterday still goes out (a sweep may lag by a day).
        assert_eq!(due(date("2027-01-12"), today, None, today), Some(3));
        assert_eq!(due(date("2027-01-09"), today, None, today), Some(0));
    }
}
