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
pub mod rewrite;
pub mod verify;

use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crypter_api::{FreezeState, PolicyConflict, RestoredPolicy, ThawResult, VerificationSummary};
use futures::stream::{self, StreamExt, TryStreamExt};
use levels::{frozen_paths, Level, EXEMPT_POLICIES};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub const STATE_PATH: &str = "crypter/data/freeze/state";
pub const SNAPSHOT_PATH: &str = "crypter/data/freeze/snapshot";
const SNAPSHOT_METADATA: &str = "crypter/metadata/freeze/snapshot";
/// Policies are read and written with this much parallelism.
const PARALLEL: usize = 8;

/// One policy as the snapshot keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotPolicy {
    pub name: String,
    pub hcl: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub taken_at: String,
    pub by: String,
    pub policies: Vec<SnapshotPolicy>,
}

impl Snapshot {
    fn original(&self, name: &str) -> Option<&SnapshotPolicy> {
        self.policies.iter().find(|p| p.name == name)
    }
}

/// The freeze record in OpenBao. `written` holds exactly what the freeze wrote to each
/// policy it touched, so thaw can tell whether anyone changed it since.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FreezeRecord {
    pub level: Level,
    pub since: Option<String>,
    pub by: Option<String>,
    pub reason: Option<String>,
    #[serde(default)]
    pub written: BTreeMap<String, String>,
    #[serde(default)]
    pub verification: Option<VerificationSummary>,
}

impl FreezeRecord {
    fn none() -> Self {
        Self {
            level: Level::None,
            since: None,
            by: None,
            reason: None,
            written: BTreeMap::new(),
            verification: None,
        }
    }

    pub fn to_state(&self) -> FreezeState {
        FreezeState {
            level: self.level,
            since: self.since.clone(),
            by: self.by.clone(),
            reason: self.reason.clone(),
            policies: self.written.keys().cloned().collect(),
            exempt: EXEMPT_POLICIES.iter().map(|s| (*s).to_owned()).collect(),
            frozen_paths: frozen_paths(self.level)
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            verification: self.verification.clone(),
        }
    }
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// The freeze record and its KV version (0 when there is none), for check-and-set.
pub async fn load_record(bao: &Bao, token: &SecretString) -> Result<(FreezeRecord, u64), AppError> {
    let Some(v) = bao.read(STATE_PATH, token).await? else {
        return Ok((FreezeRecord::none(), 0));
    };
    let version = v
        .pointer("/data/metadata/version")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let record = v
        .pointer("/data/data")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("freeze record: {e}")))?
        .unwrap_or_else(FreezeRecord::none);
    Ok((record, version))
}

