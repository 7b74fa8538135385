//! `make bench-wan`: Crypter across three data centers 80 ms apart (`crypter dev --nodes 3
//! --instances 3 --wan 80ms`), one run, printed as ratios:
//! - a read through each data center's own instance, p50, beside the same read on a
//!   single-node loopback store (target ≤ 1.3×: it never crosses the WAN);
//! - a save through each data center's instance, p50, beside the same OpenBao calls made
//!   raw from that data center in the same run (target ≤ 1.5×);
//! - 500 logins on dc1 each followed at once by a request on dc3 (target 0 failures), and
//!   500 saves on dc1 each read at once on dc2 (target 0 stale);
//! - each data center cut off in turn while sessions everywhere write and read: lost
//!   writes and unmarked stale reads (target 0), and the slowest refusal (target ≤ 1 s).
//!
//! Bounded: `CRYPTER_WAN_ROUNDS` (default 500), `CRYPTER_WAN_CUT_SECS` (default 15).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

// Shared with the integration tests, which use all of it.
#[allow(dead_code)]
#[path = "../tests/api/datacenters/dev.rs"]
mod dev;
// Shared with the integration tests, which use all of it.
#[allow(dead_code)]
#[path = "../tests/api/datacenters/history.rs"]
mod history;
// Shared with the integration tests, which use all of it.
#[allow(dead_code)]
#[path = "../tests/api/datacenters/session.rs"]
mod session;
#[path = "../tests/api/helpers/wait.rs"]
mod wait;
mod helpers {
    pub use super::wait::eventually;
}

