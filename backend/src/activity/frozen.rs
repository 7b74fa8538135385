//! Writes that got through a freeze: every audited, successful write to a frozen path
//! while the store was frozen, whoever made it (root and operators included). Writes an
//! apply job made (its requests carry `X-Crypter-Purpose: apply:<job>`) are listed apart,
//! under their job. This is how "the read-only window was not really in force" shows.

use super::visibility::Viewer;
use super::{actions, nanos_of, AuditFeed};
use crate::bao::{Bao, Purpose};
use crate::error::AppError;
use crate::freeze::glob::Pattern;
use crypter_api::{ActivityEvent, ApplyWrites, FrozenWrites};
use secrecy::SecretString;

/// At most this many writes are listed.
pub const MAX_LISTED: usize = 1_000;

/// The freeze's and the runbook's own records: frozen for everyone but operators, who
/// write them all through a migration (the freeze record, the run's steps), so they are
/// not listed. A changelog, lock or upload written outside an apply job is.
const BOOKKEEPING: &[&str] = &["crypter/+/freeze/*", "crypter/+/runbooks/*"];

/// The window of one freeze: its level, frozen path patterns, and from/until (RFC 3339).
pub struct Window<'a> {
    pub level: &'a str,
    pub patterns: &'a [String],
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
}

pub async fn list(
    feed: &AuditFeed,
    bao: &Bao,
    token: &SecretString,
    window: &Window<'_>,
) -> Result<FrozenWrites, AppError> {
    let mut out = FrozenWrites {
        level: window.level.to_owned(),
        since: window.since.map(str::to_owned),
        until: window.until.map(str::to_owned),
        feed: feed.status(),
        ..FrozenWrites::default()
    };
    let Some(from) = window.since.and_then(nanos_of) else {
        return Ok(out);
    };
    feed.catch_up().await;
    let mut viewer = Viewer::check(bao, token).await?;
    let to = window.until.and_then(nanos_of);
    let writes = through(feed, window.patterns, from, to, MAX_LISTED, |_| true);
    viewer.learn(bao, token, writes.iter()).await?;
    out.feed = feed.status();
    for w in writes.into_iter().filter(|w| viewer.sees(w)) {
        match job_of(&w) {
            Some(job) => match out.applies.iter_mut().find(|a| a.job == job) {
                Some(group) => group.writes.push(w),
                None => out.applies.push(ApplyWrites {
                    job,
                    writes: vec![w],
                }),
            },
            None => out.writes.push(w),
        }
    }
    Ok(out)
}

/// Successful writes to `patterns` between `from` and `to` (Unix nanoseconds, `to` open
/// when `None`), the freeze's own bookkeeping left out, oldest first, at most `max`, and
/// only those `also` keeps.
pub fn through(
    feed: &AuditFeed,
    patterns: &[String],
    from: i128,
    to: Option<i128>,
    max: usize,
    also: impl Fn(&ActivityEvent) -> bool,
) -> Vec<ActivityEvent> {
    let patterns: Vec<Pattern> = patterns.iter().map(|p| Pattern::new(p)).collect();
    let bookkeeping: Vec<Pattern> = BOOKKEEPING.iter().map(|p| Pattern::new(p)).collect();
    feed.between(from, to, max, |e| {
        e.outcome == "ok"
            && actions::is_write(&e.operation)
            && patterns.iter().any(|p| p.matches(&e.path))
            && !bookkeeping.iter().any(|p| p.matches(&e.path))
            && also(e)
    })
}

/// The apply job that made `event`, from its purpose header.
pub fn job_of(event: &ActivityEvent) -> Option<String> {
    let purpose = Purpose::parse(event.purpose.as_deref()?)?;
    purpose.job().map(str::to_owned)
}
