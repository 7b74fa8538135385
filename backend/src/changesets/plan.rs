//! The plan: what every operation of every pending changeset would do against the live
//! store, computed by reading only. Apply runs the items of a fresh plan.

use super::format::{BulkSource, BulkTarget, Changeset, CredentialRef, Generate, Operation};
use super::kv::{self, Entry, Mount};
use crate::bao::Bao;
use crate::credentials;
use crate::environments;
use crate::error::AppError;
use crate::roles;
use crypter_api::{
    CredentialMetadata, CredentialPath, EnvName, EnvironmentCreate, PlanWarning, PlannedOperation,
    Role, RoleName,
};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use std::collections::BTreeMap;

/// How many OpenBao calls a bulk operation runs at once.
pub const PARALLELISM: usize = 32;
const EXAMPLES_PER_KIND: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Create,
    Update,
    Skip,
    Conflict,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Skip => "skip",
            Self::Conflict => "conflict",
        }
    }
}

/// What apply does for one item. `None` items are counted but not run.
#[derive(Debug, Clone)]
pub enum Action {
    None,
    CreateEnvironment(EnvironmentCreate),
    SaveRole {
        role: Role,
        create: bool,
    },
    DeleteRole(RoleName),
    Put {
        env: EnvName,
        path: CredentialPath,
        key: String,
        metadata: CredentialMetadata,
        generate: Option<Generate>,
        from: Option<CredentialRef>,
        overwrite: bool,
    },
    Copy {
        src: Mount,
        src_path: String,
        env: EnvName,
        path: CredentialPath,
        metadata: CredentialMetadata,
        overwrite: bool,
        remove_source: bool,
    },
    RemoveSource {
        src: Mount,
        src_path: String,
    },
    Retag {
        env: EnvName,
        path: CredentialPath,
        metadata: CredentialMetadata,
    },
    Delete {
        env: EnvName,
        path: CredentialPath,
    },
}

/// One counted unit of an operation, keyed so that a resume cursor can skip what is done.
#[derive(Debug, Clone)]
pub struct Item {
    pub key: String,
    pub kind: Kind,
    pub action: Action,
}

pub struct OpPlan {
    pub view: PlannedOperation,
    pub items: Vec<Item>,
    pub warnings: Vec<PlanWarning>,
}

/// Roles as earlier operations of the same plan leave them (`None`: deleted), so that an
/// operation on a role created just before it plans against that role.
pub type PlannedRoles = std::sync::Mutex<BTreeMap<RoleName, Option<Role>>>;

pub struct Ctx<'a> {
    pub bao: &'a Bao,
    pub token: &'a SecretString,
    pub cs: &'a Changeset,
    pub roles: &'a PlannedRoles,
}

