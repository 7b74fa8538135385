//! Bulk copies: `copy_credentials`, `move_credentials` and `import_kv`. One item per source
//! credential, and for a move a `delete_source` right after its copy. Only targets that
//! exist need values compared; those reads run `PARALLELISM` at a time.

use super::model::{same, Cred, ValueRef};
use super::{item, Planner};
use crate::bao::kv::{self, KvError, Mount};
use crate::changesets::format::{BulkSource, BulkTarget, Changeset, Operation};
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{
    CredentialMetadata, CredentialPath, EnvName, ItemAction, ItemSource, ItemTarget, PlanItem,
    ValueCompare,
};

/// What a bulk operation reads and where it writes.
pub struct Bulk {
    /// `None`: the source mount does not exist (or is not a KV mount).
    pub src: Option<Mount>,
    pub src_name: String,
    pub src_env: Option<EnvName>,
    pub from: String,
    pub env: EnvName,
    pub to: String,
    pub overwrite: bool,
    pub remove: bool,
    /// The class given to credentials that have none (KV v1 has no metadata).
    pub class: String,
}

impl Bulk {
    pub fn copy(
        cs: &Changeset,
        op: &Operation,
        from: &BulkSource,
        to: &BulkTarget,
        overwrite: bool,
    ) -> Result<Self, AppError> {
        let name = crate::changesets::validate::source_mount(op.name(), from)
            .map_err(|m| AppError::bad_request(ErrorCode::InvalidChangeset, m))?;
        // A `mount` may also be an environment's: its KV version is looked up then.
        let src = from.environment.as_ref().map(Mount::env);
        Ok(Self {
            src,
            src_name: name,
            src_env: from.environment.clone(),
            from: from.prefix.clone(),
            env: to
                .environment
                .clone()
                .unwrap_or_else(|| cs.environment.clone()),
            to: to.prefix.clone(),
            overwrite,
            remove: matches!(op, Operation::MoveCredentials { .. }),
            class: "service".into(),
        })
    }

    pub async fn import(
        p: &mut Planner<'_>,
        cs: &Changeset,
        mount: &str,
        prefix: &str,
        to: &BulkTarget,
        class: &Option<String>,
        overwrite: bool,
    ) -> Result<Self, AppError> {
        let name = mount.trim_matches('/').to_owned();
        let src = lookup(p, &name).await?;
        Ok(Self {
            src,
            src_name: name,
            src_env: None,
            from: prefix.to_owned(),
            env: to
                .environment
                .clone()
                .unwrap_or_else(|| cs.environment.clone()),
            to: to.prefix.clone(),
            overwrite,
            remove: false,
            class: class.clone().unwrap_or_else(|| "service".into()),
        })
    }

    fn verb(&self) -> &'static str {
        if self.remove {
            "move"
        } else if self.src_env.is_some() {
            "copy"
        } else {
            "copy (import)"
        }
    }
}

