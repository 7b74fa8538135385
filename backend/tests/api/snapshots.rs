//! Store snapshots on the embedded store (a real single-node Raft OpenBao): a take and a
//! restore drill of 10,000 credentials, a corrupted file, a snapshot of another store,
//! and a store without Raft. Through the library, through `crypter snapshot`, and as the
//! built-in runbook's `snapshot` step.

use crate::helpers::{expect_status, serve_backend, Admin, ADMIN_PASSWORD};
use crypter::bao::Bao;
use crypter::config::Settings;
use crypter::embedded::{free_loopback_port, start_dev, start_managed, LocalCluster, Managed};
use crypter::snapshots::{self, DrillOptions, Folder, SnapshotError};
use futures_util::stream::{self, StreamExt};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use sha2::Digest;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_crypter");

/// The embedded store under `dir`, bootstrapped (its environments and policies).
async fn embedded(dir: &Path) -> Managed {
    let managed = start_managed(dir, None)
        .await
        .expect("start the embedded store");
    let password = SecretString::from("snapshot-admin-pw".to_owned());
    crypter::bootstrap::bootstrap(&managed.bao, &managed.root_token, Some(&password))
        .await
        .expect("bootstrap");
    managed
}

/// `n` credentials over staging and production, straight to OpenBao, 128 at a time.
async fn fill(bao: &Bao, root: &SecretString, n: usize) {
    stream::iter(0..n)
        .map(|i| async move {
            let env = if i % 2 == 0 { "staging" } else { "production" };
            bao.write(
                &format!("env/{env}/data/svc/team-{}/c{i:05}", i % 40),
                root,
                &json!({"data": {"user": format!("u{i}"), "password": format!("p-{i}-secret")}}),
            )
            .await
            .unwrap();
        })
        .buffer_unordered(128)
        .collect::<Vec<_>>()
        .await;
}

/// `crypter snapshot ARGS` on the embedded store under `data`: (exit code, stdout, stderr).
async fn cli(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(BIN)
        .arg("snapshot")
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("BAO_ADDR")
        .env_remove("BAO_TOKEN")
        .env_remove("CRYPTER_SNAPSHOTS_DIR")
        .env_remove("CRYPTER_SNAPSHOT_KEY_FILE")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_snapshot_of_10000_credentials_is_taken_and_its_drill_passes_within_60_s() {
    let dir = tempfile::tempdir().unwrap();
    let store = embedded(dir.path()).await;
    let (bao, root) = (store.bao.clone(), store.root_token.clone());
    let t = Instant::now();
    fill(&bao, &root, 10_000).await;
    eprintln!(
        "wrote 10,000 credentials in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let folder = Folder::in_data_dir(dir.path());
    let record = snapshots::take(&bao, &root, &folder).await.unwrap();
    assert_eq!(record.store.cluster_id.len(), 36, "{record:?}");
    assert!(record.size_bytes > 1_000_000, "{record:?}");
    let key_mode = std::fs::metadata(&folder.key_file).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&key_mode.permissions()) & 0o777,
        0o600
    );
    // Encrypted at rest: no credential path shows in the file.
    let file = std::fs::read(folder.dir.join(&record.file)).unwrap();
    assert!(!file.windows(6).any(|w| w == b"c00042"));

    // Embedded: the unseal key comes from bao-init.json.
    let files = crypter::embedded::read_embedded(dir.path()).unwrap();
    let options = DrillOptions {
        unseal_keys: vec![files.unseal_key],
        sample: 50,
    };
    let report = snapshots::drill(&bao, &root, &folder, &record.id, &options)
        .await
        .unwrap();
    let rto = report.rto_seconds.unwrap();
    eprintln!(
        "take {:.1} s, drill {:.1} s (RTO {rto:.1} s)",
        record.take_seconds, report.total_seconds
    );
    assert!(report.passed, "{report:?}");
    let creds = report.credentials.as_ref().unwrap();
    assert_eq!(creds.in_snapshot, 10_000, "{creds:?}");
    assert!(creds.sampled >= 50 && creds.matched >= 50, "{creds:?}");
    assert_eq!(creds.mounts, ["env/production", "env/staging"]);
    let policies = report.policies.as_ref().unwrap();
    assert!(policies.matched && policies.count >= 4, "{policies:?}");
    assert!(
        record.take_seconds + report.total_seconds < 60.0,
        "{report:?}"
    );

    // `crypter snapshot take` finds the embedded store (its address and root token) from
    // the data directory alone.
    let (code, out, err) = cli(dir.path(), &["take", "--json"]).await;
    assert_eq!(code, 0, "{err}");
    let second: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        second["store"]["cluster_id"],
        record.store.cluster_id.as_str()
    );

    // The drill is recorded beside the snapshot, and `crypter snapshot list` shows it.
    let (code, out, err) = cli(dir.path(), &["list", "--json"]).await;
    assert_eq!(code, 0, "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed[0]["id"], record.id.as_str());
    assert_eq!(listed[0]["sha256"], record.sha256.as_str());
    assert_eq!(listed[0]["drill"]["passed"], true, "{listed}");
    assert_eq!(listed[1]["id"], second["id"], "{listed}");
    assert!(listed[1]["drill"].is_null(), "{listed}");
    // The live store was only read.
    let live = bao
        .read("env/staging/data/svc/team-2/c00042", &root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live["data"]["metadata"]["version"], 1);
    store.process.stop().await.unwrap();
}

