//! Provider groups mapped to Crypter roles. The mapping is a record
//! (`crypter/data/settings/sso/groups/<group>`, frozen with the login settings), and
//! OpenBao holds what it means: an external group `crypter-sso-<group>` whose policies are
//! the roles' policies, with a group alias named after the provider group on `auth/oidc`.
//! OpenBao puts a person in that group at each login whose `groups` claim names it, and
//! takes them out at the first login that does not. Every call uses the caller's token.

use super::MOUNT;
use crate::bao::{strings, Bao};
use crate::error::AppError;
use crate::roles::policy_name;
use crypter_api::{ErrorCode, GroupDrift, GroupMapping, RoleName};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const RECORDS: &str = "crypter/data/settings/sso/groups";
const RECORD_LIST: &str = "crypter/metadata/settings/sso/groups";
const GROUP_PREFIX: &str = "crypter-sso-";

/// The OpenBao group that carries a provider group's roles.
pub fn openbao_group(group: &str) -> String {
    format!("{GROUP_PREFIX}{group}")
}

/// A provider group's name: what the `groups` claim holds, in a form OpenBao's group
/// names and Crypter's record paths both take.
pub fn validate_group(group: &str) -> Result<(), AppError> {
    let ok = !group.is_empty()
        && group.len() <= 64
        && group
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !group.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_request(
            ErrorCode::InvalidGroup,
            format!(
                "{group:?} is not a provider group name: 1 to 64 letters, digits, '-', '_' or \
                 '.', as the provider's groups claim holds it"
            ),
        ))
    }
}

/// Map `group` to `roles` (replacing what it had) and make OpenBao hold it: the external
/// group with the roles' policies, and its alias on `auth/oidc`.
pub async fn put(
    bao: &Bao,
    token: &SecretString,
    group: &str,
    roles: &[RoleName],
) -> Result<GroupMapping, AppError> {
    validate_group(group)?;
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    for role in &roles {
        crate::roles::get(bao, token, role).await?;
    }
    let accessor = accessor(bao, token).await?;
    bao.write(
        &format!("{RECORDS}/{group}"),
        token,
        &json!({ "data": { "roles": roles } }),
    )
    .await?;
    let name = openbao_group(group);
    bao.write(
        &format!("identity/group/name/{name}"),
        token,
        &json!({
            "type": "external",
            "policies": policies_of(&roles),
            "metadata": { "crypter": "sso", "provider_group": group },
        }),
    )
    .await?;
    let held = read_group(bao, token, &name)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("group {name} was not kept")))?;
    let alias = held.get("alias").filter(|a| a.get("id").is_some());
    let alias_ok = alias.is_some_and(|a| {
        a.get("name").and_then(Value::as_str) == Some(group)
            && a.get("mount_accessor").and_then(Value::as_str) == Some(accessor.as_str())
    });
    if !alias_ok {
        let body = json!({
            "name": group,
            "mount_accessor": accessor,
            "canonical_id": held.get("id").and_then(Value::as_str).unwrap_or_default(),
        });
        let path = match alias.and_then(|a| a.get("id")).and_then(Value::as_str) {
            Some(id) => format!("identity/group-alias/id/{id}"),
            None => "identity/group-alias".to_owned(),
        };
        bao.write(&path, token, &body).await?;
    }
    get(bao, token, group).await
}

/// Remove the mapping and the external group (its alias goes with it): the next login of
/// its members gives them none of its roles, and their current tokens lose them at once.
pub async fn remove(bao: &Bao, token: &SecretString, group: &str) -> Result<(), AppError> {
    validate_group(group)?;
    let recorded = bao
        .read(&format!("{RECORDS}/{group}"), token)
        .await?
        .is_some();
    let name = openbao_group(group);
    let in_openbao = read_group(bao, token, &name).await?.is_some();
    if !recorded && !in_openbao {
        return Err(AppError::NotFound(
            ErrorCode::GroupMappingNotFound,
            format!("no mapping for the provider group {group}"),
        ));
    }
    if in_openbao {
        bao.delete(&format!("identity/group/name/{name}"), token)
            .await?;
    }
    bao.delete(
        &format!("crypter/metadata/settings/sso/groups/{group}"),
        token,
    )
    .await?;
    Ok(())
}

/// One mapping and how OpenBao stands.
pub async fn get(bao: &Bao, token: &SecretString, group: &str) -> Result<GroupMapping, AppError> {
    validate_group(group)?;
    let roles = recorded_roles(bao, token, group).await?;
    let name = openbao_group(group);
    let held = read_group(bao, token, &name).await?;
    if roles.is_none() && held.is_none() {
        return Err(AppError::NotFound(
            ErrorCode::GroupMappingNotFound,
            format!("no mapping for the provider group {group}"),
        ));
    }
    let accessor = accessor(bao, token).await.ok();
    Ok(compare(group, roles, held.as_ref(), accessor.as_deref()))
}

