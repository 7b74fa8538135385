//! Approvals: a rule per protected environment (N approvals from an approver group), and
//! the requests a change under that rule becomes. OpenBao enforces both: a requester's own
//! token cannot change the environment, a request is a record only its requester writes,
//! and a vote a record only that approver writes (never on its own request).

use crate::changeset::wire_enum;
use crate::credential::CredentialWrite;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `PUT /api/v1/environments/{env}/approvals`. `required` 1–3 with `approvers` (user names)
/// or `approver_role` (a Crypter role); `{"required": 0}` removes the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApprovalRuleSet {
    pub required: u8,
    #[serde(default)]
    pub approvers: Vec<String>,
    #[serde(default)]
    pub approver_role: Option<String>,
    /// Why (kept with the request when the change needs approval).
    #[serde(default)]
    pub reason: Option<String>,
}

/// An environment's rule as stored and shown; `required: 0` when there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalRule {
    pub environment: String,
    pub required: u8,
    pub approvers: Vec<String>,
    pub approver_role: Option<String>,
    pub set_by: Option<String>,
    pub set_at: Option<String>,
}

impl ApprovalRule {
    pub fn is_on(&self) -> bool {
        self.required > 0
    }
}

wire_enum!(
    /// Where a request stands. `approved`: the approvals are in and the change is being
    /// carried out (or waits for a full freeze to end).
    RequestState {
        Pending => "pending",
        Approved => "approved",
        Applied => "applied",
        Rejected => "rejected",
        Expired => "expired",
        Conflict => "conflict",
    }
);

impl RequestState {
    /// Nothing more happens to a request in this state.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Approved)
    }
}

/// What a request asks for: one change, exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RequestedChange {
    /// A new version of a credential; the value itself is sealed in the request and never
    /// shown in a list.
    CredentialWrite {
        path: String,
        #[serde(flatten)]
        fields: ChangeFields,
    },
    /// Soft-delete the current version.
    CredentialDelete { path: String },
    /// Destroy versions (gone for good).
    CredentialDestroy { path: String, versions: Vec<u64> },
    /// Write an earlier version's value back as a new version.
    CredentialRollback { path: String, version: u64 },
    /// Rotate a key (a new latest version).
    KeyRotate { key: String },
    /// Change a key's configuration (rotation period, minimum versions, deletion).
    KeyConfigure {
        key: String,
        update: crate::key::KeyUpdate,
    },
    /// Create or change a role whose grants on the environment change (who may read or
    /// use it): the role as it would be saved.
    RoleGrant {
        role: Box<crate::role::Role>,
        create: bool,
    },
    /// Change or remove the environment's approval rule.
    RuleChange { rule: ApprovalRuleSet },
}

/// The non-secret fields of a credential write (the value is sealed apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeFields {
    /// The value's keys (never the values).
    pub keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_after_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl ChangeFields {
    /// The fields of `w`, its value left out.
    pub fn of(w: &CredentialWrite) -> Self {
        Self {
            keys: w.data.keys().cloned().collect(),
            class: w.class.map(|c| c.as_str().to_owned()),
            owner: w.owner.clone(),
            description: w.description.clone(),
            labels: w.labels.clone(),
            rotate_after_days: w.rotate_after_days,
            expires: w.expires.clone(),
        }
    }
}

impl RequestedChange {
    /// The credential path it changes, if it changes one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::CredentialWrite { path, .. }
            | Self::CredentialDelete { path }
            | Self::CredentialDestroy { path, .. }
            | Self::CredentialRollback { path, .. } => Some(path),
            Self::KeyRotate { .. }
            | Self::KeyConfigure { .. }
            | Self::RuleChange { .. }
            | Self::RoleGrant { .. } => None,
        }
    }

    /// Carried out with an admin's token (it writes policies), not by the carrier.
    pub fn needs_admin(&self) -> bool {
        matches!(
            self,
            Self::RuleChange { .. } | Self::RoleGrant { .. } | Self::KeyConfigure { .. }
        )
    }

    /// `credential.write`, `rule.change`, …: for people.
    pub fn label(&self) -> &'static str {
        match self {
            Self::CredentialWrite { .. } => "credential.write",
            Self::CredentialDelete { .. } => "credential.delete",
            Self::CredentialDestroy { .. } => "credential.destroy",
            Self::CredentialRollback { .. } => "credential.rollback",
            Self::KeyRotate { .. } => "key.rotate",
            Self::KeyConfigure { .. } => "key.configure",
            Self::RoleGrant { .. } => "role.grant",
            Self::RuleChange { .. } => "rule.change",
        }
    }
}

/// One approver's decision, a record only that approver could write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Vote {
    pub by: String,
    pub approve: bool,
    pub comment: String,
    pub at: String,
}

/// A request, as shown. Never holds the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalRequest {
    pub id: String,
    pub environment: String,
    pub change: RequestedChange,
    pub requested_by: String,
    pub reason: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    /// The credential's version the change was made against (`cas`); 0: it did not exist.
    pub base_version: Option<u64>,
    pub required: u8,
    pub state: RequestState,
    pub votes: Vec<Vote>,
    /// What carrying it out did, or why it waits (a full freeze) or could not (a conflict).
    pub outcome: Option<String>,
    /// The credential's version the change wrote.
    pub applied_version: Option<u64>,
    /// For a write, to those who may read the environment: whether the value is the
    /// current one, and which of its keys differ (added, removed or changed). Never values.
    pub same_value: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed_keys: Vec<String>,
}

/// `202` from a change that needs approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestOpened {
    pub request: ApprovalRequest,
}

/// `POST /api/v1/requests/{id}/approve` and `…/reject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VoteCast {
    #[serde(default)]
    pub comment: String,
}
