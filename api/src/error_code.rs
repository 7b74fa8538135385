//! `ErrorCode`: every `error.code` Crypter answers, in one list. A conflict or a missing
//! thing says which (`stale_version`, `changesets_locked`, `environment_not_found` …), so the
//! console and scripts react to the code, never to the message text.

use serde::{Deserialize, Deserializer, Serialize};

/// Declares the enum and its wire strings from one list. serde's `snake_case` name and
/// the listed string must agree; `every_code_round_trips` checks that they do. Decoding
/// looks the string up in [`ErrorCode::ALL`] rather than through serde's derive: the
/// derived matcher for this many variants weighs about 25 KB in each console bundle.
macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $wire:literal, )*) => {
        /// The machine-readable `code` of an error response (stable, snake_case). The
        /// HTTP status says what kind of refusal it is; the code says which one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
            /// A code this build does not know (sent by a newer backend).
            Unknown,
        }

        impl ErrorCode {
            /// Every code but `Unknown`.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it is sent.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)*
                    ErrorCode::Unknown => "unknown",
                }
            }
        }
    };
}

error_codes! {
    // 400: the request itself is wrong; the message names the field and what to send.
    ChangesetTooLarge = "changeset_too_large",
    ClassRequired = "class_required",
    EnvironmentRequired = "environment_required",
    FilterTooLarge = "filter_too_large",
    HumanRole = "human_role",
    InsecureTarget = "insecure_target",
    InvalidAccessor = "invalid_accessor",
    InvalidAction = "invalid_action",
    InvalidApprovalRule = "invalid_approval_rule",
    InvalidAuditLines = "invalid_audit_lines",
    InvalidAuthMethod = "invalid_auth_method",
    InvalidAutoRotatePeriod = "invalid_auto_rotate_period",
    InvalidBackendRecords = "invalid_backend_records",
    InvalidBase64 = "invalid_base64",
    InvalidBefore = "invalid_before",
    InvalidBody = "invalid_body",
    InvalidChangeset = "invalid_changeset",
    InvalidChangesetId = "invalid_changeset_id",
    InvalidCheck = "invalid_check",
    InvalidClass = "invalid_class",
    InvalidColor = "invalid_color",
    InvalidComment = "invalid_comment",
    InvalidCounts = "invalid_counts",
    InvalidData = "invalid_data",
    InvalidDescription = "invalid_description",
    InvalidEnvironment = "invalid_environment",
    InvalidEnvironments = "invalid_environments",
    InvalidExpires = "invalid_expires",
    InvalidField = "invalid_field",
    InvalidGrant = "invalid_grant",
    InvalidJobId = "invalid_job_id",
    InvalidJson = "invalid_json",
    InvalidKey = "invalid_key",
    InvalidKeyRequest = "invalid_key_request",
    InvalidKind = "invalid_kind",
    InvalidLabels = "invalid_labels",
    InvalidLevel = "invalid_level",
    InvalidLimit = "invalid_limit",
    InvalidMinDecryptionVersion = "invalid_min_decryption_version",
    InvalidName = "invalid_name",
    InvalidOwner = "invalid_owner",
    InvalidOwnReads = "invalid_own_reads",
    InvalidPassword = "invalid_password",
    InvalidPath = "invalid_path",
    InvalidPlanHash = "invalid_plan_hash",
    InvalidPrefix = "invalid_prefix",
    InvalidQuery = "invalid_query",
    InvalidQuick = "invalid_quick",
    InvalidReason = "invalid_reason",
    InvalidRestorePointName = "invalid_restore_point_name",
    InvalidRole = "invalid_role",
    InvalidRotateAfterDays = "invalid_rotate_after_days",
    InvalidRotationPeriod = "invalid_rotation_period",
    InvalidTarget = "invalid_target",
    InvalidTemplate = "invalid_template",
    InvalidToken = "invalid_token",
    InvalidTtl = "invalid_ttl",
    InvalidUsername = "invalid_username",
    InvalidVersion = "invalid_version",
    KeyRefused = "key_refused",
    ManualStep = "manual_step",
    MethodNotAllowed = "method_not_allowed",
    MissingEnvironment = "missing_environment",
    NameMismatch = "name_mismatch",
    NoActions = "no_actions",
    NoLines = "no_lines",
    NotAGate = "not_a_gate",
    NotManual = "not_manual",
    ReasonRequired = "reason_required",
    SameEnvironment = "same_environment",
    SnapshotsDirRequired = "snapshots_dir_required",
    StoreRejected = "store_rejected",
    TargetIsStore = "target_is_store",
    TooManyLines = "too_many_lines",
    UnknownAction = "unknown_action",
    UnknownEnvironment = "unknown_environment",
    UnknownKind = "unknown_kind",
    UnknownRole = "unknown_role",
    UnsealKeysRequired = "unseal_keys_required",
    UnsupportedKeyType = "unsupported_key_type",
    WeakPassword = "weak_password",

    // 401, 403, 413, 423, 429: who may do what, and how much.
    Unauthenticated = "unauthenticated",
    InvalidCredentials = "invalid_credentials",
    Forbidden = "forbidden",
    StoreForbidden = "store_forbidden",
    PayloadTooLarge = "payload_too_large",
    /// The store is frozen and this action is frozen at its level.
    Frozen = "frozen",
    RateLimited = "rate_limited",

    // 404: each says what is missing.
    ApproleNotFound = "approle_not_found",
    AuditIngestOff = "audit_ingest_off",
    ChangesetNotFound = "changeset_not_found",
    CredentialNotFound = "credential_not_found",
    DeadLetterNotFound = "dead_letter_not_found",
    EndpointNotFound = "endpoint_not_found",
    EnvironmentNotFound = "environment_not_found",
    IncidentNotFound = "incident_not_found",
    JobNotFound = "job_not_found",
    KeyNotFound = "key_not_found",
    PlanNotFound = "plan_not_found",
    PolicyNotFound = "policy_not_found",
    /// One of Crypter's own records (under `crypter/`) is missing.
    RecordNotFound = "record_not_found",
    RequestNotFound = "request_not_found",
    RestorePointNotFound = "restore_point_not_found",
    RoleNotFound = "role_not_found",
    RunNotFound = "run_not_found",
    SecretIdNotFound = "secret_id_not_found",
    SnapshotNotFound = "snapshot_not_found",
    StepNotFound = "step_not_found",
    SubscriptionNotFound = "subscription_not_found",
    TemplateNotFound = "template_not_found",
    UserNotFound = "user_not_found",
    VersionNotFound = "version_not_found",
    /// A datacenter that this instance's WAN settings do not name.
    UnknownDatacenter = "unknown_datacenter",

    // 409: each says which conflict.
    /// Another write came first (check-and-set failed): reload, then retry.
    StaleVersion = "stale_version",
    /// Another writer kept winning the race for the same record: retry.
    WriteContention = "write_contention",
    /// Another instance holds the changesets lock.
    ChangesetsLocked = "changesets_locked",
    /// The changesets lock was released or taken over while it was held.
    LockLost = "lock_lost",
    /// A changeset apply failed partway; its changelog says where.
    ApplyFailed = "apply_failed",
    AlreadyVoted = "already_voted",
    ApplyUnfinished = "apply_unfinished",
    ApprovalRuleMissing = "approval_rule_missing",
    CarrierMissing = "carrier_missing",
    ChangelogDamaged = "changelog_damaged",
    ChangesetNotPending = "changeset_not_pending",
    CredentialExists = "credential_exists",
    DeletionNotAllowed = "deletion_not_allowed",
    EnvironmentExists = "environment_exists",
    EnvironmentNotEmpty = "environment_not_empty",
    ForeignApprole = "foreign_approle",
    ForeignPolicy = "foreign_policy",
    FreezeFailed = "freeze_failed",
    FreezeRecordDamaged = "freeze_record_damaged",
    JobDone = "job_done",
    JobInRunbook = "job_in_runbook",
    JobRunning = "job_running",
    KeyExists = "key_exists",
    MountTaken = "mount_taken",
    NeverApplied = "never_applied",
    NoIdentity = "no_identity",
    NoRestorePoint = "no_restore_point",
    NotAnApply = "not_an_apply",
    NotFrozen = "not_frozen",
    NotInJob = "not_in_job",
    NotRaft = "not_raft",
    OneEnvironmentAtATime = "one_environment_at_a_time",
    OtherStore = "other_store",
    OutOfOrder = "out_of_order",
    PlanBlocked = "plan_blocked",
    PlanChanged = "plan_changed",
    PoliciesChangedWhileFrozen = "policies_changed_while_frozen",
    RequestClosed = "request_closed",
    RequestDamaged = "request_damaged",
    RequestNotCarriedHere = "request_not_carried_here",
    RestorePointDamaged = "restore_point_damaged",
    RoleExists = "role_exists",
    RunAborted = "run_aborted",
    RunEnded = "run_ended",
    RunExists = "run_exists",
    SelfDelete = "self_delete",
    SnapshotCorrupted = "snapshot_corrupted",
    SnapshotDamaged = "snapshot_damaged",
    SnapshotMissing = "snapshot_missing",
    StepNotRunning = "step_not_running",
    StepRunning = "step_running",
    ThawIncomplete = "thaw_incomplete",
    UnparsablePolicy = "unparsable_policy",
    UserExists = "user_exists",
    UserpassMissing = "userpass_missing",
    WrongSnapshotKey = "wrong_snapshot_key",

    // 500, 502, 503: Crypter or OpenBao failed; the request id finds the cause in the log.
    Internal = "internal",
    StoreError = "store_error",
    StoreUnreachable = "store_unreachable",
    StoreSealed = "store_sealed",
    StoreElecting = "store_electing",
    /// OpenBao did not answer in time (too many requests at once): retry after
    /// `Retry-After` seconds.
    StoreBusy = "store_busy",
    /// The leader was lost after the request was sent: it may or may not have been applied.
    LeaderLost = "leader_lost",
    LeaderUnreachable = "leader_unreachable",

    // Single sign-on. Settings and group mappings (400, 404):
    InvalidSsoLabel = "invalid_sso_label",
    InvalidDiscoveryUrl = "invalid_discovery_url",
    InvalidClientId = "invalid_client_id",
    InvalidClientSecret = "invalid_client_secret",
    InvalidRedirectUri = "invalid_redirect_uri",
    /// The provider or client changes and no client secret was given.
    ClientSecretRequired = "client_secret_required",
    /// OpenBao could not read the provider's discovery document.
    SsoProviderUnreachable = "sso_provider_unreachable",
    SsoNotConfigured = "sso_not_configured",
    InvalidGroup = "invalid_group",
    InvalidLoginMethod = "invalid_login_method",
    GroupMappingNotFound = "group_mapping_not_found",
    LoginMethodNotFound = "login_method_not_found",
    /// The person has not signed in through SSO yet: OpenBao knows no identity for them.
    IdentityNotFound = "identity_not_found",
    // A refused SSO login, sent to the login page as `?sso_error=<code>`.
    /// The identity provider does not answer, or SSO is not set up for this address.
    SsoUnavailable = "sso_unavailable",
    /// Unknown, expired or used state (replayed or tampered), or another browser's login.
    SsoStateInvalid = "sso_state_invalid",
    SsoTokenExpired = "sso_token_expired",
    SsoWrongAudience = "sso_wrong_audience",
    SsoDenied = "sso_denied",
    SsoBadCallback = "sso_bad_callback",
    SsoRejected = "sso_rejected",

    // Made by the console, never sent by the backend.
    /// Crypter could not be reached.
    Network = "network",
    /// An answer the console cannot read.
    Decode = "decode",
    /// A body the console could not write.
    Encode = "encode",
    /// An error status without Crypter's error body (a proxy's page).
    UnexpectedStatus = "unexpected_status",
    /// The change became a request for approval (202 with the request).
    SentForApproval = "sent_for_approval",
}

