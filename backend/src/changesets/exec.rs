//! Apply one item, under the precondition it was planned with, and nothing else: a write
//! carries `cas` / `metadata_cas`, a version is checked before it is deleted. When the
//! precondition no longer holds the item stops the apply as a conflict; it never turns
//! into another action. An item marked `resumed` (an interrupted apply was running it) is
//! accepted as done when the store shows exactly its effect.

use super::fault;
use super::format::{Charset, Operation};
use crate::bao::kv::{self, KvError, Mount};
use crate::bao::Bao;
use crate::credentials::{from_custom, to_custom};
use crate::error::AppError;
use crypter_api::{
    CredentialMetadata, EnvName, EnvironmentCreate, ItemAction, ItemSource, ItemTarget, PlanItem,
    Role, RoleName,
};
use secrecy::SecretString;
use std::collections::BTreeMap;

type Data = BTreeMap<String, String>;

/// Why an item stopped the apply.
#[derive(Debug)]
pub enum Stop {
    /// Its precondition no longer holds: the store changed since the plan.
    Conflict(String),
    Error(AppError),
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        Self::Error(e)
    }
}

impl From<KvError> for Stop {
    fn from(e: KvError) -> Self {
        Self::Error(e.into())
    }
}

impl From<crypter_api::NameError> for Stop {
    fn from(e: crypter_api::NameError) -> Self {
        Self::Error(e.into())
    }
}

fn conflict(why: impl Into<String>) -> Stop {
    Stop::Conflict(why.into())
}

/// What a copy leaves for the `delete_source` after it in the same unit: the source's
/// value as read, and the target's version and value as read back.
#[derive(Default)]
pub struct Carry {
    source: Option<(String, String, Data)>,
    target: Option<(String, u64, Data)>,
}

pub struct Exec<'a> {
    pub bao: &'a Bao,
    pub token: &'a SecretString,
}

pub async fn item(
    x: &Exec<'_>,
    it: &PlanItem,
    op: &Operation,
    carry: &mut Carry,
) -> Result<(), Stop> {
    match (it.action, &it.target) {
        (ItemAction::Skip | ItemAction::Conflict, _) => Ok(()),
        (ItemAction::CreateEnvironment, ItemTarget::Environment { name }) => {
            environment(x, it, op, name).await
        }
        (ItemAction::CreateRole, ItemTarget::Role { name, .. }) => {
            create_role(x, it, op, name).await
        }
        (ItemAction::UpdateRole, ItemTarget::Role { name, .. }) => {
            update_role(x, it, op, name).await
        }
        (ItemAction::DeleteRole, ItemTarget::Role { name, .. }) => delete_role(x, it, name).await,
        (
            ItemAction::Create | ItemAction::Update,
            ItemTarget::Credential {
                environment, path, ..
            },
        ) => write(x, it, op, environment, path, carry).await,
        (
            ItemAction::Retag,
            ItemTarget::Credential {
                environment, path, ..
            },
        ) => {
            let mount = Mount::env(&EnvName::parse(environment)?);
            metadata(x, it, &mount, path).await
        }
        (
            ItemAction::Delete,
            ItemTarget::Credential {
                environment, path, ..
            },
        ) => delete(x, it, environment, path).await,
        (
            ItemAction::DeleteSource,
            ItemTarget::Credential {
                environment,
                path,
                version,
            },
        ) => delete_source(x, it, environment, path, version.unwrap_or(0), carry).await,
        _ => Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "item {} {} does not fit its action",
            it.action,
            it.target.label()
        )))),
    }
}

fn source_mount(s: &ItemSource) -> Mount {
    Mount {
        path: s.mount.clone(),
        v2: s.version.is_some(),
    }
}

