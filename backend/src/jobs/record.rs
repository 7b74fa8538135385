//! A job's record at `crypter/data/jobs/<id>`, and the owner marker at
//! `crypter/data/job-owners/<owner>/<id>` through which OpenBao decides who may follow it.

use crate::clock::unix;
use crypter_api::{JobEvent, JobKind, JobProgress, JobRunbook, JobState};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Written by the instance running the job, with check-and-set on the version it last
/// wrote: an instance that lost the job (it was resumed elsewhere) finds out at its next
/// write and stops. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub kind: JobKind,
    pub owner: String,
    /// The owner's identity entity (or `no-entity`): where its owner marker lives.
    pub owner_key: String,
    /// As the running instance last wrote it; see [`JobRecord::state_at`].
    pub state: JobState,
    pub done: u64,
    pub total: u64,
    pub rate: u64,
    pub current: String,
    pub error: Option<String>,
    pub started_at: u64,
    pub finished_at: Option<u64>,
    pub heartbeat: u64,
    /// Without a heartbeat for this long, a running job is `interrupted`.
    pub stale_after: u64,
    pub instance: String,
    pub plan_hash: Option<String>,
    /// The changesets an apply job runs (a resume runs only these).
    #[serde(default)]
    pub changesets: Vec<String>,
    pub runbook: Option<JobRunbook>,
    #[serde(default)]
    pub events: Vec<JobEvent>,
}

pub const NO_ENTITY: &str = "no-entity";

pub fn key(id: &str) -> String {
    format!("jobs/{id}")
}

pub fn marker_key(owner_key: &str, id: &str) -> String {
    format!("job-owners/{owner_key}/{id}")
}

/// Where a token's jobs are marked: its entity (the policies' `{{identity.entity.id}}`).
pub fn owner_key(entity_id: Option<&str>) -> String {
    entity_id
        .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .unwrap_or(NO_ENTITY)
        .to_owned()
}

/// `job-` and 16 hex digits.
pub fn new_id() -> String {
    format!("job-{:016x}", rand::random::<u64>())
}

pub fn valid_id(id: &str) -> bool {
    id.strip_prefix("job-")
        .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub fn rfc3339(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

pub fn event(now: OffsetDateTime, actor: &str, kind: &str, message: String) -> JobEvent {
    JobEvent {
        at: rfc3339(unix(now)),
        actor: actor.to_owned(),
        kind: kind.to_owned(),
        message,
    }
}

impl JobRecord {
    /// The state as of `now`: a job still marked running whose instance stopped writing
    /// its heartbeat is `interrupted`.
    pub fn state_at(&self, now: u64) -> JobState {
        if self.state == JobState::Running && now > self.heartbeat.saturating_add(self.stale_after)
        {
            JobState::Interrupted
        } else {
            self.state
        }
    }

    pub fn progress(&self, now: u64) -> JobProgress {
        let state = self.state_at(now);
        let error = match (state, &self.error) {
            (JobState::Interrupted, None) => Some(format!(
                "{} stopped writing its heartbeat {} s ago (it died or lost the store); resume \
                 the job to continue from its saved cursor",
                self.instance,
                now.saturating_sub(self.heartbeat)
            )),
            (_, e) => e.clone(),
        };
        JobProgress {
            id: self.id.clone(),
            state,
            done: self.done,
            total: self.total,
            rate: self.rate,
            current: self.current.clone(),
            error,
            kind: self.kind,
            owner: self.owner.clone(),
            instance: self.instance.clone(),
            heartbeat_age: now.saturating_sub(self.heartbeat),
            plan_hash: self.plan_hash.clone(),
            runbook: self.runbook.clone(),
            started_at: rfc3339(self.started_at),
            finished_at: self.finished_at.map(rfc3339),
            events: self.events.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(heartbeat: u64, stale_after: u64) -> JobRecord {
        JobRecord {
            id: "job-0000000000000001".into(),
            kind: JobKind::Apply,
            owner: "lead".into(),
            owner_key: NO_ENTITY.into(),
            state: JobState::Running,
            done: 5,
            total: 10,
            rate: 1,
            current: String::new(),
            error: None,
            started_at: heartbeat,
            finished_at: None,
            heartbeat,
            stale_after,
            instance: "host pid 1".into(),
            plan_hash: None,
            changesets: vec![],
            runbook: None,
            events: vec![],
        }
    }

    #[test]
    fn a_running_job_without_a_heartbeat_is_interrupted() {
        let r = running(1_000, 60);
        assert_eq!(r.state_at(1_060), JobState::Running);
        assert_eq!(r.state_at(1_061), JobState::Interrupted);
        let p = r.progress(1_100);
        assert_eq!(p.state, JobState::Interrupted);
        assert!(p.error.unwrap().contains("resume"), "says what to do");
        let mut done = r.clone();
        done.state = JobState::Done;
        assert_eq!(
            done.state_at(99_999),
            JobState::Done,
            "an ended job stays ended"
        );
    }

    #[test]
    fn ids_and_owner_keys() {
        assert!(valid_id(&new_id()));
        for bad in [
            "job-",
            "job-xyz0000000000000",
            "../jobs",
            "job-00000000000000000",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
        assert_eq!(owner_key(None), NO_ENTITY);
        assert_eq!(owner_key(Some("../x")), NO_ENTITY);
        let e = "6c8f0a7e-2b1d-4c3a-9e5f-0123456789ab";
        assert_eq!(owner_key(Some(e)), e);
    }
}
