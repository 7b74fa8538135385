//! Notifications against a real bao and a real HTTP receiver: signed deliveries of writes
//! made straight in OpenBao, never a value; a receiver that was down gets every event, in
//! order; two instances deliver each event once; bad input is a 400; OpenBao decides who
//! manages subscriptions.

use crate::helpers::*;
use crypter::activity::AuditFeed;
use crypter::notifications::deliver::{self, Schedule};
use crypter_api::{DeadLetter, DeliveryResult, Subscription, SubscriptionCreated};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Each request: its `X-Crypter-Signature` and raw body.
type Requests = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A receiver that records every request; answers 503 while "down". (The reminders'
/// tests use it too.)
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    got: Requests,
    down: Arc<AtomicBool>,
}

impl Receiver {
    pub(crate) async fn start() -> (Self, String) {
        let r = Self::default();
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                |axum::extract::State(r): axum::extract::State<Receiver>,
                 headers: axum::http::HeaderMap,
                 body: axum::body::Bytes| async move {
                    if r.down.load(Ordering::SeqCst) {
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let sig = headers
                        .get("x-crypter-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    r.got.lock().unwrap().push((sig, body.to_vec()));
                    StatusCode::OK
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app.with_state(state)).await.unwrap();
        });
        (r, url)
    }

    pub(crate) fn bodies(&self) -> Vec<Value> {
        let got = self.got.lock().unwrap();
        got.iter()
            .map(|(_, b)| serde_json::from_slice(b).unwrap())
            .collect()
    }

    /// Each body as text.
    pub(crate) fn texts(&self) -> Vec<String> {
        let got = self.got.lock().unwrap();
        got.iter()
            .map(|(_, b)| String::from_utf8(b.clone()).unwrap())
            .collect()
    }

    /// The delivered paths, in order, test sends apart.
    fn paths(&self) -> Vec<String> {
        self.bodies()
            .iter()
            .filter(|b| b["test"] != true)
            .map(|b| b["path"].as_str().unwrap().to_owned())
            .collect()
    }
}

pub(crate) fn fast() -> Schedule {
    Schedule {
        tick: Duration::from_millis(100),
        backoff: [100, 200, 400, 800]
            .into_iter()
            .map(Duration::from_millis)
            .collect(),
        timeout: Duration::from_secs(2),
        stale_after: 2,
        settle: Duration::from_millis(300),
        batch: 500,
    }
}

fn deliver_for(app: &TestApp, schedule: Schedule) -> tokio::task::JoinHandle<()> {
    deliver::spawn(
        app.state.activity.clone(),
        app.state.records.clone(),
        schedule,
    )
}

async fn subscribe(app: &TestApp, c: &Caller, url: &str, actions: &[&str]) -> SubscriptionCreated {
    let body = json!({"name": "ops", "target": {"kind": "webhook", "url": url},
        "environments": ["staging"], "path_prefix": "notify/", "actions": actions});
    let r = c
        .call(app, Method::POST, "/notifications/subscriptions", body)
        .await;
    serde_json::from_value(expect_status(r, StatusCode::CREATED).await).unwrap()
}

async fn write_direct(app: &TestApp, env: &str, path: &str, value: &str) {
    app.bao
        .write(
            &format!("env/{env}/data/{path}"),
            &app.root,
            &json!({"data": {"value": value}}),
        )
        .await
        .unwrap();
}

fn verifies(secret: &str, header: &str, body: &[u8]) -> bool {
    let parts: std::collections::HashMap<&str, &str> = header
        .split(',')
        .filter_map(|p| p.split_once('='))
        .collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{}.", parts["t"]).as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes()) == parts["v1"]
}

async fn wait_paths(r: &Receiver, n: usize, within: Duration) -> Vec<String> {
    eventually("deliveries", within, || async {
        let p = r.paths();
        (p.len() >= n).then_some(p)
    })
    .await
}

