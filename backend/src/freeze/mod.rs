//! Freeze: read-only mode enforced inside OpenBao.
//!
//! Freezing snapshots every ACL policy to `crypter/data/freeze/snapshot`, then rewrites each
//! one (but `root` and `crypter-operator`) without write capabilities on the frozen paths.
//! Thawing restores the snapshot, but only over policies that still hold what the freeze
//! wrote. Every call acts with the caller's own token: OpenBao decides who may freeze.

pub mod glob;
pub mod guard;
pub mod levels;
pub mod policy_doc;
pub mod probes;
pub mod record;
pub mod rewrite;
pub mod snapshot;
pub mod thaw;
pub mod verify;

pub use record::{load_record, save_record, FreezeRecord, STATE_PATH};
pub use snapshot::{Snapshot, SnapshotPolicy, SNAPSHOT_PATH};
pub use thaw::{thaw, ThawOptions};

use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{FreezeState, FreezeTarget, PolicyConflict};
use levels::{frozen_paths_for, Level, EXEMPT_POLICIES};
use secrecy::SecretString;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Policies are read and written with this much parallelism.
const PARALLEL: usize = 8;

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub(crate) use crate::clock::now_rfc3339 as now;

/// The snapshot the current freeze wrote, or the 409 that says it cannot be used.
pub async fn load_snapshot(bao: &Bao, token: &SecretString) -> Result<Option<Snapshot>, AppError> {
    let (record, _) = load_record(bao, token).await?;
    match snapshot::load(bao, token, None, record.snapshot_sha256.as_deref()).await? {
        Ok(s) => Ok(Some(s)),
        Err(problem) if record.level == Level::None => {
            tracing::debug!(%problem, "no usable freeze snapshot while not frozen");
            Ok(None)
        }
        Err(problem) => Err(AppError::Conflict(
            ErrorCode::SnapshotDamaged,
            format!(
            "the freeze snapshot cannot be used: {problem}; thaw from a good version of it (the \
             Freeze page lists them)"
        ),
        )),
    }
}

pub async fn read_policy(
    bao: &Bao,
    token: &SecretString,
    name: &str,
) -> Result<Option<String>, AppError> {
    Ok(bao
        .read(&format!("sys/policies/acl/{name}"), token)
        .await?
        .and_then(|v| {
            v.pointer("/data/policy")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }))
}

pub(crate) async fn write_policy(
    bao: &Bao,
    token: &SecretString,
    name: &str,
    hcl: &str,
) -> Result<(), BaoError> {
    bao.write(
        &format!("sys/policies/acl/{name}"),
        token,
        &json!({ "policy": hcl }),
    )
    .await
    .map(|_| ())
}

fn is_exempt(name: &str) -> bool {
    EXEMPT_POLICIES.contains(&name)
}

/// The frozen text of every snapshot policy the freeze changes. A policy that cannot be
/// parsed stops everything here, before anything is written.
fn plan(snapshot: &Snapshot, patterns: &[String]) -> Result<BTreeMap<String, String>, AppError> {
    let mut out = BTreeMap::new();
    for p in snapshot.policies.iter().filter(|p| !is_exempt(&p.name)) {
        let doc = policy_doc::parse(&p.hcl).map_err(|e| AppError::ConflictDetails {
            code: ErrorCode::UnparsablePolicy,
            message: format!(
                "policy {:?} cannot be parsed ({e}); nothing was frozen. Fix or remove that policy, then freeze again",
                p.name
            ),
            details: json!({ "policy": p.name }),
        })?;
        if let Some(frozen) = rewrite::freeze_policy(&doc, patterns) {
            let text =
                policy_doc::to_hcl(&frozen).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
            out.insert(p.name.clone(), text);
        }
    }
    Ok(out)
}

/// Policies whose live text is neither what the freeze wrote nor the original: someone
/// edited them while the store was frozen.
pub(crate) async fn changed_while_frozen(
    bao: &Bao,
    token: &SecretString,
    record: &FreezeRecord,
    snapshot: &Snapshot,
) -> Result<Vec<PolicyConflict>, AppError> {
    let mut conflicts = Vec::new();
    for (name, written) in &record.written {
        let live = read_policy(bao, token, name).await?.unwrap_or_default();
        let original = snapshot
            .original(name)
            .map(|p| p.hcl.as_str())
            .unwrap_or("");
        if live != *written && live != original {
            conflicts.push(PolicyConflict {
                policy: name.clone(),
                diff: unified_diff(written, &live, name),
            });
        }
    }
    Ok(conflicts)
}

