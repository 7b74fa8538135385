//! `make bench-load`: 200 concurrent sessions over two `crypter serve` instances sharing
//! one OpenBao, for 60 s. Each session logs in once (on instance A or B, alternately),
//! then lists one environment's credentials and reads one credential, in a loop. Then the
//! same loop for the same time straight against OpenBao (each session its own userpass
//! token: a raw SCAN of the environment and a raw metadata read), as the ratio.
//!
//! Prints requests per second, p50 and p99 per endpoint, errors (target 0; 503s, which
//! say "OpenBao busy, retry after", counted apart: the sessions wait as `Retry-After`
//! says, and a refused login is tried again) and each instance's peak RSS (`VmHWM`, target <= 64 MB). Loopback only; bounded by
//! `CRYPTER_LOAD_SESSIONS` (default 200) and `CRYPTER_LOAD_SECS` (default 60).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crypter::bao::Bao;
use crypter::embedded::{free_loopback_port, start_dev};
use futures_util::stream::{self, StreamExt};
use reqwest::{Client, Method, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const PASSWORD: &str = "bench-admin-password";
const CREDENTIALS: usize = 200;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn path_of(i: usize) -> String {
    format!("svc-{:02}/app-{i:04}/password", i % 10)
}

async fn seed(bao: &Bao, root: &SecretString) {
    stream::iter(0..CREDENTIALS)
        .map(|i| async move {
            let path = path_of(i);
            bao.write(
                &format!("env/staging/data/{path}"),
                root,
                &json!({"data": {"value": format!("v{i}")}}),
            )
            .await
            .unwrap();
            let meta = json!({"custom_metadata": {"class": "service", "owner": "bench",
                "environment": "staging", "description": "load bench", "created_by": "bench"}});
            bao.write(&format!("env/staging/metadata/{path}"), root, &meta)
                .await
                .unwrap();
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}

/// `crypter serve --bao-addr` on a free loopback port; returns once it listens.
async fn instance(
    bao_addr: &str,
    creds: &std::path::Path,
    dist: &std::path::Path,
) -> (Child, String) {
    let port = free_loopback_port().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_crypter"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--bao-addr",
            bao_addr,
        ])
        .arg("--backend-credentials")
        .arg(creds)
        .arg("--dist-dir")
        .arg(dist)
        .args(["--login-burst", "100000", "--login-per-minute", "100000"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.starts_with("Crypter console:") {
            break;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, format!("http://127.0.0.1:{port}/api/v1"))
}

/// Peak resident set of a process, in MB (Linux `VmHWM`).
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[derive(Default)]
struct Tally {
    samples: BTreeMap<&'static str, Vec<Duration>>,
    errors: BTreeMap<String, u64>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (k, mut v) in other.samples {
            self.samples.entry(k).or_default().append(&mut v);
        }
        for (k, n) in other.errors {
            *self.errors.entry(k).or_default() += n;
        }
    }

    fn record(&mut self, what: &'static str, started: Instant, status: Result<StatusCode, String>) {
        match status {
            Ok(s) if s.is_success() => self
                .samples
                .entry(what)
                .or_default()
                .push(started.elapsed()),
            Ok(s) => *self.errors.entry(format!("{what}: {s}")).or_default() += 1,
            Err(e) => *self.errors.entry(format!("{what}: {e}")).or_default() += 1,
        }
    }

    fn requests(&self) -> usize {
        self.samples.values().map(Vec::len).sum::<usize>()
            + self.errors.values().sum::<u64>() as usize
    }

    fn print(&mut self, title: &str, secs: f64) -> f64 {
        let rps = self.requests() as f64 / secs;
        println!(
            "{title}: {} requests in {secs:.0} s = {rps:.0} requests/s",
            self.requests()
        );
        for (what, v) in &mut self.samples {
            v.sort();
            let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
            println!(
                "  {what:<44} n={:<7} p50 {:>7.1} ms  p99 {:>7.1} ms",
                v.len(),
                p(0.5),
                p(0.99)
            );
        }
        let errors: u64 = self.errors.values().sum();
        // A 503 is Crypter saying OpenBao could not answer in time (with Retry-After):
        // counted apart from the rest, and still an error (the target is 0 of any kind).
        let busy: u64 = self
            .errors
            .iter()
            .filter(|(k, _)| k.contains(": 503"))
            .map(|(_, n)| n)
            .sum();
        println!(
            "  errors: {errors} (target 0): {busy} answered 503 (store busy, Retry-After), {} \
             other {:?}",
            errors - busy,
            self.errors
        );
        rps
    }
}

/// How long a 503 asks the client to wait (`Retry-After`), if it says.
fn retry_after(r: &reqwest::Response) -> Option<Duration> {
    (r.status() == StatusCode::SERVICE_UNAVAILABLE).then(|| {
        let secs = r
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(1);
        Duration::from_secs(secs)
    })
}

/// The status (after reading the body), and how long to wait before the next request:
/// a client that honours `Retry-After`, as the console does. The 503 still counts as an
/// error.
async fn send(req: reqwest::RequestBuilder) -> (Result<StatusCode, String>, Option<Duration>) {
    match req.send().await {
        Ok(r) => {
            let (s, wait) = (r.status(), retry_after(&r));
            (r.bytes().await.map(|_| s).map_err(|e| e.to_string()), wait)
        }
        Err(e) => (Err(e.to_string()), None),
    }
}

async fn pause(wait: Option<Duration>, until: Instant) {
    if let Some(wait) = wait {
        tokio::time::sleep(wait.min(until.saturating_duration_since(Instant::now()))).await;
    }
}

async fn crypter_session(base: String, until: Instant, i: usize) -> Tally {
    let client = Client::builder().cookie_store(true).build().unwrap();
    let mut t = Tally::default();
    // Logged in before the loop: a refused login is counted, and tried again.
    loop {
        let started = Instant::now();
        let (login, wait) = send(
            client
                .post(format!("{base}/session"))
                .json(&json!({"method": "userpass", "username": "admin", "password": PASSWORD})),
        )
        .await;
        let ok = matches!(login, Ok(s) if s.is_success());
        t.record("POST /session (once per session)", started, login);
        if ok || Instant::now() >= until {
            break;
        }
        pause(wait.or(Some(Duration::from_secs(1))), until).await;
    }
    let list = format!("{base}/environments/staging/credentials?limit=100");
    let mut n = i;
    while Instant::now() < until {
        let started = Instant::now();
        let (r, wait) = send(client.get(&list)).await;
        t.record("GET /environments/staging/credentials", started, r);
        pause(wait, until).await;
        let read = format!(
            "{base}/environments/staging/credentials/{}",
            path_of(n % CREDENTIALS)
        );
        let started = Instant::now();
        let (r, wait) = send(client.get(&read)).await;
        t.record("GET /environments/staging/credentials/{path}", started, r);
        pause(wait, until).await;
        n += 7;
    }
    t
}

async fn raw_session(addr: String, until: Instant, i: usize) -> Tally {
    let client = Client::new();
    let mut t = Tally::default();
    let started = Instant::now();
    let login = client
        .post(format!("{addr}/v1/auth/userpass/login/admin"))
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let status = login.status();
    let v: Value = login.json().await.unwrap_or_default();
    t.record("POST auth/userpass/login (once)", started, Ok(status));
    let token = v["auth"]["client_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let scan = Method::from_bytes(b"SCAN").unwrap();
    let mut n = i;
    while Instant::now() < until {
        let started = Instant::now();
        let r = client
            .request(
                scan.clone(),
                format!("{addr}/v1/env/staging/detailed-metadata/"),
            )
            .header("X-Vault-Token", &token)
            .send()
            .await;
        let r = match r {
            Ok(r) => {
                let s = r.status();
                r.bytes().await.map(|_| s).map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        t.record("SCAN env/staging/detailed-metadata/", started, r);
        let started = Instant::now();
        let r = client
            .get(format!(
                "{addr}/v1/env/staging/metadata/{}",
                path_of(n % CREDENTIALS)
            ))
            .header("X-Vault-Token", &token)
            .send()
            .await;
        let r = match r {
            Ok(r) => {
                let s = r.status();
                r.bytes().await.map(|_| s).map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        t.record("GET env/staging/metadata/{path}", started, r);
        n += 7;
    }
    t
}

#[tokio::main]
async fn main() {
    let sessions = setting("CRYPTER_LOAD_SESSIONS", 200).clamp(1, 1000) as usize;
    let secs = setting("CRYPTER_LOAD_SECS", 60).clamp(1, 600);
    let root = SecretString::from(format!("root-{}", crypter::session::random_token()));
    let bao_addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
    let (process, bao) = start_dev(bao_addr, &root).await.expect("start bao -dev");
    crypter::bootstrap::bootstrap(&bao, &root, Some(&SecretString::from(PASSWORD.to_owned())))
        .await
        .unwrap();
    seed(&bao, &root).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("backend.json");
    crypter::bootstrap::issue_credentials(&bao, &root)
        .await
        .unwrap()
        .write(&creds)
        .unwrap();
    let addr = format!("http://{bao_addr}");
    let (mut a, base_a) = instance(&addr, &creds, dir.path()).await;
    let (mut b, base_b) = instance(&addr, &creds, dir.path()).await;
    println!(
        "{sessions} sessions over two instances for {secs} s; {CREDENTIALS} credentials in staging; \
         OpenBao {} on loopback",
        bao.health().await.ok().and_then(|h| h.version).unwrap_or_default()
    );

    let run = Duration::from_secs(secs);
    let until = Instant::now() + run;
    let start = Instant::now();
    let tallies: Vec<Tally> = stream::iter(0..sessions)
        .map(|i| {
            let base = if i % 2 == 0 {
                base_a.clone()
            } else {
                base_b.clone()
            };
            tokio::spawn(crypter_session(base, until, i))
        })
        .buffer_unordered(sessions)
        .map(Result::unwrap)
        .collect()
        .await;
    let took = start.elapsed().as_secs_f64();
    let mut through = Tally::default();
    tallies.into_iter().for_each(|t| through.merge(t));
    let rps = through.print("through Crypter (two instances)", took);
    for (name, child) in [("A", &a), ("B", &b)] {
        let mb = peak_rss_mb(child.id().unwrap_or(0));
        println!("  instance {name}: peak RSS {mb:.1} MB (target <= 64 MB)");
    }
    a.kill().await.ok();
    b.kill().await.ok();

    let until = Instant::now() + run;
    let start = Instant::now();
    let tallies: Vec<Tally> = stream::iter(0..sessions)
        .map(|i| tokio::spawn(raw_session(addr.clone(), until, i)))
        .buffer_unordered(sessions)
        .map(Result::unwrap)
        .collect()
        .await;
    let took = start.elapsed().as_secs_f64();
    let mut direct = Tally::default();
    tallies.into_iter().for_each(|t| direct.merge(t));
    let raw_rps = direct.print("straight against OpenBao (same loop, same time)", took);
    println!(
        "ratio: Crypter {rps:.0} / OpenBao {raw_rps:.0} requests/s = {:.2}",
        rps / raw_rps
    );
    process.stop().await.unwrap();
}
