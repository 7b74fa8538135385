//! `make bench-notify`: from a change to its delivery. One `bao -dev` with its audit file,
//! one subscription to `credential.write` on staging, a local receiver, the delivery loop
//! with its default schedule. First 200 writes at 20/s: the time from each write's answer
//! to its delivery (target: p95 ≤ 5 s). Then 200 writes/s for a minute
//! (`NOTIFY_BENCH_SECS` to change it): every event delivered, in order, and how far
//! behind the last one was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crypter::activity::AuditFeed;
use crypter::bao::Bao;
use crypter::embedded::{free_loopback_port, start_dev};
use crypter::notifications::{deliver, subscriptions};
use crypter::records::Records;
use crypter_api::{NotificationTarget, SubscriptionCreate, TargetKind};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Seen = Arc<Mutex<Vec<(String, Instant)>>>;

async fn receiver() -> (Seen, String) {
    let seen: Seen = Arc::default();
    let state = seen.clone();
    let app =
        axum::Router::new().route(
            "/hook",
            axum::routing::post(
                |axum::extract::State(seen): axum::extract::State<Seen>,
                 body: axum::body::Bytes| async move {
                    let v: Value = serde_json::from_slice(&body).unwrap();
                    let path = v["path"].as_str().unwrap_or_default().to_owned();
                    seen.lock().unwrap().push((path, Instant::now()));
                    "ok"
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app.with_state(state)).await.unwrap() });
    (seen, url)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn wait_for(seen: &Seen, n: usize, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if seen.lock().unwrap().len() >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

type Root = SecretString;

/// 200 writes at 20/s: the p95 from each write's answer to its delivery, in seconds.
async fn latency(bao: &Bao, root: &Root, seen: &Seen) -> f64 {
    let mut written = HashMap::new();
    for i in 0..200 {
        let path = format!("bench/latency/c{i:03}");
        let at = format!("env/staging/data/{path}");
        bao.write(&at, root, &json!({"data": {"v": i}}))
            .await
            .unwrap();
        written.insert(path, Instant::now());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = wait_for(seen, 200, Duration::from_secs(60)).await;
    assert!(all, "not every latency event arrived");
    let mut lat: Vec<f64> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(p, at)| written.get(p).map(|w| at.duration_since(*w).as_secs_f64()))
        .collect();
    lat.sort_by(f64::total_cmp);
    let p95 = percentile(&lat, 0.95);
    println!(
        "notify latency, 200 writes at 20/s: p50 {:.2} s, p95 {p95:.2} s, max {:.2} s (target p95 <= 5 s)",
        percentile(&lat, 0.5),
        lat[lat.len() - 1]
    );
    p95
}

/// 200 writes/s for `secs` seconds, paced each second: whether every one was delivered.
async fn load(bao: &Bao, root: &Root, seen: &Seen, secs: usize) -> bool {
    let before = seen.lock().unwrap().len();
    let started = Instant::now();
    for s in 0..secs {
        let writes = (0..200).map(|i| async move {
            let path = format!("env/staging/data/bench/load/s{s:03}-c{i:03}");
            bao.write(&path, root, &json!({"data": {"v": i}}))
                .await
                .unwrap();
        });
        futures_util::future::join_all(writes).await;
        tokio::time::sleep_until((started + Duration::from_secs(s as u64 + 1)).into()).await;
    }
    let n = secs * 200;
    let wrote = started.elapsed().as_secs_f64();
    let ok = wait_for(seen, before + n, Duration::from_secs(120)).await;
    let delivered: Vec<(String, Instant)> = seen.lock().unwrap()[before..].to_vec();
    let behind = delivered.last().map_or(f64::NAN, |(_, at)| {
        at.duration_since(started).as_secs_f64() - wrote
    });
    let mut paths: Vec<&str> = delivered.iter().map(|(p, _)| p.as_str()).collect();
    let ordered = paths.windows(2).all(|w| w[0][..15] <= w[1][..15]);
    paths.sort_unstable();
    paths.dedup();
    println!(
        "notify load: {n} writes in {wrote:.1} s ({:.0}/s); {} delivered ({} distinct), the last \
         {behind:.2} s after the last write; seconds in order: {ordered}{}",
        n as f64 / wrote,
        delivered.len(),
        paths.len(),
        if ok { "" } else { " (NOT ALL DELIVERED)" }
    );
    ok && ordered
}

#[tokio::main]
async fn main() {
    let root = SecretString::from("bench-root".to_owned());
    let addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
    let (process, bao) = start_dev(addr, &root).await.expect("start bao -dev");
    crypter::bootstrap::bootstrap(&bao, &root, None)
        .await
        .expect("bootstrap");
    let creds = crypter::bootstrap::issue_credentials(&bao, &root)
        .await
        .unwrap();
    let records = Records::new(bao.clone(), creds);
    let feed = AuditFeed::new(vec![process.audit_log().unwrap().to_owned()], None);
    let (seen, url) = receiver().await;
    let req = SubscriptionCreate {
        name: "bench".into(),
        target: NotificationTarget {
            kind: TargetKind::Webhook,
            url,
        },
        environments: vec!["staging".into()],
        path_prefix: "bench/".into(),
        actions: vec!["credential.write".into()],
    };
    subscriptions::create(&bao, &records, &root, "bench", &req)
        .await
        .unwrap();
    let _loop = deliver::spawn(feed, records, deliver::Schedule::default());
    let p95 = latency(&bao, &root, &seen).await;
    let secs = std::env::var("NOTIFY_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let kept_up = load(&bao, &root, &seen, secs).await;
    std::process::exit(if p95 <= 5.0 && kept_up { 0 } else { 1 });
}
