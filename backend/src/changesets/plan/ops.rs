//! One small function per operation kind: each adds the operation's items to the plan
//! and returns its one-line summary. Bulk copies live in `copy`.

use super::copy::{self, Bulk};
use super::model::{same, ValueRef};
use super::{item, Planner};
use crate::bao::kv::Mount;
use crate::changesets::format::{Changeset, CredentialRef, Operation};
use crate::error::AppError;
use crypter_api::{
    CredentialMetadata, CredentialPath, EnvName, GrantEnv, ItemAction, ItemSource, ItemTarget,
    Role, RoleName, ValueCompare,
};

pub async fn plan_operation(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
) -> Result<String, AppError> {
    match op {
        Operation::CreateEnvironment { name, .. } => {
            let name = name.clone().unwrap_or_else(|| cs.environment.clone());
            create_environment(p, cs, index, op, &name).await
        }
        Operation::CreateRole { name, .. } => create_role(p, cs, index, op, name).await,
        Operation::UpdateGrants { role, grants } => {
            update_grants(p, cs, index, op, role, grants).await
        }
        Operation::DeleteRole { role } => delete_role(p, cs, index, op, role).await,
        Operation::PutCredential { path, .. } => put_credential(p, cs, index, op, path).await,
        Operation::CopyCredentials {
            from,
            to,
            overwrite,
        }
        | Operation::MoveCredentials {
            from,
            to,
            overwrite,
        } => {
            let bulk = Bulk::copy(cs, op, from, to, *overwrite)?;
            copy::plan(p, cs, index, op, bulk).await
        }
        Operation::ImportKv {
            mount,
            prefix,
            to,
            class,
            overwrite,
        } => {
            let bulk = Bulk::import(p, cs, mount, prefix, to, class, *overwrite).await?;
            copy::plan(p, cs, index, op, bulk).await
        }
        Operation::RetagCredentials { prefix, .. } => retag(p, cs, index, op, prefix).await,
        Operation::DeleteCredentials { prefix } => delete(p, cs, index, op, prefix).await,
    }
}

