//! `make bench-approvals`: from the last approval to the change carried out. One
//! `bao -dev`, one Crypter instance in this process, a rule on production (one approval
//! from `appr`), and `APPROVALS_BENCH_N` (default 100) requests, each opened by `req` and
//! approved by `appr`: the time from sending the approval to the new value being what
//! OpenBao answers (target: p95 ≤ 1 s; the approval answers once it is carried out).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crypter::config::Settings;
use crypter::embedded::{free_loopback_port, start_dev};
use crypter::AppState;
use crypter_api::CSRF_HEADER;
use reqwest::Client;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const PW: &str = "bench-Passw0rd-long";

struct Session {
    http: Client,
    csrf: String,
}

async fn login(base: &str, user: &str, password: &str) -> Session {
    let http = Client::builder().cookie_store(true).build().unwrap();
    let r = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"method": "userpass", "username": user, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login as {user}");
    let v: Value = r.json().await.unwrap();
    Session {
        http,
        csrf: v["csrf_token"].as_str().unwrap().to_owned(),
    }
}

impl Session {
    async fn call(&self, method: reqwest::Method, url: String, body: Value) -> (u16, Value) {
        let r = self
            .http
            .request(method, url)
            .header(CSRF_HEADER, &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The store, its root token, Crypter's address, a requester and an approver.
struct World {
    _process: crypter::embedded::BaoProcess,
    bao: crypter::bao::Bao,
    root: SecretString,
    base: String,
    requester: Session,
    approver: Session,
}

async fn world() -> World {
    let root = SecretString::from(format!("root-{}", crypter::session::random_token()));
    let addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
    let (process, bao) = start_dev(addr, &root).await.expect("bao -dev");
    let admin_pw = SecretString::from(PW.to_owned());
    crypter::bootstrap::bootstrap(&bao, &root, Some(&admin_pw))
        .await
        .unwrap();
    let creds = crypter::bootstrap::issue_credentials(&bao, &root)
        .await
        .unwrap();
    let settings = Settings {
        login_per_minute: 1_000,
        login_burst: 1_000,
        ..Settings::default()
    };
    let state = AppState::new(bao.clone(), settings, creds);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        crypter::startup::serve(listener, state, std::future::pending())
            .await
            .unwrap();
    });
    let admin = login(&base, "admin", PW).await;
    let grants = json!([{"environment": "production", "scope": "*",
        "capabilities": ["read", "list", "create", "update"], "effect": "allow"}]);
    let role =
        json!({"name": "writer", "class": "human", "description": "bench", "grants": grants});
    let (s, _) = admin
        .call(reqwest::Method::POST, format!("{base}/api/v1/roles"), role)
        .await;
    assert_eq!(s, 201);
    for (user, policy) in [("req", "crypter-role-writer"), ("appr", "crypter-admin")] {
        bao.write(
            &format!("auth/userpass/users/{user}"),
            &root,
            &json!({"password": PW, "token_policies": [policy]}),
        )
        .await
        .unwrap();
    }
    let requester = login(&base, "req", PW).await;
    let approver = login(&base, "appr", PW).await;
    let rule = json!({"required": 1, "approvers": ["appr"]});
    let (s, _) = admin
        .call(
            reqwest::Method::PUT,
            format!("{base}/api/v1/environments/production/approvals"),
            rule,
        )
        .await;
    assert_eq!(s, 200, "the rule");
    World {
        _process: process,
        bao,
        root,
        base,
        requester,
        approver,
    }
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("APPROVALS_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    // The bao process lives as long as this binding.
    let World {
        _process,
        bao,
        root,
        base,
        requester,
        approver,
    } = world().await;
    let mut millis = Vec::with_capacity(n);
    for i in 0..n {
        let value = format!("v{i}");
        let url = format!(
            "{base}/api/v1/environments/production/credentials/bench/c{}",
            i % 10
        );
        let body = json!({"data": {"v": value}, "class": "service"});
        let (s, opened) = requester.call(reqwest::Method::PUT, url, body).await;
        assert_eq!(s, 202, "{opened}");
        let id = opened["request"]["id"].as_str().unwrap().to_owned();
        let started = Instant::now();
        let (s, done) = approver
            .call(
                reqwest::Method::POST,
                format!("{base}/api/v1/requests/{id}/approve"),
                json!({"comment": "bench"}),
            )
            .await;
        assert_eq!(s, 200, "{done}");
        let path = format!("env/production/data/bench/c{}", i % 10);
        loop {
            let v = bao.read(&path, &root).await.unwrap();
            if v.is_some_and(|v| v["data"]["data"]["v"] == value.as_str()) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "request {id} never carried out"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    let p50 = percentile(&millis, 0.5);
    let p95 = percentile(&millis, 0.95);
    let max = millis.last().copied().unwrap_or_default();
    println!("approvals: {n} requests, last approval -> carried out: p50 {p50:.0} ms, p95 {p95:.0} ms, max {max:.0} ms");
    println!(
        "target p95 <= 1000 ms: {}",
        if p95 <= 1000.0 { "met" } else { "NOT met" }
    );
}
