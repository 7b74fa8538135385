//! The `snapshot` step: an OpenBao Raft snapshot of the store taken before the migration,
//! and proved by a restore drill on a scratch store (see `crate::snapshots`). It passes
//! only when the drill does; its evidence names the snapshot, its checksum, the drill's
//! result and the time to recover (RTO).
//!
//! Where the snapshots are kept, and what unseals the drill's copy, depend on the store:
//! - the embedded store (`crypter serve` without `--bao-addr`): `<data-dir>/snapshots`
//!   and the store's own bao-init.json, as `crypter snapshot` uses them;
//! - an OpenBao you run: `--snapshots-dir`, the caller's token, and the unseal key(s) in
//!   the environment's `CRYPTER_UNSEAL_KEYS`, read for the drill and never stored;
//! - `crypter dev`'s in-memory server has no Raft storage: the step fails and says so.

use super::steps::{Actor, Outcome};
use crate::bao::Bao;
use crate::config::Settings;
use crate::error::AppError;
use crate::snapshots::{self, DrillOptions, DrillReport, Folder, SnapshotRecord};
use crypter_api::ErrorCode;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::fmt::Write;
use std::path::Path;

/// How many credentials a drill compares, drawn from every environment.
const SAMPLE: usize = 20;
const UNSEAL_KEYS_ENV: &str = "CRYPTER_UNSEAL_KEYS";

/// Where this server's store keeps its snapshots.
#[derive(Debug, Clone, Copy, Default)]
pub struct SnapshotPlace<'a> {
    /// `--snapshots-dir`.
    pub dir: Option<&'a Path>,
    /// The embedded store's data directory, when this server runs it.
    pub embedded_data_dir: Option<&'a Path>,
}

impl<'a> SnapshotPlace<'a> {
    pub fn of(settings: &'a Settings) -> Self {
        Self {
            dir: settings.snapshots_dir.as_deref(),
            embedded_data_dir: settings.embedded_data_dir.as_deref(),
        }
    }
}

/// What the snapshot is kept in, and taken and drilled with.
struct Means {
    folder: Folder,
    token: SecretString,
    unseal_keys: Vec<SecretString>,
}

async fn means(
    bao: &Bao,
    token: &SecretString,
    place: SnapshotPlace<'_>,
) -> Result<Means, AppError> {
    if let Some(data) = place.embedded_data_dir {
        let files = crate::embedded::read_embedded(data)
            .map_err(|e| AppError::Internal(e.context("reading the embedded store's files")))?;
        let folder = match place.dir {
            Some(dir) => Folder::new(dir.to_owned(), None),
            None => Folder::in_data_dir(data),
        };
        // The embedded store's own root token, as `crypter snapshot` uses it: taking a
        // snapshot needs `sudo` on sys/storage/raft/snapshot, which no Crypter policy
        // grants, and the drill reads the restored copy with a token it already held.
        // Only operators run steps, and operators are, in effect, root.
        return Ok(Means {
            folder,
            token: files.root_token,
            unseal_keys: vec![files.unseal_key],
        });
    }
    snapshots::require_raft(bao, token).await?;
    let Some(dir) = place.dir else {
        return Err(AppError::bad_request(
            ErrorCode::SnapshotsDirRequired,
            "over an OpenBao you run, the snapshot step keeps its snapshots in the folder \
             given with --snapshots-dir (CRYPTER_SNAPSHOTS_DIR): start Crypter with it, then \
             run the step again",
        ));
    };
    let keys = snapshots::parse_unseal_keys(&std::env::var(UNSEAL_KEYS_ENV).unwrap_or_default());
    if keys.is_empty() {
        return Err(AppError::bad_request(
            ErrorCode::UnsealKeysRequired,
            "the drill unseals the restored copy with the store's own unseal key(s): set \
             CRYPTER_UNSEAL_KEYS (comma-separated) in Crypter's environment and restart it, \
             then run the step again. Or take and drill the snapshot from a terminal (`crypter \
             snapshot take`, then `crypter snapshot drill --unseal-keys-stdin`) and skip this \
             step with its result as the reason. The keys are used and never stored",
        ));
    }
    Ok(Means {
        folder: Folder::new(dir.to_owned(), None),
        token: token.clone(),
        unseal_keys: keys,
    })
}