#[tokio::test]
async fn a_direct_write_is_delivered_signed_once_and_without_its_value() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    let (receiver, url) = Receiver::start().await;
    write_direct(&app, "staging", "notify/before", "old-value").await;
    let made = subscribe(&app, &admin, &url, &["credential.write"]).await;
    assert!(made.secret.starts_with("whsec_"));
    let _loop = deliver_for(&app, fast());
    write_direct(&app, "production", "notify/other-env", "x").await;
    write_direct(&app, "staging", "elsewhere/x", "x").await;
    write_direct(&app, "staging", "notify/direct", "notify-secret-value").await;
    let paths = wait_paths(&receiver, 1, Duration::from_secs(10)).await;
    assert_eq!(
        paths,
        ["notify/direct"],
        "only the matching write, after the creation"
    );
    let (sig, raw) = receiver.got.lock().unwrap()[0].clone();
    assert!(verifies(&made.secret, &sig, &raw), "{sig}");
    assert!(!verifies("whsec_other", &sig, &raw));
    let text = String::from_utf8(raw.clone()).unwrap();
    assert!(
        !text.contains("notify-secret-value") && !text.contains("hmac-sha256"),
        "{text}"
    );
    let body: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        (&body["action"], &body["environment"], &body["actor"]),
        (
            &json!("credential.write"),
            &json!("staging"),
            &json!("root")
        )
    );
    assert!(body["id"].as_str().is_some_and(|s| !s.is_empty()) && body["at"].is_string());
    assert!(body["link"].as_str().unwrap().starts_with("/credentials?"));

    // Send test: the real shape, marked, signed; the receiver's answer comes back.
    let id = &made.subscription.id;
    let r = admin
        .call(
            &app,
            Method::POST,
            &format!("/notifications/subscriptions/{id}/test"),
            json!({}),
        )
        .await;
    let result: DeliveryResult =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert_eq!((result.delivered, result.status), (true, Some(200)));
    let (sig, raw) = receiver.got.lock().unwrap().last().unwrap().clone();
    assert!(verifies(&made.secret, &sig, &raw));
    assert_eq!(serde_json::from_slice::<Value>(&raw).unwrap()["test"], true);

    // Listed and read without the secret; removed, nothing more is delivered.
    let listed: Vec<Subscription> = app
        .get_json(&admin.client, "/notifications/subscriptions")
        .await;
    assert_eq!(listed, std::slice::from_ref(&made.subscription));
    let raw_list = admin
        .call(
            &app,
            Method::GET,
            "/notifications/subscriptions",
            json!(null),
        )
        .await;
    assert!(!raw_list.text().await.unwrap().contains("secret"));
    let r = admin
        .call(
            &app,
            Method::DELETE,
            &format!("/notifications/subscriptions/{id}"),
            json!(null),
        )
        .await;
    expect_status(r, StatusCode::NO_CONTENT).await;
    let r = admin
        .call(
            &app,
            Method::GET,
            &format!("/notifications/subscriptions/{id}"),
            json!(null),
        )
        .await;
    expect_status(r, StatusCode::NOT_FOUND).await;
    assert_eq!(receiver.paths().len(), 1, "exactly once");
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_every_event_in_order_then_dead_letters() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    let (receiver, url) = Receiver::start().await;
    let made = subscribe(
        &app,
        &admin,
        &url,
        &["credential.write", "credential.delete"],
    )
    .await;
    receiver.down.store(true, Ordering::SeqCst);
    let schedule = Schedule {
        backoff: vec![Duration::from_millis(300); 15],
        ..fast()
    };
    let _loop = deliver_for(&app, schedule);
    let want: Vec<String> = (0..8).map(|i| format!("notify/n{i}")).collect();
    for p in &want {
        write_direct(&app, "staging", p, "v").await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(receiver.paths().is_empty());
    receiver.down.store(false, Ordering::SeqCst);
    let got = wait_paths(&receiver, want.len(), Duration::from_secs(15)).await;
    assert_eq!(got, want, "every event, in order, once");

    // A receiver that never comes back: each event becomes a dead letter after the last retry.
    let (dead, dead_url) = Receiver::start().await;
    dead.down.store(true, Ordering::SeqCst);
    let doomed = subscribe(&app, &admin, &dead_url, &["credential.write"]).await;
    write_direct(&app, "staging", "notify/lost", "v").await;
    let id = &doomed.subscription.id;
    let letters_path = format!("/notifications/subscriptions/{id}/dead-letters");
    // Fifteen retries 300 ms apart, then the dead letter.
    let letters: Vec<DeadLetter> = eventually("a dead letter", Duration::from_secs(20), || async {
        let l: Vec<DeadLetter> = app.get_json(&admin.client, &letters_path).await;
        (!l.is_empty()).then_some(l)
    })
    .await;
    assert_eq!(letters[0].payload.path, "notify/lost");
    assert_eq!(letters[0].attempts, 16);
    dead.down.store(false, Ordering::SeqCst);
    let retry = format!("{letters_path}/{}/retry", letters[0].payload.id);
    let r = admin.call(&app, Method::POST, &retry, json!({})).await;
    let result: DeliveryResult =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert!(result.delivered);
    assert_eq!(dead.paths(), ["notify/lost"]);
    let left: Vec<DeadLetter> = app.get_json(&admin.client, &letters_path).await;
    assert!(left.is_empty());
    // The first subscription, whose receiver answers, got the same event on its own.
    let first = wait_paths(&receiver, want.len() + 1, Duration::from_secs(5)).await;
    assert_eq!(first.last().map(String::as_str), Some("notify/lost"));
    drop(made);
}

