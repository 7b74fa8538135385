//! `make bench-undo`: the way back against the way in, three rounds in one run against one
//! `bao -dev`. Each round applies a verified copy of 10,000 credentials over older values
//! (10,000 `update` items: plan, then apply), then plans its undo (10,000 `restore` items:
//! the restore point read, one SCAN, a check of each earlier version) and applies it (each
//! earlier version read, written back with `cas`, its metadata, read back). Targets: the
//! undo plans in at most 1.5× the apply's own plan, and runs at 0.8× its apply rate or
//! more. (`make bench-snapshot` measures the snapshot and its drill.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crypter::bao::kv::{self, Mount};
use crypter::bao::Bao;
use crypter::changesets::{self, Plan};
use crypter::embedded::{free_loopback_port, start_dev};
use crypter_api::{ApplyRequest, JobState};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use serde_json::json;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const N: usize = 10_000;
const ROUNDS: usize = 3;

async fn write_all(bao: &Bao, root: &SecretString, mount: &str, tag: &str) {
    stream::iter(0..N)
        .map(|i| async move {
            bao.write(
                &format!("{mount}/data/bulk/c{i:05}"),
                root,
                &json!({"data": {"v": format!("{tag}-{i}")}}),
            )
            .await
            .unwrap();
        })
        .buffer_unordered(changesets::plan::PARALLELISM)
        .collect::<Vec<_>>()
        .await;
}

/// Apply `plan`, waiting for its job: seconds.
async fn apply(bao: &Bao, root: &SecretString, dir: &Path, plan: &Plan) -> f64 {
    let jobs = crypter::jobs::Jobs::new(
        None,
        Arc::new(crypter::clock::SystemClock),
        crypter::jobs::JobTiming::default(),
    );
    let cx = changesets::ApplyContext {
        bao,
        jobs: &jobs,
        token: root,
        dir: Some(dir),
        actor: "bench",
        entity_id: None,
        runbook: None,
        job_id: None,
    };
    let req = ApplyRequest {
        plan_hash: plan.hash.clone(),
        force: false,
        reason: None,
    };
    let start = Instant::now();
    let started = changesets::apply(&cx, &req, None).await.unwrap();
    let done = changesets::wait(&started.job).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let root = SecretString::from("bench-root".to_owned());
    let addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
    let (_process, bao) = start_dev(addr, &root).await.expect("start bao -dev");
    crypter::bootstrap::bootstrap(&bao, &root, None)
        .await
        .expect("bootstrap");
    for mount in ["env/src", "env/dst"] {
        bao.write(
            &format!("sys/mounts/{mount}"),
            &root,
            &json!({"type": "kv", "options": {"version": "2"}}),
        )
        .await
        .unwrap();
        kv::wait_ready(&bao, &root, &Mount::v2(mount))
            .await
            .unwrap();
    }
    write_all(&bao, &root, "env/src", "new").await;
    write_all(&bao, &root, "env/dst", "old").await;
    println!("bench-undo: {N} credentials, {ROUNDS} rounds, 2 cores");
    println!(
        "round | apply plan s | undo plan s | ratio (<= 1.5) | apply /s | undo /s | ratio (>= 0.8)"
    );
    let mut worst = (0.0_f64, f64::MAX);
    for round in 1..=ROUNDS {
        let dir = tempfile::tempdir().unwrap();
        let id = format!("bench-undo-{round}");
        std::fs::write(
            dir.path().join("cs.toml"),
            format!(
                "id = \"{id}\"\nauthor = \"bench\"\ndescription = \"copy over older values\"\n\
                 environment = \"dst\"\n[[operations]]\nop = \"copy_credentials\"\n\
                 overwrite = true\nfrom = {{ environment = \"src\", prefix = \"bulk/\" }}\n\
                 to = {{ prefix = \"bulk/\" }}\n"
            ),
        )
        .unwrap();
        let start = Instant::now();
        let plan = changesets::plan(&bao, &root, Some(dir.path()))
            .await
            .unwrap();
        let plan_s = start.elapsed().as_secs_f64();
        assert_eq!(plan.items.len(), N, "{:?}", plan.view.counts);
        let apply_s = apply(&bao, &root, dir.path(), &plan).await;
        let start = Instant::now();
        let undo = changesets::undo(&bao, &root, &id).await.unwrap();
        let undo_plan_s = start.elapsed().as_secs_f64();
        assert_eq!(undo.view.counts.get("restore"), Some(&(N as u64)));
        let undo_s = apply(&bao, &root, dir.path(), &undo).await;
        let back = kv::read(&bao, &root, &Mount::v2("env/dst"), "bulk/c00042", None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back.data["v"], "old-42");
        let (apply_rate, undo_rate) = (N as f64 / apply_s, N as f64 / undo_s);
        let (plan_ratio, rate_ratio) = (undo_plan_s / plan_s, undo_rate / apply_rate);
        worst = (worst.0.max(plan_ratio), worst.1.min(rate_ratio));
        println!(
            "{round} | {plan_s:.2} | {undo_plan_s:.2} | {plan_ratio:.2} | {apply_rate:.0} | {undo_rate:.0} | {rate_ratio:.2}"
        );
    }
    println!(
        "worst of {ROUNDS}: undo plan {:.2}x the apply's plan (target <= 1.5): {}; undo rate {:.2}x the apply's (target >= 0.8): {}",
        worst.0,
        if worst.0 <= 1.5 { "met" } else { "MISSED" },
        worst.1,
        if worst.1 >= 0.8 { "met" } else { "MISSED" }
    );
}
