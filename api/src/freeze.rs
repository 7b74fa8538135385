use crate::changeset::wire_enum;
use serde::{Deserialize, Serialize};
use std::fmt;

wire_enum!(
    /// How far the store is frozen, in order: `none` < `provisioning` < `full`.
    #[derive(Default)]
    FreezeLevel {
        #[default]
        None => "none",
        /// Roles, grants, policies, auth roles, users, environments and mounts.
        Provisioning => "provisioning",
        /// Also every credential write, delete and destroy, and issuing secret-ids.
        Full => "full",
    }
);

wire_enum!(
    /// The level a freeze asks for (`none` is what a thaw gives, never asked for).
    FreezeTarget {
        Provisioning => "provisioning",
        Full => "full",
    }
);

impl FreezeTarget {
    pub fn level(self) -> FreezeLevel {
        match self {
            FreezeTarget::Provisioning => FreezeLevel::Provisioning,
            FreezeTarget::Full => FreezeLevel::Full,
        }
    }
}

impl FreezeLevel {
    /// A store frozen at `self` is frozen at least as far as `required`.
    pub fn satisfies(self, required: FreezeLevel) -> bool {
        self >= required
    }
}

/// `GET /api/v1/freeze`, and the answer to freeze and thaw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FreezeState {
    pub level: FreezeLevel,
    /// When the store was frozen (RFC 3339).
    pub since: Option<String>,
    pub by: Option<String>,
    pub reason: Option<String>,
    /// The policies the freeze rewrote.
    pub policies: Vec<String>,
    /// Policies the freeze never rewrites, by name.
    pub exempt: Vec<String>,
    /// The path patterns frozen at this level.
    pub frozen_paths: Vec<String>,
    /// The last verification of this freeze, if any.
    pub verification: Option<VerificationSummary>,
    /// The last thaw: who, when, and for a forced one, why and what it overwrote.
    #[serde(default)]
    pub last_thaw: Option<ThawNote>,
}

/// What the last thaw did, kept on the freeze record (Crypter writes no activity log of
/// its own; this is where a forced thaw's reason stays).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThawNote {
    pub at: String,
    pub by: String,
    pub forced: bool,
    pub reason: Option<String>,
    /// Policies changed while frozen that the forced thaw overwrote.
    pub overwritten: Vec<String>,
    /// The snapshot version restored from, when it was not the one the freeze wrote.
    pub snapshot_version: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerificationSummary {
    pub at: String,
    pub by: String,
    pub verified: bool,
    pub probes: usize,
    pub failed: usize,
}

/// `PUT /api/v1/freeze`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FreezeRequest {
    pub level: FreezeTarget,
    pub reason: String,
}

/// `DELETE /api/v1/freeze` (body optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ThawRequest {
    /// Restore every policy even if it changed while frozen. Needs a reason.
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub reason: Option<String>,
    /// Restore from this KV version of the snapshot (when the current one is damaged or
    /// missing: the 409 lists the versions and which are good). Needs `force` and a reason.
    #[serde(default)]
    pub snapshot_version: Option<u64>,
}

/// One KV version of the freeze snapshot, as a refused thaw lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotVersion {
    pub version: u64,
    pub created_time: Option<String>,
    /// It reads back whole, every policy's SHA-256 matches, and it is the snapshot this
    /// freeze recorded.
    pub good: bool,
    /// What is wrong with it, when it is not good.
    pub problem: Option<String>,
}

/// A policy that changed while the store was frozen: thaw refuses to overwrite it unless
/// forced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyConflict {
    pub policy: String,
    /// Unified diff from what the freeze wrote to what is live now.
    pub diff: String,
}

/// The answer to a thaw: each restored policy checked against the snapshot's checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThawResult {
    pub state: FreezeState,
    pub restored: Vec<RestoredPolicy>,
    /// Policies that had changed while frozen and were overwritten by a forced thaw.
    pub overwritten: Vec<PolicyConflict>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RestoredPolicy {
    pub policy: String,
    pub sha256: String,
    /// The live policy's checksum equals the snapshot's.
    pub matches_snapshot: bool,
}

/// `POST /api/v1/freeze/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    pub level: FreezeLevel,
    pub at: String,
    /// True only when every probe got what it expected.
    pub verified: bool,
    pub probes: Vec<Probe>,
    pub exemptions: Vec<Exemption>,
    /// Writes that got through the freeze so far, from OpenBao's audit log (when Crypter
    /// reads one and the caller may see it).
    #[serde(default)]
    pub writes_through_freeze: Option<crate::FrozenWrites>,
}

/// One live attempt with a probe token carrying only `policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Probe {
    pub policy: String,
    /// e.g. `write policy`, `create approle role`, `read`, `capabilities`.
    pub operation: String,
    pub path: String,
    /// `denied` or `allowed`.
    pub expected: String,
    /// `denied`, `allowed`, or an error.
    pub got: String,
    /// `pass` or `fail`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Exemption {
    pub name: String,
    pub why: String,
}