/// A mount named in a changeset: KV v1 or v2, or `None`.
async fn lookup(p: &Planner<'_>, name: &str) -> Result<Option<Mount>, AppError> {
    match kv::mount_of(p.model.bao, p.model.token, name).await {
        Ok(m) => Ok(Some(m)),
        Err(KvError::NoMount { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn conflict(cs: &Changeset, index: usize, target: ItemTarget, reason: String) -> PlanItem {
    let mut it = item(cs, index, ItemAction::Conflict, target);
    it.reason = Some(reason);
    it
}

pub async fn plan(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
    mut b: Bulk,
) -> Result<String, AppError> {
    if b.src.is_none() && b.src_env.is_none() {
        b.src = lookup(p, &b.src_name).await?;
    }
    let summary = format!(
        "{} {}/{}* to {}/{}",
        b.verb(),
        b.src_name,
        b.from,
        b.env,
        b.to
    );
    let env_target = ItemTarget::Environment {
        name: b.env.to_string(),
    };
    let target = Mount::env(&b.env);
    let both: Vec<Mount> = b.src.iter().cloned().chain([target.clone()]).collect();
    p.model.load(&both).await?;
    let src = match &b.src {
        Some(m) if p.model.mount(m).await?.is_some() => m.clone(),
        _ => {
            let why = format!(
                "there is no KV mount at {}/ (or you may not read it)",
                b.src_name
            );
            p.push(conflict(cs, index, env_target, why), op).await?;
            return Ok(summary);
        }
    };
    if p.model.mount(&target).await?.is_none() {
        let why = format!("environment {} does not exist; create it first", b.env);
        p.push(conflict(cs, index, env_target, why), op).await?;
        return Ok(summary);
    }
    let sources = p.model.entries(&src, &b.from).await?;
    let mut wanted = Vec::new();
    for (path, c) in &sources {
        let dst = format!("{}{}", b.to, &path[b.from.len()..]);
        if c.readable && p.model.cred(&target.path, &dst).is_some_and(|t| t.readable) {
            wanted.push((src.path.clone(), path.clone()));
            wanted.push((target.path.clone(), dst));
        }
    }
    p.model.resolve(&wanted).await?;
    warn(p, cs, index, &b, &sources);
    for (path, _) in sources {
        // As the model knows it now, its value read if it had to be compared.
        let Some(c) = p.model.cred(&src.path, &path).cloned() else {
            continue;
        };
        for it in pair(p, cs, index, &b, &src, &path, &c) {
            p.push(it, op).await?;
        }
    }
    Ok(summary)
}

fn warn(p: &mut Planner<'_>, cs: &Changeset, index: usize, b: &Bulk, sources: &[(String, Cred)]) {
    let mismatched = sources
        .iter()
        .filter(|(_, c)| {
            c.metadata
                .environment
                .as_deref()
                .is_some_and(|d| d != b.env.as_ref())
        })
        .count();
    if mismatched > 0 {
        p.warn(
            &cs.id,
            Some(index),
            "environment_mismatch",
            format!(
                "{mismatched} credential(s) under {}/{} declare another environment than the target {}",
                b.src_name, b.from, b.env
            ),
        );
    }
    if b.overwrite {
        p.warn(
            &cs.id,
            Some(index),
            "overwrite",
            format!(
                "existing credentials under {}/{} are overwritten",
                b.env, b.to
            ),
        );
    }
}

/// The copy item of one source credential, and for a move its `delete_source`.
fn pair(
    p: &Planner<'_>,
    cs: &Changeset,
    index: usize,
    b: &Bulk,
    src: &Mount,
    path: &str,
    c: &Cred,
) -> Vec<PlanItem> {
    let dst = format!("{}{}", b.to, &path[b.from.len()..]);
    let existing = p.model.cred(&format!("env/{}", b.env), &dst);
    let target = ItemTarget::Credential {
        environment: b.env.to_string(),
        path: dst.clone(),
        version: existing.map(|t| t.version),
    };
    let source = ItemSource {
        environment: b.src_env.as_ref().map(ToString::to_string),
        mount: src.path.clone(),
        path: path.to_owned(),
        version: src.v2.then_some(c.version),
    };
    let mut it = item(cs, index, ItemAction::Create, target);
    it.source = Some(source.clone());
    it.precondition.source_version = source.version;
    if let Err(e) = CredentialPath::parse(&dst) {
        it.action = ItemAction::Conflict;
        it.reason = Some(format!("{dst:?} is not a valid credential path: {e}"));
        return vec![it];
    }
    if !c.readable {
        it.action = ItemAction::Skip;
        it.reason = Some("the source's current version is deleted or destroyed".into());
        return vec![it];
    }
    let compared = existing.map(|t| same(&t.value, &c.value));
    let (action, value) = match (existing, compared) {
        (None, _) => (ItemAction::Create, None),
        (Some(_), Some(Some(true))) => (ItemAction::Skip, Some(ValueCompare::Same)),
        (Some(t), _) => {
            let value = (t.value != ValueRef::Unreadable).then_some(ValueCompare::Different);
            let action = if b.overwrite {
                ItemAction::Update
            } else {
                ItemAction::Conflict
            };
            (action, value)
        }
    };
    it.action = action;
    it.value = value;
    match action {
        ItemAction::Skip => it.reason = Some("the target already holds the same value".into()),
        ItemAction::Conflict => {
            it.reason = Some(format!(
                "{}/{dst} already holds a different value (or its current version is deleted); \
                 set overwrite = true or remove it",
                b.env
            ));
        }
        _ => {
            it.precondition.cas = Some(existing.map_or(0, |t| t.version));
            it.precondition.metadata_cas = Some(existing.map_or(0, |t| t.metadata_version));
            it.metadata = Some(copied_metadata(&c.metadata, b));
        }
    }
    let after = match action {
        ItemAction::Create | ItemAction::Update => it.precondition.cas.map(|v| v + 1),
        ItemAction::Skip => existing.map(|t| t.version),
        _ => None,
    };
    let mut out = vec![it];
    if let (true, Some(after)) = (b.remove, after) {
        let mut del = item(
            cs,
            index,
            ItemAction::DeleteSource,
            ItemTarget::Credential {
                environment: b.env.to_string(),
                path: dst,
                version: Some(after),
            },
        );
        del.precondition.source_version = source.version;
        del.source = Some(source);
        out.push(del);
    }
    out
}

fn copied_metadata(m: &CredentialMetadata, b: &Bulk) -> CredentialMetadata {
    let mut m = m.clone();
    m.environment = Some(b.env.to_string());
    if m.class.is_none() {
        m.class = Some(b.class.clone());
    }
    m
}
