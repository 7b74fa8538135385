//! `make bench-changesets`: a verified `copy_credentials` of 10,000 credentials through the
//! changesets engine, beside, in the same run and against the same `bao -dev`, the raw
//! OpenBao write rate at the same parallelism and a `bao kv put` loop over a sample.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crypter::bao::Bao;
use crypter::changesets;
use crypter::embedded::{free_loopback_port, start_dev};
use crypter_api::ApplyRequest;
use futures_util::stream::{self, StreamExt};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Instant;

const N: usize = 10_000;
const SAMPLE: usize = 200;

async fn write_many(bao: &Bao, root: &SecretString, mount: &str, n: usize) -> f64 {
    let start = Instant::now();
    stream::iter(0..n)
        .map(|i| async move {
            bao.write(
                &format!("{mount}/data/bulk/c{i:05}"),
                root,
                &json!({"data": {"v": format!("value-{i}")}}),
            )
            .await
            .unwrap();
        })
        .buffer_unordered(changesets::plan::PARALLELISM)
        .collect::<Vec<_>>()
        .await;
    n as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let root = SecretString::from("bench-root".to_owned());
    let addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
    let (process, bao) = start_dev(addr, &root).await.expect("start bao -dev");
    crypter::bootstrap::bootstrap(&bao, &root, Some(&SecretString::from("bench".to_owned())))
        .await
        .expect("bootstrap");
    for mount in ["env/src", "env/raw", "kvput"] {
        bao.write(
            &format!("sys/mounts/{mount}"),
            &root,
            &json!({"type": "kv", "options": {"version": "2"}}),
        )
        .await
        .unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    write_many(&bao, &root, "env/src", N).await;

    // Raw OpenBao: one write per credential, same parallelism.
    let raw = write_many(&bao, &root, "env/raw", N).await;

    // `bao kv put`, one process per credential, over a sample.
    let start = Instant::now();
    for i in 0..SAMPLE {
        let status = std::process::Command::new("bao")
            .args(["kv", "put", "-mount=kvput", &format!("c{i:05}"), "v=x"])
            .env("BAO_ADDR", format!("http://{addr}"))
            .env("BAO_TOKEN", root.expose_secret())
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    let kv_put = SAMPLE as f64 / start.elapsed().as_secs_f64();

    // The engine: plan, then apply (read, create-only write, metadata, read back and compare).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bench.toml"),
        r#"id = "bench"
author = "bench"
description = "copy 10,000"
environment = "dst"

[[operations]]
op = "create_environment"

[[operations]]
op = "copy_credentials"
from = { environment = "src", prefix = "bulk/" }
to = { prefix = "bulk/" }
"#,
    )
    .unwrap();
    let start = Instant::now();
    let plan = changesets::plan(&bao, &root, Some(dir.path()))
        .await
        .unwrap();
    let planned = start.elapsed().as_secs_f64();
    let req = ApplyRequest {
        plan_hash: plan.view.plan_hash,
        force: false,
        reason: None,
    };
    let started = changesets::apply(&bao, &root, Some(dir.path()), "bench", &req, None)
        .await
        .unwrap();
    let done = changesets::wait(&started.job_id).await.unwrap();
    assert_eq!(done.state, "done", "{done:?}");
    let total = start.elapsed().as_secs_f64();
    let copy = N as f64 / total;
    let copied = bao
        .list("env/dst/metadata/bulk/", &root)
        .await
        .unwrap()
        .len();
    assert_eq!(copied, N);

    println!(
        "copy_credentials, {N} verified, parallelism {}:",
        changesets::plan::PARALLELISM
    );
    println!("  plan {planned:.2} s, plan + apply {total:.2} s: {copy:.0} credentials/s (target >= 1000/s)");
    println!("  raw OpenBao KV v2 writes, same parallelism: {raw:.0} writes/s");
    println!("  `bao kv put` loop over {SAMPLE}: {kv_put:.1} writes/s");
    println!("  ratio copy / raw writes: {:.3}", copy / raw);
    println!("  ratio copy / bao kv put loop: {:.1}x", copy / kv_put);
    process.stop().await.unwrap();
}
