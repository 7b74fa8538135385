//! Store snapshots: an OpenBao Raft snapshot taken before a migration, kept encrypted at
//! rest beside a record of its checksums and of the store it is of, and proved by a
//! restore drill on a scratch store (`drill.rs`).
//!
//! The live store is only ever read. A snapshot is restored on a scratch store alone,
//! which the drill starts and deletes.

mod at_rest;
mod compare;
mod drill;
mod raft;
mod record;
mod scratch;

pub use at_rest::SnapshotKey;
pub use drill::{drill, DrillOptions};
pub use record::{
    CredentialCheck, DrillPhases, DrillReport, PolicyCheck, SnapshotRecord, StoreIdentity,
};

use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crypter_api::ErrorCode;
use secrecy::SecretString;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Instant;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The folder that keeps snapshots (`<id>.snap.enc` and `<id>.json` each), and the file
/// of the key that encrypts them.
#[derive(Debug, Clone)]
pub struct Folder {
    pub dir: PathBuf,
    pub key_file: PathBuf,
}

impl Folder {
    /// `dir`, with the key in `key_file` or, by default, in `dir/snapshot.key`.
    pub fn new(dir: PathBuf, key_file: Option<PathBuf>) -> Self {
        let key_file = key_file.unwrap_or_else(|| dir.join("snapshot.key"));
        Self { dir, key_file }
    }

