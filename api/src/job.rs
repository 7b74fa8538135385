//! Jobs: long work (a changeset apply, a runbook step) kept in the store, so that any
//! instance shows it, and an authorized user resumes it after the instance running it died.

use crate::changeset::wire_enum;
use serde::{Deserialize, Serialize};
use std::fmt;

wire_enum!(
    /// A job's state.
    JobState {
        Running => "running",
        Done => "done",
        Failed => "failed",
        /// Its instance died or shut down (no heartbeat within the holder's `stale_after`):
        /// an authorized user resumes it from its saved cursor.
        Interrupted => "interrupted",
    }
);

impl JobState {
    /// Nothing more will happen to it unless someone resumes it.
    pub fn ended(self) -> bool {
        !matches!(self, Self::Running)
    }
}

wire_enum!(
    /// What a job runs.
    JobKind {
        /// A changeset apply (from the Changesets page, the CLI or a runbook's apply step).
        Apply => "apply",
        /// An automated runbook step other than apply (it runs within its request).
        RunbookStep => "runbook_step",
    }
);

/// The runbook step a job runs for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobRunbook {
    pub run: String,
    pub step: String,
}

/// Something that happened to a job: started, resumed, taken over, handed over, ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobEvent {
    /// RFC 3339.
    pub at: String,
    pub actor: String,
    /// `start`, `resume`, `takeover`, `handover`, `end`, `note` (e.g. an undo's conflicts).
    pub kind: String,
    pub message: String,
}

/// `GET /api/v1/jobs/{id}` and each event of `/api/v1/jobs/{id}/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobProgress {
    pub id: String,
    pub state: JobState,
    pub done: u64,
    pub total: u64,
    /// Items per second since the job (or its last resume) started.
    pub rate: u64,
    /// e.g. `2024-01-move: copy_credentials (operation 2/3)`.
    pub current: String,
    pub error: Option<String>,
    #[serde(default = "default_kind")]
    pub kind: JobKind,
    /// Who started it (its owner).
    #[serde(default)]
    pub owner: String,
    /// The instance running it (or that ran it last): host and process.
    #[serde(default)]
    pub instance: String,
    /// Seconds since the running instance last wrote it.
    #[serde(default)]
    pub heartbeat_age: u64,
    #[serde(default)]
    pub plan_hash: Option<String>,
    #[serde(default)]
    pub runbook: Option<JobRunbook>,
    /// RFC 3339.
    #[serde(default)]
    pub started_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(default)]
    pub events: Vec<JobEvent>,
}

fn default_kind() -> JobKind {
    JobKind::Apply
}

/// `POST /api/v1/jobs/{id}/resume`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResumeRequest {
    /// Why (optional; recorded on the job).
    #[serde(default)]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_states_and_kinds_by_wire_name() {
        assert_eq!(JobState::parse("interrupted"), Some(JobState::Interrupted));
        assert!(JobState::Interrupted.ended() && !JobState::Running.ended());
        let p: JobProgress = serde_json::from_str(
            r#"{"id":"j","state":"running","done":1,"total":2,"rate":0,"current":"","error":null}"#,
        )
        .unwrap();
        assert_eq!(p.kind, JobKind::Apply, "older answers decode");
        assert_eq!(JobKind::parse("runbook_step"), Some(JobKind::RunbookStep));
    }
}
