//! Runbooks: templates, runs, their steps, sign-offs, incidents and timeline.

use crate::names::EnvName;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The step kinds a template may use.
pub const STEP_KINDS: &[&str] = &[
    "manual",
    "freeze",
    "verify_freeze",
    "snapshot",
    "validate_changesets",
    "plan_changesets",
    "apply_changesets",
    "plan_rollback",
    "verify_identities",
    "lint_environments",
    "cluster_health",
    "thaw",
];

/// A runbook template: ordered steps (`GET /api/v1/runbook-templates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunbookTemplate {
    /// Short name used to start a run, e.g. `store-migration`.
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub builtin: bool,
    pub steps: Vec<TemplateStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateStep {
    pub id: String,
    pub title: String,
    /// One of `STEP_KINDS`.
    pub kind: String,
    /// Markdown shown to whoever runs the step.
    #[serde(default)]
    pub instructions: String,
    /// A go/no-go: the step passes only with a sign-off.
    #[serde(default)]
    pub gate: bool,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// `POST /api/v1/runbook-templates`: a custom template as TOML text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateUpload {
    pub toml: String,
}

/// `POST /api/v1/runbooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RunbookStart {
    pub template: String,
    pub title: String,
    /// At least one.
    pub environments: Vec<EnvName>,
    /// Every go/no-go must be signed by an approver of each target environment that has an
    /// approval rule (OpenBao says who is one).
    #[serde(default)]
    pub signoff_by_approvers: bool,
}

/// A step of a run: the template's step plus its state and evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunStep {
    #[serde(flatten)]
    pub step: TemplateStep,
    pub state: StepState,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// Who last acted on the step.
    pub by: Option<String>,
    /// Why it was skipped.
    pub reason: Option<String>,
    /// The note given when a manual step was completed.
    pub note: Option<String>,
    /// One line saying what the evidence shows.
    pub summary: Option<String>,
    /// The full JSON result of an automated step.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub evidence: Option<Value>,
    /// The go/no-go sign-off in force.
    pub signoff: Option<Signoff>,
    /// Sign-offs voided because the plan changed after them.
    #[serde(default)]
    pub voided: Vec<Signoff>,
    /// The job running (or that ran) this step: its progress is `GET /api/v1/jobs/{job}`.
    #[serde(default)]
    pub job: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signoff {
    pub by: String,
    pub at: String,
    /// The plan hash shown when signing off; apply uses exactly this one.
    pub plan_hash: Option<String>,
    pub note: Option<String>,
}

/// `POST /api/v1/runbooks/{id}/steps/{step}/signoff`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignoffRequest {
    /// The plan hash the signer saw; must equal the run's current plan.
    #[serde(default)]
    pub plan_hash: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `skip` (reason required) and `complete` (note optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StepNote {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// An incident seen during a run, linked to the step that was running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    pub n: u32,
    pub title: String,
    pub severity: IncidentSeverity,
    pub user_impact: String,
    pub status: IncidentStatus,
    pub follow_up: String,
    pub step: Option<String>,
    pub opened_at: String,
    pub opened_by: String,
    pub updated_at: String,
}

/// `POST /api/v1/runbooks/{id}/incidents`; every field optional in a PATCH.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentWrite {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub severity: Option<IncidentSeverity>,
    #[serde(default)]
    pub user_impact: Option<String>,
    #[serde(default)]
    pub status: Option<IncidentStatus>,
    #[serde(default)]
    pub follow_up: Option<String>,
}

/// One event of a run's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEvent {
    pub at: String,
    pub actor: String,
    /// `run.start`, `step.start`, `step.pass`, `step.fail`, `step.skip`, `step.complete`,
    /// `signoff`, `signoff.void`, `incident.open`, `incident.update`, `note`, `run.end`.
    pub kind: String,
    pub step: Option<String>,
    pub message: String,
}

/// A runbook run (`GET /api/v1/runbooks/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Runbook {
    pub id: String,
    pub title: String,
    pub template: String,
    pub lead: String,
    pub environments: Vec<String>,
    /// Go/no-go sign-offs must come from the approver groups of the target environments.
    #[serde(default)]
    pub signoff_by_approvers: bool,
    pub status: RunStatus,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub steps: Vec<RunStep>,
    pub incidents: Vec<Incident>,
    pub timeline: Vec<TimelineEvent>,
}

/// A row of `GET /api/v1/runbooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunbookSummary {
    pub id: String,
    pub title: String,
    pub template: String,
    pub lead: String,
    pub environments: Vec<String>,
    pub status: RunStatus,
    pub started_at: String,
    /// The first step not yet passed or skipped.
    pub current_step: Option<String>,
    pub passed: usize,
    pub total: usize,
}

/// `POST /api/v1/runbooks/{id}/abort`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AbortRequest {
    pub reason: String,
}

/// Declares a wire enum of runbooks: its snake_case strings (as stored in run records, so
/// they never change), `as_str`, `Display` and `ALL`.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $( $(#[$vdoc:meta])* $variant:ident = $wire:literal, )* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $( $(#[$vdoc])* $variant, )* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)* }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Where a step of a run stands.
    StepState {
        Pending = "pending",
        /// An automated step's job is running it.
        Running = "running",
        Passed = "passed",
        Failed = "failed",
        Skipped = "skipped",
        /// A gate whose earlier steps are done: it waits for its go/no-go sign-off.
        WaitingSignoff = "waiting_signoff",
    }
}

impl StepState {
    /// Passed or skipped: the run may go past it.
    pub fn is_done(self) -> bool {
        matches!(self, StepState::Passed | StepState::Skipped)
    }
}

wire_enum! {
    /// Where a run stands.
    RunStatus {
        InProgress = "in_progress",
        Succeeded = "succeeded",
        Aborted = "aborted",
    }
}

wire_enum! {
    /// How bad an incident is.
    IncidentSeverity {
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

wire_enum! {
    /// Where an incident stands.
    IncidentStatus {
        Open = "open",
        Mitigated = "mitigated",
        Resolved = "resolved",
    }
}

#[cfg(test)]
mod wire_enums {
    use super::*;

    /// The strings are those of stored run records: each must round-trip unchanged.
    #[test]
    fn each_value_is_its_stored_string() {
        fn check<
            T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug + Copy,
        >(
            all: &[T],
            as_str: fn(T) -> &'static str,
        ) {
            for &v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), as_str(v), "{v:?}");
                assert_eq!(serde_json::from_value::<T>(as_str(v).into()).unwrap(), v);
            }
        }
        check(StepState::ALL, StepState::as_str);
        check(RunStatus::ALL, RunStatus::as_str);
        check(IncidentSeverity::ALL, IncidentSeverity::as_str);
        check(IncidentStatus::ALL, IncidentStatus::as_str);
    }
}
