//! The freeze record at `crypter/data/freeze/state`: level, who, why, what the freeze
//! wrote to each policy, which snapshot version it took (and its checksum), and the last
//! thaw. Only operators may write it (see the policies).

use super::levels::{frozen_paths, Level, EXEMPT_POLICIES};
use crate::bao::{kv, Bao};
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{FreezeState, ThawNote, VerificationSummary};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const STATE_PATH: &str = "crypter/data/freeze/state";

/// `written` holds exactly what the freeze wrote to each policy it touched, so thaw can
/// tell whether anyone changed it since.
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
    /// The frozen path patterns, auth mounts deeper than one segment included. Empty in
    /// records written before they were kept: then the level's fixed list.
    #[serde(default)]
    pub frozen_paths: Vec<String>,
    /// The KV version of the snapshot this freeze wrote, and the SHA-256 of its content:
    /// thaw restores from exactly that snapshot, or says why it cannot.
    #[serde(default)]
    pub snapshot_version: Option<u64>,
    #[serde(default)]
    pub snapshot_sha256: Option<String>,
    #[serde(default)]
    pub last_thaw: Option<ThawNote>,
}

impl FreezeRecord {
    pub fn none() -> Self {
        Self {
            level: Level::None,
            since: None,
            by: None,
            reason: None,
            written: BTreeMap::new(),
            verification: None,
            frozen_paths: Vec::new(),
            snapshot_version: None,
            snapshot_sha256: None,
            last_thaw: None,
        }
    }

    /// The frozen path patterns of this freeze.
    pub fn patterns(&self) -> Vec<String> {
        if self.frozen_paths.is_empty() {
            frozen_paths(self.level)
                .iter()
                .map(|p| (*p).to_owned())
                .collect()
        } else {
            self.frozen_paths.clone()
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
            frozen_paths: self.patterns(),
            verification: self.verification.clone(),
            last_thaw: self.last_thaw.clone(),
        }
    }
}

/// The freeze record and its KV version (0 when there is none), for check-and-set. A
/// record that cannot be read back is a 409 that says so, never a 500.
pub async fn load_record(bao: &Bao, token: &SecretString) -> Result<(FreezeRecord, u64), AppError> {
    let Some(v) = bao.read(STATE_PATH, token).await? else {
        return Ok((FreezeRecord::none(), 0));
    };
    let version = v
        .pointer("/data/metadata/version")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let Some(data) = v.pointer("/data/data").filter(|d| !d.is_null()) else {
        // Deleted (a KV v2 soft delete leaves the version without data).
        return Ok((FreezeRecord::none(), version));
    };
    let record = serde_json::from_value(data.clone()).map_err(|e| AppError::ConflictDetails {
        code: ErrorCode::FreezeRecordDamaged,
        message: format!(
            "the freeze record at {STATE_PATH} (version {version}) cannot be read ({e}); an \
             operator must restore an earlier version of it (KV v2 keeps them) before the \
             store can be frozen or thawed through Crypter"
        ),
        details: json!({ "version": version }),
    })?;
    Ok((record, version))
}

pub async fn save_record(
    bao: &Bao,
    token: &SecretString,
    record: &FreezeRecord,
    cas: u64,
) -> Result<(), AppError> {
    let data = serde_json::to_value(record)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("freeze record: {e}")))?;
    let mount = kv::Mount::v2("crypter");
    match kv::write_json(bao, token, &mount, "freeze/state", &data, Some(cas)).await {
        Ok(_) => Ok(()),
        Err(kv::KvError::CasFailed { .. }) => Err(AppError::Conflict(
            ErrorCode::StaleVersion,
            "someone else changed the freeze at the same moment; reload and try again".into(),
        )),
        Err(e) => Err(e.into()),
    }
}