/// A Raft store you run (`crypter snapshot --bao-addr`): one node on loopback ports.
async fn raft_store(dir: &Path) -> LocalCluster {
    LocalCluster::start(1, &dir.join("cluster")).await.unwrap()
}

/// `crypter snapshot ARGS` against `store` as an OpenBao you run: its root token in
/// BAO_TOKEN, its unseal key in CRYPTER_UNSEAL_KEYS.
async fn cli_on(store: &LocalCluster, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(BIN)
        .arg("snapshot")
        .args(args)
        .args(["--bao-addr", &store.nodes[0].url()])
        .env("BAO_TOKEN", store.root_token.expose_secret())
        .env("CRYPTER_UNSEAL_KEYS", store.unseal_key.expose_secret())
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_corrupted_snapshot_is_reported_as_such_and_never_restored() {
    let dir = tempfile::tempdir().unwrap();
    let store = raft_store(dir.path()).await;
    let kept = dir.path().join("kept");
    let kept_arg = kept.to_string_lossy().into_owned();
    let (code, out, err) = cli_on(&store, &["take", "--json", "--dir", &kept_arg]).await;
    assert_eq!(code, 0, "{err}");
    let record: Value = serde_json::from_str(&out).unwrap();
    let id = record["id"].as_str().unwrap();
    let file = kept.join(format!("{id}.snap.enc"));
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();

    let (code, _, err) = cli_on(&store, &["drill", id, "--dir", &kept_arg]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "snapshot {id} is corrupted (checksum of {id}.snap.enc is sha256:"
        )),
        "{err}"
    );
    assert!(err.contains("it was not restored"), "{err}");
    let (_, out, _) = cli_on(&store, &["list", "--json", "--dir", &kept_arg]).await;
    let listed: Value = serde_json::from_str(&out).unwrap();
    let drill = &listed[0]["drill"];
    assert_eq!(drill["passed"], false, "{listed}");
    assert!(
        drill["rto_seconds"].is_null(),
        "no scratch store was started: {drill}"
    );

    // A file changed along with its recorded checksum still does not decrypt.
    let folder = Folder::new(kept, None);
    let record_file = folder.dir.join(format!("{id}.json"));
    let mut rec: Value = serde_json::from_slice(&std::fs::read(&record_file).unwrap()).unwrap();
    rec["encrypted_sha256"] = json!(hex::encode(sha2::Sha256::digest(&bytes)));
    std::fs::write(&record_file, serde_json::to_vec(&rec).unwrap()).unwrap();
    let bao = store.bao(None).unwrap();
    let options = DrillOptions {
        unseal_keys: vec![store.unseal_key.clone()],
        sample: 20,
    };
    let e = snapshots::drill(&bao, &store.root_token, &folder, id, &options)
        .await
        .unwrap_err();
    assert!(matches!(e, SnapshotError::Corrupted { .. }), "{e}");
    assert!(
        e.to_string().contains("does not decrypt under its key"),
        "{e}"
    );
    store.stop().await;
}

#[tokio::test]
async fn a_snapshot_of_another_store_is_refused_and_nothing_is_restored() {
    let dir = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    let (a, b) = tokio::join!(raft_store(&dir_a), raft_store(&dir_b));
    let folder = Folder::new(dir.path().join("kept"), None);
    let record = snapshots::take(&a.bao(None).unwrap(), &a.root_token, &folder)
        .await
        .unwrap();
    a.stop().await;

    let options = DrillOptions {
        unseal_keys: vec![b.unseal_key.clone()],
        sample: 20,
    };
    let bao_b = b.bao(None).unwrap();
    let e = snapshots::drill(&bao_b, &b.root_token, &folder, &record.id, &options)
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, SnapshotError::OtherStore { .. }), "{text}");
    assert!(
        text.contains(&format!("snapshot {} is of another store", record.id))
            && text.contains("nothing was restored"),
        "{text}"
    );
    assert!(snapshots::list(&folder).unwrap()[0].drill.is_none());
    assert!(
        !bao_b.health().await.unwrap().sealed,
        "store B is untouched"
    );

    // Through the CLI, the same.
    let kept = folder.dir.to_string_lossy().into_owned();
    let (code, _, err) = cli_on(&b, &["drill", &record.id, "--dir", &kept]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is of another store"), "{err}");
    b.stop().await;
}

