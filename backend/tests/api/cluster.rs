//! `GET /api/v1/cluster` and failover, against real OpenBao: a single dev node, and a real
//! 3-node Raft cluster on loopback ports (`LocalCluster`, as `crypter dev --nodes 3`).

use crate::helpers::{
    browser, eventually, expect_error, serve_backend, spawn_app, TestApp, ADMIN_PASSWORD,
};
use crypter::config::Settings;
use crypter::embedded::LocalCluster;
use crypter_api::ClusterView;
use reqwest::{Client, StatusCode};
use secrecy::SecretString;
use serde_json::json;
use std::time::{Duration, Instant};

impl TestApp {
    pub async fn cluster(&self, client: &Client) -> reqwest::Response {
        client.get(self.url("/cluster")).send().await.unwrap()
    }

    pub async fn cluster_view(&self, client: &Client) -> ClusterView {
        let resp = self.cluster(client).await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }
}

/// A 3-node cluster (dc1, dc2, dc3), bootstrapped, with the backend over all three nodes,
/// preferring dc1, and its health loop running as in production.
async fn spawn_cluster_app() -> (TestApp, LocalCluster, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let cluster = LocalCluster::start(3, &dir.path().join("cluster"))
        .await
        .expect("start a 3-node cluster");
    let bao = cluster.bao(Some("dc1")).unwrap();
    crypter::bootstrap::bootstrap(
        &bao,
        &cluster.root_token,
        Some(&SecretString::from(ADMIN_PASSWORD.to_owned())),
    )
    .await
    .expect("bootstrap the cluster");
    bao.check_nodes().await;
    let creds = crypter::bootstrap::issue_credentials(&bao, &cluster.root_token)
        .await
        .expect("backend credentials");
    let settings = Settings {
        login_per_minute: 10_000,
        login_burst: 10_000,
        audit_logs: cluster.audit_logs(),
        ..Settings::default()
    };
    let mut app = serve_backend(bao, settings, creds).await;
    app.root = cluster.root_token.clone();
    (app, cluster, dir)
}

