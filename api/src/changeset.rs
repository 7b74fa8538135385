//! Changesets: checksummed migrations of the store, their status, the plan (a list of
//! items), apply jobs and the lock.

use crate::CredentialMetadata;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "openapi", schema(rename_all = "snake_case"))]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        /// Written as its wire name (the same text `parse` reads).
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        /// Read from its wire name through one shared string path (a derived visitor per
        /// enum costs the console's wasm more).
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).ok_or_else(|| {
                    serde::de::Error::unknown_variant(&text, &[$($text),+])
                })
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Compared with its wire name, as code written when it was a string does.
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.as_str()
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(
    /// The status of one changeset.
    ChangesetState {
        /// Never applied.
        Pending => "pending",
        Applied => "applied",
        /// Edited after it was applied: its checksum is not the applied one nor allowed.
        Changed => "changed",
        /// Edited after it was applied, and the new checksum is on the allow-list.
        Accepted => "accepted",
        /// Partly applied: a new apply resumes its item list from the cursor.
        Failed => "failed",
        /// An apply holds the lock and is running it now.
        Running => "running",
        /// The file does not parse, or its changelog record does not decode.
        Invalid => "invalid",
        /// Applied, then undone by its inverse plan: it is not planned again (undo it
        /// again to redo it).
        Undone => "undone",
    }
);

wire_enum!(
    /// What the changelog record says of the last apply.
    ChangelogResult {
        Running => "running",
        Applied => "applied",
        Failed => "failed",
        Undone => "undone",
    }
);

wire_enum!(
    /// What apply does with one item of a plan.
    ItemAction {
        CreateEnvironment => "create_environment",
        CreateRole => "create_role",
        UpdateRole => "update_role",
        DeleteRole => "delete_role",
        /// A credential written where there is none (check-and-set 0).
        Create => "create",
        /// A credential overwritten with a new version.
        Update => "update",
        /// Nothing to do: the target already is as planned.
        Skip => "skip",
        /// A move's source removed (every version), after its copy was verified.
        DeleteSource => "delete_source",
        /// A credential's metadata changed.
        Retag => "retag",
        /// A credential's current version soft-deleted.
        Delete => "delete",
        /// Cannot be applied as the changeset asks: the plan is blocked.
        Conflict => "conflict",
        /// A transit key created in an environment's transit mount.
        CreateKey => "create_key",
        /// A key's new version made (the planned latest version must still be latest).
        RotateKey => "rotate_key",
        /// A ciphertext in a credential's field re-encrypted to a newer key version by
        /// OpenBao (transit `rewrap`: no plaintext reaches Crypter), written with `cas`.
        Rewrap => "rewrap",
        /// An undo: a credential's earlier version (the item's source) written back as its
        /// newest, with `cas`, and its metadata put back.
        Restore => "restore",
        /// An undo: a version that the apply soft-deleted made readable again.
        Undelete => "undelete",
    }
);

impl ItemAction {
    /// Items that write nothing when applied.
    pub fn is_noop(self) -> bool {
        matches!(self, Self::Skip | Self::Conflict)
    }
}

wire_enum!(
    /// A target's value compared with the source's, inside the backend (never a digest).
    ValueCompare {
        Same => "same",
        Different => "different",
    }
);

/// Where an item reads: a credential in an environment or in any KV mount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemSource {
    /// The environment, when the source is one (its mount is `env/<name>`).
    pub environment: Option<String>,
    /// The KV mount, without slashes (e.g. `env/staging`, `legacy`).
    pub mount: String,
    pub path: String,
    /// The current version when planned; `None` for KV v1, which has no versions.
    pub version: Option<u64>,
}

/// What an item writes. (Externally tagged, `{"credential": {…}}`: an internally tagged
/// enum costs the console's wasm a buffering deserializer.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ItemTarget {
    Credential {
        environment: String,
        path: String,
        /// The current version as this item finds it; `None` when absent.
        version: Option<u64>,
    },
    Environment {
        name: String,
    },
    Role {
        name: String,
        /// The role record's version as this item finds it; `None` when absent.
        version: Option<u64>,
    },
    Key {
        environment: String,
        name: String,
        /// The key's latest version as this item finds it; `None` when absent.
        version: Option<u64>,
    },
}

impl ItemTarget {
    /// `staging/db/password`, `environment qa`, `role deployer`.
    pub fn label(&self) -> String {
        match self {
            Self::Credential {
                environment, path, ..
            } => format!("{environment}/{path}"),
            Self::Environment { name } => format!("environment {name}"),
            Self::Role { name, .. } => format!("role {name}"),
            Self::Key {
                environment, name, ..
            } => format!("key {environment}/{name}"),
        }
    }
}