#[tokio::test]
async fn two_instances_deliver_each_event_once_and_one_takes_over_when_the_other_dies() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    let (receiver, url) = Receiver::start().await;
    subscribe(&app, &admin, &url, &["credential.write"]).await;
    let log = app
        .bao_process
        .as_ref()
        .unwrap()
        .audit_log()
        .unwrap()
        .to_owned();
    let other = crypter::records::Records::new(app.bao.clone(), app.creds.clone());
    let first = deliver_for(&app, fast());
    let second = deliver::spawn(AuditFeed::new(vec![log], None), other, fast());
    let batch: Vec<String> = (0..10).map(|i| format!("notify/a{i}")).collect();
    for p in &batch {
        write_direct(&app, "staging", p, "v").await;
    }
    let got = wait_paths(&receiver, batch.len(), Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        receiver.paths(),
        batch,
        "each event once, though two instances run"
    );
    assert_eq!(got.len(), 10);

    // Either instance dies; the survivor takes the lease over after it goes stale.
    first.abort();
    let more: Vec<String> = (0..5).map(|i| format!("notify/b{i}")).collect();
    for p in &more {
        write_direct(&app, "staging", p, "v").await;
    }
    let all = wait_paths(&receiver, batch.len() + more.len(), Duration::from_secs(15)).await;
    let mut unique = all.clone();
    unique.dedup();
    assert_eq!(unique, [batch, more].concat(), "none lost, in order");
    second.abort();
}

#[tokio::test]
async fn bad_targets_actions_and_filters_are_clear_400s() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    let store = format!("{}/v1/sys/health", app.bao.addr());
    let cases = [
        (
            json!({"kind": "webhook", "url": "http://hooks.example.com/x"}),
            json!(["credential.write"]),
            json!([]),
            "insecure_target",
        ),
        (
            json!({"kind": "slack", "url": store}),
            json!(["credential.write"]),
            json!([]),
            "target_is_store",
        ),
        (
            json!({"kind": "webhook", "url": "https://hooks.example.com/x"}),
            json!(["credential.frobnicate"]),
            json!([]),
            "unknown_action",
        ),
        (
            json!({"kind": "webhook", "url": "https://hooks.example.com/x"}),
            json!(["credential.write"]),
            json!((0..51).map(|i| format!("e{i}")).collect::<Vec<_>>()),
            "filter_too_large",
        ),
    ];
    for (target, actions, envs, code) in cases {
        let body =
            json!({"name": "bad", "target": target, "environments": envs, "actions": actions});
        let r = admin
            .call(&app, Method::POST, "/notifications/subscriptions", body)
            .await;
        let message = expect_error(r, StatusCode::BAD_REQUEST, code).await;
        assert!(!message.is_empty());
    }
    let listed: Vec<Subscription> = app
        .get_json(&admin.client, "/notifications/subscriptions")
        .await;
    assert!(listed.is_empty());
}

