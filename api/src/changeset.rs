//! Changesets: checksummed migrations of the store, their status, plan, apply jobs and lock.

use serde::{Deserialize, Serialize};

/// Where a partly applied changeset stopped: the operation (0-based) and the last path done.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesetCursor {
    pub operation: usize,
    pub after: Option<String>,
}

/// One line of `GET /api/v1/changesets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesetStatus {
    /// The changeset's id, or the file name when the file does not parse.
    pub id: String,
    /// The file it came from (`upload:<id>` for uploads).
    pub file: String,
    /// `pending`, `applied`, `changed`, `accepted`, `failed`, `running` (an apply holds the
    /// lock now) or `invalid` (does not parse).
    pub status: String,
    pub checksum: Option<String>,
    pub applied_checksum: Option<String>,
    pub environment: Option<String>,
    pub author: Option<String>,
    pub description: Option<String>,
    pub applied_by: Option<String>,
    pub applied_at: Option<String>,
    pub runbook_run: Option<String>,
    /// `invalid`: the parse error (file, line, what was expected).
    pub error: Option<String>,
    /// `accepted`: the reason given with the allow-list entry.
    pub accepted_reason: Option<String>,
    /// `changed`: unified diff of the applied body against the current one.
    pub diff: Option<String>,
    /// `failed`: where a new apply resumes.
    pub cursor: Option<ChangesetCursor>,
}

/// `POST /api/v1/changesets`: upload one changeset (TOML text), stored in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesetUpload {
    pub toml: String,
}

/// What one operation would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedOperation {
    pub index: usize,
    pub op: String,
    pub summary: String,
    pub create: u64,
    pub update: u64,
    pub skip: u64,
    pub conflict: u64,
    /// A few paths per kind, e.g. `create staging/db/password`.
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedChangeset {
    pub id: String,
    pub checksum: String,
    pub environment: String,
    pub status: String,
    pub operations: Vec<PlannedOperation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanWarning {
    pub changeset: String,
    pub operation: Option<usize>,
    /// `environment_mismatch`, `overwrite`, `protected_environment`, `freeze_missing`,
    /// `changed`, `invalid`, `conflict`.
    pub code: String,
    pub message: String,
}

/// `POST /api/v1/changesets/plan`: a dry run that writes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesetPlan {
    /// Present it to apply; a fresh plan must hash the same.
    pub plan_hash: String,
    /// The changesets that apply would run, in order of id.
    pub changesets: Vec<PlannedChangeset>,
    pub warnings: Vec<PlanWarning>,
    /// Why apply would refuse (changed changesets, conflicts, parse errors); empty when it can run.
    pub blockers: Vec<String>,
}

/// `POST /api/v1/changesets/apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplyRequest {
    pub plan_hash: String,
    /// Take the lock over from a live holder; needs a reason, which is recorded.
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplyStarted {
    pub job_id: String,
}

/// `GET /api/v1/jobs/{id}` and each event of `/api/v1/jobs/{id}/events`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobProgress {
    pub id: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    pub done: u64,
    pub total: u64,
    /// Items per second since the start.
    pub rate: u64,
    /// e.g. `2024-01-move: copy_credentials (op 2)`.
    pub current: String,
    pub error: Option<String>,
}

/// `GET /api/v1/changesets/lock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesetLock {
    pub holder: String,
    pub host: String,
    /// RFC 3339.
    pub acquired_at: String,
    /// Unix seconds of the last heartbeat.
    pub heartbeat: u64,
    pub job_id: Option<String>,
    /// No heartbeat for 60 s: anyone may take it.
    pub stale: bool,
}
