//! A role as stored at `crypter/data/roles/<name>`. The wire type `Role` refuses unknown
//! fields, so a typo in a request body is a 400; a stored record must instead stay
//! readable when a newer or an older Crypter wrote fields this one does not know, so it is
//! read through its own type, which keeps the fields `Role` has and ignores the rest.

use crate::error::AppError;
use crypter_api::{
    Capability, CredentialPath, Effect, EnvName, Grant, GrantEnv, GrantTarget, ProbePath, Role,
    RoleClass, RoleName, Scope,
};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct RoleRecord {
    name: RoleName,
    class: RoleClass,
    #[serde(default)]
    description: String,
    #[serde(default)]
    grants: Vec<GrantRecord>,
    #[serde(default)]
    canaries: Vec<ProbeRecord>,
    #[serde(default)]
    forbidden: Vec<ProbeRecord>,
}

/// A stored grant: `Grant`'s fields, the rest ignored.
#[derive(Deserialize)]
struct GrantRecord {
    environment: GrantEnv,
    #[serde(default)]
    target: GrantTarget,
    scope: Scope,
    capabilities: Vec<Capability>,
    effect: Effect,
}

impl From<GrantRecord> for Grant {
    fn from(g: GrantRecord) -> Self {
        Grant {
            environment: g.environment,
            target: g.target,
            scope: g.scope,
            capabilities: g.capabilities,
            effect: g.effect,
        }
    }
}

/// A stored canary or forbidden path: `ProbePath`'s fields, the rest ignored.
#[derive(Deserialize)]
struct ProbeRecord {
    environment: EnvName,
    path: CredentialPath,
}

impl From<ProbeRecord> for ProbePath {
    fn from(p: ProbeRecord) -> Self {
        ProbePath {
            environment: p.environment,
            path: p.path,
        }
    }
}

impl From<RoleRecord> for Role {
    fn from(r: RoleRecord) -> Self {
        Role {
            name: r.name,
            class: r.class,
            description: r.description,
            grants: r.grants.into_iter().map(Grant::from).collect(),
            canaries: r.canaries.into_iter().map(ProbePath::from).collect(),
            forbidden: r.forbidden.into_iter().map(ProbePath::from).collect(),
        }
    }
}

/// The record's `data`, as a `Role`; `name` only names it in the error.
pub fn parse(name: impl std::fmt::Display, data: Value) -> Result<Role, AppError> {
    serde_json::from_value::<RoleRecord>(data)
        .map(Role::from)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("role record {name} is unreadable: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_with_fields_this_crypter_does_not_know_still_reads() {
        let grant = json!({"environment": "qa", "scope": "db/*", "capabilities": ["read"],
            "effect": "allow", "note": "a newer crypter's"});
        let stored = json!({"name": "ci", "class": "service", "description": "d",
            "grants": [grant], "written_by": "a newer crypter"});
        assert!(serde_json::from_value::<Role>(stored.clone()).is_err());
        let role = parse("ci", stored).unwrap();
        assert_eq!((role.name.as_str(), role.description.as_str()), ("ci", "d"));
    }
}