/// What must still hold when the item runs; otherwise the apply stops with `conflict`
/// naming the item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Precondition {
    /// KV v2 check-and-set on the target's data: its current version (0: absent).
    pub cas: Option<u64>,
    /// OpenBao's `metadata_cas` on the target's metadata: its metadata version.
    pub metadata_cas: Option<u64>,
    /// The source's current version must still be this one.
    pub source_version: Option<u64>,
    /// Roles and environments: the record's version (0: must not exist).
    pub record_version: Option<u64>,
    /// Keys: the key's latest version (0: must not exist); a rewrap's ciphertext must
    /// still be at `from` of its [`KeyMove`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_version: Option<u64>,
}

/// A rewrap item's ciphertext: in which field, of which key, from which version to which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyMove {
    pub key: String,
    pub field: String,
    pub from: u64,
    pub to: u64,
}

/// One item of a plan: one thing apply does (or, for `skip`, does not do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanItem {
    pub changeset: String,
    /// The operation's index in the changeset (0-based).
    pub operation: usize,
    pub action: ItemAction,
    pub source: Option<ItemSource>,
    pub target: ItemTarget,
    /// An existing target's value against the source's.
    pub value: Option<ValueCompare>,
    /// (The console shows neither the precondition nor the metadata, and does not decode
    /// them: that code would cost its bundle more than the budget allows.)
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub precondition: Precondition,
    /// The credential metadata this item writes.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub metadata: Option<CredentialMetadata>,
    /// Why a `conflict` or `skip`, in words.
    pub reason: Option<String>,
    /// OpenBao will refuse this item's writes for the token that applies (a freeze, or a
    /// missing grant): the reason. A refused item blocks the plan.
    pub refused: Option<String>,
    /// An interrupted apply may have done this item already; apply accepts it as done
    /// when the store already shows exactly its effect.
    #[serde(default)]
    pub resumed: bool,
    /// `rewrap` items: the ciphertext they move between key versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_move: Option<KeyMove>,
}

impl PlanItem {
    /// The kind it is counted and filtered as: `refused` wins over the action.
    pub fn kind(&self) -> &'static str {
        if self.refused.is_some() {
            "refused"
        } else {
            self.action.as_str()
        }
    }
}

/// Where a partly applied changeset stopped: the item list it was applying and how far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesetCursor {
    /// The plan whose items were applied.
    pub plan_hash: String,
    /// Items done (the next apply starts at this one, 0-based).
    pub done: usize,
    /// Items in the changeset's list.
    pub total: usize,
    /// Items from `done` up to here were running when the apply stopped: they may be done.
    pub in_flight: usize,
}

/// One line of `GET /api/v1/changesets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesetStatus {
    /// The changeset's id, or the file name when the file does not parse.
    pub id: String,
    /// The file it came from (`upload:<id>` for uploads).
    pub file: String,
    pub status: ChangesetState,
    pub checksum: Option<String>,
    pub applied_checksum: Option<String>,
    pub environment: Option<String>,
    pub author: Option<String>,
    pub description: Option<String>,
    pub applied_by: Option<String>,
    pub applied_at: Option<String>,
    pub runbook_run: Option<String>,
    /// `invalid`: the parse error (file, line, what was expected) or why the changelog
    /// record does not decode; `failed`: why the apply stopped.
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
#[serde(deny_unknown_fields)]
pub struct ChangesetUpload {
    pub toml: String,
}

/// Items of one kind: `create`, `update`, `skip`, `conflict`, `refused`, … → how many.
pub type ItemCounts = std::collections::BTreeMap<String, u64>;

/// What one operation would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedOperation {
    pub index: usize,
    pub op: String,
    pub summary: String,
    /// Its items per kind (see [`PlanItem::kind`]).
    pub counts: ItemCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedChangeset {
    pub id: String,
    pub checksum: String,
    pub environment: String,
    pub status: ChangesetState,
    pub operations: Vec<PlannedOperation>,
    /// Items in its list.
    pub items: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanWarning {
    pub changeset: String,
    pub operation: Option<usize>,
    /// `environment_mismatch`, `overwrite`, `protected_environment`, `freeze_missing`,
    /// `changed`, `invalid`, `conflict`, `refused`.
    pub code: String,
    pub message: String,
}

/// `POST /api/v1/changesets/plan`: a dry run that writes nothing. It carries the counts
/// and the first page of items; `GET /api/v1/changesets/plans/{hash}/items` pages on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesetPlan {
    /// The hash of the complete item list; present it to apply.
    pub plan_hash: String,
    /// The changesets that apply would run, in order of id.
    pub changesets: Vec<PlannedChangeset>,
    /// Items per kind over the whole plan.
    pub counts: ItemCounts,
    pub warnings: Vec<PlanWarning>,
    /// Why apply would refuse (changed changesets, conflicts, refused items, parse
    /// errors); empty when it can run.
    pub blockers: Vec<String>,
    /// The first page of items.
    pub items: PlanItemPage,
    /// An inverse plan: the changeset it undoes (or, when that changeset is undone
    /// already, redoes); several, comma-separated, in the order they are undone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo_of: Option<String>,
}

