//! `make bench-snapshot`: a store snapshot and its restore drill on the embedded store (a
//! real single-node Raft OpenBao) holding 10,000 credentials, against the 60 s target for
//! both together; beside it, `bao operator raft snapshot save` on the same store.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(
    clippy::too_many_lines,
    reason = "a benchmark reads as one measured run, set-up and figures together; the 80-line rule is for backend/src and frontend/src"
)]

use crypter::snapshots::{self, DrillOptions, Folder};
use futures_util::stream::{self, StreamExt};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::time::Instant;

const N: usize = 10_000;
const SAMPLE: usize = 200;
const TARGET_SECS: f64 = 60.0;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = crypter::embedded::start_managed(dir.path(), None)
        .await
        .expect("start the embedded store");
    let (bao, root) = (store.bao.clone(), store.root_token.clone());
    let password = SecretString::from("bench-admin-password".to_owned());
    crypter::bootstrap::bootstrap(&bao, &root, Some(&password))
        .await
        .expect("bootstrap");
    let start = Instant::now();
    stream::iter(0..N)
        .map(|i| {
            let (bao, root) = (&bao, &root);
            async move {
                let env = if i % 2 == 0 { "staging" } else { "production" };
                bao.write(
                    &format!("env/{env}/data/svc/team-{}/c{i:05}", i % 40),
                    root,
                    &json!({"data": {"user": format!("u{i}"), "password": format!("p-{i}")}}),
                )
                .await
                .unwrap();
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    let filled = start.elapsed().as_secs_f64();

    // Raw OpenBao: its own CLI saving a snapshot of the same store.
    let raw_file = dir.path().join("raw.snap");
    let start = Instant::now();
    let status = std::process::Command::new(crypter::embedded::find_bao().unwrap())
        .args(["operator", "raft", "snapshot", "save"])
        .arg(&raw_file)
        .env("BAO_ADDR", bao.addr())
        .env("BAO_TOKEN", root.expose_secret())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let raw = start.elapsed().as_secs_f64();

    let folder = Folder::in_data_dir(dir.path());
    let record = snapshots::take(&bao, &root, &folder).await.unwrap();
    let files = crypter::embedded::read_embedded(dir.path()).unwrap();
    let options = DrillOptions {
        unseal_keys: vec![files.unseal_key],
        sample: SAMPLE,
    };
    let report = snapshots::drill(&bao, &root, &folder, &record.id, &options)
        .await
        .unwrap();
    store.process.stop().await.unwrap();

    let (take, drill) = (record.take_seconds, report.total_seconds);
    let creds = report.credentials.clone().unwrap_or_default();
    let phases = report.phases.clone().unwrap_or_default();
    let mib = record.size_bytes as f64 / f64::from(1 << 20);
    println!("store snapshot of the embedded store, {N} credentials (written in {filled:.1} s):");
    println!(
        "  take: {take:.2} s for {mib:.1} MiB, encrypted and checksummed \
         (raw `bao operator raft snapshot save`: {raw:.2} s)"
    );
    println!(
        "  drill: {drill:.2} s, RTO {:.2} s (verify {:.2}, start scratch {:.2}, \
         restore {:.2}, unseal {:.2}, compare {:.2})",
        report.rto_seconds.unwrap_or_default(),
        phases.verify_file,
        phases.start_scratch,
        phases.restore,
        phases.unseal,
        phases.compare
    );
    println!(
        "  drill {}: {} of {} sampled credentials matched, policies {}",
        if report.passed { "passed" } else { "FAILED" },
        creds.matched,
        creds.sampled,
        if report.policies.as_ref().is_some_and(|p| p.matched) {
            "matched"
        } else {
            "DIFFER"
        }
    );
    println!(
        "  take + drill: {:.1} s (target <= {TARGET_SECS:.0} s): {}",
        take + drill,
        if take + drill <= TARGET_SECS && report.passed {
            "ok"
        } else {
            "MISSED"
        }
    );
}
