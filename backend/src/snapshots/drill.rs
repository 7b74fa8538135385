//! The restore drill: prove that a snapshot brings the store back, and how fast.
//!
//! 1. The snapshot must be of the live store (its `cluster_id`), and its file must match
//!    both checksums and decrypt: otherwise nothing is started, let alone restored.
//! 2. A scratch store starts on a loopback port and the snapshot is forced into it. Its
//!    keys are now the snapshot's, so it seals itself and is unsealed with the live
//!    store's own unseal key(s), which are used here and never stored.
//! 3. Sampled credentials and the policy set are compared with the live store, and the
//!    scratch store is stopped and deleted. The result goes into the snapshot's record.

use super::scratch::Scratch;
use super::{compare, raft, sha256};
use super::{DrillPhases, DrillReport, Folder, SnapshotError, SnapshotKey, SnapshotRecord};
use crate::bao::{Bao, BaoError};
use secrecy::SecretString;
use std::time::Instant;

/// What a drill needs besides the snapshot.
pub struct DrillOptions {
    /// The unseal key(s) of the store the snapshot is of (as many as its threshold).
    pub unseal_keys: Vec<SecretString>,
    /// How many credentials to compare.
    pub sample: usize,
}

/// Drill snapshot `id` of `folder` against the live store at `live`. `token` reads both
/// stores: it must be one the snapshot already held (the root token, or an operator's).
/// A drill that ran answers `Ok` whether it passed or not (see [`DrillReport::passed`]).
pub async fn drill(
    live: &Bao,
    token: &SecretString,
    folder: &Folder,
    id: &str,
    options: &DrillOptions,
) -> Result<DrillReport, SnapshotError> {
    let started = Instant::now();
    let mut record = folder.load(id)?;
    same_store(live, &record).await?;
    if options.unseal_keys.is_empty() {
        return Err(SnapshotError::Unseal {
            id: record.id,
            detail: "no unseal key was given".into(),
        });
    }
    let plaintext = match verified_plaintext(folder, &record) {
        Ok(p) => p,
        Err(e) => return Err(record_failure(folder, &mut record, started, e)),
    };
    let mut phases = DrillPhases {
        verify_file: started.elapsed().as_secs_f64(),
        ..DrillPhases::default()
    };
    let t = Instant::now();
    let mut scratch = Scratch::start().await.map_err(SnapshotError::Scratch)?;
    phases.start_scratch = t.elapsed().as_secs_f64();
    let ran = restore_and_compare(
        &mut scratch,
        live,
        token,
        &record,
        plaintext,
        options,
        (started, &mut phases),
    )
    .await;
    scratch.stop().await;
    let mut report = match ran {
        Ok(report) => report,
        Err(e @ SnapshotError::Corrupted { .. }) => {
            return Err(record_failure(folder, &mut record, started, e))
        }
        Err(e) => return Err(e),
    };
    report.total_seconds = started.elapsed().as_secs_f64();
    report.phases = Some(phases);
    record.drill = Some(report.clone());
    folder.save(&record)?;
    Ok(report)
}

/// The live store must be the one the snapshot is of.
async fn same_store(live: &Bao, record: &SnapshotRecord) -> Result<(), SnapshotError> {
    let now = raft::identity(live).await?;
    if now.cluster_id.is_empty() {
        return Err(SnapshotError::Http(format!(
            "the store at {} does not say which cluster it is (is it sealed?): unseal it, \
             then drill again",
            now.addr
        )));
    }
    if now.cluster_id != record.store.cluster_id {
        return Err(SnapshotError::OtherStore {
            id: record.id.clone(),
            snapshot_cluster: record.store.cluster_id.clone(),
            snapshot_addr: record.store.addr.clone(),
            live_cluster: now.cluster_id,
            live_addr: now.addr,
        });
    }
    Ok(())
}

/// The snapshot as OpenBao wrote it, once the encrypted file's checksum, its decryption
/// and the plaintext's checksum all agree with the record.
fn verified_plaintext(folder: &Folder, record: &SnapshotRecord) -> Result<Vec<u8>, SnapshotError> {
    let corrupted = |detail: String| SnapshotError::Corrupted {
        id: record.id.clone(),
        detail,
    };
    // The record names its file; it must be this snapshot's, in this folder.
    if record.file != format!("{}.snap.enc", record.id) {
        return Err(corrupted(format!(
            "its record names the file {:?}",
            record.file
        )));
    }
    let path = folder.file_path(&record.file);
    let file = std::fs::read(&path).map_err(|e| SnapshotError::io(&path, e))?;
    let got = sha256(&file);
    if got != record.encrypted_sha256 {
        return Err(corrupted(format!(
            "checksum of {} is sha256:{got}, its record says sha256:{}",
            record.file, record.encrypted_sha256
        )));
    }
    let key =
        SnapshotKey::load(&folder.key_file).map_err(|e| SnapshotError::io(&folder.key_file, e))?;
    if key.fingerprint() != record.key_fingerprint {
        return Err(SnapshotError::WrongKey {
            id: record.id.clone(),
            want: record.key_fingerprint.clone(),
            have: key.fingerprint(),
            key_file: folder.key_file.clone(),
        });
    }
    let plaintext = key
        .open(&record.id, &file)
        .ok_or_else(|| corrupted(format!("{} does not decrypt under its key", record.file)))?;
    let got = sha256(&plaintext);
    if got != record.sha256 {
        return Err(corrupted(format!(
            "checksum of the decrypted snapshot is sha256:{got}, its record says sha256:{}",
            record.sha256
        )));
    }
    Ok(plaintext)
}