wire_enum!(
    /// When a restore point was made.
    RestorePointKind {
        /// Before a changeset's apply (or its redo): what an undo puts back.
        BeforeApply => "before_apply",
        /// Before an undo: what undoing the undo puts back.
        BeforeUndo => "before_undo",
        /// A whole environment as it was, made by hand or on a schedule, under a name.
        Named => "named",
    }
);

/// One line of `GET /api/v1/restore-points`: what a changeset's items touched, as it was
/// before the apply (or the undo) changed it. Values are never kept: KV v2 keeps earlier
/// versions, so a restore point names versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RestorePointSummary {
    /// The changeset it was made for; for a named restore point, its name.
    pub changeset: String,
    pub kind: RestorePointKind,
    /// RFC 3339.
    pub at: String,
    pub by: String,
    /// The plan whose apply it was made before.
    pub plan_hash: String,
    /// Targets it holds (credentials, roles, keys, environments).
    pub entries: u64,
    /// A named restore point: the environment it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// `POST /api/v1/environments/{env}/restore-points`: a named restore point of the whole
/// environment (its credentials' versions and metadata), made now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RestorePointCreate {
    /// `^[a-z0-9][a-z0-9-]{0,62}$`.
    pub name: String,
}

wire_enum!(
    /// A credential now, against a named restore point.
    Drift {
        Same => "same",
        /// Another version (or other metadata) is current now.
        Changed => "changed",
        /// There now, not then.
        Created => "created",
        /// Readable then, deleted now (a restore undeletes it).
        Deleted => "deleted",
        /// Readable then, gone now with every version: nothing to put back.
        Removed => "removed",
    }
);

/// One credential of a comparison: its versions then and now (never a value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftLine {
    pub path: String,
    pub drift: Drift,
    pub then: Option<u64>,
    pub now: Option<u64>,
}

/// `GET /api/v1/environments/{env}/restore-points/{name}/compare`: what differs now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RestorePointComparison {
    pub environment: String,
    pub name: String,
    pub at: String,
    /// Credentials per drift (`same`, `changed`, …).
    pub counts: ItemCounts,
    /// Every credential that differs (the same ones are only counted).
    pub lines: Vec<DriftLine>,
}

/// `GET /api/v1/changesets/plans/{hash}/items?kind=&changeset=&after=&limit=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanItemPage {
    /// Each item with its position in the plan's list.
    pub items: Vec<NumberedItem>,
    /// Items matching the filter.
    pub total: u64,
    /// Pass back as `after` for the next page.
    pub next: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NumberedItem {
    /// 0-based position in the plan's complete list.
    pub n: u64,
    pub item: PlanItem,
}

/// `POST /api/v1/changesets/apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
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
    /// No heartbeat for `stale_after` seconds: anyone may take it.
    pub stale: bool,
    /// How long the holder may go without a heartbeat before its lock is stale; the holder
    /// sets it, so every reader judges it alike.
    #[serde(default = "default_stale_after")]
    pub stale_after: u64,
}

fn default_stale_after() -> u64 {
    60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_read_and_write_their_wire_names() {
        for s in ChangesetState::ALL {
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(ChangesetState::parse(s.as_str()), Some(*s));
        }
        assert_eq!(ItemAction::DeleteSource.as_str(), "delete_source");
        assert_eq!(
            serde_json::from_str::<crate::JobState>("\"done\"").unwrap(),
            crate::JobState::Done
        );
        assert!(serde_json::from_str::<crate::JobState>("\"nope\"").is_err());
    }

    #[test]
    fn a_refused_item_counts_as_refused() {
        let mut item = PlanItem {
            changeset: "c".into(),
            operation: 0,
            action: ItemAction::Create,
            source: None,
            target: ItemTarget::Environment { name: "qa".into() },
            value: None,
            precondition: Precondition::default(),
            metadata: None,
            reason: None,
            refused: None,
            resumed: false,
            key_move: None,
        };
        assert_eq!(item.kind(), "create");
        item.refused = Some("frozen".into());
        assert_eq!(item.kind(), "refused");
    }
}
