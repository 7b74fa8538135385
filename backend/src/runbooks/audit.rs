//! What OpenBao's audit log says about a run: the writes that got through its freeze (an
//! apply job's apart), and every change and reveal while it ran. The report shows both; it
//! is the store's own record, so nothing done outside Crypter during the run is missing
//! from it. Only someone who may see the activity feed gets these sections.

use crate::activity::frozen::{self, Window};
use crate::activity::{nanos_of, visibility::Viewer, AuditFeed};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::StepState;
use crypter_api::{ActivityEvent, FreezeState, FrozenWrites, Runbook};
use secrecy::SecretString;
use std::fmt::Write;

/// Events listed in a report at most.
const MAX_EVENTS: usize = 300;

pub struct RunAudit {
    pub writes: Option<FrozenWrites>,
    pub events: Vec<ActivityEvent>,
    pub more: bool,
}

/// The run's freeze window: from its freeze step's `since` to the start of its thaw step
/// (the thaw's own policy writes are not writes through the freeze).
fn freeze_window(run: &Runbook) -> Option<(FreezeState, Option<String>)> {
    let frozen: FreezeState = run
        .steps
        .iter()
        .filter(|s| s.step.kind == "freeze" && s.state == StepState::Passed)
        .find_map(|s| serde_json::from_value(s.evidence.clone()?).ok())?;
    let until = run
        .steps
        .iter()
        .find(|s| s.step.kind == "thaw" && s.started_at.is_some())
        .and_then(|s| s.started_at.clone());
    Some((frozen, until))
}

pub async fn gather(
    feed: &AuditFeed,
    bao: &Bao,
    token: &SecretString,
    run: &Runbook,
) -> Result<RunAudit, AppError> {
    feed.catch_up().await;
    let mut viewer = Viewer::check(bao, token).await?;
    let writes = match freeze_window(run) {
        Some((state, until)) => {
            let window = Window {
                level: state.level.as_str(),
                patterns: &state.frozen_paths,
                since: state.since.as_deref(),
                until: until.as_deref(),
            };
            Some(frozen::list(feed, bao, token, &window).await?)
        }
        None => None,
    };
    let from = nanos_of(&run.started_at).unwrap_or(0);
    let to = run.ended_at.as_deref().and_then(nanos_of);
    let mut events = feed.between(from, to, MAX_EVENTS + 1, |_| true);
    viewer.learn(bao, token, events.iter()).await?;
    events.retain(|e| viewer.sees(e));
    let more = events.len() > MAX_EVENTS;
    events.truncate(MAX_EVENTS);
    Ok(RunAudit {
        writes,
        events,
        more,
    })
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn event_row(md: &mut String, e: &ActivityEvent) {
    let purpose = e
        .purpose
        .as_deref()
        .map(|p| format!(" ({p})"))
        .unwrap_or_default();
    let _ = writeln!(
        md,
        "| {} | {} | {}{purpose} | `{}` | {} |",
        e.time,
        cell(&e.actor),
        e.action,
        cell(&e.target),
        e.outcome
    );
}

const HEAD: &str = "| Time | Actor | Action | Target | Outcome |\n|---|---|---|---|---|\n";

/// The report's audit sections. `audit` is `Err` with the reason when they cannot be shown.
pub fn render(md: &mut String, audit: &Result<RunAudit, String>) {
    md.push_str("\n## Writes that got through the freeze\n\n");
    let audit = match audit {
        Ok(a) => a,
        Err(why) => {
            let _ = writeln!(md, "Not shown: {why}.");
            return;
        }
    };
    match &audit.writes {
        None => md.push_str("The run did not freeze the store.\n"),
        Some(w) if !w.feed.connected => {
            md.push_str("Unknown: no OpenBao audit feed is connected to Crypter.\n");
        }
        Some(w) => {
            if w.writes.is_empty() {
                md.push_str("None: no audited write reached a frozen path outside the apply.\n");
            } else {
                md.push_str(HEAD);
                w.writes.iter().for_each(|e| event_row(md, e));
            }
            for job in &w.applies {
                let _ = writeln!(md, "\nBy apply job `{}`:\n", job.job);
                md.push_str(HEAD);
                job.writes.iter().for_each(|e| event_row(md, e));
            }
        }
    }
    md.push_str("\n## Store activity during the run (OpenBao audit log)\n\n");
    if audit.events.is_empty() {
        md.push_str("None recorded.\n");
        return;
    }
    md.push_str(HEAD);
    audit.events.iter().for_each(|e| event_row(md, e));
    if audit.more {
        let _ = writeln!(
            md,
            "\nOnly the first {MAX_EVENTS} events are listed; the Activity page has them all."
        );
    }
}