#[tokio::test]
async fn openbao_decides_who_manages_subscriptions() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    let (_receiver, url) = Receiver::start().await;
    let made = subscribe(&app, &admin, &url, &["credential.write"]).await;
    let record = format!(
        "crypter/data/notifications/subscriptions/{}",
        made.subscription.id
    );
    let listing = "crypter/metadata/notifications/subscriptions/";

    // A user who is not an admin: refused through Crypter, and straight at OpenBao.
    let dev = Caller::new_user(&app, "dev1", "dev1-password-long", &["default"]).await;
    let body = json!({"name": "mine", "target": {"kind": "webhook", "url": url}, "actions": ["credential.write"]});
    let r = dev
        .call(&app, Method::POST, "/notifications/subscriptions", body)
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = dev
        .call(
            &app,
            Method::GET,
            "/notifications/subscriptions",
            json!(null),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let token = app.bao_login("dev1", "dev1-password-long").await;
    let forged = json!({"data": {"id": "0000000000000000"}});
    assert_eq!(
        app.bao_status(
            &token,
            Method::POST,
            "crypter/data/notifications/subscriptions/0000000000000000",
            forged.clone()
        )
        .await,
        403
    );
    assert_eq!(
        app.bao_status(&token, Method::GET, &record, json!(null))
            .await,
        403
    );
    assert_eq!(
        app.bao_status(&token, Method::DELETE, &record, json!(null))
            .await,
        403
    );
    assert_eq!(
        app.bao_status(
            &token,
            Method::from_bytes(b"LIST").unwrap(),
            listing,
            json!(null)
        )
        .await,
        403
    );

    // An admin manages subscriptions, but cannot move a delivery cursor or forge a lease.
    let admin_token = app.bao_login("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        app.bao_status(&admin_token, Method::GET, &record, json!(null))
            .await,
        200
    );
    for kind in ["cursors", "leases", "dead-letters"] {
        let path = format!("crypter/data/notifications/{kind}/{}", made.subscription.id);
        assert_eq!(
            app.bao_status(&admin_token, Method::POST, &path, forged.clone())
                .await,
            403,
            "{kind}"
        );
    }
    // The sealed secret in the record opens only with the backend's key.
    let sealed = app.bao.read(&record, &admin_token).await.unwrap().unwrap()["data"]["data"]
        ["secret_sealed"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(sealed.starts_with("vault:") && !sealed.contains(&made.secret));
    let open = json!({"ciphertext": sealed});
    assert_eq!(
        app.bao_status(
            &admin_token,
            Method::POST,
            "crypter-backend-transit/decrypt/sessions",
            open
        )
        .await,
        403
    );
}

const ONE_PUT: &str = r#"id = "001-notify"
author = "ana"
description = "one generated credential"
environment = "staging"
[[operations]]
op = "put_credential"
path = "notify/generated"
class = "service"
owner = "ana"
generate = { length = 16, charset = "hex" }
"#;

/// Product events reach subscriptions through the audit log like any other: a changeset
/// applied and undone, a freeze, a write that got through it, and the thaw, each once, in
/// that order, naming the person (never the backend's own identity).
#[tokio::test]
async fn freezes_breaches_thaws_applies_and_undos_are_delivered_as_events() {
    let t = crate::changesets::spawn_changesets().await;
    let app = &t.app;
    let (receiver, url) = Receiver::start().await;
    let actions = [
        "changeset.apply",
        "changeset.undo",
        "freeze.start",
        "freeze.breach",
        "freeze.thaw",
    ];
    let body = json!({"name": "product", "target": {"kind": "webhook", "url": url},
        "actions": actions});
    let r = t
        .client
        .post(app.url("/notifications/subscriptions"))
        .header(crypter_api::CSRF_HEADER, &t.csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_status(r, StatusCode::CREATED).await;
    let _deliver = deliver_for(app, fast());
    let _watch = crypter::notifications::watch::spawn(
        app.state.activity.clone(),
        app.state.records.clone(),
        Duration::from_millis(200),
    );
    let records = app.state.records.clone();
    eventually("the watcher's first look", Duration::from_secs(10), || {
        let records = records.clone();
        async move {
            let state = records.read("notifications/cursors/watch-freeze").await;
            state.ok().flatten().map(|_| ())
        }
    })
    .await;

    crate::changesets::write_file(t.dir.path(), "001-notify.toml", ONE_PUT);
    t.plan_and_apply().await;
    let r = t
        .client
        .post(app.url("/changesets/001-notify/undo"))
        .header(crypter_api::CSRF_HEADER, &t.csrf)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let undo = expect_status(r, StatusCode::OK).await;
    let r = t.apply_raw(json!({ "plan_hash": undo["plan_hash"] })).await;
    let started = expect_status(r, StatusCode::ACCEPTED).await;
    let job = t.wait(started["job_id"].as_str().unwrap()).await;
    assert_eq!(job.state, crypter_api::JobState::Done, "{job:?}");

    app.freeze_ok(&t.client, &t.csrf, "provisioning").await;
    wait_paths(&receiver, 3, Duration::from_secs(15)).await;
    let policy = json!({"policy": "path \"x/*\" { capabilities = [\"read\"] }"});
    app.bao
        .write("sys/policies/acl/notify-breach", &app.root, &policy)
        .await
        .unwrap();
    wait_paths(&receiver, 4, Duration::from_secs(15)).await;
    let r = app.thaw(&t.client, &t.csrf, None).await;
    expect_status(r, StatusCode::OK).await;
    wait_paths(&receiver, 5, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let got: Vec<(String, String, String)> = receiver
        .bodies()
        .iter()
        .map(|b| {
            let s = |k: &str| b[k].as_str().unwrap_or_default().to_owned();
            (s("action"), s("path"), s("actor"))
        })
        .collect();
    let want = [
        ("changeset.apply", "001-notify", "admin"),
        ("changeset.undo", "001-notify", "admin"),
        ("freeze.start", "provisioning", "admin"),
        ("freeze.breach", "policy/notify-breach", "root"),
        ("freeze.thaw", "provisioning", "admin"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, p, w)| ((*a).into(), (*p).into(), (*w).into()))
        .collect();
    assert_eq!(got, want, "each once, in order");
    let links: Vec<String> = receiver
        .bodies()
        .iter()
        .map(|b| b["link"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(links[0], "/changesets?id=001-notify");
    assert_eq!(links[2], "/freeze");

    // Nobody else can make a product event up: the marker path is the backend's alone.
    let token = app.bao_login("admin", ADMIN_PASSWORD).await;
    let forged = "crypter/data/events/freeze.thaw/-/admin/-/provisioning";
    assert_eq!(
        app.bao_status(&token, Method::POST, forged, json!({"data": {}}))
            .await,
        403
    );
}

/// Two `crypter serve` processes over one store. The one delivering is SIGKILLed in the
/// middle of a stream of writes; the other takes the lease over once it is stale and
/// delivers the rest: nothing lost, in order, and at most the event in flight twice.
#[tokio::test]
async fn a_sigkill_of_the_delivering_process_loses_nothing_and_the_other_takes_over() {
    use crate::changesets::process::start_with;
    use crypter::embedded::free_loopback_port;
    let app = spawn_app().await;
    let log = app.bao_process.as_ref().unwrap().audit_log().unwrap();
    let log = log.display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let extra = ["--audit-log", log.as_str()];
    let port = free_loopback_port().unwrap();
    let mut first = start_with(&app.bao, &app.root, dir.path(), port, None, &extra).await;
    let (receiver, url) = Receiver::start().await;
    let body = json!({"name": "ops", "target": {"kind": "webhook", "url": url},
        "environments": ["staging"], "path_prefix": "notify/", "actions": ["credential.write"]});
    let r = first
        .client
        .post(format!("{}/api/v1/notifications/subscriptions", first.addr))
        .header(crypter_api::CSRF_HEADER, &first.csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_status(r, StatusCode::CREATED).await;
    let want: Vec<String> = (0..30).map(|i| format!("notify/k{i:02}")).collect();
    for p in &want[..5] {
        write_direct(&app, "staging", p, "v").await;
    }
    // Only the first runs: it holds the lease and delivers.
    wait_paths(&receiver, 5, Duration::from_secs(15)).await;
    let port = free_loopback_port().unwrap();
    let _second = start_with(&app.bao, &app.root, dir.path(), port, None, &extra).await;
    for p in &want[5..12] {
        write_direct(&app, "staging", p, "v").await;
    }
    wait_paths(&receiver, 8, Duration::from_secs(15)).await;
    first.child.start_kill().unwrap();
    first.child.wait().await.unwrap();
    for p in &want[12..] {
        write_direct(&app, "staging", p, "v").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The lease goes stale after 30 s without a heartbeat; then the second delivers.
    let got = eventually("every event", Duration::from_secs(75), || async {
        let mut p = receiver.paths();
        p.dedup();
        (p.len() >= want.len()).then_some(p)
    })
    .await;
    assert_eq!(got, want, "none lost, in order");
    let twice = receiver.paths().len() - want.len();
    assert!(
        twice <= 1,
        "{twice} delivered twice: {:?}",
        receiver.paths()
    );
}

/// The default schedule (waits of 1, 2, 4, 8, 15, 30 s …): a receiver down for 30 s gets
/// every event once it is back, in order.
#[tokio::test]
async fn a_receiver_down_for_thirty_seconds_gets_every_event_on_the_default_schedule() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    let (receiver, url) = Receiver::start().await;
    subscribe(&app, &admin, &url, &["credential.write"]).await;
    receiver.down.store(true, Ordering::SeqCst);
    let _loop = deliver_for(&app, Schedule::default());
    let want: Vec<String> = (0..5).map(|i| format!("notify/d{i}")).collect();
    for p in &want {
        write_direct(&app, "staging", p, "v").await;
    }
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(
        receiver.paths().is_empty(),
        "nothing got through while down"
    );
    receiver.down.store(false, Ordering::SeqCst);
    let got = wait_paths(&receiver, want.len(), Duration::from_secs(60)).await;
    assert_eq!(got, want, "every event, in order, once");
}