impl Ctx<'_> {
    async fn role(&self, name: &RoleName) -> Result<Option<Role>, AppError> {
        let planned = self.roles.lock().ok().and_then(|m| m.get(name).cloned());
        if let Some(r) = planned {
            return Ok(r);
        }
        match roles::get(self.bao, self.token, name).await {
            Ok(r) => Ok(Some(r)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn planned(&self, name: &RoleName, role: Option<Role>) {
        if let Ok(mut m) = self.roles.lock() {
            m.insert(name.clone(), role);
        }
    }

    fn warn(&self, index: usize, code: &str, message: String) -> PlanWarning {
        PlanWarning {
            changeset: self.cs.id.clone(),
            operation: Some(index),
            code: code.into(),
            message,
        }
    }

    fn target(&self, t: &BulkTarget) -> EnvName {
        t.environment
            .clone()
            .unwrap_or_else(|| self.cs.environment.clone())
    }
}

fn summarize(index: usize, op: &Operation, summary: String, mut items: Vec<Item>) -> OpPlan {
    items.sort_by(|a, b| a.key.cmp(&b.key));
    let mut view = PlannedOperation {
        index,
        op: op.name().into(),
        summary,
        ..Default::default()
    };
    let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
    for item in &items {
        match item.kind {
            Kind::Create => view.create += 1,
            Kind::Update => view.update += 1,
            Kind::Skip => view.skip += 1,
            Kind::Conflict => view.conflict += 1,
        }
        let n = shown.entry(item.kind.as_str()).or_default();
        if *n < EXAMPLES_PER_KIND {
            *n += 1;
            view.examples
                .push(format!("{} {}", item.kind.as_str(), item.key));
        }
    }
    OpPlan {
        view,
        items,
        warnings: Vec::new(),
    }
}

fn one(key: String, kind: Kind, action: Action) -> Vec<Item> {
    vec![Item { key, kind, action }]
}

async fn env_entries(
    ctx: &Ctx<'_>,
    env: &EnvName,
    prefix: &str,
) -> Result<BTreeMap<String, Entry>, AppError> {
    Ok(kv::list(ctx.bao, ctx.token, &kv::env_mount(env), prefix)
        .await?
        .into_iter()
        .map(|e| (e.path.clone(), e))
        .collect())
}

pub async fn plan_operation(
    ctx: &Ctx<'_>,
    index: usize,
    op: &Operation,
) -> Result<OpPlan, AppError> {
    let target_env = ctx.cs.environment.clone();
    let mut warnings = Vec::new();
    let (summary, items) = match op {
        Operation::CreateEnvironment {
            name,
            description,
            color,
            protected,
        } => {
            let name = name.clone().unwrap_or(target_env);
            let exists = match environments::record(ctx.bao, ctx.token, &name).await {
                Ok(_) => true,
                Err(AppError::NotFound(_)) => false,
                Err(e) => return Err(e),
            };
            let req = EnvironmentCreate {
                name: name.to_string(),
                description: description.clone(),
                color: color.clone(),
                protected: *protected,
            };
            let items = if exists {
                one(name.to_string(), Kind::Skip, Action::None)
            } else {
                one(
                    name.to_string(),
                    Kind::Create,
                    Action::CreateEnvironment(req),
                )
            };
            (format!("create environment {name}"), items)
        }
        Operation::CreateRole {
            name,
            class,
            description,
            grants,
        } => {
            let role = Role {
                name: name.clone(),
                class: *class,
                description: description.clone(),
                grants: grants.clone(),
                canaries: Vec::new(),
                forbidden: Vec::new(),
            };
            let items = match ctx.role(name).await? {
                Some(r) if r.class == role.class && r.grants == role.grants => {
                    one(name.to_string(), Kind::Skip, Action::None)
                }
                Some(_) => {
                    warnings.push(ctx.warn(
                        index,
                        "conflict",
                        format!("role {name} already exists with another class or grants; use update_grants"),
                    ));
                    one(name.to_string(), Kind::Conflict, Action::None)
                }
                None => {
                    ctx.planned(name, Some(role.clone()));
                    one(
                        name.to_string(),
                        Kind::Create,
                        Action::SaveRole { role, create: true },
                    )
                }
            };
            (format!("create role {name}"), items)
        }
        Operation::UpdateGrants { role, grants } => {
            let items = match ctx.role(role).await? {
                Some(r) if &r.grants == grants => one(role.to_string(), Kind::Skip, Action::None),
                Some(mut r) => {
                    r.grants = grants.clone();
                    ctx.planned(role, Some(r.clone()));
                    one(
                        role.to_string(),
                        Kind::Update,
                        Action::SaveRole {
                            role: r,
                            create: false,
                        },
                    )
                }
                None => {
                    warnings.push(ctx.warn(
                        index,
                        "conflict",
                        format!("role {role} does not exist; create it with create_role first"),
                    ));
                    one(role.to_string(), Kind::Conflict, Action::None)
                }
            };
            (format!("update the grants of role {role}"), items)
        }
        Operation::DeleteRole { role } => {
            let items = match ctx.role(role).await? {
                Some(_) => {
                    ctx.planned(role, None);
                    one(
                        role.to_string(),
                        Kind::Update,
                        Action::DeleteRole(role.clone()),
                    )
                }
                None => one(role.to_string(), Kind::Skip, Action::None),
            };
            (format!("delete role {role}"), items)
        }
        Operation::PutCredential {
            path,
            class,
            owner,
            description,
            labels,
            key: data_key,
            generate,
            from,
            overwrite,
        } => {
            credentials::validate_class(class)?;
            let target = kv::env_mount(&target_env);
            let existing = kv::hash_of(ctx.bao, ctx.token, &target, path.as_ref()).await?;
            let key = format!("{target_env}/{path}");
            let metadata = CredentialMetadata {
                class: Some(class.clone()),
                owner: owner.clone(),
                description: description.clone(),
                environment: Some(target_env.to_string()),
                labels: labels.clone(),
                ..Default::default()
            };
            let action = Action::Put {
                env: target_env.clone(),
                path: path.clone(),
                key: data_key.clone().unwrap_or_else(|| "value".into()),
                metadata,
                generate: generate.clone(),
                from: from.clone(),
                overwrite: *overwrite,
            };
            let kind = match (from, &existing) {
                (Some(f), _) => {
                    if f.environment != target_env {
                        warnings.push(ctx.warn(
                            index,
                            "environment_mismatch",
                            format!(
                                "{path} takes its value from {}/{}, but the target environment is {target_env}",
                                f.environment, f.path
                            ),
                        ));
                    }
                    let src = kv::hash_of(
                        ctx.bao,
                        ctx.token,
                        &kv::env_mount(&f.environment),
                        f.path.as_ref(),
                    )
                    .await?;
                    match (src, existing) {
                        (None, _) => {
                            warnings.push(ctx.warn(
                                index,
                                "conflict",
                                format!(
                                    "{}/{} does not exist, so {path} cannot take its value",
                                    f.environment, f.path
                                ),
                            ));
                            Kind::Conflict
                        }
                        (Some(s), Some(t)) if s == t => Kind::Skip,
                        (Some(_), Some(_)) if *overwrite => Kind::Update,
                        (Some(_), Some(_)) => Kind::Conflict,
                        (Some(_), None) => Kind::Create,
                    }
                }
                (None, Some(_)) if *overwrite => Kind::Update,
                (None, Some(_)) => Kind::Skip,
                (None, None) => Kind::Create,
            };
            if *overwrite {
                warnings.push(ctx.warn(
                    index,
                    "overwrite",
                    format!("{key} is overwritten if it exists"),
                ));
            }
            let action = if matches!(kind, Kind::Create | Kind::Update) {
                action
            } else {
                Action::None
            };
            (format!("put {key}"), one(key, kind, action))
        }
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
            let remove = matches!(op, Operation::MoveCredentials { .. });
            let src = source_mount(ctx, from).await?;
            let env = ctx.target(to);
            let items = plan_copy(
                ctx,
                index,
                &src,
                &from.prefix,
                &env,
                to,
                *overwrite,
                remove,
                None,
                &mut warnings,
            )
            .await?;
            let verb = if remove { "move" } else { "copy" };
            (
                format!(
                    "{verb} {}/{}* to {env}/{}",
                    src.path, from.prefix, to.prefix
                ),
                items,
            )
        }
        Operation::ImportKv {
            mount,
            prefix,
            to,
            class,
            overwrite,
        } => {
            let src = kv::mount_of(ctx.bao, ctx.token, mount).await?;
            let env = ctx.target(to);
            let class = class.clone().unwrap_or_else(|| "service".into());
            credentials::validate_class(&class)?;
            let items = plan_copy(
                ctx,
                index,
                &src,
                prefix,
                &env,
                to,
                *overwrite,
                false,
                Some(class),
                &mut warnings,
            )
            .await?;
            let v = if src.v2 { 2 } else { 1 };
            (
                format!(
                    "import KV v{v} {}/{prefix}* into {env}/{}",
                    src.path, to.prefix
                ),
                items,
            )
        }
        Operation::RetagCredentials {
            prefix,
            class,
            owner,
            add_labels,
            remove_labels,
        } => {
            if let Some(c) = class {
                credentials::validate_class(c)?;
            }
            let entries = env_entries(ctx, &target_env, prefix).await?;
            let items = entries
                .into_values()
                .filter_map(|e| {
                    let path = CredentialPath::parse(&e.path).ok()?;
                    let mut m = e.metadata.clone();
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
                    let key = format!("{target_env}/{}", e.path);
                    Some(if m == e.metadata {
                        Item {
                            key,
                            kind: Kind::Skip,
                            action: Action::None,
                        }
                    } else {
                        Item {
                            key,
                            kind: Kind::Update,
                            action: Action::Retag {
                                env: target_env.clone(),
                                path,
                                metadata: m,
                            },
                        }
                    })
                })
                .collect();
            (format!("retag {target_env}/{prefix}*"), items)
        }
        Operation::DeleteCredentials { prefix } => {
            let entries = env_entries(ctx, &target_env, prefix).await?;
            let items = entries
                .into_values()
                .filter_map(|e| {
                    let path = CredentialPath::parse(&e.path).ok()?;
                    Some(Item {
                        key: format!("{target_env}/{}", e.path),
                        kind: Kind::Update,
                        action: Action::Delete {
                            env: target_env.clone(),
                            path,
                        },
                    })
                })
                .collect();
            (
                format!("delete {target_env}/{prefix}* (soft delete)"),
                items,
            )
        }
    };
    let mut plan = summarize(index, op, summary, items);
    plan.warnings = warnings;
    Ok(plan)
}

async fn source_mount(ctx: &Ctx<'_>, from: &BulkSource) -> Result<Mount, AppError> {
    match (&from.environment, &from.mount) {
        (Some(env), _) => Ok(kv::env_mount(env)),
        (None, Some(m)) => kv::mount_of(ctx.bao, ctx.token, m).await,
        (None, None) => Err(AppError::bad_request(
            "invalid_changeset",
            "`from` needs `environment` or `mount`",
        )),
    }
}

#[allow(clippy::too_many_arguments)]
async fn plan_copy(
    ctx: &Ctx<'_>,
    index: usize,
    src: &Mount,
    prefix: &str,
    env: &EnvName,
    to: &BulkTarget,
    overwrite: bool,
    remove_source: bool,
    class: Option<String>,
    warnings: &mut Vec<PlanWarning>,
) -> Result<Vec<Item>, AppError> {
    let sources = kv::list(ctx.bao, ctx.token, src, prefix).await?;
    let targets = env_entries(ctx, env, &to.prefix).await?;
    let mut mismatched = 0usize;
    let mut pairs = Vec::new();
    let mut items = Vec::new();
    for e in sources {
        let dst = format!("{}{}", to.prefix, &e.path[prefix.len()..]);
        let key = format!("{env}/{dst}");
        let Ok(path) = CredentialPath::parse(&dst) else {
            warnings.push(ctx.warn(
                index,
                "conflict",
                format!(
                    "{}/{} cannot be copied: {dst:?} is not a valid credential path",
                    src.path, e.path
                ),
            ));
            items.push(Item {
                key,
                kind: Kind::Conflict,
                action: Action::None,
            });
            continue;
        };
        if e.metadata
            .environment
            .as_deref()
            .is_some_and(|d| d != env.as_ref())
        {
            mismatched += 1;
        }
        let mut metadata = e.metadata.clone();
        metadata.environment = Some(env.to_string());
        if metadata.class.is_none() {
            metadata.class = Some(class.clone().unwrap_or_else(|| "service".into()));
        }
        // A target whose metadata was never written (a crash between the two writes) is
        // copied again: the value is already there, the metadata is completed.
        let exists = targets.get(&dst).map(|t| t.metadata.class.is_some());
        pairs.push((key, e.path, path, metadata, exists));
    }
    if mismatched > 0 {
        warnings.push(ctx.warn(
            index,
            "environment_mismatch",
            format!("{mismatched} credential(s) under {}/{prefix} declare another environment than the target {env}", src.path),
        ));
    }
    if overwrite {
        warnings.push(ctx.warn(
            index,
            "overwrite",
            format!(
                "existing credentials under {env}/{} are overwritten",
                to.prefix
            ),
        ));
    }
    // Only targets that exist need their values compared, a bounded number at a time.
    let decided: Vec<Result<Item, AppError>> = stream::iter(pairs)
        .map(|(key, src_path, path, metadata, exists)| async move {
            let kind = if exists.is_none() {
                Kind::Create
            } else if exists == Some(false) {
                Kind::Update
            } else {
                let a = kv::hash_of(ctx.bao, ctx.token, src, &src_path).await?;
                let b = kv::hash_of(ctx.bao, ctx.token, &kv::env_mount(env), path.as_ref()).await?;
                match (a, b) {
                    (Some(a), Some(b)) if a == b => Kind::Skip,
                    (_, None) => Kind::Create,
                    _ if overwrite => Kind::Update,
                    _ => Kind::Conflict,
                }
            };
            let action = match kind {
                Kind::Create | Kind::Update => Action::Copy {
                    src: src.clone(),
                    src_path,
                    env: env.clone(),
                    path,
                    metadata,
                    overwrite,
                    remove_source,
                },
                Kind::Skip if remove_source => Action::RemoveSource {
                    src: src.clone(),
                    src_path,
                },
                _ => Action::None,
            };
            Ok(Item { key, kind, action })
        })
        .buffer_unordered(PARALLELISM)
        .collect()
        .await;
    for d in decided {
        items.push(d?);
    }
    let conflicts = items.iter().filter(|i| i.kind == Kind::Conflict).count();
    if conflicts > 0 {
        warnings.push(ctx.warn(index, "conflict", format!("{conflicts} target(s) under {env}/{} already hold a different value; set overwrite = true or remove them", to.prefix)));
    }
    Ok(items)
}
