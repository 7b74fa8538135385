//! Saving and removing a role: its record at `crypter/data/roles/<name>`, its policy
//! `crypter-role-<name>` and, for machine classes, its AppRole. A create reserves the
//! record first and never takes over a policy or AppRole that Crypter did not make.

use super::{get, policy_name, validate, MACHINE_TOKEN_MAX_TTL, MACHINE_TOKEN_TTL, RECORDS_META};
use crate::bao::kv::{self, KvError, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{Role, RoleClass, RoleName};
use secrecy::SecretString;
use serde_json::{json, Value};

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
    save_at(bao, token, role, create, None).await
}

/// [`save`]; an update's record is written with check-and-set on `record_cas` (the version
/// it was planned against), and refused (409) before anything is written when the record
/// has moved on since.
pub async fn save_at(
    bao: &Bao,
    token: &SecretString,
    role: &Role,
    create: bool,
    record_cas: Option<u64>,
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
    let key = format!("roles/{}", role.name);
    let crypter = Mount::v2("crypter");
    if let Some(cas) = record_cas {
        let version = kv::read_json(bao, token, &crypter, &key)
            .await?
            .map(|(_, v)| v);
        if version != Some(cas) {
            return Err(changed_meanwhile(&role.name));
        }
    }
    let existing = get(bao, token, &role.name).await?;
    validate(bao, token, role).await?;
    write_policy_and_approle(bao, token, role, Some(&existing)).await?;
    // A role that stops being e2e no longer needs its kept secret-id.
    if role.class != RoleClass::E2e && existing.class == RoleClass::E2e {
        bao.delete(&format!("crypter/metadata/e2e/{}", role.name), token)
            .await?;
    }
    let data = serde_json::to_value(role)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("role record {}: {e}", role.name)))?;
    match kv::write_json(bao, token, &crypter, &key, &data, record_cas).await {
        Ok(_) => Ok(()),
        Err(KvError::CasFailed { .. }) => Err(changed_meanwhile(&role.name)),
        Err(e) => Err(e.into()),
    }
}

fn changed_meanwhile(name: &RoleName) -> AppError {
    AppError::Conflict(
        ErrorCode::StaleVersion,
        format!("role {name} changed meanwhile; reload it and try again"),
    )
}

/// Write the role's record with check-and-set 0: it exists afterwards, or someone else's
/// role of that name already did (409).
async fn reserve(bao: &Bao, token: &SecretString, role: &Role) -> Result<(), AppError> {
    let data = serde_json::to_value(role)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("role record {}: {e}", role.name)))?;
    let key = format!("roles/{}", role.name);
    match kv::write_json(bao, token, &Mount::v2("crypter"), &key, &data, Some(0)).await {
        Ok(_) => Ok(()),
        Err(KvError::CasFailed { .. }) => Err(AppError::Conflict(
            ErrorCode::RoleExists,
            format!("a role named {} already exists; edit it instead", role.name),
        )),
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
        return Err(AppError::Conflict(
            ErrorCode::ForeignPolicy,
            format!(
                "a policy named {policy} already exists and Crypter did not make it; rename the \
             role, or remove or rename that policy in OpenBao first"
            ),
        ));
    }
    if approle_is_ours(bao, token, &role.name).await? == Some(false) {
        return Err(AppError::Conflict(
            ErrorCode::ForeignApprole,
            format!(
                "an AppRole named {} already exists and Crypter did not make it (its policies are \
             not just {policy}); rename the role, or remove that AppRole in OpenBao first",
                role.name
            ),
        ));
    }
    Ok(())
}

async fn write_policy_and_approle(
    bao: &Bao,
    token: &SecretString,
    role: &Role,
    existing: Option<&Role>,
) -> Result<(), AppError> {
    let hcl = super::rules::derive_now(bao, token, &role.name, &role.grants).await?;
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
