//! Restore points: what a changeset's items touched, as it was before its apply (or its
//! undo) changed it, and the state the run was planned to leave. An undo is planned from
//! them: each target goes back to `before`, under the precondition that it is still at
//! `after`. Values are never kept: KV v2 keeps earlier versions, so a restore point names
//! versions, metadata, role definitions and key versions.
//!
//! Kept as operator-owned records at `crypter/data/changesets/restore-points/<id>.<kind>`
//! (a manifest) with their JSON in chunks under `…/restore-point-chunks/<id>.<kind>/<n>`,
//! checked against the manifest's SHA-256 on reading: a damaged restore point is never
//! used.

use super::checksum::sha256_prefixed;
use super::store::{load_chunks, save_chunks};
use crate::bao::kv::{self, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{
    CredentialMetadata, ItemAction, ItemTarget, PlanItem, RestorePointKind, RestorePointSummary,
    Role,
};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

const MANIFESTS: &str = "changesets/restore-points";
const CHUNKS: &str = "changesets/restore-point-chunks";

/// What an item touches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A credential in a KV mount (`env/<name>`, or a move's source mount).
    Credential {
        mount: String,
        path: String,
    },
    Role {
        name: String,
    },
    Key {
        environment: String,
        name: String,
    },
    Environment {
        name: String,
    },
}

/// A target as it was; `None` in an [`Entry`] means absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Credential {
        /// The current data version (0: no version yet).
        version: u64,
        metadata_version: u64,
        /// The current version can be read (not deleted nor destroyed).
        readable: bool,
        metadata: CredentialMetadata,
    },
    Role {
        role: Role,
        /// The role record's version.
        version: u64,
    },
    Key {
        latest: u64,
        min_decryption: u64,
    },
    Environment,
}

/// What an item changes when applied (nothing, for `skip` and `conflict`). A move's
/// `delete_source` changes its source, not its target.
pub fn targets(item: &PlanItem) -> Vec<Target> {
    if item.action.is_noop() {
        return Vec::new();
    }
    if item.action == ItemAction::DeleteSource {
        return item
            .source
            .iter()
            .map(|s| Target::Credential {
                mount: s.mount.clone(),
                path: s.path.clone(),
            })
            .collect();
    }
    vec![match &item.target {
        ItemTarget::Credential {
            environment, path, ..
        } => Target::Credential {
            mount: format!("env/{environment}"),
            path: path.clone(),
        },
        ItemTarget::Role { name, .. } => Target::Role { name: name.clone() },
        ItemTarget::Key {
            environment, name, ..
        } => Target::Key {
            environment: environment.clone(),
            name: name.clone(),
        },
        ItemTarget::Environment { name } => Target::Environment { name: name.clone() },
    }]
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub target: Target,
    pub before: Option<State>,
    /// What the run was planned to leave.
    pub after: Option<State>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestorePoint {
    /// The changeset it was made for; a named one's name.
    pub changeset: String,
    pub kind: RestorePointKind,
    pub at: String,
    pub by: String,
    pub plan_hash: String,
    pub entries: Vec<Entry>,
    /// A named restore point: the environment it holds.
    pub environment: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    changeset: String,
    kind: RestorePointKind,
    at: String,
    by: String,
    plan_hash: String,
    entries: usize,
    chunks: usize,
    sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    environment: Option<String>,
}

impl Manifest {
    fn summary(&self) -> RestorePointSummary {
        RestorePointSummary {
            changeset: self.changeset.clone(),
            kind: self.kind,
            at: self.at.clone(),
            by: self.by.clone(),
            plan_hash: self.plan_hash.clone(),
            entries: self.entries as u64,
            environment: self.environment.clone(),
        }
    }
}

fn crypter() -> Mount {
    Mount::v2("crypter")
}

/// `<changeset>.<kind>`; a named one `@<environment>.<name>.named` (`@` is in no
/// changeset id).
fn name(changeset: &str, kind: RestorePointKind, environment: Option<&str>) -> String {
    match environment {
        Some(env) => format!("@{env}.{changeset}.{kind}"),
        None => format!("{changeset}.{kind}"),
    }
}

/// Keep a restore point (replacing the one of the same changeset and kind). The chunks go
/// first and the manifest last, so a manifest always names complete chunks.
pub async fn save(bao: &Bao, token: &SecretString, rp: &RestorePoint) -> Result<(), AppError> {
    let n = name(&rp.changeset, rp.kind, rp.environment.as_deref());
    let text = serde_json::to_string(&rp.entries)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("restore point: {e}")))?;
    let chunks = save_chunks(bao, token, &format!("{CHUNKS}/{n}"), &text).await?;
    let manifest = Manifest {
        changeset: rp.changeset.clone(),
        kind: rp.kind,
        at: rp.at.clone(),
        by: rp.by.clone(),
        plan_hash: rp.plan_hash.clone(),
        entries: rp.entries.len(),
        chunks,
        sha256: sha256_prefixed(&text),
        environment: rp.environment.clone(),
    };
    let data = serde_json::to_value(&manifest)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("restore point manifest: {e}")))?;
    kv::write_json(
        bao,
        token,
        &crypter(),
        &format!("{MANIFESTS}/{n}"),
        &data,
        None,
    )
    .await?;
    Ok(())
}

