//! `make bench-changesets`, all in one run against one `bao -dev`:
//! 1. a verified `copy_credentials` of 10,000 credentials through the changesets engine
//!    (plan + apply), beside the raw OpenBao write rate at the same parallelism and a
//!    `bao kv put` loop over a sample;
//! 2. a plan of 10,000 items that compares every value (5,000 sources changed since the
//!    copy), beside the raw OpenBao calls such a plan needs: one SCAN of the source, one of
//!    the target, and a read of both values of every pair;
//! 3. the plan through the HTTP API: its response size, and the latency of a page of its
//!    items.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(
    clippy::too_many_lines,
    reason = "a benchmark reads as one measured run, set-up and figures together; the 80-line rule is for backend/src and frontend/src"
)]

use crypter::bao::kv::{self, Mount};
use crypter::bao::Bao;
use crypter::changesets;
use crypter::config::Settings;
use crypter::embedded::{free_loopback_port, start_dev};
use crypter_api::{ApplyRequest, ChangesetPlan};
use futures_util::stream::{self, StreamExt};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

const N: usize = 10_000;
const SAMPLE: usize = 200;
const PARALLELISM: usize = changesets::plan::PARALLELISM;
const ADMIN_PASSWORD: &str = "bench-admin-password";

async fn write_many(
    bao: &Bao,
    root: &SecretString,
    mount: &str,
    n: usize,
    step: usize,
    tag: &str,
) -> f64 {
    let start = Instant::now();
    stream::iter((0..n).step_by(step))
        .map(|i| async move {
            bao.write(
                &format!("{mount}/data/bulk/c{i:05}"),
                root,
                &json!({"data": {"v": format!("value-{i}{tag}")}}),
            )
            .await
            .unwrap();
        })
        .buffer_unordered(PARALLELISM)
        .collect::<Vec<_>>()
        .await;
    (n / step) as f64 / start.elapsed().as_secs_f64()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// What a 10,000-item plan needs from OpenBao at the least, timed: both SCANs, then both
/// values of every pair, `PARALLELISM` reads at a time.
async fn raw_plan_calls(bao: &Bao, root: &SecretString) -> f64 {
    let start = Instant::now();
    let (src, dst) = (Mount::v2("env/src"), Mount::v2("env/dst"));
    let (a, b) = futures_util::join!(kv::scan(bao, root, &src), kv::scan(bao, root, &dst));
    let pairs: Vec<String> = a.unwrap().into_iter().map(|(p, _)| p).collect();
    assert_eq!(b.unwrap().len(), N);
    let reads: Vec<(Mount, String)> = pairs
        .iter()
        .flat_map(|p| [(src.clone(), p.clone()), (dst.clone(), p.clone())])
        .collect();
    stream::iter(reads)
        .map(|(m, p)| async move { kv::read(bao, root, &m, &p, None).await.unwrap() })
        .buffer_unordered(PARALLELISM)
        .collect::<Vec<_>>()
        .await;
    start.elapsed().as_secs_f64()
}

fn changeset(dir: &Path, name: &str, text: &str) {
    for f in std::fs::read_dir(dir).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    std::fs::write(dir.join(name), text).unwrap();
}

#[tokio::main]
async fn main() {
    let root = SecretString::from("bench-root".to_owned());
    let addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
    let (process, bao) = start_dev(addr, &root).await.expect("start bao -dev");
    crypter::bootstrap::bootstrap(
        &bao,
        &root,
        Some(&SecretString::from(ADMIN_PASSWORD.to_owned())),
    )
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
        kv::wait_ready(&bao, &root, &Mount::v2(mount))
            .await
            .unwrap();
    }
    write_many(&bao, &root, "env/src", N, 1, "").await;

    // Raw OpenBao: one write per credential, same parallelism.
    let raw = write_many(&bao, &root, "env/raw", N, 1, "").await;

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

    // 1. The engine: plan, then apply (read, create-only write, metadata, read back).
    let dir = tempfile::tempdir().unwrap();
    changeset(
        dir.path(),
        "bench.toml",
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
    );
    let start = Instant::now();
    let plan = changesets::plan(&bao, &root, Some(dir.path()))
        .await
        .unwrap();
    let planned = start.elapsed().as_secs_f64();
    let req = ApplyRequest {
        plan_hash: plan.hash.clone(),
        force: false,
        reason: None,
    };
    let jobs = crypter::jobs::Jobs::new(
        None,
        std::sync::Arc::new(crypter::clock::SystemClock),
        crypter::jobs::JobTiming::default(),
    );
    let cx = changesets::ApplyContext {
        bao: &bao,
        jobs: &jobs,
        token: &root,
        dir: Some(dir.path()),
        actor: "bench",
        entity_id: None,
        runbook: None,
        job_id: None,
    };
    let started = changesets::apply(&cx, &req, None).await.unwrap();
    let set_up = start.elapsed().as_secs_f64() - planned;
    let done = changesets::wait(&started.job).await;
    assert_eq!(done.state, crypter_api::JobState::Done, "{done:?}");
    let total = start.elapsed().as_secs_f64();
    let ran = total - planned - set_up;
    let copy = N as f64 / total;
    let copied = bao
        .list("env/dst/metadata/bulk/", &root)
        .await
        .unwrap()
        .len();
    assert_eq!(copied, N);

    // 2. A plan that compares all 10,000 values: half of the sources changed since.
    write_many(&bao, &root, "env/src", N, 2, "-changed").await;
    changeset(
        dir.path(),
        "bench-2.toml",
        r#"id = "bench-2"
author = "bench"
description = "copy 10,000 again, overwriting the changed ones"
environment = "dst"

[[operations]]
op = "copy_credentials"
from = { environment = "src", prefix = "bulk/" }
to = { prefix = "bulk/" }
overwrite = true
"#,
    );
    let mut plan_secs = Vec::new();
    let mut raw_secs = Vec::new();
    let mut listed = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let p = changesets::plan(&bao, &root, Some(dir.path()))
            .await
            .unwrap();
        plan_secs.push(start.elapsed().as_secs_f64());
        listed = p.items.len();
        assert_eq!(
            p.view.counts.get("update"),
            Some(&((N / 2) as u64)),
            "{:?}",
            p.view.counts
        );
        raw_secs.push(raw_plan_calls(&bao, &root).await);
    }
    let (plan_s, raw_s) = (median(plan_secs), median(raw_secs));

    // 3. Through the API, as the admin (whose token OpenBao checks on every call), beside
    // the same raw calls made with the admin's own token.
    let (size, post_ms, page_ms) = through_http(&bao, &root, dir.path()).await;
    let login = bao
        .write(
            "auth/userpass/login/admin",
            &root,
            &json!({ "password": ADMIN_PASSWORD }),
        )
        .await
        .unwrap()
        .unwrap();
    let admin = SecretString::from(login["auth"]["client_token"].as_str().unwrap().to_owned());
    let raw_admin_ms = raw_plan_calls(&bao, &admin).await * 1000.0;

    println!("copy_credentials, {N} verified, parallelism {PARALLELISM}:");
    println!("  plan {planned:.2} s, plan + apply {total:.2} s: {copy:.0} credentials/s (target >= 1000/s)");
    println!(
        "  of which the plan {planned:.2} s, apply's set-up {set_up:.2} s, the run {ran:.2} s"
    );
    println!("  raw OpenBao KV v2 writes, same parallelism: {raw:.0} writes/s");
    println!("  `bao kv put` loop over {SAMPLE}: {kv_put:.1} writes/s");
    println!(
        "  ratio copy / raw writes: {:.3} (target >= 0.3)",
        copy / raw
    );
    println!("  ratio copy / bao kv put loop: {:.1}x", copy / kv_put);
    println!("plan of {listed} items, every value compared (median of 3):");
    println!(
        "  plan {plan_s:.2} s; raw SCAN x2 + {} value reads {raw_s:.2} s",
        2 * N
    );
    println!(
        "  ratio plan / raw calls: {:.2} (target <= 1.5)",
        plan_s / raw_s
    );
    println!("the plan through the API:");
    println!(
        "  POST /changesets/plan as the admin: {post_ms:.0} ms, {size} bytes (counts and the first page of 100)"
    );
    println!(
        "  the same raw calls with the admin's token: {raw_admin_ms:.0} ms (ratio {:.2})",
        post_ms / raw_admin_ms
    );
    println!("  GET one page of 100 items: median {page_ms:.1} ms (target <= 200 ms)");
    process.stop().await.unwrap();
}

