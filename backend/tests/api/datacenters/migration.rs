//! A migration across data centers: an apply started in dc3 whose data center is cut off
//! mid-way stops (its heartbeat with it), shows as `interrupted` in dc1, and is resumed
//! there from its cursor; every credential lands exactly once, and nothing the cut-off
//! runner does after the heal undoes it. The crash property, with a partition instead of
//! a SIGKILL.

use super::dev::{DevWan, ROOT};
use super::session::Session;
use crate::helpers::eventually;
use futures_util::stream::{self, StreamExt};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

const N: usize = 200;
const COPY: &str = r#"
id = "010-copy"
author = "ana"
description = "bulk, across data centers"
environment = "qa"

[[operations]]
op = "create_environment"

[[operations]]
op = "copy_credentials"
from = { environment = "staging", prefix = "bulk/" }
to = { prefix = "bulk/" }
"#;

async fn job(s: &Session, base: &str, id: &str) -> Value {
    s.get(base, &format!("/api/v1/jobs/{id}")).await.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_apply_cut_off_in_dc3_is_interrupted_and_resumed_from_dc1_losing_nothing() {
    let changesets = tempfile::tempdir().unwrap();
    std::fs::write(changesets.path().join("010.toml"), COPY).unwrap();
    let dir = changesets.path().display().to_string();
    let flags = [
        "--changesets-dir",
        &dir,
        "--job-heartbeat-secs",
        "1",
        "--job-stale-secs",
        "3",
    ];
    let dev = DevWan::start_with("80ms", &flags).await;
    let [dc1, dc3] = [&dev.instances[0], &dev.instances[2]];
    seed(&dev).await;

    // Plan and apply through dc3; the apply's writes go to the leader over the WAN.
    let lead = Session::login(dc3).await.unwrap();
    let plan = lead
        .write(Method::POST, dc3, "/api/v1/changesets/plan", &json!({}))
        .await;
    assert_eq!(plan.status, 200, "{:?}", plan.body);
    let hash = plan.body["plan_hash"].as_str().unwrap().to_owned();
    let started = lead
        .write(
            Method::POST,
            dc3,
            "/api/v1/changesets/apply",
            &json!({"plan_hash": hash}),
        )
        .await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    let id = started.body["job_id"].as_str().unwrap().to_owned();
    crate::helpers::eventually(
        "the apply is under way",
        Duration::from_secs(30),
        || async {
            let p = job(&lead, dc3, &id).await;
            (p["done"].as_u64().unwrap_or(0) > 0).then_some(())
        },
    )
    .await;

    // Cut dc3 off mid-way: dc1 sees the job interrupted once its heartbeat is stale.
    assert_eq!(dev.relay("partition", "dc3").await.0, 200);
    let ops = Session::login(dc1).await.unwrap();
    let p = crate::helpers::eventually(
        "dc1 shows the job interrupted",
        Duration::from_secs(30),
        || async {
            let p = job(&ops, dc1, &id).await;
            (p["state"] == "interrupted").then_some(p)
        },
    )
    .await;
    let done_then = p["done"].as_u64().unwrap();
    assert!(done_then < N as u64 + 1, "the cut came before the end: {p}");

    // Resume from dc1, from the cursor, to the end.
    // The apply lock's heartbeat goes stale with the job's, a moment apart: until then the
    // resume is told who holds it (409), never accepted twice.
    crate::helpers::eventually(
        "the resume is accepted on dc1",
        Duration::from_secs(15),
        || async {
            let url = format!("/api/v1/jobs/{id}/resume");
            let r = ops
                .write(
                    Method::POST,
                    dc1,
                    &url,
                    &json!({"reason": "dc3 is cut off"}),
                )
                .await;
            match (r.status, r.code()) {
                (202, _) => Some(()),
                (409, Some("changesets_locked")) => None,
                _ => panic!("resume on dc1: {:?}", r.body),
            }
        },
    )
    .await;
    let end = eventually(
        "the resumed apply ending",
        Duration::from_secs(120),
        || async {
            let p = job(&ops, dc1, &id).await;
            let ended = p["state"] != "running" && p["state"] != "interrupted";
            ended.then_some(p)
        },
    )
    .await;
    assert_eq!(end["state"], "done", "{end}");
    assert_copied_once(&dev).await;

    // After the heal the cut-off runner has nothing left to say: the job stays done.
    assert_eq!(dev.relay("heal", "dc3").await.0, 200);
    dev.converged(Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(job(&lead, dc3, &id).await["state"], "done");
    assert_copied_once(&dev).await;
    let status = ops.get(dc1, "/api/v1/changesets").await;
    let cs = status
        .body
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == "010-copy"))
        .cloned();
    assert_eq!(
        cs.map(|c| c["status"].clone()),
        Some(json!("applied")),
        "{:?}",
        status.body
    );
}

/// `N` credentials in staging, written straight into OpenBao.
async fn seed(dev: &DevWan) {
    let http = reqwest::Client::new();
    let leader = dev.leader().await.unwrap();
    let api = dev.nodes[leader].api.clone();
    stream::iter(0..N)
        .map(|i| {
            let (http, api) = (http.clone(), api.clone());
            async move {
                let r = http
                    .post(format!("{api}/v1/env/staging/data/bulk/c{i}"))
                    .header("X-Vault-Token", ROOT)
                    .json(&json!({"data": {"v": format!("value-{i}")}}))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                let meta = json!({"custom_metadata": {"class": "service", "owner": "wan", "environment": "staging"}});
                let r = http
                    .post(format!("{api}/v1/env/staging/metadata/bulk/c{i}"))
                    .header("X-Vault-Token", ROOT)
                    .json(&meta)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}

/// Every credential is in qa, with its value, at version 1 (written once).
async fn assert_copied_once(dev: &DevWan) {
    let leader = dev.leader().await.unwrap();
    let wrong: Vec<String> = stream::iter(0..N)
        .map(|i| async move {
            let v = dev
                .bao_read(leader, &format!("env/qa/data/bulk/c{i}"))
                .await;
            match v {
                Ok(v)
                    if v["data"]["data"]["v"] == format!("value-{i}")
                        && v["data"]["metadata"]["version"] == 1 =>
                {
                    None
                }
                other => Some(format!("c{i}: {other:?}")),
            }
        })
        .buffer_unordered(16)
        .filter_map(|w| async move { w })
        .collect()
        .await;
    assert!(
        wrong.is_empty(),
        "{} wrong: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
}
