//! Search across environments through `/api/v1/search`, at 10,000 credentials in 5
//! environments (2,000 each), on a `bao -dev` started here. Run with `make bench-search`.
//!
//! - cold: each query from a new session (no listing cached: one SCAN per environment);
//! - warm: the same session, a different query each time (target p95 ≤ 300 ms).
//!
//! One raw SCAN of every environment, with the same token, is printed beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crypter::bao::Bao;
use crypter::config::Settings;
use crypter::embedded::{free_loopback_port, start_dev};
use crypter::AppState;
use futures_util::stream::{self, StreamExt};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const ENVS: &[&str] = &["staging", "production", "qa", "dr", "sandbox"];
const PER_ENV: usize = 2_000;
const PASSWORD: &str = "bench-admin-password";

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn session(base: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let resp = client
        .post(format!("{base}/session"))
        .json(&json!({"method": "userpass", "username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    client
}

async fn seed(bao: &Bao, root: &SecretString) {
    let t = Instant::now();
    for env in &ENVS[2..] {
        bao.write(
            &format!("sys/mounts/env/{env}"),
            root,
            &json!({"type": "kv", "options": {"version": "2"}}),
        )
        .await
        .unwrap();
    }
    let jobs = ENVS
        .iter()
        .flat_map(|env| (0..PER_ENV).map(move |i| (*env, i)));
    stream::iter(jobs)
        .map(|(env, i)| async move {
            let path = format!("team-{:02}/app-{i:05}/password", i % 25);
            bao.write(
                &format!("env/{env}/data/{path}"),
                root,
                &json!({"data": {"value": format!("v{i}")}}),
            )
            .await
            .unwrap();
            let meta = json!({"custom_metadata": {"class": "service", "owner": format!("owner-{}", i % 50),
                "environment": env, "description": format!("bench credential {i} of {env}"),
                "labels": format!("bench,tier-{}", i % 3)}});
            bao.write(&format!("env/{env}/metadata/{path}"), root, &meta)
                .await
                .unwrap();
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    println!(
        "seeded {} credentials in {} environments in {:.1} s",
        PER_ENV * ENVS.len(),
        ENVS.len(),
        t.elapsed().as_secs_f64()
    );
}

async fn search(client: &reqwest::Client, base: &str, q: &str) -> Duration {
    let t = Instant::now();
    let resp = client
        .get(format!("{base}/search?q={q}"))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let found: Value = resp.json().await.unwrap();
    let took = t.elapsed();
    assert_eq!(found["environments"].as_array().unwrap().len(), ENVS.len());
    took
}

/// Queries that differ every time and hit few or many rows.
fn query(i: usize) -> String {
    match i % 4 {
        0 => format!("app-{:05}", (i * 37) % PER_ENV),
        1 => format!("owner-{}", i % 50),
        2 => format!("team-{:02}%20tier-{}", i % 25, i % 3),
        _ => format!("credential%20{}", (i * 13) % PER_ENV),
    }
}

async fn raw_scans(bao: &Bao) -> Duration {
    let login = bao
        .write(
            "auth/userpass/login/admin",
            &SecretString::from(String::new()),
            &json!({"password": PASSWORD}),
        )
        .await
        .unwrap()
        .unwrap();
    let token = login["auth"]["client_token"].as_str().unwrap().to_owned();
    let raw = reqwest::Client::new();
    let scan = Method::from_bytes(b"SCAN").unwrap();
    let mut runs = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        for env in ENVS {
            let body = raw
                .request(
                    scan.clone(),
                    format!("{}/v1/env/{env}/detailed-metadata/", bao.addr()),
                )
                .header("X-Vault-Token", token.as_str())
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            assert!(body.len() > 1000);
        }
        runs.push(t.elapsed());
    }
    percentile(&mut runs, 0.5)
}

#[tokio::main]
async fn main() {
    let root = SecretString::from(format!("root-{}", crypter::session::random_token()));
    let bao_addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
    let (_process, bao) = start_dev(bao_addr, &root).await.expect("start bao -dev");
    crypter::bootstrap::bootstrap(&bao, &root, Some(&SecretString::from(PASSWORD.to_owned())))
        .await
        .unwrap();
    seed(&bao, &root).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
    let settings = Settings {
        login_per_minute: 1000,
        login_burst: 100,
        ..Settings::default()
    };
    let creds = crypter::bootstrap::issue_credentials(&bao, &root)
        .await
        .unwrap();
    let state = AppState::new(bao.clone(), settings, creds);
    tokio::spawn(async move {
        crypter::startup::serve(listener, state, std::future::pending())
            .await
            .unwrap();
    });

    let raw = raw_scans(&bao).await;
    let mut cold = Vec::new();
    for i in 0..20 {
        let client = session(&base).await;
        cold.push(search(&client, &base, &query(i)).await);
    }
    let client = session(&base).await;
    search(&client, &base, "warm-up").await;
    let mut warm = Vec::new();
    for i in 0..200 {
        warm.push(search(&client, &base, &query(1000 + i)).await);
    }
    let (c50, c95) = (percentile(&mut cold, 0.5), percentile(&mut cold, 0.95));
    let (w50, w95) = (percentile(&mut warm, 0.5), percentile(&mut warm, 0.95));
    println!(
        "search {} credentials in {} environments: warm p50 {:.1} ms, p95 {:.1} ms \
         (target p95 <= 300 ms); cold p50 {:.0} ms, p95 {:.0} ms; one raw SCAN of every \
         environment {:.0} ms",
        PER_ENV * ENVS.len(),
        ENVS.len(),
        ms(w50),
        ms(w95),
        ms(c50),
        ms(c95),
        ms(raw)
    );
}
