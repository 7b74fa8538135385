//! `make bench-keys`, in one run against one `bao -dev`:
//! 1. encrypt of 1 KiB through `crypter-client` (AppRole login memoized) against the same
//!    call made directly to transit with a token of the same policy: p50 of each, and
//!    their ratio (target <= 1.2x);
//! 2. `rewrap_credentials` of N ciphertexts through the changesets engine (plan + apply;
//!    each item a read, a transit rewrap, a check-and-set write and a read-back) against
//!    raw transit rewraps of the same ciphertexts at the same parallelism (target >= 0.25x).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use crypter::bao::Bao;
use crypter::changesets;
use crypter::embedded::{free_loopback_port, start_dev};
use crypter_api::ApplyRequest;
use futures_util::stream::{self, StreamExt};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

const N: usize = 5_000;
const CALLS: usize = 2_000;
const PARALLELISM: usize = changesets::plan::PARALLELISM;

fn p50(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

async fn root_write(bao: &Bao, root: &SecretString, path: &str, body: Value) -> Value {
    bao.write(path, root, &body)
        .await
        .unwrap()
        .unwrap_or_default()
}

/// (seconds of the plan, seconds of plan + apply).
async fn apply(bao: &Bao, root: &SecretString, dir: &Path) -> (f64, f64) {
    let start = Instant::now();
    let plan = changesets::plan(bao, root, Some(dir)).await.unwrap();
    let planned = start.elapsed().as_secs_f64();
    assert!(plan.view.blockers.is_empty(), "{:?}", plan.view.blockers);
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
        bao,
        jobs: &jobs,
        token: root,
        dir: Some(dir),
        actor: "bench",
        entity_id: None,
        runbook: None,
        job_id: None,
    };
    let started = changesets::apply(&cx, &req, None).await.unwrap();
    let done = changesets::wait(&started.job).await;
    assert_eq!(done.state, crypter_api::JobState::Done, "{done:?}");
    (planned, start.elapsed().as_secs_f64())
}

/// The AppRole `bench-svc` (only the encrypt grant on `cards`): its role-id, a secret-id
/// for the client, and a token from a login of the same role for the direct calls (so both
/// sides carry the same policies and entity).
async fn service(bao: &Bao, root: &SecretString) -> (String, String, SecretString) {
    let policy = r#"path "transit/staging/encrypt/cards" { capabilities = ["update"] }"#;
    root_write(
        bao,
        root,
        "sys/policies/acl/bench-encrypt",
        json!({ "policy": policy }),
    )
    .await;
    root_write(
        bao,
        root,
        "auth/approle/role/bench-svc",
        json!({"token_policies": ["bench-encrypt"], "token_ttl": "1h"}),
    )
    .await;
    let role_id = bao
        .read("auth/approle/role/bench-svc/role-id", root)
        .await
        .unwrap()
        .unwrap()["data"]["role_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = root_write(
        bao,
        root,
        "auth/approle/role/bench-svc/secret-id",
        json!({}),
    )
    .await;
    let secret_id = secret["data"]["secret_id"].as_str().unwrap().to_owned();
    let other = root_write(
        bao,
        root,
        "auth/approle/role/bench-svc/secret-id",
        json!({}),
    )
    .await;
    let login = root_write(
        bao,
        root,
        "auth/approle/login",
        json!({"role_id": role_id, "secret_id": other["data"]["secret_id"]}),
    )
    .await;
    let token = login["auth"]["client_token"].as_str().unwrap().to_owned();
    (role_id, secret_id, SecretString::from(token))
}

