use serde::{Deserialize, Serialize};

/// One entry of the activity feed, read from OpenBao's own audit device: every change and
/// every reveal, including requests made directly against OpenBao. Never holds a value
/// (the audit device HMACs them, and the feed keeps none of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityEvent {
    /// OpenBao's request id.
    pub id: String,
    /// RFC 3339, UTC, as OpenBao wrote it.
    pub time: String,
    /// Who: from the token's display name and entity in the audit entry (e.g. `alice`,
    /// `root`, `approle:payments-api`, `token:ci`), never from anything a client sent.
    pub actor: String,
    /// The OpenBao entity behind the token, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    /// e.g. `credential.reveal`, `credential.read`, `policy.write`, `session.login`.
    pub action: String,
    /// e.g. `staging/payments/db`, `policy/crypter-role-deployer`.
    pub target: String,
    /// The environment a credential action touched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The OpenBao path and operation, as audited.
    pub path: String,
    pub operation: String,
    /// `ok`, `denied` or `error`.
    pub outcome: String,
    /// Why Crypter itself made the request (`plan`, `compare`, `lint`, `verify`,
    /// `apply:<job>`), from its `X-Crypter-Purpose` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

/// `GET /api/v1/activity`: newest first; pass `next` back as `before` for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityPage {
    pub events: Vec<ActivityEvent>,
    pub next: Option<String>,
    pub feed: AuditFeedStatus,
}

/// Whether Crypter reads an audit feed, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditFeedStatus {
    /// At least one audit source is configured.
    pub connected: bool,
    pub sources: Vec<AuditSource>,
}

/// One audit log Crypter reads: a node's file, or the file the ingest endpoint appends to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditSource {
    pub name: String,
    /// Entries read from it since Crypter started.
    pub entries: u64,
    /// Why it cannot be read right now, if it cannot.
    pub error: Option<String>,
}

/// `GET /api/v1/freeze/writes`: every audited, successful write to a frozen path since the
/// store was frozen, whoever made it. Writes an apply job made are listed apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FrozenWrites {
    pub level: String,
    pub since: Option<String>,
    /// Until when (RFC 3339); `None` while the window is still open.
    pub until: Option<String>,
    pub feed: AuditFeedStatus,
    /// Writes that got through the freeze outside any apply job, oldest first.
    pub writes: Vec<ActivityEvent>,
    /// Writes made by apply jobs, one group per job.
    pub applies: Vec<ApplyWrites>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplyWrites {
    pub job: String,
    pub writes: Vec<ActivityEvent>,
}