    /// The default for a data directory: `<data-dir>/snapshots`.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::new(data_dir.join("snapshots"), None)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(
        "the store at {addr} does not use Raft storage, so OpenBao cannot snapshot it \
         (sys/storage/raft/snapshot is an unsupported path there). `crypter dev`'s in-memory \
         server is such a store: snapshot the embedded store (`crypter serve`) or a Raft \
         cluster, or back up your storage backend with its own tools"
    )]
    NotRaft { addr: String },
    #[error(
        "snapshot {id} is corrupted ({detail}); it was not restored. Take a new one with \
         `crypter snapshot take`"
    )]
    Corrupted { id: String, detail: String },
    #[error(
        "snapshot {id} is of another store (cluster {snapshot_cluster} at {snapshot_addr}), \
         not of the store at {live_addr} (cluster {live_cluster}); nothing was restored. \
         Drill it against the store it was taken from"
    )]
    OtherStore {
        id: String,
        snapshot_cluster: String,
        snapshot_addr: String,
        live_cluster: String,
        live_addr: String,
    },
    #[error(
        "snapshot {id} was encrypted under key {want}, but {key_file} holds key {have}: give \
         the key file it was taken with (--key-file)"
    )]
    WrongKey {
        id: String,
        want: String,
        have: String,
        key_file: PathBuf,
    },
    #[error("there is no snapshot {id} in {dir}; `crypter snapshot list` shows those there are")]
    NotFound { id: String, dir: PathBuf },
    #[error(
        "the scratch store restored from snapshot {id} stayed sealed: {detail}. Give the \
         unseal key(s) of the store the snapshot was taken from"
    )]
    Unseal { id: String, detail: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Http(String),
    #[error(transparent)]
    Store(#[from] BaoError),
    #[error("the scratch store: {0:#}")]
    Scratch(anyhow::Error),
}

impl SnapshotError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Each refusal its own code: the store cannot be snapshotted (`not_raft`), the snapshot
/// cannot be trusted (`snapshot_corrupted`, `other_store`, `wrong_snapshot_key`), or the
/// drill lacks what only the operator can give (`unseal_keys_required`). Files and the
/// scratch store are internals: logged, not sent.
impl From<SnapshotError> for AppError {
    fn from(e: SnapshotError) -> Self {
        let message = e.to_string();
        let conflict = |code, details| AppError::ConflictDetails {
            code,
            message: message.clone(),
            details,
        };
        match e {
            SnapshotError::NotRaft { addr } => {
                conflict(ErrorCode::NotRaft, json!({ "addr": addr }))
            }
            SnapshotError::Corrupted { id, .. } => {
                conflict(ErrorCode::SnapshotCorrupted, json!({ "snapshot": id }))
            }
            SnapshotError::OtherStore {
                id,
                snapshot_cluster,
                live_cluster,
                ..
            } => conflict(
                ErrorCode::OtherStore,
                json!({ "snapshot": id, "snapshot_cluster": snapshot_cluster,
                        "live_cluster": live_cluster }),
            ),
            SnapshotError::WrongKey { id, want, have, .. } => conflict(
                ErrorCode::WrongSnapshotKey,
                json!({ "snapshot": id, "want": want, "have": have }),
            ),
            SnapshotError::NotFound { .. } => {
                AppError::NotFound(ErrorCode::SnapshotNotFound, message)
            }
            SnapshotError::Unseal { .. } => {
                AppError::bad_request(ErrorCode::UnsealKeysRequired, message)
            }
            SnapshotError::Store(e) => AppError::Store(e),
            SnapshotError::Scratch(e) => AppError::Internal(e),
            SnapshotError::Io { .. } | SnapshotError::Http(_) => {
                AppError::Internal(anyhow::anyhow!(message))
            }
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Take a snapshot of the store at `live` with `token` (it needs `sudo` on
/// `sys/storage/raft/snapshot`), encrypt it into `folder` and write its record.
pub async fn take(
    live: &Bao,
    token: &SecretString,
    folder: &Folder,
) -> Result<SnapshotRecord, SnapshotError> {
    let started = Instant::now();
    let store = raft::identity(live).await?;
    let plaintext = raft::fetch(live.addr(), token).await?;
    crate::embedded::private_dir(&folder.dir)
        .map_err(|e| SnapshotError::io(&folder.dir, std::io::Error::other(format!("{e:#}"))))?;
    let key = SnapshotKey::load_or_create(&folder.key_file)
        .map_err(|e| SnapshotError::io(&folder.key_file, e))?;
    let base = record::new_id(OffsetDateTime::now_utc());
    let id = std::iter::once(base.clone())
        .chain((2..).map(|n| format!("{base}-{n}")))
        .find(|id| !folder.record_path(id).exists())
        .unwrap_or(base);
    let sealed = key.seal(&id, &plaintext);
    let file = format!("{id}.snap.enc");
    let path = folder.file_path(&file);
    crate::private_file::write(&path, &sealed).map_err(|e| SnapshotError::io(&path, e))?;
    let record = SnapshotRecord {
        taken_at: now_rfc3339(),
        store,
        file,
        size_bytes: plaintext.len() as u64,
        sha256: sha256(&plaintext),
        encrypted_size_bytes: sealed.len() as u64,
        encrypted_sha256: sha256(&sealed),
        key_fingerprint: key.fingerprint(),
        take_seconds: started.elapsed().as_secs_f64(),
        drill: None,
        id,
    };
    folder.save(&record)?;
    tracing::info!(snapshot = %record.id, bytes = record.size_bytes, "took a store snapshot");
    Ok(record)
}

/// Refuse the store at `live` when it has no Raft storage ([`SnapshotError::NotRaft`]),
/// before anything is taken or written.
pub async fn require_raft(live: &Bao, token: &SecretString) -> Result<(), SnapshotError> {
    raft::require(live.addr(), token).await
}

/// Unseal keys as an operator gives them: comma- or newline-separated, blanks ignored.
pub fn parse_unseal_keys(text: &str) -> Vec<SecretString> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| SecretString::from(k.to_owned()))
        .collect()
}

/// Every snapshot in `folder`, oldest first.
pub fn list(folder: &Folder) -> Result<Vec<SnapshotRecord>, SnapshotError> {
    folder.list()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn each_refusal_has_its_own_code() {
        let code = |e: SnapshotError| match AppError::from(e) {
            AppError::ConflictDetails { code, .. } => format!("409 {code}"),
            AppError::BadRequest { code, .. } => format!("400 {code}"),
            AppError::NotFound(..) => "404".into(),
            AppError::Internal(_) => "500".into(),
            other => format!("{other:?}"),
        };
        let id = || "20260101T000000.000Z".to_owned();
        assert_eq!(
            code(SnapshotError::NotRaft { addr: "a".into() }),
            "409 not_raft"
        );
        let corrupted = SnapshotError::Corrupted {
            id: id(),
            detail: "x".into(),
        };
        assert_eq!(code(corrupted), "409 snapshot_corrupted");
        let other = SnapshotError::OtherStore {
            id: id(),
            snapshot_cluster: "a".into(),
            snapshot_addr: "a".into(),
            live_cluster: "b".into(),
            live_addr: "b".into(),
        };
        assert_eq!(code(other), "409 other_store");
        let key = SnapshotError::WrongKey {
            id: id(),
            want: "a".into(),
            have: "b".into(),
            key_file: "k".into(),
        };
        assert_eq!(code(key), "409 wrong_snapshot_key");
        let unseal = SnapshotError::Unseal {
            id: id(),
            detail: "no unseal key was given".into(),
        };
        assert_eq!(code(unseal), "400 unseal_keys_required");
        let missing = SnapshotError::NotFound {
            id: id(),
            dir: "d".into(),
        };
        assert_eq!(code(missing), "404");
        assert_eq!(code(SnapshotError::Http("x".into())), "500");
    }

    #[test]
    fn unseal_keys_are_split_on_commas_and_lines() {
        let keys = parse_unseal_keys(" a,b\n\nc , ");
        let keys: Vec<&str> = keys.iter().map(|k| k.expose_secret()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert!(parse_unseal_keys("").is_empty());
    }
}
