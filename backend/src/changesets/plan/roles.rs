//! Role operations: `create_role`, `update_grants`, `delete_role`, each an item checked
//! against the role record's version.

use super::{item, Planner};
use crate::bao::kv::Mount;
use crate::changesets::format::{Changeset, Operation};
use crate::error::AppError;
use crypter_api::{GrantEnv, ItemAction, ItemTarget, PlanItem, Role, RoleName};

/// Why a role cannot be saved as it would be: its shape, or an environment that will not
/// exist when it is saved.
async fn role_problem(p: &mut Planner<'_>, role: &Role) -> Result<Option<String>, AppError> {
    if let Err(e) = crate::roles::validate_shape(role) {
        return Ok(Some(e.to_string()));
    }
    for g in &role.grants {
        if let GrantEnv::Named(env) = &g.environment {
            let exists = p.model.env_record(env.as_ref()).await?
                || p.model.mount(&Mount::env(env)).await?.is_some();
            if !exists {
                return Ok(Some(format!(
                    "a grant names environment {env}, which will not exist; create it first"
                )));
            }
        }
    }
    Ok(None)
}

fn role_item(
    cs: &Changeset,
    index: usize,
    action: ItemAction,
    name: &RoleName,
    version: Option<u64>,
) -> PlanItem {
    let mut it = item(
        cs,
        index,
        action,
        ItemTarget::Role {
            name: name.to_string(),
            version,
        },
    );
    if !action.is_noop() {
        it.precondition.record_version = Some(version.unwrap_or(0));
    }
    it
}

pub async fn create_role(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
    name: &RoleName,
) -> Result<String, AppError> {
    let Operation::CreateRole {
        class,
        description,
        grants,
        ..
    } = op
    else {
        return Err(AppError::Internal(anyhow::anyhow!("not create_role")));
    };
    let wanted = Role {
        name: name.clone(),
        class: *class,
        description: description.clone(),
        grants: grants.clone(),
        canaries: Vec::new(),
        forbidden: Vec::new(),
    };
    let it = match p.model.role(name).await? {
        Some((r, v)) if r.class == wanted.class && r.grants == wanted.grants => {
            let mut it = role_item(cs, index, ItemAction::Skip, name, Some(v));
            it.reason = Some(format!("role {name} exists with this class and grants"));
            it
        }
        Some((_, v)) => {
            let mut it = role_item(cs, index, ItemAction::Conflict, name, Some(v));
            it.reason = Some(format!(
                "role {name} exists with another class or grants; use update_grants"
            ));
            it
        }
        None => match role_problem(p, &wanted).await? {
            Some(why) => {
                let mut it = role_item(cs, index, ItemAction::Conflict, name, None);
                it.reason = Some(why);
                it
            }
            None => role_item(cs, index, ItemAction::CreateRole, name, None),
        },
    };
    p.push(it, op).await?;
    Ok(format!("create role {name}"))
}

pub async fn update_grants(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
    name: &RoleName,
    grants: &[crypter_api::Grant],
) -> Result<String, AppError> {
    let it = match p.model.role(name).await? {
        Some((r, v)) if r.grants == grants => {
            let mut it = role_item(cs, index, ItemAction::Skip, name, Some(v));
            it.reason = Some(format!("role {name} already has these grants"));
            it
        }
        Some((mut r, v)) => {
            r.grants = grants.to_vec();
            match role_problem(p, &r).await? {
                Some(why) => {
                    let mut it = role_item(cs, index, ItemAction::Conflict, name, Some(v));
                    it.reason = Some(why);
                    it
                }
                None => role_item(cs, index, ItemAction::UpdateRole, name, Some(v)),
            }
        }
        None => {
            let mut it = role_item(cs, index, ItemAction::Conflict, name, None);
            it.reason = Some(format!(
                "role {name} does not exist; create it with create_role first"
            ));
            it
        }
    };
    p.push(it, op).await?;
    Ok(format!("update the grants of role {name}"))
}

pub async fn delete_role(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
    name: &RoleName,
) -> Result<String, AppError> {
    let it = match p.model.role(name).await? {
        Some((_, v)) => role_item(cs, index, ItemAction::DeleteRole, name, Some(v)),
        None => {
            let mut it = role_item(cs, index, ItemAction::Skip, name, None);
            it.reason = Some(format!("role {name} does not exist"));
            it
        }
    };
    p.push(it, op).await?;
    Ok(format!("delete role {name}"))
}
