//! Provisioning items: an environment created, a role created, updated or deleted, each
//! checked against the record's planned version.

use super::{conflict, Exec, Stop};
use crate::bao::kv::{self, Mount};
use crate::changesets::fault;
use crate::changesets::format::Operation;
use crate::error::AppError;
use crypter_api::{EnvName, EnvironmentCreate, PlanItem, Role, RoleName};

pub async fn environment(
    x: &Exec<'_>,
    it: &PlanItem,
    op: &Operation,
    name: &str,
) -> Result<(), Stop> {
    let Operation::CreateEnvironment {
        description,
        color,
        protected,
        ..
    } = op
    else {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "not create_environment"
        ))));
    };
    let req = EnvironmentCreate {
        name: EnvName::parse(name)?,
        description: description.clone(),
        color: color.clone(),
        protected: *protected,
    };
    if it.resumed {
        let crypter = Mount::v2("crypter");
        let record =
            kv::read_json(x.bao, x.token, &crypter, &format!("environments/{name}")).await?;
        if record.is_some() {
            return Ok(());
        }
        let mount = Mount::env(&req.name);
        if kv::scan(x.bao, x.token, &mount).await.is_ok() {
            crate::environments::record_mount(x.bao, x.token, &req).await?;
            fault::wrote();
            return Ok(());
        }
    }
    match crate::environments::create(x.bao, x.token, &req).await {
        Ok(_) => {
            fault::wrote();
            Ok(())
        }
        Err(AppError::Conflict(_, why)) => Err(conflict(why)),
        Err(e) => Err(e.into()),
    }
}

/// The role record and its version.
async fn role_record(x: &Exec<'_>, name: &str) -> Result<Option<(Role, u64)>, Stop> {
    let found = kv::read_json(
        x.bao,
        x.token,
        &Mount::v2("crypter"),
        &format!("roles/{name}"),
    )
    .await?;
    match found {
        Some((data, v)) => {
            let role = crate::roles::record::parse(name, data)?;
            Ok(Some((role, v)))
        }
        None => Ok(None),
    }
}

pub async fn create_role(
    x: &Exec<'_>,
    it: &PlanItem,
    op: &Operation,
    name: &str,
) -> Result<(), Stop> {
    let Operation::CreateRole {
        class,
        description,
        grants,
        ..
    } = op
    else {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "not create_role"
        ))));
    };
    let role = Role {
        name: RoleName::parse(name)?,
        class: *class,
        description: description.clone(),
        grants: grants.clone(),
        canaries: Vec::new(),
        forbidden: Vec::new(),
    };
    if let Some((found, _)) = role_record(x, name).await? {
        return if it.resumed && found == role {
            Ok(())
        } else {
            Err(conflict(format!(
                "role {name} exists now; it was left as it is"
            )))
        };
    }
    save(x, &role, true, Some(0)).await
}

async fn save(x: &Exec<'_>, role: &Role, create: bool, cas: Option<u64>) -> Result<(), Stop> {
    match crate::roles::save_at(x.bao, x.token, role, create, cas).await {
        Ok(()) => {
            fault::wrote();
            Ok(())
        }
        Err(AppError::Conflict(_, why)) => Err(conflict(why)),
        Err(e) => Err(e.into()),
    }
}

pub async fn update_role(
    x: &Exec<'_>,
    it: &PlanItem,
    op: &Operation,
    name: &str,
) -> Result<(), Stop> {
    let Operation::UpdateGrants { grants, .. } = op else {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "not update_grants"
        ))));
    };
    let rv = it.precondition.record_version.unwrap_or(0);
    let Some((mut role, v)) = role_record(x, name).await? else {
        return Err(conflict(format!("role {name} no longer exists")));
    };
    if v != rv {
        return if it.resumed && v == rv + 1 && &role.grants == grants {
            Ok(())
        } else {
            Err(conflict(format!(
                "role {name} changed since the plan (record version {rv} was planned, {v} is \
                 current); it was left as it is"
            )))
        };
    }
    role.grants.clone_from(grants);
    save(x, &role, false, Some(rv)).await
}

pub async fn delete_role(x: &Exec<'_>, it: &PlanItem, name: &str) -> Result<(), Stop> {
    let rv = it.precondition.record_version.unwrap_or(0);
    match role_record(x, name).await? {
        None if it.resumed => Ok(()),
        None => Err(conflict(format!("role {name} is gone already"))),
        Some((_, v)) if v != rv => Err(conflict(format!(
            "role {name} changed since the plan (record version {rv} was planned, {v} is \
             current); it was left as it is"
        ))),
        Some(_) => {
            crate::roles::remove(x.bao, x.token, &RoleName::parse(name)?).await?;
            fault::wrote();
            Ok(())
        }
    }
}