/// What the current freeze wrote, and the originals it replaced, so that comparing policies
/// (drift) does not mistake a freeze for an edit. Load it once per listing.
#[derive(Debug, Default)]
pub struct FreezeView {
    written: BTreeMap<String, String>,
    originals: BTreeMap<String, String>,
}

impl FreezeView {
    /// Empty when the store is not frozen, or when the caller may not read the freeze.
    pub async fn load(bao: &Bao, token: &SecretString) -> Self {
        let Ok((record, _)) = load_record(bao, token).await else {
            return Self::default();
        };
        if record.level == Level::None {
            return Self::default();
        }
        let originals = match load_snapshot(bao, token).await {
            Ok(Some(snapshot)) => snapshot
                .policies
                .into_iter()
                .map(|p| (p.name, p.hcl))
                .collect(),
            _ => BTreeMap::new(),
        };
        Self {
            written: record.written,
            originals,
        }
    }

    /// A policy's text as it stands apart from the freeze: the snapshot's original if
    /// `live` is exactly what the freeze wrote; otherwise `live` itself.
    pub fn outside(&self, name: &str, live: Option<String>) -> Option<String> {
        match (self.written.get(name), self.originals.get(name)) {
            (Some(written), Some(original)) if live.as_ref() == Some(written) => {
                Some(original.clone())
            }
            _ => live,
        }
    }
}

pub fn unified_diff(before: &str, after: &str, name: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .header(&format!("{name} (as frozen)"), &format!("{name} (live)"))
        .to_string()
}

pub(crate) fn conflict_error(conflicts: Vec<PolicyConflict>, what: &str) -> AppError {
    let names: Vec<&str> = conflicts.iter().map(|c| c.policy.as_str()).collect();
    AppError::ConflictDetails {
        code: ErrorCode::PoliciesChangedWhileFrozen,
        message: format!(
            "{} changed while the store was frozen, so {what} would overwrite those edits. Review the diffs; to {what} anyway, force it with a reason",
            names.join(", ")
        ),
        details: json!({ "conflicts": conflicts }),
    }
}

/// Who is freezing: their name, for the record, and their token's policies.
pub struct Actor<'a> {
    pub name: &'a str,
    pub policies: &'a [String],
}

/// Freeze at `target`, or change the level. Idempotent: the same level again changes
/// nothing. (`none` is not a target: lifting a freeze is a thaw.)
pub async fn freeze(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    target: FreezeTarget,
    reason: &str,
) -> Result<FreezeState, AppError> {
    let level = target.level();
    // Someone whose every policy gets frozen could not thaw what they froze.
    if !actor
        .policies
        .iter()
        .any(|p| EXEMPT_POLICIES.contains(&p.as_str()))
    {
        return Err(AppError::Forbidden(
            "only operators (policy crypter-operator) may freeze the store: anyone else would be \
             frozen out of thawing it"
                .into(),
        ));
    }
    let (record, version) = load_record(bao, token).await?;
    if record.level == level {
        return Ok(record.to_state());
    }
    let auth_mounts: Vec<String> = bao
        .read("sys/auth", token)
        .await?
        .and_then(|v| v.get("data").and_then(Value::as_object).cloned())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let patterns = frozen_paths_for(level, &auth_mounts);
    let (snapshot, snapshot_at) = prepare_snapshot(bao, token, &record, actor.name).await?;
    let target = plan(&snapshot, &patterns)?;
    let (snapshot_version, snapshot_sha256) = match snapshot_at {
        Some(kept) => kept,
        None => (
            Some(snapshot::write(bao, token, &snapshot).await?),
            Some(snapshot.sha256()),
        ),
    };
    let before = rewrite_policies(bao, token, actor, &record, &snapshot, &target).await?;
    let new_record = FreezeRecord {
        level,
        since: Some(now()),
        by: Some(actor.name.to_owned()),
        reason: Some(reason.to_owned()),
        written: target,
        verification: None,
        frozen_paths: patterns,
        snapshot_version,
        snapshot_sha256,
        last_thaw: None,
    };
    if let Err(e) = save_record(bao, token, &new_record, version).await {
        let undo: Vec<(String, String)> = before.into_iter().collect();
        let _ = write_all_or_roll_back(bao, token, &undo, &BTreeMap::new()).await;
        return Err(e);
    }
    tracing::info!(
        level = level.as_str(),
        by = actor.name,
        policies = new_record.written.len(),
        "store frozen"
    );
    Ok(new_record.to_state())
}

