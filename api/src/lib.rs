//! Crypter's wire types. Everything the console and the backend exchange over `/api/v1`
//! is defined here, once, so the two can never disagree about a field.
//!
//! Names that reach OpenBao paths are validated newtypes (`EnvName`, `CredentialPath`,
//! `RoleName`, `KeyName`): a value of one of these types has already passed the product's rules.

mod activity;
mod approval;
mod changeset;
mod cluster;
mod compare;
pub mod console;
mod credential;
mod environment;
mod error;
mod error_code;
mod filter;
mod freeze;
mod health;
mod job;
mod key;
mod lint;
mod names;
mod notification;
mod role;
mod runbook;
mod search;
mod session;
mod sso;
pub mod url;

pub use activity::{
    ActivityAction, ActivityEvent, ActivityPage, ApplyWrites, AuditFeedStatus, AuditSource,
    BypassedWrites, FrozenWrites,
};
pub use approval::{
    ApprovalRequest, ApprovalRule, ApprovalRuleSet, ChangeFields, RequestOpened, RequestState,
    RequestedChange, Vote, VoteCast,
};
pub use changeset::{
    ApplyRequest, ApplyStarted, ChangelogResult, ChangesetCursor, ChangesetLock, ChangesetPlan,
    ChangesetState, ChangesetStatus, ChangesetUpload, Drift, DriftLine, ItemAction, ItemCounts,
    ItemSource, ItemTarget, KeyMove, NumberedItem, PlanItem, PlanItemPage, PlanWarning,
    PlannedChangeset, PlannedOperation, Precondition, RestorePointComparison, RestorePointCreate,
    RestorePointKind, RestorePointSummary, ValueCompare,
};
pub use cluster::{ClusterNode, ClusterView, Consistency, DatacenterView};
pub use compare::{CompareEntry, Comparison, PromoteRequest};
pub use credential::{
    CredentialClass, CredentialDetail, CredentialMetadata, CredentialPage, CredentialSummary,
    CredentialVersion, CredentialWrite, CredentialWritten, RevealedCredential, VersionRequest,
};
pub use environment::{Environment, EnvironmentCreate, EnvironmentUpdate};
pub use error::{ApiError, ErrorBody};
pub use error_code::ErrorCode;
pub use filter::{search_text, CredentialFilter};
pub use freeze::{
    Exemption, FreezeLevel, FreezeRequest, FreezeState, FreezeTarget, PolicyConflict, Probe,
    RestoredPolicy, SnapshotVersion, ThawNote, ThawRequest, ThawResult, Verification,
    VerificationSummary,
};
pub use health::{Health, Readiness, StoreHealth};
pub use job::{JobEvent, JobKind, JobProgress, JobRunbook, JobState, ResumeRequest};
pub use key::{
    ciphertext_version, parse_period, CiphertextCount, DeletionNote, KeyCreate, KeyDetail,
    KeyOperation, KeyRequest, KeyResult, KeySummary, KeyType, KeyUpdate, KeyVersion, ScanRequest,
};
pub use lint::{LintFinding, Severity};
pub use names::{CredentialPath, EnvName, KeyName, NameError, RoleName, Username};
pub use notification::{
    DeadLetter, DeliveryResult, NotificationPayload, NotificationTarget, Subscription,
    SubscriptionCreate, SubscriptionCreated, TargetKind,
};
pub use role::{
    AccessAnswer, AccessCheck, AccessCheckRequest, AuthSettings, Capability, Effect, Grant,
    GrantEnv, GrantTarget, IdentityProbe, IdentityReport, IdentityResult, IdentityStatus,
    IssuedSecretId, NewUser, PolicyPreview, ProbePath, Role, RoleClass, RolePolicy, RoleSummary,
    Scope, SecretIdInfo, SecretIdRequest, User, UserRoles,
};
pub use runbook::{
    AbortRequest, Incident, IncidentSeverity, IncidentStatus, IncidentWrite, RunStatus, RunStep,
    Runbook, RunbookStart, RunbookSummary, RunbookTemplate, Signoff, SignoffRequest, StepNote,
    StepState, TemplateStep, TemplateUpload, TimelineEvent, STEP_KINDS,
};
pub use search::{SearchHit, SearchResults};
pub use session::{LoginRequest, SessionInfo};
pub use sso::{
    AuthMethod, AuthMethodKind, AuthMethods, GroupDrift, GroupMapping, GroupMappingWrite,
    GroupMappings, SsoSettings, SsoSettingsView, WhyAnswer, WhyLink, WhyRequest, WhySource,
};

/// The header a mutating request must carry, holding the session's CSRF token.
pub const CSRF_HEADER: &str = "X-Crypter-Csrf";

/// The session cookie's name. The cookie is HttpOnly; the console never reads it.
pub const SESSION_COOKIE: &str = "crypter_session";

#[cfg(test)]
mod request_bodies {
    use super::*;
    use serde::de::DeserializeOwned;

    fn refuses_unknown<T: DeserializeOwned>(name: &str) {
        let err = serde_json::from_str::<T>(r#"{"protectd": true}"#)
            .err()
            .unwrap_or_else(|| panic!("{name} accepted an unknown field"))
            .to_string();
        assert!(err.contains("unknown field"), "{name}: {err}");
    }

    /// Every request body rejects unknown fields, so a typo is a 400, never a silent no-op.
    #[test]
    fn every_request_body_rejects_unknown_fields() {
        refuses_unknown::<AbortRequest>("AbortRequest");
        refuses_unknown::<AccessCheckRequest>("AccessCheckRequest");
        refuses_unknown::<AuthSettings>("AuthSettings");
        refuses_unknown::<SsoSettings>("SsoSettings");
        refuses_unknown::<GroupMappingWrite>("GroupMappingWrite");
        refuses_unknown::<WhyRequest>("WhyRequest");
        refuses_unknown::<ApplyRequest>("ApplyRequest");
        refuses_unknown::<ChangesetUpload>("ChangesetUpload");
        refuses_unknown::<CredentialWrite>("CredentialWrite");
        refuses_unknown::<EnvironmentCreate>("EnvironmentCreate");
        refuses_unknown::<EnvironmentUpdate>("EnvironmentUpdate");
        refuses_unknown::<FreezeRequest>("FreezeRequest");
        // Inside a role: a misspelled `target` must not quietly grant on credentials.
        refuses_unknown::<Grant>("Grant");
        refuses_unknown::<ProbePath>("ProbePath");
        refuses_unknown::<IncidentWrite>("IncidentWrite");
        refuses_unknown::<KeyCreate>("KeyCreate");
        refuses_unknown::<KeyUpdate>("KeyUpdate");
        refuses_unknown::<KeyRequest>("KeyRequest");
        refuses_unknown::<NewUser>("NewUser");
        refuses_unknown::<PromoteRequest>("PromoteRequest");
        refuses_unknown::<ResumeRequest>("ResumeRequest");
        refuses_unknown::<Role>("Role");
        refuses_unknown::<RunbookStart>("RunbookStart");
        refuses_unknown::<ScanRequest>("ScanRequest");
        refuses_unknown::<SecretIdRequest>("SecretIdRequest");
        refuses_unknown::<StepNote>("StepNote");
        refuses_unknown::<TemplateUpload>("TemplateUpload");
        refuses_unknown::<ThawRequest>("ThawRequest");
        refuses_unknown::<UserRoles>("UserRoles");
        refuses_unknown::<VersionRequest>("VersionRequest");
    }
}