use dev::{DevWan, PASSWORD, ROOT};
use futures_util::stream::{self, StreamExt};
use history::{check, Op};
use serde_json::{json, Value};
use session::Session;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn p50(mut xs: Vec<Duration>) -> Duration {
    xs.sort_unstable();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn timed<F: std::future::Future>(f: F) -> (Duration, F::Output) {
    let t = Instant::now();
    let out = f.await;
    (t.elapsed(), out)
}

/// The same read on a single-node loopback store (`crypter dev`, no WAN): the baseline.
async fn single_node_read_p50(reads: usize) -> Duration {
    let port = crypter::embedded::free_loopback_port().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_crypter"))
        .args([
            "dev",
            "--no-demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--root-token",
            ROOT,
        ])
        .args([
            "--admin-password",
            PASSWORD,
            "--dist-dir",
            "/nonexistent",
            "--login-burst",
            "1000",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.starts_with("Crypter console:") {
            break;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let base = format!("http://127.0.0.1:{port}");
    let s = Session::login(&base).await.unwrap();
    assert_eq!(s.save(&base, "bench/read", "v").await.status, 200);
    let mut samples = Vec::new();
    for _ in 0..reads {
        let (d, (a, _)) = timed(s.version(&base, "bench/read")).await;
        assert_eq!(a.status, 200);
        samples.push(d);
    }
    let _ = child.kill().await;
    p50(samples)
}

/// How data center `k` reaches node `j`: its own node directly, another through the
/// relay (the node's advertised address; the relay delays this process's connections as
/// crossing a border).
fn route(dev: &DevWan, k: usize, j: usize) -> String {
    if k == j {
        return dev.nodes[j].api.clone();
    }
    let spec: Value =
        serde_json::from_slice(&std::fs::read(dev.dir.join("wan-spec.json")).unwrap()).unwrap();
    let to = dev.nodes[j].api.trim_start_matches("http://").to_owned();
    let link = spec["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["to"] == to.as_str());
    format!("http://{}", link.unwrap()["listen"].as_str().unwrap())
}

/// The OpenBao calls a save makes, raw, from data center `k`: read the metadata on the
/// local node, then write the data and the metadata on the leader.
async fn raw_save(http: &reqwest::Client, local: &str, leader: &str, path: &str, i: usize) {
    let meta = format!("{local}/v1/env/staging/metadata/{path}");
    let _ = http
        .get(meta)
        .header("X-Vault-Token", ROOT)
        .send()
        .await
        .unwrap();
    let data = http
        .post(format!("{leader}/v1/env/staging/data/{path}"))
        .header("X-Vault-Token", ROOT)
        .json(&json!({"data": {"v": format!("raw{i}")}}))
        .send()
        .await
        .unwrap();
    assert!(data.status().is_success());
    let meta = http
        .post(format!("{leader}/v1/env/staging/metadata/{path}"))
        .header("X-Vault-Token", ROOT)
        .json(&json!({"custom_metadata": {"class": "service", "owner": "wan", "environment": "staging"}}))
        .send()
        .await
        .unwrap();
    assert!(meta.status().is_success());
}

async fn local_reads_and_saves(dev: &DevWan, single: Duration, reads: usize, saves: usize) {
    let leader = dev.leader().await.unwrap();
    let http = reqwest::Client::new();
    for k in 0..3 {
        let base = &dev.instances[k];
        let s = Session::login(base).await.unwrap();
        let path = format!("bench/read-dc{}", k + 1);
        assert_eq!(s.save(base, &path, "v").await.status, 200);
        let own = format!("dc{}", k + 1);
        helpers::eventually("the read is local", Duration::from_secs(10), || async {
            let (a, _) = s.version(base, &path).await;
            (a.nodes == own).then_some(())
        })
        .await;
        let mut read = Vec::new();
        for _ in 0..reads {
            let (d, (a, _)) = timed(s.version(base, &path)).await;
            assert_eq!((a.status, a.nodes.as_str()), (200, own.as_str()));
            read.push(d);
        }
        let mut save = Vec::new();
        let mut raw = Vec::new();
        let (local, to_leader) = (route(dev, k, k), route(dev, k, leader));
        for i in 0..saves {
            let (d, a) =
                timed(s.save(base, &format!("bench/save-dc{}", k + 1), &format!("v{i}"))).await;
            assert_eq!(a.status, 200);
            save.push(d);
            let raw_path = format!("bench/raw-dc{}", k + 1);
            let (d, ()) = timed(raw_save(&http, &local, &to_leader, &raw_path, i)).await;
            raw.push(d);
        }
        let (read, save, raw) = (p50(read), p50(save), p50(raw));
        println!(
            "dc{}: read p50 {:.1} ms = {:.2}x a single-node loopback read ({:.1} ms; target <= 1.3x); save p50 {:.0} ms = {:.2}x the raw OpenBao calls from dc{} ({:.0} ms; target <= 1.5x)",
            k + 1, ms(read), read.as_secs_f64() / single.as_secs_f64(), ms(single),
            ms(save), save.as_secs_f64() / raw.as_secs_f64(), k + 1, ms(raw)
        );
    }
}

async fn across(dev: &DevWan, rounds: usize) {
    let [dc1, dc2, dc3] = [&dev.instances[0], &dev.instances[1], &dev.instances[2]];
    let failures: usize = stream::iter(0..rounds)
        .map(|_| async move {
            let Ok(s) = Session::login(dc1).await else {
                return 1;
            };
            usize::from(s.get(dc3, "/api/v1/session").await.status != 200)
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .sum();
    println!("{rounds} logins on dc1 each followed at once by a request on dc3: {failures} failures (target 0)");
    let writers: Vec<Session> = stream::iter(0..8)
        .then(|_| Session::login(dc1))
        .map(Result::unwrap)
        .collect()
        .await;
    let stale: usize = stream::iter(0..rounds)
        .map(|i| {
            let s = &writers[i % 8];
            async move {
                let path = format!("bench/ryw-{}", i % 8);
                let saved = s.save(dc1, &path, &format!("v{i}")).await;
                let (read, v) = s.version(dc2, &path).await;
                // Another save of the same register may land in between: older is stale,
                // newer is not.
                let stale = saved.status != 200 || read.stale || v < saved.body["version"].as_u64();
                if stale {
                    println!(
                        "  stale: save {} version {}, read {} version {v:?}, marked {}",
                        saved.status, saved.body["version"], read.status, read.stale
                    );
                }
                usize::from(stale)
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .sum();
    println!("{rounds} saves on dc1 each read at once on dc2: {stale} stale (target 0)");
}

/// Cut each data center off in turn while two sessions per data center write and read.
async fn partitions(dev: &DevWan, cut_for: Duration) {
    let history = Arc::new(Mutex::new(Vec::<Op>::new()));
    let mut sessions = Vec::new();
    for s in 0..6 {
        sessions.push((
            s,
            dev.instances[s % 3].clone(),
            Session::login(&dev.instances[s % 3]).await.unwrap(),
        ));
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (s, base, session) in sessions {
        let (history, stop) = (history.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let register = format!("cut/s{s}");
                let value = n.is_multiple_of(2).then(|| format!("s{s}-{n}"));
                let op = session.register_op(s, &base, register, value).await;
                history.lock().unwrap().push(op);
            }
        }));
    }
    let mut cuts = Vec::new();
    for (k, dc) in ["dc1", "dc2", "dc3"].into_iter().enumerate() {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let leader = dev.leader().await;
        cuts.push((k, leader, Instant::now()));
        dev.relay("partition", dc).await;
        tokio::time::sleep(cut_for).await;
        dev.relay("heal", dc).await;
        dev.converged(Duration::from_secs(60)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let history = history.lock().unwrap().clone();
    let finals = dev.finals((0..6).map(|s| format!("cut/s{s}"))).await;
    let r = check(&history, &finals, Duration::from_millis(3_500));
    for (k, leader, at) in cuts {
        // The first write started after the cut and acknowledged through another data
        // center: how long the majority went without writes.
        let resumed = history
            .iter()
            .filter(|o| o.session % 3 != k && o.start >= at && o.status == 200)
            .filter(|o| matches!(o.kind, history::Kind::Write { .. }))
            .map(|o| o.end - at)
            .min();
        println!(
            "  dc{} cut off (the leader was in dc{}): the other data centers' first write after the cut acknowledged {:.0} ms after it",
            k + 1,
            leader.map_or(0, |l| l + 1),
            resumed.map_or(f64::NAN, ms)
        );
    }
    let lost = r
        .violations
        .iter()
        .filter(|v| v.starts_with("lost"))
        .count();
    let unmarked = r
        .violations
        .iter()
        .filter(|v| v.starts_with("unmarked"))
        .count();
    println!(
        "each data center cut off for {cut_for:?} in turn: {} writes acknowledged, {} lost (target 0); {} reads, {} marked stale, {unmarked} unmarked stale (target 0); {} refusals, slowest {:.0} ms (target <= 1000); other violations {}",
        r.writes_acked, lost, r.reads_ok, r.reads_marked, r.writes_refused, ms(r.slowest_refusal),
        r.violations.len() - lost - unmarked
    );
    for v in &r.violations {
        println!("  {v}");
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let rounds = usize::try_from(setting("CRYPTER_WAN_ROUNDS", 500)).unwrap();
    let cut_for = Duration::from_secs(setting("CRYPTER_WAN_CUT_SECS", 15));
    let single = single_node_read_p50(300).await;
    let dev = DevWan::start("80ms").await;
    dev.keep_all_versions().await;
    println!("crypter dev --nodes 3 --instances 3 --wan 80ms (80 ms one way, 160 ms round trip)");
    local_reads_and_saves(&dev, single, 300, 40).await;
    across(&dev, rounds).await;
    partitions(&dev, cut_for).await;
}