/// The backend over HTTP: the plan's response size and time, and a page's latency.
async fn through_http(bao: &Bao, root: &SecretString, dir: &Path) -> (usize, f64, f64) {
    let creds = crypter::bootstrap::issue_credentials(bao, root)
        .await
        .unwrap();
    let state = crypter::AppState::new(
        bao.clone(),
        Settings {
            changesets_dir: Some(dir.to_owned()),
            ..Settings::default()
        },
        creds,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
    tokio::spawn(crypter::startup::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let session: serde_json::Value = client
        .post(format!("{base}/session"))
        .json(&json!({"method": "userpass", "username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = session["csrf_token"].as_str().unwrap().to_owned();
    let start = Instant::now();
    let body = client
        .post(format!("{base}/changesets/plan"))
        .header(crypter_api::CSRF_HEADER, &csrf)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let post_ms = start.elapsed().as_secs_f64() * 1000.0;
    let plan: ChangesetPlan = serde_json::from_slice(&body).unwrap();
    let mut pages = Vec::new();
    for i in 0..21u64 {
        let url = format!(
            "{base}/changesets/plans/{}/items?limit=100&after={}&kind={}",
            plan.plan_hash,
            i * 400,
            if i % 2 == 0 { "update" } else { "skip" }
        );
        let start = Instant::now();
        let r = client.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let page: crypter_api::PlanItemPage = r.json().await.unwrap();
        assert!(!page.items.is_empty() || i * 400 >= N as u64);
        pages.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    (body.len(), post_ms, median(pages))
}
