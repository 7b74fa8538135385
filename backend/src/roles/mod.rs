//! Roles: grants stored at `crypter/data/roles/<name>`, the derived ACL policy
//! `crypter-role-<name>`, and for machine classes the AppRole `auth/approle/role/<name>`.
//! Every call acts with the caller's own token, so OpenBao decides who may do what.

pub mod access;
pub mod identity;
pub mod lint;
pub mod machine;
pub mod policy;
pub mod record;
pub mod rules;
mod save;
pub mod settings;
pub mod users;

use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{EnvName, Grant, GrantEnv, Role, RoleClass, RoleName, RoleSummary};
use futures_util::{stream, StreamExt, TryStreamExt};
use secrecy::SecretString;
use serde_json::Value;

pub use policy::{derive, derive_with, policy_name};
pub use save::{remove, save, save_at};

const RECORDS: &str = "crypter/data/roles";
const RECORDS_META: &str = "crypter/metadata/roles";

/// Lifetime of the tokens an AppRole login hands out.
pub const MACHINE_TOKEN_TTL: &str = "1h";
pub const MACHINE_TOKEN_MAX_TTL: &str = "4h";

/// An environment exists when Crypter has its record or OpenBao has its mount.
pub async fn environment_exists(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
) -> Result<bool, AppError> {
    if bao
        .read(&format!("crypter/data/environments/{env}"), token)
        .await?
        .is_some()
    {
        return Ok(true);
    }
    match bao
        .read(&format!("sys/mounts/{}", env.mount()), token)
        .await
    {
        Ok(found) => Ok(found.is_some()),
        // OpenBao answers 400 "no matching mount" for a path that is not mounted.
        Err(BaoError::Rejected { status: 400, .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

pub async fn names(bao: &Bao, token: &SecretString) -> Result<Vec<RoleName>, AppError> {
    let keys = bao.list(RECORDS_META, token).await?;
    Ok(keys
        .iter()
        .filter_map(|k| RoleName::parse(k).ok())
        .collect())
}

pub async fn get(bao: &Bao, token: &SecretString, name: &RoleName) -> Result<Role, AppError> {
    let data = bao
        .read(&format!("{RECORDS}/{name}"), token)
        .await?
        .and_then(|v| v.pointer("/data/data").cloned())
        .ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::RoleNotFound,
                format!("there is no role named {name}"),
            )
        })?;
    record::parse(name, data)
}

/// How many OpenBao reads a listing keeps in flight.
pub const FAN_OUT: usize = 16;

pub async fn list(bao: &Bao, token: &SecretString) -> Result<Vec<Role>, AppError> {
    let names = names(bao, token).await?;
    let reads: Vec<Result<Role, AppError>> = stream::iter(names)
        .map(|name| async move { get(bao, token, &name).await })
        .buffered(FAN_OUT)
        .collect()
        .await;
    let mut roles = Vec::new();
    for read in reads {
        match read {
            Ok(role) => roles.push(role),
            // Deleted between the listing and the read.
            Err(AppError::NotFound(..)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(roles)
}

/// Each role with whether its live policy differs from the derived one.
pub async fn list_with_drift(
    bao: &Bao,
    token: &SecretString,
) -> Result<Vec<(Role, bool)>, AppError> {
    let roles = list(bao, token).await?;
    let freeze = &crate::freeze::FreezeView::load(bao, token).await;
    let approval_rules = &rules::load(bao, token).await?;
    stream::iter(roles)
        .map(|role| async move {
            let live = live_policy_with(bao, token, &role.name, freeze).await?;
            let approvals = rules::approvals_for(&role.name, approval_rules);
            let derived = derive_with(&role.name, &role.grants, &approvals);
            let drift = live.as_deref() != Some(derived.as_str());
            Ok((role, drift))
        })
        .buffered(FAN_OUT)
        .try_collect()
        .await
}

pub async fn live_policy(
    bao: &Bao,
    token: &SecretString,
    name: &RoleName,
) -> Result<Option<String>, AppError> {
    let freeze = crate::freeze::FreezeView::load(bao, token).await;
    live_policy_with(bao, token, name, &freeze).await
}

/// The role's live policy, seen apart from the freeze described by `freeze`.
pub async fn live_policy_with(
    bao: &Bao,
    token: &SecretString,
    name: &RoleName,
    freeze: &crate::freeze::FreezeView,
) -> Result<Option<String>, AppError> {
    let policy = policy_name(name);
    let live = bao
        .read(&format!("sys/policies/acl/{policy}"), token)
        .await?
        .as_ref()
        .and_then(|v| v.pointer("/data/policy"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    // While the store is frozen, the freeze's rewrite is not drift.
    Ok(freeze.outside(&policy, live))
}

pub fn summary(role: &Role, drift: bool, deprecated: &[String]) -> RoleSummary {
    RoleSummary {
        name: role.name.clone(),
        class: role.class,
        description: role.description.clone(),
        grant_count: role.grants.len(),
        drift,
        deprecated_methods: settings::methods_of_class(role.class)
            .iter()
            .filter(|m| deprecated.iter().any(|d| d == *m))
            .map(|m| (*m).to_owned())
            .collect(),
    }
}

/// Checks that need OpenBao: every named environment exists; canaries only on e2e roles.
pub async fn validate(bao: &Bao, token: &SecretString, role: &Role) -> Result<(), AppError> {
    validate_shape(role)?;
    let mut checked: Vec<&EnvName> = Vec::new();
    let envs = role
        .grants
        .iter()
        .filter_map(|g| match &g.environment {
            GrantEnv::Named(e) => Some(e),
            GrantEnv::Any => None,
        })
        .chain(role.canaries.iter().map(|p| &p.environment))
        .chain(role.forbidden.iter().map(|p| &p.environment));
    for env in envs {
        if checked.contains(&env) {
            continue;
        }
        if !environment_exists(bao, token, env).await? {
            return Err(AppError::bad_request(
                ErrorCode::UnknownEnvironment,
                format!(
                    "environment {env} does not exist; create it first or pick an existing one \
                     (environments are never implied)"
                ),
            ));
        }
        checked.push(env);
    }
    Ok(())
}

/// Checks on the role alone.
pub fn validate_shape(role: &Role) -> Result<(), AppError> {
    for (i, grant) in role.grants.iter().enumerate() {
        check_grant(i, grant)?;
    }
    if role.class != RoleClass::E2e && !(role.canaries.is_empty() && role.forbidden.is_empty()) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidRole,
            "only e2e roles have canary and forbidden paths; set class to e2e or remove them",
        ));
    }
    if role.description.len() > 500 {
        return Err(AppError::bad_request(
            ErrorCode::InvalidRole,
            "the description is longer than 500 characters",
        ));
    }
    if role.grants.len() > 200 {
        return Err(AppError::bad_request(
            ErrorCode::InvalidRole,
            "a role has at most 200 grants",
        ));
    }
    Ok(())
}

fn check_grant(i: usize, grant: &Grant) -> Result<(), AppError> {
    match grant.problem() {
        Some(why) => Err(AppError::bad_request(
            ErrorCode::InvalidGrant,
            format!("grant {}: {why}", i + 1),
        )),
        None => Ok(()),
    }
}