/// Every mapping, and every external group Crypter made that no mapping names.
pub async fn list(bao: &Bao, token: &SecretString) -> Result<Vec<GroupMapping>, AppError> {
    let mut groups: BTreeSet<String> = bao
        .list(RECORD_LIST, token)
        .await?
        .into_iter()
        .filter(|g| !g.ends_with('/'))
        .collect();
    groups.extend(
        bao.list("identity/group/name", token)
            .await?
            .into_iter()
            .filter_map(|n| n.strip_prefix(GROUP_PREFIX).map(str::to_owned)),
    );
    let mut out = Vec::with_capacity(groups.len());
    for group in groups {
        if validate_group(&group).is_ok() {
            out.push(get(bao, token, &group).await?);
        }
    }
    Ok(out)
}

async fn recorded_roles(
    bao: &Bao,
    token: &SecretString,
    group: &str,
) -> Result<Option<Vec<RoleName>>, AppError> {
    let data = bao
        .read(&format!("{RECORDS}/{group}"), token)
        .await?
        .and_then(|v| v.pointer("/data/data/roles").cloned());
    Ok(data.map(|r| serde_json::from_value(r).unwrap_or_default()))
}

async fn read_group(
    bao: &Bao,
    token: &SecretString,
    name: &str,
) -> Result<Option<Value>, AppError> {
    Ok(bao
        .read(&format!("identity/group/name/{name}"), token)
        .await?
        .and_then(|v| v.get("data").cloned())
        .filter(|d| d.is_object()))
}

/// The accessor of `auth/oidc`, which group aliases name.
async fn accessor(bao: &Bao, token: &SecretString) -> Result<String, AppError> {
    let auth = bao.read("sys/auth", token).await?.unwrap_or_default();
    let mounts = auth.get("data").filter(|d| d.is_object()).unwrap_or(&auth);
    mounts
        .pointer(&format!("/{MOUNT}~1/accessor"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            AppError::bad_request(
                ErrorCode::SsoNotConfigured,
                "single sign-on is not set up: configure the identity provider first",
            )
        })
}

fn policies_of(roles: &[RoleName]) -> Vec<String> {
    roles.iter().map(policy_name).collect()
}

/// How the group OpenBao holds differs from the mapping.
fn compare(
    group: &str,
    roles: Option<Vec<RoleName>>,
    held: Option<&Value>,
    accessor: Option<&str>,
) -> GroupMapping {
    let mut openbao_policies = strings(held.and_then(|h| h.get("policies")));
    openbao_policies.sort();
    let mut drift = Vec::new();
    match (&roles, held) {
        (None, _) => drift.push(GroupDrift::NotMapped),
        (Some(_), None) => drift.push(GroupDrift::GroupMissing),
        (Some(roles), Some(h)) => {
            if h.get("type").and_then(Value::as_str) != Some("external") {
                drift.push(GroupDrift::NotExternal);
            }
            let mut want = policies_of(roles);
            want.sort();
            if want != openbao_policies {
                drift.push(GroupDrift::PoliciesDiffer);
            }
            let alias = h.get("alias");
            let alias_ok = alias.and_then(|a| a.get("name")).and_then(Value::as_str) == Some(group)
                && (accessor.is_none()
                    || alias
                        .and_then(|a| a.get("mount_accessor"))
                        .and_then(Value::as_str)
                        == accessor);
            if !alias_ok {
                drift.push(GroupDrift::AliasMissing);
            }
        }
    }
    GroupMapping {
        group: group.to_owned(),
        roles: roles.unwrap_or_default(),
        openbao_group: openbao_group(group),
        openbao_policies,
        drift,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(n: &str) -> RoleName {
        RoleName::parse(n).unwrap()
    }

    #[test]
    fn group_names_are_checked() {
        for ok in ["payments-admins", "team_a", "ops.eu"] {
            assert!(validate_group(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".hidden", "a/b", "with space", &"x".repeat(65)] {
            assert!(validate_group(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn drift_says_how_openbao_differs() {
        let roles = Some(vec![role("pay")]);
        let held = json!({"type": "external", "policies": ["crypter-role-pay"],
            "alias": {"name": "payments-admins", "mount_accessor": "auth_oidc_1"}});
        let same = compare(
            "payments-admins",
            roles.clone(),
            Some(&held),
            Some("auth_oidc_1"),
        );
        assert!(same.drift.is_empty(), "{:?}", same.drift);
        let wider = json!({"type": "internal", "policies": ["crypter-admin"], "alias": {}});
        let d = compare(
            "payments-admins",
            roles.clone(),
            Some(&wider),
            Some("auth_oidc_1"),
        );
        assert_eq!(
            d.drift,
            [
                GroupDrift::NotExternal,
                GroupDrift::PoliciesDiffer,
                GroupDrift::AliasMissing
            ]
        );
        assert_eq!(
            compare("payments-admins", roles, None, None).drift,
            [GroupDrift::GroupMissing]
        );
        assert_eq!(
            compare("x", None, Some(&held), None).drift,
            [GroupDrift::NotMapped]
        );
    }
}