/// Take a snapshot of the store and drill its restore.
pub(super) async fn snapshot(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
) -> Result<Outcome, AppError> {
    let m = means(bao, token, actor.snapshots).await?;
    let record = snapshots::take(bao, &m.token, &m.folder).await?;
    let options = DrillOptions {
        unseal_keys: m.unseal_keys,
        sample: SAMPLE,
    };
    let drilled = snapshots::drill(bao, &m.token, &m.folder, &record.id, &options).await;
    Ok(match drilled {
        Ok(report) => Outcome::new(
            report.passed,
            summary(&record, &report),
            json!({ "snapshot": record, "drill": report }),
        ),
        Err(e) => {
            let cause = AppError::from(e).cause_chain();
            Outcome::new(
                false,
                format!("took snapshot {}, but its drill failed: {cause}", record.id),
                json!({ "snapshot": record, "error": cause }),
            )
        }
    })
}

fn summary(record: &SnapshotRecord, d: &DrillReport) -> String {
    let rto = d.rto_seconds.unwrap_or_default();
    let verdict = if d.passed { "passed" } else { "FAILED" };
    let mut s = format!(
        "snapshot {}: drill {verdict}, restored and unsealed in {rto:.1} s (RTO)",
        record.id
    );
    if let Some(c) = &d.credentials {
        let _ = write!(
            s,
            "; {} of {} sampled credentials matched, {} mismatched",
            c.matched,
            c.sampled,
            c.mismatched.len()
        );
    }
    if let Some(p) = &d.policies {
        let policies = if p.matched { "matched" } else { "DIFFER" };
        let _ = write!(s, "; {} policies {policies}", p.count);
    }
    s
}

/// The step's evidence in the run's report: which snapshot, its checksums, the drill.
pub(super) fn report(md: &mut String, e: &Value) {
    let Some(r) = e
        .get("snapshot")
        .and_then(|v| serde_json::from_value::<SnapshotRecord>(v.clone()).ok())
    else {
        return;
    };
    let _ = writeln!(
        md,
        "- Snapshot `{}` of {} (cluster {}), taken {}, {} bytes",
        r.id, r.store.addr, r.store.cluster_id, r.taken_at, r.size_bytes
    );
    let _ = writeln!(
        md,
        "- Checksum: sha256:`{}` (encrypted file `{}`: sha256:`{}`)",
        r.sha256, r.file, r.encrypted_sha256
    );
    let Some(d) = e
        .get("drill")
        .and_then(|v| serde_json::from_value::<DrillReport>(v.clone()).ok())
    else {
        md.push_str("- Drill: did not complete\n");
        return;
    };
    let _ = writeln!(
        md,
        "- Drill {}: restored and unsealed on a scratch store in {:.1} s (RTO), {:.1} s in all",
        if d.passed { "PASSED" } else { "FAILED" },
        d.rto_seconds.unwrap_or_default(),
        d.total_seconds
    );
    if let Some(c) = &d.credentials {
        let _ = writeln!(
            md,
            "  - credentials: {} sampled of {} in {} environment(s): {} matched, {} changed \
             since the snapshot, {} mismatched",
            c.sampled,
            c.in_snapshot,
            c.mounts.len(),
            c.matched,
            c.changed_since,
            c.mismatched.len()
        );
        for path in &c.mismatched {
            let _ = writeln!(md, "    - MISMATCH `{path}`");
        }
    }
    if let Some(p) = &d.policies {
        if p.matched {
            let _ = writeln!(md, "  - policies: {} compared, all matched", p.count);
        } else {
            let _ = writeln!(md, "  - policies DIFFER: {}", p.differing.join(", "));
        }
    }
}