async fn restore_and_compare(
    scratch: &mut Scratch,
    live: &Bao,
    token: &SecretString,
    record: &SnapshotRecord,
    plaintext: Vec<u8>,
    options: &DrillOptions,
    (started, phases): (Instant, &mut DrillPhases),
) -> Result<DrillReport, SnapshotError> {
    let restore_failed = |detail: String| SnapshotError::Corrupted {
        id: record.id.clone(),
        detail: format!("OpenBao could not restore it: {detail}"),
    };
    let t = Instant::now();
    raft::force_restore(scratch.bao.addr(), &scratch.root, plaintext)
        .await
        .map_err(|e| restore_failed(e.to_string()))?;
    scratch
        .wait_sealed_or(&record.store.cluster_id)
        .await
        .map_err(SnapshotError::Scratch)?;
    phases.restore = t.elapsed().as_secs_f64();

    let t = Instant::now();
    unseal(&scratch.bao, &record.id, &options.unseal_keys).await?;
    scratch.wait_active().await.map_err(audit_hint)?;
    let restored = raft::identity(&scratch.bao).await?;
    if restored.cluster_id != record.store.cluster_id {
        return Err(restore_failed(format!(
            "the restored store is cluster {}, not {}",
            restored.cluster_id, record.store.cluster_id
        )));
    }
    phases.unseal = t.elapsed().as_secs_f64();
    let rto = started.elapsed().as_secs_f64();

    let t = Instant::now();
    let credentials = compare::credentials(live, &scratch.bao, token, options.sample)
        .await
        .map_err(token_not_in_snapshot)?;
    let policies = compare::policies(live, &scratch.bao, token)
        .await
        .map_err(token_not_in_snapshot)?;
    phases.compare = t.elapsed().as_secs_f64();
    let passed = credentials.mismatched.is_empty()
        && (credentials.matched > 0 || credentials.in_snapshot == 0)
        && policies.matched;
    Ok(DrillReport {
        snapshot: record.id.clone(),
        drilled_at: super::now_rfc3339(),
        passed,
        rto_seconds: Some(rto),
        total_seconds: 0.0,
        phases: None,
        credentials: Some(credentials),
        policies: Some(policies),
        error: None,
    })
}

async fn unseal(bao: &Bao, id: &str, keys: &[SecretString]) -> Result<(), SnapshotError> {
    for key in keys {
        match bao.unseal(key).await {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                return Err(SnapshotError::Unseal {
                    id: id.to_owned(),
                    detail: format!("OpenBao refused an unseal key ({e})"),
                })
            }
        }
    }
    Err(SnapshotError::Unseal {
        id: id.to_owned(),
        detail: format!("{} key(s) given, fewer than its threshold", keys.len()),
    })
}

/// The restored store opens its audit device's file (a path on the live store's machine)
/// before it serves; say so when that is why it did not.
fn audit_hint(e: anyhow::Error) -> SnapshotError {
    let log = format!("{e:#}");
    if log.contains("failed to setup audit table") || log.contains("sanity check failed") {
        return SnapshotError::Scratch(e.context(
            "the restored store cannot open its audit device's file (the live store's audit \
             log path), and OpenBao serves nothing without it: run the drill where that path \
             can be written, such as on a machine of the store",
        ));
    }
    SnapshotError::Scratch(e)
}

fn token_not_in_snapshot(e: SnapshotError) -> SnapshotError {
    match e {
        SnapshotError::Store(e @ BaoError::Forbidden { .. }) => SnapshotError::Http(format!(
            "{e}: the drill reads both stores with one token, which must be one the snapshot \
             already held (the store's root token, or an operator's made before it)"
        )),
        other => other,
    }
}

/// Write a failed drill into the record (when the snapshot itself is at fault), and
/// hand the error back.
fn record_failure(
    folder: &Folder,
    record: &mut SnapshotRecord,
    started: Instant,
    e: SnapshotError,
) -> SnapshotError {
    if matches!(e, SnapshotError::Corrupted { .. }) {
        record.drill = Some(DrillReport {
            snapshot: record.id.clone(),
            drilled_at: super::now_rfc3339(),
            passed: false,
            rto_seconds: None,
            total_seconds: started.elapsed().as_secs_f64(),
            phases: None,
            credentials: None,
            policies: None,
            error: Some(e.to_string()),
        });
        if let Err(save) = folder.save(record) {
            tracing::warn!(error = %save, "could not record the failed drill");
        }
    }
    e
}
