//! Roles: grants stored at `crypter/data/roles/<name>`, the derived ACL policy
//! `crypter-role-<name>`, and for machine classes the AppRole `auth/approle/role/<name>`.
//! Every call acts with the caller's own token, so OpenBao decides who may do what.

pub mod access;
pub mod identity;
pub mod lint;
pub mod machine;
pub mod policy;
pub mod settings;
pub mod users;

use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crypter_api::{EnvName, Grant, GrantEnv, Role, RoleClass, RoleName, RoleSummary};
use futures_util::{stream, StreamExt, TryStreamExt};
use secrecy::SecretString;
use serde_json::{json, Value};

pub use policy::{derive, policy_name};

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
        .ok_or_else(|| AppError::NotFound(format!("there is no role named {name}")))?;
    serde_json::from_value(data)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("role record {name} is unreadable: {e}")))
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
            Err(AppError::NotFound(_)) => {}
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
    stream::iter(roles)
        .map(|role| async move {
            let live = live_policy_with(bao, token, &role.name, freeze).await?;
            let drift = live.as_deref() != Some(derive(&role.name, &role.grants).as_str());
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
                "unknown_environment",
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
            "invalid_role",
            "only e2e roles have canary and forbidden paths; set class to e2e or remove them",
        ));
    }
    if role.description.len() > 500 {
        return Err(AppError::bad_request(
            "invalid_role",
            "the description is longer than 500 characters",
        ));
    }
    if role.grants.len() > 200 {
        return Err(AppError::bad_request(
            "invalid_role",
            "a role has at most 200 grants",
        ));
    }
    Ok(())
}

fn check_grant(i: usize, grant: &Grant) -> Result<(), AppError> {
    if grant.capabilities.is_empty() {
        return Err(AppError::bad_request(
            "invalid_grant",
            format!(
                "grant {} has no capabilities; pick at least one of read, list, create, update, \
                 delete",
                i + 1
            ),
        ));
    }
    Ok(())
}

/// Save a role: on create, reserve its record first (check-and-set 0, so two creates
/// cannot both win), refuse a policy or AppRole of that name that Crypter did not make
/// (409), then write the policy and the AppRole (machine classes). A create that fails
/// half-way releases the reservation.
pub async fn save(
    bao: &Bao,
    token: &SecretString,
    role: &Role,
    create: bool,
) -> Result<(), AppError> {
    if create {
        validate(bao, token, role).await?;
        reserve(bao, token, role).await?;
        let written = async {
            refuse_foreign(bao, token, role).await?;
            write_policy_and_approle(bao, token, role, None).await
        }
        .await;
        if written.is_err() {
            let _ = bao
                .delete(&format!("{RECORDS_META}/{}", role.name), token)
                .await;
        }
        return written;
    }
    let existing = get(bao, token, &role.name).await?;
    validate(bao, token, role).await?;
    write_policy_and_approle(bao, token, role, Some(&existing)).await?;
    // A role that stops being e2e no longer needs its kept secret-id.
    if role.class != RoleClass::E2e && existing.class == RoleClass::E2e {
        bao.delete(&format!("crypter/metadata/e2e/{}", role.name), token)
            .await?;
    }
    bao.write(
        &format!("{RECORDS}/{}", role.name),
        token,
        &json!({ "data": role }),
    )
    .await?;
    Ok(())
}

/// Write the role's record with check-and-set 0: it exists afterwards, or someone else's
/// role of that name already did (409).
async fn reserve(bao: &Bao, token: &SecretString, role: &Role) -> Result<(), AppError> {
    let body = json!({ "options": { "cas": 0 }, "data": role });
    match bao
        .write(&format!("{RECORDS}/{}", role.name), token, &body)
        .await
    {
        Ok(_) => Ok(()),
        Err(BaoError::Rejected { message, .. }) if message.contains("check-and-set") => {
            Err(AppError::Conflict(format!(
                "a role named {} already exists; edit it instead",
                role.name
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// A policy `crypter-role-<name>` is Crypter's when it carries Crypter's header for this
/// role; an AppRole `<name>` is when it hands out exactly that policy.
fn policy_is_ours(name: &RoleName, hcl: &str) -> bool {
    hcl.starts_with(&format!("# Managed by Crypter: role {name}."))
}

async fn approle_is_ours(
    bao: &Bao,
    token: &SecretString,
    name: &RoleName,
) -> Result<Option<bool>, AppError> {
    let Some(live) = bao
        .read(&format!("auth/approle/role/{name}"), token)
        .await?
    else {
        return Ok(None);
    };
    let policies: Vec<&str> = live
        .pointer("/data/token_policies")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    Ok(Some(policies == [policy_name(name).as_str()]))
}

async fn refuse_foreign(bao: &Bao, token: &SecretString, role: &Role) -> Result<(), AppError> {
    let policy = policy_name(&role.name);
    let live = bao
        .read(&format!("sys/policies/acl/{policy}"), token)
        .await?
        .and_then(|v| {
            v.pointer("/data/policy")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    if live.is_some_and(|hcl| !policy_is_ours(&role.name, &hcl)) {
        return Err(AppError::Conflict(format!(
            "a policy named {policy} already exists and Crypter did not make it; rename the \
             role, or remove or rename that policy in OpenBao first"
        )));
    }
    if approle_is_ours(bao, token, &role.name).await? == Some(false) {
        return Err(AppError::Conflict(format!(
            "an AppRole named {} already exists and Crypter did not make it (its policies are \
             not just {policy}); rename the role, or remove that AppRole in OpenBao first",
            role.name
        )));
    }
    Ok(())
}

async fn write_policy_and_approle(
    bao: &Bao,
    token: &SecretString,
    role: &Role,
    existing: Option<&Role>,
) -> Result<(), AppError> {
    let hcl = derive(&role.name, &role.grants);
    bao.write(
        &format!("sys/policies/acl/{}", policy_name(&role.name)),
        token,
        &json!({ "policy": hcl }),
    )
    .await?;
    let approle = format!("auth/approle/role/{}", role.name);
    if role.class.is_machine() {
        bao.write(
            &approle,
            token,
            &json!({
                "token_policies": [policy_name(&role.name)],
                "token_ttl": MACHINE_TOKEN_TTL,
                "token_max_ttl": MACHINE_TOKEN_MAX_TTL,
            }),
        )
        .await?;
    } else if existing.is_some_and(|r| r.class.is_machine())
        && approle_is_ours(bao, token, &role.name).await? == Some(true)
    {
        bao.delete(&approle, token).await?;
    }
    Ok(())
}

/// Remove the record (every version), the policy, the AppRole and a kept e2e secret-id.
pub async fn remove(bao: &Bao, token: &SecretString, name: &RoleName) -> Result<(), AppError> {
    let role = get(bao, token, name).await?;
    // Only an AppRole that hands out this role's policy alone is Crypter's to delete.
    if role.class.is_machine() && approle_is_ours(bao, token, name).await? == Some(true) {
        bao.delete(&format!("auth/approle/role/{name}"), token)
            .await?;
    }
    if role.class == RoleClass::E2e {
        bao.delete(&format!("crypter/metadata/e2e/{name}"), token)
            .await?;
    }
    bao.delete(&format!("sys/policies/acl/{}", policy_name(name)), token)
        .await?;
    bao.delete(&format!("{RECORDS_META}/{name}"), token).await?;
    Ok(())
}