/// The restore point of `changeset` made before a run of `kind`; `None` when there is none.
/// A damaged one (a chunk missing or changed, a manifest that does not decode) is a 409
/// that says so: an undo never runs from it.
pub async fn load(
    bao: &Bao,
    token: &SecretString,
    changeset: &str,
    kind: RestorePointKind,
) -> Result<Option<RestorePoint>, AppError> {
    load_named(bao, token, changeset, kind, None).await
}

/// [`load`], for a changeset's restore point (`environment`: `None`) or a named one.
pub async fn load_named(
    bao: &Bao,
    token: &SecretString,
    changeset: &str,
    kind: RestorePointKind,
    environment: Option<&str>,
) -> Result<Option<RestorePoint>, AppError> {
    let n = name(changeset, kind, environment);
    let Some((data, _)) =
        kv::read_json(bao, token, &crypter(), &format!("{MANIFESTS}/{n}")).await?
    else {
        return Ok(None);
    };
    let damaged = |why: String| AppError::ConflictDetails {
        code: ErrorCode::RestorePointDamaged,
        message: format!(
            "the restore point of {changeset} ({kind}) is damaged: {why}; nothing was planned \
             or changed"
        ),
        details: serde_json::json!({ "changeset": changeset, "kind": kind }),
    };
    let m: Manifest = serde_json::from_value(data).map_err(|e| damaged(e.to_string()))?;
    let text = load_chunks(bao, token, &format!("{CHUNKS}/{n}"), m.chunks)
        .await?
        .map_err(damaged)?;
    if sha256_prefixed(&text) != m.sha256 {
        return Err(damaged("its checksum does not match".into()));
    }
    let entries: Vec<Entry> = serde_json::from_str(&text).map_err(|e| damaged(e.to_string()))?;
    if entries.len() != m.entries || m.changeset != changeset || m.kind != kind {
        return Err(damaged("it does not match its manifest".into()));
    }
    Ok(Some(RestorePoint {
        changeset: m.changeset,
        kind: m.kind,
        at: m.at,
        by: m.by,
        plan_hash: m.plan_hash,
        entries,
        environment: m.environment,
    }))
}

/// Remove a named restore point (its manifest first: without it, the chunks are never
/// read).
pub async fn remove_named(
    bao: &Bao,
    token: &SecretString,
    environment: &str,
    label: &str,
) -> Result<bool, AppError> {
    let n = name(label, RestorePointKind::Named, Some(environment));
    let path = format!("crypter/metadata/{MANIFESTS}/{n}");
    if bao
        .read(&format!("crypter/data/{MANIFESTS}/{n}"), token)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    bao.delete(&path, token).await?;
    for k in bao
        .list(&format!("crypter/metadata/{CHUNKS}/{n}"), token)
        .await?
    {
        bao.delete(&format!("crypter/metadata/{CHUNKS}/{n}/{k}"), token)
            .await?;
    }
    Ok(true)
}

/// Every restore point, newest first. One that does not decode is left out (and logged);
/// loading it for an undo says why.
pub async fn list(bao: &Bao, token: &SecretString) -> Result<Vec<RestorePointSummary>, AppError> {
    let keys = bao
        .list(&format!("crypter/metadata/{MANIFESTS}"), token)
        .await?;
    let found: Vec<Option<RestorePointSummary>> = stream::iter(keys)
        .map(|k| async move {
            let path = format!("{MANIFESTS}/{k}");
            let read = kv::read_json(bao, token, &crypter(), &path).await?;
            let summary = read.and_then(|(d, _)| match serde_json::from_value::<Manifest>(d) {
                Ok(m) => Some(m.summary()),
                Err(e) => {
                    tracing::warn!(%path, error = %e, "a restore point's manifest does not decode");
                    None
                }
            });
            Ok::<_, AppError>(summary)
        })
        .buffered(8)
        .try_collect()
        .await?;
    let mut out: Vec<RestorePointSummary> = found.into_iter().flatten().collect();
    out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.changeset.cmp(&b.changeset)));
    Ok(out)
}
