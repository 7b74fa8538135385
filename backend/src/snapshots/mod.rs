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
use secrecy::SecretString;
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
    at_rest::write_private(&path, &sealed).map_err(|e| SnapshotError::io(&path, e))?;
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

/// Every snapshot in `folder`, oldest first.
pub fn list(folder: &Folder) -> Result<Vec<SnapshotRecord>, SnapshotError> {
    folder.list()
}
