//! `put_credential`: one item, its value generated when applied or taken from another
//! credential (compared with the target's inside the backend).

use super::model::{same, Cred, ValueRef};
use super::{item, Planner};
use crate::bao::kv::Mount;
use crate::changesets::format::{Changeset, CredentialRef, Operation};
use crate::error::AppError;
use crypter_api::{
    CredentialMetadata, CredentialPath, ItemAction, ItemSource, ItemTarget, PlanItem, ValueCompare,
};

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
        m.class = Some(class.as_str().to_owned());
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

pub async fn put_credential(
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
            compare_with_source(p, (&target.path, path.as_ref()), src, *overwrite).await?
        }
        (Some(_), _) if *overwrite => (ItemAction::Update, None),
        (Some(_), Some(_)) => (ItemAction::Conflict, None),
        (Some(_), None) => (ItemAction::Skip, None),
    };
    it.action = action;
    it.value = value;
    explain(&mut it, cs, op, path, existing.as_ref());
    p.push(it, op).await?;
    Ok(summary)
}

/// The reason of a skip or a conflict; what an update or a create expects to find.
fn explain(
    it: &mut PlanItem,
    cs: &Changeset,
    op: &Operation,
    path: &CredentialPath,
    existing: Option<&Cred>,
) {
    let env = &cs.environment;
    match it.action {
        ItemAction::Skip => {
            it.reason = Some(if it.value == Some(ValueCompare::Same) {
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
            it.precondition.cas = Some(existing.map_or(0, |c| c.version));
            it.precondition.metadata_cas = Some(existing.map_or(0, |c| c.metadata_version));
            it.metadata = Some(put_metadata(cs, op, existing.map(|c| &c.metadata)));
        }
    }
}

/// A readable target and a `from` source: skipped when both hold the same value, else
/// updated (with `overwrite`) or a conflict.
async fn compare_with_source(
    p: &mut Planner<'_>,
    (mount, path): (&str, &str),
    src: &(String, String),
    overwrite: bool,
) -> Result<(ItemAction, Option<ValueCompare>), AppError> {
    let wanted = [
        (mount.to_owned(), path.to_owned()),
        (src.0.clone(), src.1.clone()),
    ];
    p.model.resolve(&wanted).await?;
    let t = p.model.cred(mount, path).map(|c| c.value.clone());
    let s = p.model.cred(&src.0, &src.1).map(|c| c.value.clone());
    Ok(match (t, s) {
        (Some(t), Some(s)) if same(&t, &s) == Some(true) => {
            (ItemAction::Skip, Some(ValueCompare::Same))
        }
        _ if overwrite => (ItemAction::Update, Some(ValueCompare::Different)),
        _ => (ItemAction::Conflict, Some(ValueCompare::Different)),
    })
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
