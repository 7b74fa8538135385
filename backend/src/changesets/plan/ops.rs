//! One small function per operation kind: each adds the operation's items to the plan
//! and returns its one-line summary. Bulk copies live in `copy`.

use super::copy::{self, Bulk};
use super::put::put_credential;
use super::roles::{create_role, delete_role, update_grants};
use super::{item, Planner};
use crate::bao::kv::Mount;
use crate::changesets::format::{Changeset, Operation};
use crate::error::AppError;
use crypter_api::{EnvName, ItemAction, ItemTarget};

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
            let class = class.map(|c| c.as_str().to_owned());
            let bulk = Bulk::import(p, cs, mount, prefix, to, &class, *overwrite).await?;
            copy::plan(p, cs, index, op, bulk).await
        }
        Operation::RetagCredentials { prefix, .. } => retag(p, cs, index, op, prefix).await,
        Operation::DeleteCredentials { prefix } => delete(p, cs, index, op, prefix).await,
        Operation::CreateKey { .. } => super::keys::create_key(p, cs, index, op).await,
        Operation::RotateKey { .. } => super::keys::rotate_key(p, cs, index, op).await,
        Operation::RewrapCredentials { .. } => {
            super::keys::rewrap_credentials(p, cs, index, op).await
        }
        // Files cannot hold it: an undo is planned from its restore point.
        Operation::Undo => Err(AppError::Internal(anyhow::anyhow!(
            "{}: an undo operation is never planned from a file",
            cs.id
        ))),
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
        if let Some(class) = class {
            m.class = Some(class.as_str().to_owned());
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
