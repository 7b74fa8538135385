use serde::{Deserialize, Serialize};

/// One entry of the activity log: every change and every reveal. Never holds a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityEvent {
    /// Sortable id: newer events have greater ids.
    pub id: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub actor: String,
    /// e.g. `credential.reveal`, `role.update`, `session.login`.
    pub action: String,
    /// e.g. `staging/payments/db`, `role/deployer`.
    pub target: String,
    /// `ok`, `denied` or `error`.
    pub outcome: String,
    /// A short note for people (never a secret value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `GET /api/v1/activity`: newest first; pass `next` back as `before` for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityPage {
    pub events: Vec<ActivityEvent>,
    pub next: Option<String>,
}