#[tokio::test]
async fn a_store_without_raft_cannot_be_snapshotted() {
    let root = SecretString::from("snapshot-dev-root".to_owned());
    let addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
    let (process, bao) = start_dev(addr, &root).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let folder = Folder::new(dir.path().join("snapshots"), None);
    let e = snapshots::take(&bao, &root, &folder).await.unwrap_err();
    assert!(matches!(e, SnapshotError::NotRaft { .. }), "{e}");
    assert!(snapshots::list(&folder).unwrap().is_empty());

    let out = tokio::process::Command::new(BIN)
        .args(["snapshot", "take", "--dir"])
        .arg(&folder.dir)
        .env("BAO_ADDR", format!("http://{addr}"))
        .env("BAO_TOKEN", root.expose_secret())
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "the store at http://{addr} does not use Raft storage"
        )) && err.contains("crypter dev"),
        "{err}"
    );
    process.stop().await.unwrap();
}

/// The built-in runbook's `snapshot` step on the embedded store, through the API: after
/// the freeze, it takes a snapshot, drills its restore, passes, and the run's report names
/// the snapshot, its checksum, the drill's result and the RTO.
#[tokio::test]
async fn the_runbooks_snapshot_step_drills_the_embedded_store_and_its_report_names_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let store = start_managed(dir.path(), None).await.unwrap();
    let (bao, root) = (store.bao.clone(), store.root_token.clone());
    let password = SecretString::from(ADMIN_PASSWORD.to_owned());
    crypter::bootstrap::bootstrap(&bao, &root, Some(&password))
        .await
        .unwrap();
    fill(&bao, &root, 200).await;
    let creds = crypter::bootstrap::issue_credentials(&bao, &root)
        .await
        .unwrap();
    let settings = Settings {
        embedded_data_dir: Some(dir.path().to_owned()),
        ..Settings::default()
    };
    let app = serve_backend(bao.clone(), settings, creds).await;
    let admin = Admin::new(&app).await;
    let start = json!({"template": "store-migration", "title": "Move to dc2",
        "environments": ["staging"]});
    let run = expect_status(
        admin.send(Method::POST, "/runbooks", Some(start)).await,
        StatusCode::CREATED,
    )
    .await;
    let id = run["id"].as_str().unwrap().to_owned();
    let act = |step: &'static str, action: &'static str, body: Value| {
        let path = format!("/runbooks/{id}/steps/{step}/{action}");
        let admin = &admin;
        async move {
            let run = expect_status(
                admin.send(Method::POST, &path, Some(body)).await,
                StatusCode::OK,
            )
            .await;
            run["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["id"] == step)
                .unwrap()
                .clone()
        }
    };
    act("announce", "complete", json!({"note": "announced"})).await;
    for step in ["freeze", "verify-freeze"] {
        let s = act(step, "run", json!({})).await;
        assert_eq!(s["state"], "passed", "{step}: {s}");
    }

    let step = act("snapshot", "run", json!({})).await;
    assert_eq!(step["state"], "passed", "{step}");
    let evidence = &step["evidence"];
    let snapshot_id = evidence["snapshot"]["id"].as_str().unwrap();
    let sha = evidence["snapshot"]["sha256"].as_str().unwrap();
    let drill = &evidence["drill"];
    assert_eq!(drill["passed"], true, "{drill}");
    assert_eq!(drill["credentials"]["in_snapshot"], 200, "{drill}");
    assert_eq!(drill["credentials"]["matched"], 20, "{drill}");
    assert_eq!(drill["policies"]["matched"], true, "{drill}");
    let rto = drill["rto_seconds"].as_f64().unwrap();
    assert!(rto > 0.0 && rto < 60.0, "{drill}");
    let summary = step["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("snapshot {snapshot_id}: drill passed"))
            && summary.contains("(RTO)"),
        "{summary}"
    );

    // Kept under the data directory, with its drill, as `crypter snapshot list` shows it.
    let kept = snapshots::list(&Folder::in_data_dir(dir.path())).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].id, snapshot_id);
    assert!(kept[0].drill.as_ref().unwrap().passed);

    let resp = admin
        .send(Method::GET, &format!("/runbooks/{id}/report.md"), None)
        .await;
    let md = resp.text().await.unwrap();
    for wanted in [
        format!("Snapshot `{snapshot_id}` of {}", bao.addr()),
        format!("sha256:`{sha}`"),
        format!("Drill PASSED: restored and unsealed on a scratch store in {rto:.1} s (RTO)"),
        "20 sampled of 200 in 2 environment(s): 20 matched".to_owned(),
        "all matched".to_owned(),
    ] {
        assert!(md.contains(&wanted), "{wanted} missing from:\n{md}");
    }
    store.process.stop().await.unwrap();
}
