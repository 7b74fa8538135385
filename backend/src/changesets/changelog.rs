//! The changelog: one record per applied (or partly applied) changeset at
//! `crypter/data/changelog/<id>`, and the status it gives each changeset.

use super::checksum::checksum;
use super::source::Loaded;
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::{ChangesetCursor, ChangesetStatus};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const PREFIX: &str = "crypter/data/changelog";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub checksum: String,
    /// The file's text as applied: the diff shows it against the current text.
    pub body: String,
    pub by: String,
    pub at: String,
    /// `running`, `applied` or `failed`.
    pub result: String,
    pub error: Option<String>,
    pub runbook_run: Option<String>,
    /// Where a new apply resumes (while running or after a failure).
    pub cursor: Option<ChangesetCursor>,
}

pub async fn load(bao: &Bao, token: &SecretString, id: &str) -> Result<Option<Record>, AppError> {
    let Some(v) = bao.read(&format!("{PREFIX}/{id}"), token).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_value(v["data"]["data"].clone()).ok())
}

pub async fn save(bao: &Bao, token: &SecretString, record: &Record) -> Result<(), AppError> {
    bao.write(
        &format!("{PREFIX}/{}", record.id),
        token,
        &json!({ "data": record }),
    )
    .await?;
    Ok(())
}

pub fn diff(applied: &str, current: &str, file: &str) -> String {
    similar::TextDiff::from_lines(applied, current)
        .unified_diff()
        .header(&format!("{file} (applied)"), &format!("{file} (current)"))
        .to_string()
}

/// The status of one loaded changeset given its changelog record. `applying`: a live apply
/// holds the lock, so a `running` record is in progress rather than failed.
pub fn status_of(loaded: &Loaded, record: Option<&Record>, applying: bool) -> ChangesetStatus {
    let mut s = ChangesetStatus {
        id: loaded.file.clone(),
        file: loaded.file.clone(),
        status: "invalid".into(),
        checksum: None,
        applied_checksum: record.map(|r| r.checksum.clone()),
        environment: None,
        author: None,
        description: None,
        applied_by: record.map(|r| r.by.clone()),
        applied_at: record.map(|r| r.at.clone()),
        runbook_run: record.and_then(|r| r.runbook_run.clone()),
        error: None,
        accepted_reason: None,
        diff: None,
        cursor: None,
    };
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
    s.status = match record {
        None => "pending".into(),
        Some(r) if r.result == "running" && applying => {
            s.cursor = r.cursor.clone();
            "running".into()
        }
        Some(r) if r.result != "applied" => {
            s.cursor = r.cursor.clone();
            s.error = r.error.clone();
            "failed".into()
        }
        Some(r) if r.checksum == sum => "applied".into(),
        Some(r) => {
            if let Some(v) = cs.valid_checksums.iter().find(|v| v.checksum == sum) {
                s.accepted_reason = Some(v.reason.clone());
                "accepted".into()
            } else {
                s.diff = Some(diff(&r.body, &loaded.text, &loaded.file));
                "changed".into()
            }
        }
    };
    s.checksum = Some(sum);
    s
}