#[tokio::test]
async fn cluster_needs_a_session_and_is_documented() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get_json(&browser(), "/openapi.json").await;
    assert!(doc["paths"]["/api/v1/cluster"]["get"].is_object());
    assert!(doc["components"]["schemas"]["ClusterView"].is_object());
    expect_error(
        app.cluster(&browser()).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn cluster_is_refused_to_a_user_whose_policy_cannot_read_it() {
    let app = spawn_app().await;
    app.bao
        .write(
            "auth/userpass/users/viewer",
            &app.root,
            &json!({"password": "viewer-password", "token_policies": ["default"]}),
        )
        .await
        .unwrap();
    let client = browser();
    assert_eq!(
        app.login(&client, "viewer", "viewer-password")
            .await
            .status(),
        StatusCode::OK
    );
    expect_error(
        app.cluster(&client).await,
        StatusCode::FORBIDDEN,
        "store_forbidden",
    )
    .await;
}

#[tokio::test]
async fn a_single_dev_node_shows_as_one_healthy_node() {
    let app = spawn_app().await;
    app.bao.check_nodes().await;
    let (client, _) = app.admin().await;
    let view = app.cluster_view(&client).await;
    assert_eq!(view.nodes.len(), 1);
    assert!(view.nodes[0].healthy && view.nodes[0].configured);
    assert!(view.healthy);
    // The dev server has no Raft storage: that part of the picture is a warning.
    assert!(
        view.warnings.iter().any(|w| w.contains("raft")),
        "{:?}",
        view.warnings
    );
}

#[tokio::test]
async fn three_nodes_one_leader_and_a_killed_standby_shows_unhealthy() {
    let (app, mut cluster, _dir) = spawn_cluster_app().await;
    let (client, _) = app.admin().await;
    let view = app.cluster_view(&client).await;
    assert_eq!(view.nodes.len(), 3, "{view:?}");
    assert_eq!(view.nodes.iter().filter(|n| n.leader).count(), 1);
    assert!(view.nodes.iter().all(|n| n.healthy && n.voter));
    let mut dcs: Vec<_> = view
        .nodes
        .iter()
        .map(|n| n.datacenter.clone().unwrap())
        .collect();
    dcs.sort();
    assert_eq!(dcs, ["dc1", "dc2", "dc3"]);
    assert_eq!(view.datacenter.as_deref(), Some("dc1"));
    // Every node has its own audit log (one declaration, a relative path, each node in
    // its own folder), and the feed reads all of them: the admin's login is in it.
    let feed: crypter_api::ActivityPage = app.get_json(&client, "/activity?limit=500").await;
    assert_eq!(feed.feed.sources.len(), 3, "{:?}", feed.feed);
    assert!(feed
        .events
        .iter()
        .any(|e| e.action == "session.login" && e.actor == "admin"));

    let leader = cluster.leader().await.unwrap();
    let standby = (leader + 1) % 3;
    let standby_url = cluster.nodes[standby].url();
    // A backend in the standby's data center reads from it, until it dies: then the very
    // next read fails over by itself (one retry), before any health check has noticed.
    let local = cluster
        .bao(Some(&cluster.nodes[standby].datacenter))
        .unwrap();
    local.check_nodes().await;
    assert!(local.read("sys/mounts", &app.root).await.unwrap().is_some());
    cluster.kill(standby).await.unwrap();
    assert!(local.read("sys/mounts", &app.root).await.unwrap().is_some());
    let statuses = local.node_statuses();
    let (_, down) = statuses.iter().find(|(s, _)| s.url == standby_url).unwrap();
    assert!(!down.healthy(), "the failed read marked the node down");
    app.bao.check_nodes().await;

    // The console keeps working: log in again (a write), read the cluster, write and read.
    let (client, _) = app.admin().await;
    let view = app.cluster_view(&client).await;
    let down = view
        .nodes
        .iter()
        .find(|n| n.api_addr.as_deref() == Some(standby_url.as_str()))
        .unwrap();
    assert!(!down.healthy && !down.reachable, "{down:?}");
    assert!(!view.healthy);
    assert_eq!(view.nodes.iter().filter(|n| n.healthy).count(), 2);
    let health: crypter_api::Health = app.get_json(&browser(), "/health").await;
    assert_eq!(
        (health.status.as_str(), health.store.nodes_down),
        ("degraded", 1)
    );
    app.bao
        .write(
            "crypter/data/probe",
            &app.root,
            &json!({"data": {"k": "v"}}),
        )
        .await
        .unwrap();
    assert!(app.bao_has("crypter/data/probe").await);
    cluster.stop().await;
}

#[tokio::test]
async fn after_the_leader_dies_reads_and_writes_work_again() {
    let (app, mut cluster, _dir) = spawn_cluster_app().await;
    let health_loop = app.bao.spawn_health_loop();
    let leader = cluster.leader().await.unwrap();
    let old_leader = cluster.nodes[leader].node_id.clone();
    cluster.kill(leader).await.unwrap();
    let killed = Instant::now();

    // Through the backend's HTTP API: a userpass login writes a token, so it needs the
    // active node. Retry until it works, and measure.
    let logins = std::cell::Cell::new(0);
    let took = eventually("a login", Duration::from_secs(60), || async {
        logins.set(logins.get() + 1);
        let resp = app.login(&browser(), "admin", ADMIN_PASSWORD).await;
        if resp.status() == StatusCode::OK {
            return Some(killed.elapsed());
        }
        eprintln!("{:.2?}: login answered {}", killed.elapsed(), resp.status());
        None
    })
    .await;
    println!(
        "API logins (writes) work again {took:.2?} after the leader was killed ({} attempts)",
        logins.get()
    );

    // And the backend's store client: a KV write, then reading it back at once.
    let attempts = 1;
    app.bao
        .write(
            "crypter/data/failover",
            &app.root,
            &json!({"data": {"n": attempts.to_string()}}),
        )
        .await
        .unwrap();
    let read = app
        .bao
        .read("crypter/data/failover", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read["data"]["data"]["n"], attempts.to_string());

    // Through the API as well: a login (a write), then the cluster view settles on a new
    // leader with the dead node as the only unhealthy one (autopilot needs a moment).
    let (client, _) = app.admin().await;
    eventually("the view settling", Duration::from_secs(30), || async {
        app.bao.check_nodes().await;
        let view = app.cluster_view(&client).await;
        let settled = view.nodes.len() == 3
            && view.leader.as_deref().is_some_and(|l| l != old_leader)
            && view.nodes.iter().filter(|n| n.healthy).count() == 2
            && view
                .nodes
                .iter()
                .any(|n| n.node_id.as_deref() == Some(old_leader.as_str()) && !n.healthy);
        if !settled {
            eprintln!("not settled yet: {view:?}");
        }
        settled.then_some(())
    })
    .await;
    health_loop.abort();
    cluster.stop().await;
}

/// What the console sees during a leader election: a read every 100 ms through the API
/// while the leader is SIGKILLed. No read may fail (each waits out the election within
/// its deadline); the first successful write's delay is printed.
#[tokio::test]
async fn no_read_fails_while_the_cluster_elects_a_new_leader() {
    let (app, mut cluster, _dir) = spawn_cluster_app().await;
    let health_loop = app.bao.spawn_health_loop();
    let (client, s) = app.admin().await;
    let url = app.url("/environments/staging/credentials/failover/db");
    let put = |n: u32| {
        client
            .put(&url)
            .header(crypter_api::CSRF_HEADER, &s.csrf_token)
            .json(&json!({"data": {"n": n.to_string()}, "class": "service"}))
            .send()
    };
    assert_eq!(put(0).await.unwrap().status(), StatusCode::OK);

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let reader = {
        let (client, url, stop, count) = (client.clone(), url.clone(), stop.clone(), count.clone());
        tokio::spawn(async move {
            let (mut reads, mut failed) = (0u32, Vec::new());
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                tick.tick().await;
                let started = Instant::now();
                let resp = client.get(&url).send().await.unwrap();
                reads += 1;
                count.store(reads, std::sync::atomic::Ordering::SeqCst);
                let status = resp.status();
                if status != StatusCode::OK {
                    failed.push(format!("{status} {}", resp.text().await.unwrap()));
                } else if started.elapsed() > Duration::from_millis(500) {
                    eprintln!("a read waited {:.2?} for the election", started.elapsed());
                }
            }
            (reads, failed)
        })
    };
    // The reader is reading before the leader dies.
    reads_past(&count, 3).await;
    let leader = cluster.leader().await.unwrap();
    cluster.kill(leader).await.unwrap();
    let killed = Instant::now();
    let n = std::cell::Cell::new(0);
    let wrote = eventually("a write", Duration::from_secs(60), || async {
        n.set(n.get() + 1);
        let status = put(n.get()).await.unwrap().status();
        (status == StatusCode::OK).then(|| killed.elapsed())
    })
    .await;
    println!(
        "first successful write {wrote:.2?} after the leader was SIGKILLed ({} attempts)",
        n.get()
    );
    // Keep reading a little past the election (ten more reads), then stop.
    reads_past(&count, count.load(std::sync::atomic::Ordering::SeqCst) + 10).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (reads, failed) = reader.await.unwrap();
    println!(
        "{reads} reads every 100 ms through the failover, {} failed",
        failed.len()
    );
    assert!(reads >= 10, "the reader ran: {reads}");
    assert!(failed.is_empty(), "failed reads: {failed:#?}");
    health_loop.abort();
    cluster.stop().await;
}

/// Wait until the reader has made `n` reads (it makes one every 100 ms).
async fn reads_past(count: &std::sync::atomic::AtomicU32, n: u32) {
    eventually("the reader reading on", Duration::from_secs(60), || async {
        (count.load(std::sync::atomic::Ordering::SeqCst) >= n).then_some(())
    })
    .await;
}