/// The source's value, if it is still at the planned version.
async fn read_source(x: &Exec<'_>, s: &ItemSource) -> Result<Option<Data>, Stop> {
    let Some(secret) = kv::read(x.bao, x.token, &source_mount(s), &s.path, None).await? else {
        return Ok(None);
    };
    match s.version {
        Some(v) if v != secret.version => Err(conflict(format!(
            "its source {}/{} changed: version {v} was planned, version {} is current",
            s.mount, s.path, secret.version
        ))),
        _ => Ok(Some(secret.data)),
    }
}

fn custom(m: &CredentialMetadata) -> serde_json::Value {
    to_custom(m)["custom_metadata"].clone()
}

async fn write(
    x: &Exec<'_>,
    it: &PlanItem,
    op: &Operation,
    environment: &str,
    path: &str,
    carry: &mut Carry,
) -> Result<(), Stop> {
    let target = Mount::env(&EnvName::parse(environment)?);
    let cas = it.precondition.cas.unwrap_or(0);
    let planned = match &it.source {
        Some(s) => {
            let data = read_source(x, s).await?.ok_or_else(|| {
                conflict(format!(
                    "its source {}/{} has no readable version any more",
                    s.mount, s.path
                ))
            })?;
            carry.source = Some((s.mount.clone(), s.path.clone(), data.clone()));
            Some(data)
        }
        None => None,
    };
    let mut value = match &planned {
        Some(d) => d.clone(),
        None => generated(op)?,
    };
    match kv::write(x.bao, x.token, &target, path, &value, Some(cas)).await {
        Ok(_) => fault::wrote(),
        Err(KvError::CasFailed { .. }) => {
            let now = kv::read(x.bao, x.token, &target, path, None).await?;
            match now {
                // The interrupted apply wrote it: that value is the item's.
                Some(s)
                    if it.resumed
                        && s.version == cas + 1
                        && planned.as_ref().is_none_or(|d| d == &s.data) =>
                {
                    value = s.data;
                }
                _ => {
                    return Err(conflict(format!(
                        "the target changed since the plan: its version was to be {cas} (0: \
                         absent), and it is not; it was left as it is"
                    )))
                }
            }
        }
        Err(e) => return Err(e.into()),
    }
    metadata(x, it, &target, path).await?;
    let back = kv::read(x.bao, x.token, &target, path, Some(cas + 1)).await?;
    if back.as_ref().map(|b| &b.data) != Some(&value) {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "verification failed: {} does not read back the value just written",
            it.target.label()
        ))));
    }
    carry.target = Some((format!("{environment}/{path}"), cas + 1, value));
    Ok(())
}

