//! The changelog: one record per applied (or partly applied) changeset at
//! `crypter/data/changelog/<id>`, and the status it gives each changeset. A record that does
//! not decode makes its changeset `invalid`: it is never read as "never applied".

use super::checksum::checksum;
use super::source::Loaded;
use crate::bao::kv::{self, KvError, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::{ChangelogResult, ChangesetCursor, ChangesetState, ChangesetStatus};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const MOUNT: &str = "crypter";
const PREFIX: &str = "changelog";

/// Where the changelog record of changeset `id` lives, for permission checks.
pub fn record_path(id: &str) -> String {
    format!("{MOUNT}/data/{PREFIX}/{id}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub checksum: String,
    /// The file's text as applied: the diff shows it against the current text.
    pub body: String,
    pub by: String,
    pub at: String,
    pub result: ChangelogResult,
    pub error: Option<String>,
    pub runbook_run: Option<String>,
    /// The item list being applied and how far (while running, and after a failure).
    pub cursor: Option<ChangesetCursor>,
    /// Where this changeset's items start in the list of `cursor.plan_hash`.
    #[serde(default)]
    pub first_item: usize,
    /// What the last run did: the apply, its undo, or the undo of that undo (a redo).
    #[serde(default)]
    pub direction: Direction,
}

/// Which way a changeset's last run went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Apply,
    /// Its inverse plan, from the restore point made before the apply.
    Undo,
    /// The inverse of its undo, from the restore point made before the undo.
    Redo,
}

/// A changelog record as found: `Err` holds why it does not decode.
pub type Found = Result<Record, String>;

/// The record of changeset `id`: `None` when it was never applied.
pub async fn load(bao: &Bao, token: &SecretString, id: &str) -> Result<Option<Found>, AppError> {
    let path = format!("{PREFIX}/{id}");
    let Some((data, _)) = kv::read_json(bao, token, &Mount::v2(MOUNT), &path).await? else {
        return Ok(None);
    };
    Ok(Some(decode(data)))
}

fn decode(data: Value) -> Found {
    serde_json::from_value(data).map_err(|e| format!("it does not decode ({e})"))
}

pub async fn save(bao: &Bao, token: &SecretString, record: &Record) -> Result<(), AppError> {
    let data = serde_json::to_value(record)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("changelog record: {e}")))?;
    let path = format!("{PREFIX}/{}", record.id);
    match kv::write_json(bao, token, &Mount::v2(MOUNT), &path, &data, None).await {
        Ok(_) => Ok(()),
        Err(KvError::Forbidden { path, message }) => {
            // OpenBao's path and reason for the log; the changeset's name for the user.
            tracing::warn!(%path, reason = %message, "OpenBao refused a changelog record");
            Err(AppError::Forbidden(format!(
                "OpenBao refused to write the changelog record of changeset {} with your \
                 token; applying changesets needs that grant",
                record.id
            )))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn diff(applied: &str, current: &str, file: &str) -> String {
    similar::TextDiff::from_lines(applied, current)
        .unified_diff()
        .header(&format!("{file} (applied)"), &format!("{file} (current)"))
        .to_string()
}

fn empty_status(loaded: &Loaded) -> ChangesetStatus {
    ChangesetStatus {
        id: loaded.file.clone(),
        file: loaded.file.clone(),
        status: ChangesetState::Invalid,
        checksum: None,
        applied_checksum: None,
        environment: None,
        author: None,
        description: None,
        applied_by: None,
        applied_at: None,
        runbook_run: None,
        error: None,
        accepted_reason: None,
        diff: None,
        cursor: None,
    }
}

/// The status of one loaded changeset given its changelog record. `applying`: a live apply
/// holds the lock, so a `running` record is in progress rather than failed.
pub fn status_of(loaded: &Loaded, record: Option<&Found>, applying: bool) -> ChangesetStatus {
    let mut s = empty_status(loaded);
    let cs = match &loaded.parsed {
        Ok(cs) => cs,
        Err(e) => {
            s.error = Some(e.clone());
            return s;
        }
    };
    let sum = checksum(cs);
    s.id = cs.id.clone();
    s.environment = Some(cs.environment.to_string());
    s.author = Some(cs.author.clone());
    s.description = Some(cs.description.clone());
    s.checksum = Some(sum.clone());
    let r = match record {
        None => {
            s.status = ChangesetState::Pending;
            return s;
        }
        Some(Err(why)) => {
            s.error = Some(format!(
                "the changelog record {} cannot be read: {why}; repair or remove it in \
                 OpenBao before applying",
                record_path(&cs.id)
            ));
            return s;
        }
        Some(Ok(r)) => r,
    };
    s.applied_checksum = Some(r.checksum.clone());
    s.applied_by = Some(r.by.clone());
    s.applied_at = Some(r.at.clone());
    s.runbook_run.clone_from(&r.runbook_run);
    s.status = match r.result {
        ChangelogResult::Undone => ChangesetState::Undone,
        ChangelogResult::Running | ChangelogResult::Failed if r.direction != Direction::Apply => {
            s.cursor.clone_from(&r.cursor);
            let why = r.error.as_deref().unwrap_or("it stopped before it ended");
            s.error = Some(format!(
                "its {} did not finish ({why}); undo it again to resume",
                if r.direction == Direction::Undo {
                    "undo"
                } else {
                    "redo"
                }
            ));
            if applying && r.result == ChangelogResult::Running {
                ChangesetState::Running
            } else {
                ChangesetState::Failed
            }
        }
        ChangelogResult::Running if applying => {
            s.cursor.clone_from(&r.cursor);
            ChangesetState::Running
        }
        ChangelogResult::Running | ChangelogResult::Failed => {
            s.cursor.clone_from(&r.cursor);
            s.error = Some(
                r.error
                    .clone()
                    .unwrap_or_else(|| "the apply stopped before it ended".into()),
            );
            ChangesetState::Failed
        }
        ChangelogResult::Applied if r.checksum == sum => ChangesetState::Applied,
        ChangelogResult::Applied => {
            if let Some(v) = cs.valid_checksums.iter().find(|v| v.checksum == sum) {
                s.accepted_reason = Some(v.reason.clone());
                ChangesetState::Accepted
            } else {
                s.diff = Some(diff(&r.body, &loaded.text, &loaded.file));
                ChangesetState::Changed
            }
        }
    };
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_that_do_not_decode_say_why() {
        let garbage = serde_json::json!({"garbage": "yes"});
        assert!(decode(garbage).unwrap_err().contains("does not decode"));
        let wrong_result = serde_json::json!({"id": "x", "checksum": "c", "body": "", "by": "a",
            "at": "t", "result": "half-done", "error": null, "runbook_run": null, "cursor": null});
        assert!(decode(wrong_result).unwrap_err().contains("half-done"));
    }
}
