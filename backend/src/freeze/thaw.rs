//! Thaw: restore the snapshot over every policy the freeze touched, then check each one's
//! checksum. Thaw never answers 500: a policy changed while frozen, a damaged or missing
//! snapshot, or a damaged record are each a 409 that says what is wrong and what to do.
//! For a damaged snapshot that means the KV versions still kept, which of them are good,
//! and a forced thaw from one of them (with a reason, kept on the freeze record).

use super::levels::Level;
use super::record::{load_record, save_record, FreezeRecord};
use super::snapshot::{self, Snapshot, SNAPSHOT_METADATA};
use super::{changed_while_frozen, conflict_error, now, read_policy, sha256_hex, write_policy};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{RestoredPolicy, ThawNote, ThawResult};
use secrecy::SecretString;
use serde_json::json;

#[derive(Debug, Default, Clone, Copy)]
pub struct ThawOptions<'a> {
    /// Restore even policies that changed while frozen.
    pub force: bool,
    pub reason: Option<&'a str>,
    /// Restore from this KV version of the snapshot.
    pub snapshot_version: Option<u64>,
}

fn validate(opts: &ThawOptions<'_>) -> Result<(), AppError> {
    let has_reason = opts.reason.is_some_and(|r| !r.trim().is_empty());
    if opts.force && !has_reason {
        return Err(AppError::bad_request(
            ErrorCode::ReasonRequired,
            "a forced thaw needs a reason",
        ));
    }
    if opts.snapshot_version.is_some() && !(opts.force && has_reason) {
        return Err(AppError::bad_request(
            ErrorCode::ReasonRequired,
            "restoring from a chosen snapshot version is a forced thaw: set force and give a reason",
        ));
    }
    Ok(())
}

pub async fn thaw(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    opts: ThawOptions<'_>,
) -> Result<ThawResult, AppError> {
    validate(&opts)?;
    let (record, version) = load_record(bao, token).await?;
    if record.level == Level::None {
        return Ok(ThawResult {
            state: record.to_state(),
            restored: Vec::new(),
            overwritten: Vec::new(),
        });
    }
    let snapshot = usable_snapshot(bao, token, &record, opts.snapshot_version).await?;
    let conflicts = changed_while_frozen(bao, token, &record, &snapshot).await?;
    if !conflicts.is_empty() && !opts.force {
        return Err(conflict_error(conflicts, "thawing"));
    }
    let thawing = bao.with_purpose(crate::bao::Purpose::Thaw);
    for name in record.written.keys() {
        let Some(original) = snapshot.original(name) else {
            continue;
        };
        write_policy(&thawing, token, name, &original.hcl)
            .await
            .map_err(|e| {
                AppError::Conflict(ErrorCode::ThawIncomplete, format!(
                    "restoring policy {name:?} failed ({e}); the store is still frozen, thaw again to finish"
                ))
            })?;
    }
    let mut restored = Vec::new();
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
    let mut thawed = FreezeRecord::none();
    thawed.last_thaw = Some(ThawNote {
        at: now(),
        by: actor.to_owned(),
        forced: opts.force,
        reason: opts.reason.map(str::to_owned),
        overwritten: conflicts.iter().map(|c| c.policy.clone()).collect(),
        snapshot_version: opts.snapshot_version,
    });
    save_record(bao, token, &thawed, version).await?;
    bao.delete(SNAPSHOT_METADATA, token).await?;
    tracing::info!(by = actor, forced = opts.force, "store thawed");
    Ok(ThawResult {
        state: thawed.to_state(),
        restored,
        overwritten: if opts.force { conflicts } else { Vec::new() },
    })
}

/// The snapshot to restore from: the one the freeze wrote, or the chosen version. When
/// neither can be used, a 409 listing the versions kept and which of them are good.
async fn usable_snapshot(
    bao: &Bao,
    token: &SecretString,
    record: &FreezeRecord,
    chosen: Option<u64>,
) -> Result<Snapshot, AppError> {
    let expected = record.snapshot_sha256.as_deref();
    let (checked, what) = match chosen {
        // A chosen version only has to be whole: the operator decided to restore it.
        Some(v) => (
            snapshot::load(bao, token, Some(v), None).await?,
            format!("snapshot version {v}"),
        ),
        None => (
            snapshot::load(bao, token, None, expected).await?,
            "the freeze snapshot".to_owned(),
        ),
    };
    let problem = match checked {
        Ok(s) => return Ok(s),
        Err(problem) => problem,
    };
    let versions = snapshot::versions(bao, token, expected).await?;
    let suggested = versions.iter().find(|v| v.good).map(|v| v.version);
    let next = match suggested {
        Some(v) => format!(
            "version {v} of the snapshot is good: thaw with force, a reason and snapshot_version {v} to restore from it"
        ),
        None => "no kept version of the snapshot is good: an operator must restore the \
                 policies by hand, then set the freeze record back to level none"
            .into(),
    };
    Err(AppError::ConflictDetails {
        code: ErrorCode::SnapshotDamaged,
        message: format!(
            "{what} at crypter/data/freeze/snapshot cannot be restored: {problem}. Nothing was \
             changed; the store is still frozen. {next}"
        ),
        details: json!({
            "problem": problem,
            "versions": versions,
            "suggested_version": suggested,
        }),
    })
}
