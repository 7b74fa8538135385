//! A snapshot's record: the JSON file beside its encrypted file, saying what it is, which
//! store it is of, its checksums and its last drill.

use super::{Folder, SnapshotError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use time::OffsetDateTime;

/// The record of one snapshot (`<id>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotRecord {
    /// When it was taken, as `20260101T120000.000Z` (UTC): ids sort by time.
    pub id: String,
    /// RFC 3339.
    pub taken_at: String,
    pub store: StoreIdentity,
    /// The encrypted file, in the snapshots folder.
    pub file: String,
    /// Of OpenBao's snapshot, before encryption.
    pub size_bytes: u64,
    pub sha256: String,
    pub encrypted_size_bytes: u64,
    pub encrypted_sha256: String,
    /// Which snapshot key encrypted the file (see `at_rest.rs`).
    pub key_fingerprint: String,
    pub take_seconds: f64,
    /// The last drill of this snapshot, if one was run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<DrillReport>,
}

/// Which store a snapshot is of. OpenBao's `cluster_id` is made at initialisation and
/// kept in its storage, so it comes back with a restore: a drill compares it on the live
/// store before anything is restored, and on the scratch store after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreIdentity {
    pub addr: String,
    pub cluster_id: String,
    pub cluster_name: String,
    pub version: String,
}

/// What a drill found. `passed`: the restored store unsealed with the store's own keys,
/// no sampled credential read differently at the same version, and the policy set
/// matched. A drill that could not run far (a corrupted file) has only `error`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DrillReport {
    pub snapshot: String,
    pub drilled_at: String,
    pub passed: bool,
    /// From reading the encrypted file to a scratch store serving the snapshot's data.
    #[serde(default)]
    pub rto_seconds: Option<f64>,
    pub total_seconds: f64,
    #[serde(default)]
    pub phases: Option<DrillPhases>,
    #[serde(default)]
    pub credentials: Option<CredentialCheck>,
    #[serde(default)]
    pub policies: Option<PolicyCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Seconds spent in each part of the drill.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DrillPhases {
    pub verify_file: f64,
    pub start_scratch: f64,
    pub restore: f64,
    pub unseal: f64,
    pub compare: f64,
}

/// Credentials sampled from the restored store and read again on the live one at the
/// same version. A version the live store no longer has (deleted, destroyed, pruned, or
/// its environment gone) was changed since the snapshot: it cannot be compared, and does
/// not fail the drill.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CredentialCheck {
    /// The environments' KV mounts in the snapshot (`env/<name>`).
    pub mounts: Vec<String>,
    /// Readable credentials in those mounts.
    pub in_snapshot: usize,
    pub sampled: usize,
    pub matched: usize,
    pub changed_since: usize,
    /// Paths (`env/<name>/<path>@<version>`) whose value differs: never the values.
    pub mismatched: Vec<String>,
}

/// The ACL policies on the restored store beside the live store's, by name and text.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PolicyCheck {
    pub count: usize,
    pub matched: bool,
    /// Policies missing on one side or whose text differs.
    pub differing: Vec<String>,
}

/// A new id for a snapshot taken at `now`.
pub(super) fn new_id(now: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    )
}

/// Ids are made by [`new_id`]; anything else (a path, `..`) is refused before it reaches
/// the file system.
pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !id.starts_with('.')
}

impl Folder {
    pub(super) fn record_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    pub(super) fn file_path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// The record of snapshot `id`.
    pub fn load(&self, id: &str) -> Result<SnapshotRecord, SnapshotError> {
        let path = self.record_path(id);
        if !valid_id(id) || !path.exists() {
            return Err(SnapshotError::NotFound {
                id: id.to_owned(),
                dir: self.dir.clone(),
            });
        }
        let text = std::fs::read(&path).map_err(|e| SnapshotError::io(&path, e))?;
        serde_json::from_slice(&text).map_err(|e| {
            SnapshotError::io(
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            )
        })
    }

    pub(super) fn save(&self, record: &SnapshotRecord) -> Result<(), SnapshotError> {
        let path = self.record_path(&record.id);
        let text = serde_json::to_vec_pretty(record).unwrap_or_default();
        crate::private_file::write(&path, &text).map_err(|e| SnapshotError::io(&path, e))
    }

    /// Every snapshot in the folder, oldest first. A record that cannot be read is left
    /// out (with a warning), so one damaged record does not hide the others.
    pub fn list(&self) -> Result<Vec<SnapshotRecord>, SnapshotError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(SnapshotError::io(&self.dir, e)),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_suffix(".json") else {
                continue;
            };
            match self.load(id) {
                Ok(r) => out.push(r),
                Err(e) => tracing::warn!(file = %name, error = %e, "skipping a snapshot record"),
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_only_ids_are_valid() {
        let t = time::Date::from_calendar_date(2026, time::Month::March, 4)
            .unwrap()
            .with_hms_milli(5, 6, 7, 89)
            .unwrap()
            .assume_utc();
        assert_eq!(new_id(t), "20260304T050607.089Z");
        assert!(valid_id(&new_id(t)));
        assert!(new_id(t) < new_id(t + time::Duration::milliseconds(1)));
        for bad in ["", "../x", "a/b", ".hidden", "x y"] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