pub async fn save_record(
    bao: &Bao,
    token: &SecretString,
    record: &FreezeRecord,
    cas: u64,
) -> Result<(), AppError> {
    let body = json!({ "options": { "cas": cas }, "data": record });
    match bao.write(STATE_PATH, token, &body).await {
        Ok(_) => Ok(()),
        Err(BaoError::Rejected {
            status: 400,
            message,
            ..
        }) if message.contains("check-and-set") => Err(AppError::Conflict(
            "someone else changed the freeze at the same moment; reload and try again".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn load_snapshot(bao: &Bao, token: &SecretString) -> Result<Option<Snapshot>, AppError> {
    let Some(v) = bao.read(SNAPSHOT_PATH, token).await? else {
        return Ok(None);
    };
    let data = v.pointer("/data/data").cloned().unwrap_or_default();
    serde_json::from_value(data)
        .map(Some)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("freeze snapshot: {e}")))
}

/// Every ACL policy, with its text and checksum.
async fn take_snapshot(bao: &Bao, token: &SecretString, by: &str) -> Result<Snapshot, AppError> {
    let names = bao.list("sys/policies/acl", token).await?;
    let mut policies: Vec<SnapshotPolicy> = stream::iter(names)
        .map(|name| async move {
            let hcl = read_policy(bao, token, &name).await?.unwrap_or_default();
            Ok::<_, AppError>(SnapshotPolicy {
                sha256: sha256_hex(&hcl),
                name,
                hcl,
            })
        })
        .buffer_unordered(PARALLEL)
        .try_collect()
        .await?;
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Snapshot {
        taken_at: now(),
        by: by.to_owned(),
        policies,
    })
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

async fn write_policy(
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

/// The frozen text of every snapshot policy the level changes. A policy that cannot be
/// parsed stops everything here, before anything is written.
fn plan(snapshot: &Snapshot, level: Level) -> Result<BTreeMap<String, String>, AppError> {
    let mut out = BTreeMap::new();
    for p in snapshot.policies.iter().filter(|p| !is_exempt(&p.name)) {
        let doc = policy_doc::parse(&p.hcl).map_err(|e| AppError::ConflictDetails {
            code: "unparsable_policy",
            message: format!(
                "policy {:?} cannot be parsed ({e}); nothing was frozen. Fix or remove that policy, then freeze again",
                p.name
            ),
            details: json!({ "policy": p.name }),
        })?;
        if let Some(frozen) = rewrite::freeze_policy(&doc, level) {
            let text =
                policy_doc::to_hcl(&frozen).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
            out.insert(p.name.clone(), text);
        }
    }
    Ok(out)
}

/// Policies whose live text is neither what the freeze wrote nor the original: someone
/// edited them while the store was frozen.
async fn changed_while_frozen(
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

fn conflict_error(conflicts: Vec<PolicyConflict>, what: &str) -> AppError {
    let names: Vec<&str> = conflicts.iter().map(|c| c.policy.as_str()).collect();
    AppError::ConflictDetails {
        code: "policies_changed_while_frozen",
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

/// Freeze at `level`, or change the level. Idempotent: the same level again changes nothing.
pub async fn freeze(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    level: Level,
    reason: &str,
) -> Result<FreezeState, AppError> {
    if level == Level::None {
        return Err(AppError::bad_request(
            "invalid_level",
            "freeze at `provisioning` or `full`; to lift a freeze, thaw",
        ));
    }
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
    let actor_name = actor.name;
    let (record, version) = load_record(bao, token).await?;
    if record.level == level {
        return Ok(record.to_state());
    }
    let already_frozen = record.level != Level::None;
    let snapshot = if already_frozen {
        let snapshot = load_snapshot(bao, token)
            .await?
            .ok_or_else(missing_snapshot)?;
        let conflicts = changed_while_frozen(bao, token, &record, &snapshot).await?;
        if !conflicts.is_empty() {
            return Err(conflict_error(conflicts, "changing the level"));
        }
        snapshot
    } else {
        take_snapshot(bao, token, actor_name).await?
    };
    let target = plan(&snapshot, level)?;
    if !already_frozen {
        bao.write(SNAPSHOT_PATH, token, &json!({ "data": snapshot }))
            .await?;
    }

    // What each policy should become: its frozen text, or (when a level change no longer
    // touches it) its original.
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
    // What each policy holds now, to roll back to if a write fails half-way.
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

    let new_record = FreezeRecord {
        level,
        since: Some(now()),
        by: Some(actor_name.to_owned()),
        reason: Some(reason.to_owned()),
        written: target,
        verification: None,
    };
    if let Err(e) = save_record(bao, token, &new_record, version).await {
        let undo: Vec<(String, String)> = before.clone().into_iter().collect();
        let _ = write_all_or_roll_back(bao, token, &undo, &BTreeMap::new()).await;
        return Err(e);
    }
    tracing::info!(
        level = level.as_str(),
        by = actor_name,
        policies = new_record.written.len(),
        "store frozen"
    );
    Ok(new_record.to_state())
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
                code: "freeze_failed",
                message: format!("writing policy {name:?} failed ({e}); {tail}"),
                details: json!({ "policy": name, "not_rolled_back": not_restored }),
            });
        }
    }
    Ok(())
}

fn missing_snapshot() -> AppError {
    AppError::Conflict(
        "the store is frozen but the snapshot at crypter/data/freeze/snapshot is missing, so the originals cannot be restored; restore the policies by hand".into(),
    )
}

/// Thaw: restore the snapshot over every policy the freeze touched, then check each one's
/// checksum. Refuses (409, with diffs) where a policy changed while frozen, unless forced.
pub async fn thaw(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    force: bool,
    reason: Option<&str>,
) -> Result<ThawResult, AppError> {
    if force && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(AppError::bad_request(
            "reason_required",
            "a forced thaw needs a reason",
        ));
    }
    let (record, version) = load_record(bao, token).await?;
    if record.level == Level::None {
        return Ok(ThawResult {
            state: record.to_state(),
            restored: Vec::new(),
            overwritten: Vec::new(),
        });
    }
    let snapshot = load_snapshot(bao, token)
        .await?
        .ok_or_else(missing_snapshot)?;
    let conflicts = changed_while_frozen(bao, token, &record, &snapshot).await?;
    if !conflicts.is_empty() && !force {
        return Err(conflict_error(conflicts, "thawing"));
    }
    let mut restored = Vec::new();
    for name in record.written.keys() {
        let Some(original) = snapshot.original(name) else {
            continue;
        };
        write_policy(bao, token, name, &original.hcl).await.map_err(|e| {
            AppError::Conflict(format!(
                "restoring policy {name:?} failed ({e}); the store is still frozen, thaw again to finish"
            ))
        })?;
    }
    for name in record.written.keys() {
        let Some(original) = snapshot.original(name) else {
            continue;
        };
        let live = read_policy(bao, token, name).await?.unwrap_or_default();
        let sha256 = sha256_hex(&live);
        restored.push(RestoredPolicy {
            policy: name.clone(),
            matches_snapshot: sha256 == original.sha256,
            sha256,
        });
    }
    save_record(bao, token, &FreezeRecord::none(), version).await?;
    bao.delete(SNAPSHOT_METADATA, token).await?;
    tracing::info!(by = actor, forced = force, "store thawed");
    Ok(ThawResult {
        state: FreezeRecord::none().to_state(),
        restored,
        overwritten: if force { conflicts } else { Vec::new() },
    })
}