async fn create_environment(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
    name: &EnvName,
) -> Result<String, AppError> {
    let target = ItemTarget::Environment {
        name: name.to_string(),
    };
    let has_record = p.model.env_record(name.as_ref()).await?;
    let has_mount = p.model.mount(&Mount::env(name)).await?.is_some();
    let mut it = match (has_record, has_mount) {
        (true, _) => {
            let mut it = item(cs, index, ItemAction::Skip, target);
            it.reason = Some(format!("environment {name} exists"));
            it
        }
        (false, true) => {
            let mut it = item(cs, index, ItemAction::Conflict, target);
            it.reason = Some(format!(
                "a mount exists at env/{name}/ without Crypter's record of it; remove the mount \
                 or pick another name"
            ));
            it
        }
        (false, false) => item(cs, index, ItemAction::CreateEnvironment, target),
    };
    if it.action == ItemAction::CreateEnvironment {
        it.precondition.record_version = Some(0);
    }
    p.push(it, op).await?;
    Ok(format!("create environment {name}"))
}

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
) -> crypter_api::PlanItem {
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

async fn create_role(
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

async fn update_grants(
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

async fn delete_role(
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

/// The metadata a `put_credential` writes: the existing one with the operation's fields.
fn put_metadata(
    cs: &Changeset,
    op: &Operation,
    existing: Option<&CredentialMetadata>,
) -> CredentialMetadata {
    let mut m = existing.cloned().unwrap_or_default();
    if let Operation::PutCredential {
        class,
        owner,
        description,
        labels,
        ..
    } = op
    {
        m.class = Some(class.clone());
        if owner.is_some() {
            m.owner.clone_from(owner);
        }
        if description.is_some() {
            m.description.clone_from(description);
        }
        m.labels.clone_from(labels);
    }
    m.environment = Some(cs.environment.to_string());
    if m.created_by.is_none() {
        m.created_by = Some(format!("changeset {}", cs.id));
    }
    m
}

async fn put_credential(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
    path: &CredentialPath,
) -> Result<String, AppError> {
    let Operation::PutCredential {
        from, overwrite, ..
    } = op
    else {
        return Err(AppError::Internal(anyhow::anyhow!("not put_credential")));
    };
    let env = &cs.environment;
    let summary = format!("put {env}/{path}");
    let target = Mount::env(env);
    let mut it = item(
        cs,
        index,
        ItemAction::Create,
        ItemTarget::Credential {
            environment: env.to_string(),
            path: path.to_string(),
            version: None,
        },
    );
    if p.model.mount(&target).await?.is_none() {
        it.action = ItemAction::Conflict;
        it.reason = Some(format!("environment {env} does not exist; create it first"));
        p.push(it, op).await?;
        return Ok(summary);
    }
    if *overwrite {
        p.warn(
            &cs.id,
            Some(index),
            "overwrite",
            format!("{env}/{path} is overwritten if it exists"),
        );
    }
    let existing = p.model.cred(&target.path, path.as_ref()).cloned();
    if let Some(c) = &existing {
        it.target = ItemTarget::Credential {
            environment: env.to_string(),
            path: path.to_string(),
            version: Some(c.version),
        };
    }
    let source_value = match from {
        Some(f) => match put_source(p, cs, index, f, &mut it).await? {
            Some(v) => Some(v),
            None => {
                p.push(it, op).await?;
                return Ok(summary);
            }
        },
        None => None,
    };
    let (action, value) = match (&existing, &source_value) {
        (None, _) => (ItemAction::Create, None),
        (Some(c), Some(src)) if c.readable => {
            let wanted = [
                (target.path.clone(), path.to_string()),
                (src.0.clone(), src.1.clone()),
            ];
            p.model.resolve(&wanted).await?;
            let t = p
                .model
                .cred(&target.path, path.as_ref())
                .map(|c| c.value.clone());
            let s = p.model.cred(&src.0, &src.1).map(|c| c.value.clone());
            match (t, s) {
                (Some(t), Some(s)) if same(&t, &s) == Some(true) => {
                    (ItemAction::Skip, Some(ValueCompare::Same))
                }
                _ if *overwrite => (ItemAction::Update, Some(ValueCompare::Different)),
                _ => (ItemAction::Conflict, Some(ValueCompare::Different)),
            }
        }
        (Some(_), _) if *overwrite => (ItemAction::Update, None),
        (Some(_), Some(_)) => (ItemAction::Conflict, None),
        (Some(_), None) => (ItemAction::Skip, None),
    };
    it.action = action;
    it.value = value;
    match action {
        ItemAction::Skip => {
            it.reason = Some(if value == Some(ValueCompare::Same) {
                "it already holds the same value".into()
            } else {
                "it exists; set overwrite = true to replace it".into()
            });
        }
        ItemAction::Conflict => {
            it.reason = Some(format!(
                "{env}/{path} holds a different value (or its current version is deleted); set \
                 overwrite = true to replace it"
            ));
        }
        _ => {
            let c = existing.as_ref();
            it.precondition.cas = Some(c.map_or(0, |c| c.version));
            it.precondition.metadata_cas = Some(c.map_or(0, |c| c.metadata_version));
            it.metadata = Some(put_metadata(cs, op, c.map(|c| &c.metadata)));
        }
    }
    p.push(it, op).await?;
    Ok(summary)
}

/// The source of a `put_credential … from`: set on the item, and its (mount, path); `None`
/// (with the item made a conflict) when it cannot be read.
async fn put_source(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    f: &CredentialRef,
    it: &mut crypter_api::PlanItem,
) -> Result<Option<(String, String)>, AppError> {
    let mount = Mount::env(&f.environment);
    if f.environment != cs.environment {
        p.warn(
            &cs.id,
            Some(index),
            "environment_mismatch",
            format!(
                "{} takes its value from {}/{}, but the target environment is {}",
                it.target.label(),
                f.environment,
                f.path,
                cs.environment
            ),
        );
    }
    p.model.mount(&mount).await?;
    let src = p.model.cred(&mount.path, f.path.as_ref()).cloned();
    match src {
        Some(c) if c.readable && c.value != ValueRef::Unreadable => {
            it.source = Some(ItemSource {
                environment: Some(f.environment.to_string()),
                mount: mount.path.clone(),
                path: f.path.to_string(),
                version: Some(c.version),
            });
            it.precondition.source_version = Some(c.version);
            Ok(Some((mount.path, f.path.to_string())))
        }
        _ => {
            it.action = ItemAction::Conflict;
            it.reason = Some(format!(
                "{}/{} does not exist or has no readable version, so {} cannot take its value",
                f.environment,
                f.path,
                it.target.label()
            ));
            Ok(None)
        }
    }
}

async fn retag(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
    prefix: &str,
) -> Result<String, AppError> {
    let Operation::RetagCredentials {
        class,
        owner,
        add_labels,
        remove_labels,
        ..
    } = op
    else {
        return Err(AppError::Internal(anyhow::anyhow!("not retag_credentials")));
    };
    let env = &cs.environment;
    for (path, c) in p.model.entries(&Mount::env(env), prefix).await? {
        let mut m = c.metadata.clone();
        if class.is_some() {
            m.class.clone_from(class);
        }
        if owner.is_some() {
            m.owner.clone_from(owner);
        }
        m.labels.retain(|l| !remove_labels.contains(l));
        for l in add_labels {
            if !m.labels.contains(l) {
                m.labels.push(l.clone());
            }
        }
        let target = ItemTarget::Credential {
            environment: env.to_string(),
            path,
            version: Some(c.version),
        };
        let it = if m == c.metadata {
            let mut it = item(cs, index, ItemAction::Skip, target);
            it.reason = Some("already tagged so".into());
            it
        } else {
            let mut it = item(cs, index, ItemAction::Retag, target);
            it.precondition.metadata_cas = Some(c.metadata_version);
            it.metadata = Some(m);
            it
        };
        p.push(it, op).await?;
    }
    Ok(format!("retag {env}/{prefix}*"))
}

async fn delete(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
    prefix: &str,
) -> Result<String, AppError> {
    let env = &cs.environment;
    for (path, c) in p.model.entries(&Mount::env(env), prefix).await? {
        let target = ItemTarget::Credential {
            environment: env.to_string(),
            path,
            version: Some(c.version),
        };
        let it = if c.readable {
            let mut it = item(cs, index, ItemAction::Delete, target);
            it.precondition.cas = Some(c.version);
            it
        } else {
            let mut it = item(cs, index, ItemAction::Skip, target);
            it.reason = Some("its current version is already deleted".into());
            it
        };
        p.push(it, op).await?;
    }
    Ok(format!("delete {env}/{prefix}* (soft delete)"))
}