/// The snapshot a freeze works from. A first freeze takes a new one (written later, once
/// every policy parses); a level change reuses the one the freeze wrote, whose version and
/// checksum are returned with it, after checking nobody changed a policy meanwhile.
#[allow(clippy::type_complexity)]
async fn prepare_snapshot(
    bao: &Bao,
    token: &SecretString,
    record: &FreezeRecord,
    by: &str,
) -> Result<(Snapshot, Option<(Option<u64>, Option<String>)>), AppError> {
    if record.level == Level::None {
        return Ok((snapshot::take(bao, token, by).await?, None));
    }
    let snapshot = load_snapshot(bao, token).await?.ok_or_else(|| {
        AppError::Conflict(
            ErrorCode::SnapshotMissing,
            "the store is frozen but its snapshot is missing; thaw from a good version of it \
             first"
                .into(),
        )
    })?;
    let conflicts = changed_while_frozen(bao, token, record, &snapshot).await?;
    if !conflicts.is_empty() {
        return Err(conflict_error(conflicts, "changing the level"));
    }
    let kept = (record.snapshot_version, record.snapshot_sha256.clone());
    Ok((snapshot, Some(kept)))
}

/// Write each policy's frozen text (or, when a level change no longer touches it, its
/// original). Returns what each written policy held before, to roll back to.
async fn rewrite_policies(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    record: &FreezeRecord,
    snapshot: &Snapshot,
    target: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, AppError> {
    let mut writes: Vec<(String, String)> =
        target.iter().map(|(n, t)| (n.clone(), t.clone())).collect();
    for name in record.written.keys().filter(|n| !target.contains_key(*n)) {
        if let Some(original) = snapshot.original(name) {
            writes.push((name.clone(), original.hcl.clone()));
        }
    }
    // The freezer's own policies go last: once they are frozen, the freezer may no longer
    // be able to roll the others back.
    writes.sort_by_key(|(name, _)| actor.policies.contains(name));
    let before: BTreeMap<String, String> = writes
        .iter()
        .map(|(name, _)| {
            let text = record
                .written
                .get(name)
                .cloned()
                .or_else(|| snapshot.original(name).map(|p| p.hcl.clone()))
                .unwrap_or_default();
            (name.clone(), text)
        })
        .collect();
    write_all_or_roll_back(bao, token, &writes, &before).await?;
    Ok(before)
}

/// Write each policy in order; if one fails, put back every one already written.
async fn write_all_or_roll_back(
    bao: &Bao,
    token: &SecretString,
    writes: &[(String, String)],
    before: &BTreeMap<String, String>,
) -> Result<(), AppError> {
    for (i, (name, text)) in writes.iter().enumerate() {
        if let Err(e) = write_policy(bao, token, name, text).await {
            let mut not_restored = Vec::new();
            for (done, _) in &writes[..i] {
                if let Some(original) = before.get(done) {
                    if write_policy(bao, token, done, original).await.is_err() {
                        not_restored.push(done.clone());
                    }
                }
            }
            let tail = if not_restored.is_empty() {
                "every policy already written was rolled back".to_owned()
            } else {
                format!(
                    "these could not be rolled back: {}",
                    not_restored.join(", ")
                )
            };
            return Err(AppError::ConflictDetails {
                code: ErrorCode::FreezeFailed,
                message: format!("writing policy {name:?} failed ({e}); {tail}"),
                details: json!({ "policy": name, "not_rolled_back": not_restored }),
            });
        }
    }
    Ok(())
}
