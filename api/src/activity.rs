use crate::changeset::wire_enum;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares [`ActivityAction`] once: each variant's wire name is also its OpenAPI name.
macro_rules! activity_actions {
    ($($(#[doc = $doc:literal])* $variant:ident => $text:literal,)+) => {
        wire_enum!(
            /// What an audited request did, named `noun.verb` with a singular noun
            /// (`credential.reveal`, `policy.write`). The audit mapping can produce only
            /// these, and the console's activity filter lists exactly these.
            ActivityAction {
                $($(#[doc = $doc])* #[cfg_attr(feature = "openapi", schema(rename = $text))]
                $variant => $text),+
            }
        );
    };
}

activity_actions! {
    /// A person or client read a credential's value.
    CredentialReveal => "credential.reveal",
    /// Crypter's own engines read a value (plan, compare, lint, apply): it carries a purpose.
    CredentialRead => "credential.read",
    CredentialWrite => "credential.write",
    CredentialDelete => "credential.delete",
    CredentialUndelete => "credential.undelete",
    CredentialDestroy => "credential.destroy",
    /// A credential's metadata (class, owner, labels, …) changed.
    CredentialRetag => "credential.retag",
    EnvironmentMount => "environment.mount",
    EnvironmentUnmount => "environment.unmount",
    /// A secrets engine other than an environment's mounted, tuned or removed.
    MountChange => "mount.change",
    AuthMethodChange => "auth_method.change",
    AuthMethodConfigure => "auth_method.configure",
    PolicyWrite => "policy.write",
    PolicyDelete => "policy.delete",
    AuditConfigure => "audit.configure",
    SessionLogin => "session.login",
    TokenCreate => "token.create",
    TokenRevoke => "token.revoke",
    TokenRoleChange => "token_role.change",
    AuthRoleWrite => "auth_role.write",
    AuthRoleDelete => "auth_role.delete",
    SecretIdIssue => "secret_id.issue",
    SecretIdRevoke => "secret_id.revoke",
    UserWrite => "user.write",
    UserDelete => "user.delete",
    IdentityChange => "identity.change",
    /// One of Crypter's own records (freeze, changelog, runbook, …) written.
    RecordWrite => "record.write",
    RecordDelete => "record.delete",
    KeyCreate => "key.create",
    KeyConfigure => "key.configure",
    KeyRotate => "key.rotate",
    KeyDelete => "key.delete",
    /// A key's plaintext left OpenBao (decrypt): the keys' counterpart of a reveal.
    KeyDecrypt => "key.decrypt",
    /// Encrypt, rewrap, sign, verify or HMAC: nothing secret leaves.
    KeyUse => "key.use",
    KeyExport => "key.export",
    /// Any other write to the store.
    StoreWrite => "store.write",
    StoreDelete => "store.delete",
    // Product events: Crypter's own doings, recorded as marker writes the backend makes
    // (`crypter/data/events/…`), so they reach the feed through the audit log like the rest.
    /// The store was frozen (the target is the level).
    FreezeStart => "freeze.start",
    /// The store was thawed (the target is the level it had).
    FreezeThaw => "freeze.thaw",
    /// A write got through a freeze outside any apply job: who wrote what.
    FreezeBreach => "freeze.breach",
    /// A changeset was applied (or redone): the target is its id.
    ChangesetApply => "changeset.apply",
    /// A changeset was undone: the target is its id.
    ChangesetUndo => "changeset.undo",
    /// An approval request was opened, approved or rejected.
    RequestOpen => "request.open",
    RequestApprove => "request.approve",
    RequestReject => "request.reject",
    /// A credential's `expires` date is 14 or 3 days away, or today (the detail says which).
    ReminderDue => "reminder.due",
    /// A change to an environment with an approval rule that no approved request made
    /// (an admin's, or anyone's straight at OpenBao): who changed what.
    ApprovalBypass => "approval.bypass",
}

impl ActivityAction {
    /// The noun before the dot (`credential`, `policy`, …).
    pub fn noun(self) -> &'static str {
        self.as_str().split_once('.').map_or("", |(noun, _)| noun)
    }

    /// Crypter's own events (freeze, changeset, request, reminder), not an audited request
    /// of OpenBao's.
    pub fn is_product(self) -> bool {
        matches!(
            self.noun(),
            "freeze" | "changeset" | "request" | "reminder" | "approval"
        )
    }
}

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
    pub action: ActivityAction,
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
    /// A product event's detail: a reminder's `14d`, `3d` or `0d` (days before `expires`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
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

/// `GET /api/v1/environments/{env}/approvals/bypassed`: every audited change to the
/// environment since its rule was set that no approved request made, whoever made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BypassedWrites {
    pub environment: String,
    /// When the rule was set; `None` when the environment has none.
    pub since: Option<String>,
    pub feed: AuditFeedStatus,
    /// Oldest first.
    pub writes: Vec<ActivityEvent>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_name() {
        for &action in ActivityAction::ALL {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert_eq!(
                serde_json::from_str::<ActivityAction>(&json).unwrap(),
                action
            );
            assert_eq!(ActivityAction::parse(action.as_str()), Some(action));
        }
        assert!(serde_json::from_str::<ActivityAction>("\"changesets.apply\"").is_err());
    }

    /// `noun.verb`: a singular snake_case noun, then one of the verbs below. A new action
    /// with a plural noun (`changesets.apply`) or a non-verb (`credential.metadata`) fails here.
    #[test]
    fn every_name_follows_the_scheme() {
        const VERBS: &[&str] = &[
            "reveal",
            "read",
            "write",
            "delete",
            "undelete",
            "destroy",
            "retag",
            "mount",
            "unmount",
            "change",
            "configure",
            "login",
            "create",
            "revoke",
            "issue",
            "rotate",
            "decrypt",
            "use",
            "export",
            "start",
            "thaw",
            "breach",
            "apply",
            "undo",
            "open",
            "approve",
            "reject",
            "due",
            "bypass",
        ];
        let snake = |w: &str| {
            !w.is_empty()
                && !w.starts_with('_')
                && !w.ends_with('_')
                && w.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        };
        let mut seen = std::collections::HashSet::new();
        for &action in ActivityAction::ALL {
            let name = action.as_str();
            let (noun, verb) = name.split_once('.').expect(name);
            assert!(snake(noun) && snake(verb), "{name}");
            assert!(!noun.ends_with('s'), "{name}: the noun is singular");
            assert!(
                VERBS.contains(&verb),
                "{name}: {verb} is not a verb of the scheme"
            );
            assert_eq!(action.noun(), noun);
            assert!(seen.insert(name), "{name} twice");
        }
    }
}