/// The item's metadata, written with `metadata_cas`.
async fn metadata(x: &Exec<'_>, it: &PlanItem, mount: &Mount, path: &str) -> Result<(), Stop> {
    let planned = it.metadata.clone().unwrap_or_default();
    let mc = it.precondition.metadata_cas.unwrap_or(0);
    match kv::write_metadata(x.bao, x.token, mount, path, &custom(&planned), Some(mc)).await {
        Ok(()) => {
            fault::wrote();
            Ok(())
        }
        Err(KvError::CasFailed { .. }) => {
            let now = kv::metadata(x.bao, x.token, mount, path).await?;
            let done = now.is_some_and(|m| {
                m.metadata_version == mc + 1
                    && from_custom(&m.custom) == from_custom(&custom(&planned))
            });
            if it.resumed && done {
                Ok(())
            } else {
                Err(conflict(format!(
                    "its metadata changed since the plan (metadata version {mc} was planned); it \
                     was left as it is"
                )))
            }
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete(x: &Exec<'_>, it: &PlanItem, environment: &str, path: &str) -> Result<(), Stop> {
    let mount = Mount::env(&EnvName::parse(environment)?);
    let v = it.precondition.cas.unwrap_or(0);
    let meta = kv::metadata(x.bao, x.token, &mount, path).await?;
    match meta {
        Some(m) if m.current_version == v && m.readable() => {
            kv::delete_versions(x.bao, x.token, &mount, path, &[v]).await?;
            fault::wrote();
            Ok(())
        }
        Some(m) if it.resumed && m.current_version == v => Ok(()),
        _ => Err(conflict(format!(
            "it changed since the plan: its version {v} was to be deleted, and it is not current \
             and readable"
        ))),
    }
}

/// Remove a move's source, only once the target holds its value (written and read back
/// by the copy before it, or read here).
async fn delete_source(
    x: &Exec<'_>,
    it: &PlanItem,
    environment: &str,
    path: &str,
    expected: u64,
    carry: &mut Carry,
) -> Result<(), Stop> {
    let Some(s) = &it.source else {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "delete_source without a source"
        ))));
    };
    let carried = carry
        .source
        .take()
        .filter(|(m, p, _)| m == &s.mount && p == &s.path)
        .map(|(_, _, d)| d);
    let source = match carried {
        Some(d) => d,
        None => match read_source(x, s).await? {
            Some(d) => d,
            None if it.resumed => return Ok(()),
            None => {
                return Err(conflict(format!(
                    "its source {}/{} is gone",
                    s.mount, s.path
                )))
            }
        },
    };
    let label = format!("{environment}/{path}");
    let carried = carry
        .target
        .take()
        .filter(|(l, v, _)| l == &label && *v == expected)
        .map(|(_, _, d)| d);
    let target = match carried {
        Some(d) => Some(d),
        None => {
            let mount = Mount::env(&EnvName::parse(environment)?);
            kv::read(x.bao, x.token, &mount, path, None)
                .await?
                .filter(|t| t.version == expected)
                .map(|t| t.data)
        }
    };
    if target.as_ref() != Some(&source) {
        return Err(conflict(format!(
            "{label} does not hold the source's value at version {expected}, so the source \
             {}/{} is kept",
            s.mount, s.path
        )));
    }
    kv::remove(x.bao, x.token, &source_mount(s), &s.path).await?;
    fault::wrote();
    Ok(())
}

async fn environment(x: &Exec<'_>, it: &PlanItem, op: &Operation, name: &str) -> Result<(), Stop> {
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
        name: name.to_owned(),
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
        let mount = Mount::env(&EnvName::parse(name)?);
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
        Err(AppError::Conflict(why)) => Err(conflict(why)),
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
            let role = serde_json::from_value(data).map_err(|e| {
                AppError::Internal(anyhow::anyhow!("role record {name} is unreadable: {e}"))
            })?;
            Ok(Some((role, v)))
        }
        None => Ok(None),
    }
}

async fn create_role(x: &Exec<'_>, it: &PlanItem, op: &Operation, name: &str) -> Result<(), Stop> {
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
        Err(AppError::Conflict(why)) => Err(conflict(why)),
        Err(e) => Err(e.into()),
    }
}

async fn update_role(x: &Exec<'_>, it: &PlanItem, op: &Operation, name: &str) -> Result<(), Stop> {
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

async fn delete_role(x: &Exec<'_>, it: &PlanItem, name: &str) -> Result<(), Stop> {
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

/// A new random value for `put_credential … generate`.
fn generated(op: &Operation) -> Result<Data, Stop> {
    let Operation::PutCredential {
        generate: Some(g),
        key,
        ..
    } = op
    else {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "an item without a source must generate its value"
        ))));
    };
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const HEX: &[u8] = b"0123456789abcdef";
    const SYMBOLS: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%&*+-=?@^_~";
    let set = match g.charset {
        Charset::Alphanumeric => ALNUM,
        Charset::Hex => HEX,
        Charset::Symbols => SYMBOLS,
    };
    let mut rng = rand::rng();
    let value: String = (0..g.length)
        .map(|_| set[rand::Rng::random_range(&mut rng, 0..set.len())] as char)
        .collect();
    let key = key.clone().unwrap_or_else(|| "value".into());
    Ok(BTreeMap::from([(key, value)]))
}