impl ErrorCode {
    /// The code sent as `wire`; `Unknown` for a code this build does not know.
    pub fn parse(wire: &str) -> Self {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == wire)
            .unwrap_or(Self::Unknown)
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Wire;
        impl serde::de::Visitor<'_> for Wire {
            type Value = ErrorCode;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an error code")
            }
            fn visit_str<E: serde::de::Error>(self, wire: &str) -> Result<ErrorCode, E> {
                Ok(ErrorCode::parse(wire))
            }
        }
        deserializer.deserialize_str(Wire)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use std::collections::BTreeSet;

    #[test]
    fn every_code_round_trips() {
        for &code in ErrorCode::ALL {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, code.as_str(), "{code:?}");
            let back: ErrorCode = serde_json::from_value(wire).unwrap();
            assert_eq!(back, code);
        }
        let wires: BTreeSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(wires.len(), ErrorCode::ALL.len(), "a code is listed twice");
    }

    #[test]
    fn a_code_from_a_newer_backend_is_unknown() {
        let c: ErrorCode = serde_json::from_str("\"made_up_later\"").unwrap();
        assert_eq!(c, ErrorCode::Unknown);
        assert_eq!(ErrorCode::parse("unknown"), ErrorCode::Unknown);
        assert!(serde_json::from_str::<ErrorCode>("42").is_err());
    }

    #[test]
    fn no_generic_conflict_or_not_found() {
        for generic in ["conflict", "not_found"] {
            assert!(ErrorCode::ALL.iter().all(|c| c.as_str() != generic));
        }
    }
}