/// p50 (ms) of 1 KiB encrypts through the client and directly, interleaved in blocks so
/// that both see the same machine.
async fn encrypt_p50(addr: &str, bao: &Bao, root: &SecretString) -> (f64, f64) {
    let (role_id, secret_id, token) = service(bao, root).await;
    let client =
        crypter_client::Client::new(crypter_client::Config::new(addr, &role_id, secret_id))
            .unwrap();
    client.login().await.unwrap();
    let http = reqwest::Client::new();
    let data = vec![b'x'; 1024];
    let body = json!({ "plaintext": base64::engine::general_purpose::STANDARD.encode(&data) });
    let url = format!("{addr}/v1/transit/staging/encrypt/cards");
    let (mut via_client, mut direct) = (Vec::new(), Vec::new());
    for _ in 0..CALLS / 100 {
        for _ in 0..100 {
            let t = Instant::now();
            let c = client.encrypt("staging", "cards", &data).await.unwrap();
            via_client.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(c.starts_with("vault:v"));
        }
        for _ in 0..100 {
            let t = Instant::now();
            let r = http
                .post(&url)
                .header("X-Vault-Token", token.expose_secret())
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
            let v: Value = r.json().await.unwrap();
            assert!(v["data"]["ciphertext"].is_string());
            direct.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    (p50(via_client), p50(direct))
}

/// N credentials under `cards/` whose `pan` is a ciphertext of `cards` at v1; then the key
/// is rotated to v2. Returns the ciphertexts.
async fn seed(bao: &Bao, root: &SecretString) -> Vec<String> {
    let out = stream::iter(0..N)
        .map(|i| async move {
            let c = root_write(
                bao,
                root,
                "transit/staging/encrypt/cards",
                json!({"plaintext": base64::engine::general_purpose::STANDARD.encode(format!("4111-{i:05}"))}),
            )
            .await;
            let pan = c["data"]["ciphertext"].as_str().unwrap().to_owned();
            let data = json!({"data": {"pan": pan, "holder": format!("holder {i}")}});
            root_write(bao, root, &format!("env/staging/data/cards/c{i:05}"), data).await;
            pan
        })
        .buffer_unordered(PARALLELISM)
        .collect()
        .await;
    root_write(bao, root, "transit/staging/keys/cards/rotate", json!({})).await;
    out
}

/// What one rewrap item does, made directly against OpenBao at the same parallelism, over
/// a copy of the credentials (`cardsraw/`, so the engine still finds its own to move):
/// read, transit rewrap, check-and-set write, read back. Items per second.
async fn raw_item_work(bao: &Bao, root: &SecretString) -> f64 {
    stream::iter(0..N)
        .map(|i| async move {
            let v = bao
                .read(&format!("env/staging/data/cards/c{i:05}"), root)
                .await
                .unwrap()
                .unwrap();
            root_write(
                bao,
                root,
                &format!("env/staging/data/cardsraw/c{i:05}"),
                json!({"data": v["data"]["data"]}),
            )
            .await;
        })
        .buffer_unordered(PARALLELISM)
        .collect::<Vec<_>>()
        .await;
    let start = Instant::now();
    stream::iter(0..N)
        .map(|i| async move {
            let path = format!("env/staging/data/cardsraw/c{i:05}");
            let v = bao.read(&path, root).await.unwrap().unwrap();
            let version = v["data"]["metadata"]["version"].as_u64().unwrap();
            let mut data = v["data"]["data"].clone();
            let c = root_write(
                bao,
                root,
                "transit/staging/rewrap/cards",
                json!({"ciphertext": data["pan"]}),
            )
            .await;
            data["pan"] = c["data"]["ciphertext"].clone();
            root_write(
                bao,
                root,
                &path,
                json!({"options": {"cas": version}, "data": data}),
            )
            .await;
            let back = bao.read(&path, root).await.unwrap().unwrap();
            assert_eq!(back["data"]["data"]["pan"], data["pan"]);
        })
        .buffer_unordered(PARALLELISM)
        .collect::<Vec<_>>()
        .await;
    N as f64 / start.elapsed().as_secs_f64()
}

fn changeset(dir: &Path, name: &str, text: &str) {
    for f in std::fs::read_dir(dir).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    std::fs::write(dir.join(name), text).unwrap();
}

const SETUP: &str = r#"id = "setup"
author = "bench"
description = "staging and its key"
environment = "staging"

[[operations]]
op = "create_environment"

[[operations]]
op = "create_key"
name = "cards"
key_type = "aes256-gcm96"
"#;

const REWRAP: &str = r#"id = "rewrap"
author = "bench"
description = "re-encrypt card numbers"
environment = "staging"

[[operations]]
op = "rewrap_credentials"
prefix = "cards/"
key = "cards"
field = "pan"
"#;

#[tokio::main]
async fn main() {
    let root = SecretString::from("bench-root".to_owned());
    let addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
    let (process, bao) = start_dev(addr, &root).await.expect("start bao -dev");
    crypter::bootstrap::bootstrap(&bao, &root, None)
        .await
        .expect("bootstrap");
    let dir = tempfile::tempdir().unwrap();
    changeset(dir.path(), "setup.toml", SETUP);
    apply(&bao, &root, dir.path()).await;

    let (client_ms, direct_ms) = encrypt_p50(&format!("http://{addr}"), &bao, &root).await;

    let ciphertexts = seed(&bao, &root).await;
    // Raw: one transit rewrap per ciphertext, same parallelism (nothing written).
    let start = Instant::now();
    stream::iter(ciphertexts)
        .map(|c| {
            let (bao, root) = (&bao, &root);
            async move {
                let v = root_write(
                    bao,
                    root,
                    "transit/staging/rewrap/cards",
                    json!({"ciphertext": c}),
                )
                .await;
                assert!(v["data"]["ciphertext"]
                    .as_str()
                    .unwrap()
                    .starts_with("vault:v2:"));
            }
        })
        .buffer_unordered(PARALLELISM)
        .collect::<Vec<_>>()
        .await;
    let raw = N as f64 / start.elapsed().as_secs_f64();

    let equivalent = raw_item_work(&bao, &root).await;

    changeset(dir.path(), "rewrap.toml", REWRAP);
    let (plan_s, secs) = apply(&bao, &root, dir.path()).await;
    let engine = N as f64 / secs;
    let left = changesets::plan(&bao, &root, Some(dir.path()))
        .await
        .unwrap();
    assert!(left.view.changesets.is_empty(), "all rewrapped");

    println!("encrypt 1 KiB, {CALLS} sequential calls each (p50):");
    println!("  crypter-client {client_ms:.3} ms, direct transit {direct_ms:.3} ms");
    println!(
        "  ratio client / direct: {:.2}x (target <= 1.2x)",
        client_ms / direct_ms
    );
    println!("rewrap_credentials of {N} ciphertexts, parallelism {PARALLELISM}:");
    println!(
        "  plan + apply {secs:.2} s: {engine:.0} items/s (read, rewrap, CAS write, read-back)"
    );
    println!("  of which the plan (a SCAN and every value read once) {plan_s:.2} s; apply alone {:.0} items/s", N as f64 / (secs - plan_s));
    println!("  raw transit rewraps, same parallelism: {raw:.0} rewraps/s");
    println!("  the item's own work done raw (read, rewrap, CAS write, read-back), same parallelism, over a copy: {equivalent:.0} items/s");
    println!(
        "  ratio engine / raw rewraps: {:.3} (target >= 0.25)",
        engine / raw
    );
    println!(
        "  ratio apply alone / raw item work: {:.3}",
        N as f64 / (secs - plan_s) / equivalent
    );
    drop(process);
}
