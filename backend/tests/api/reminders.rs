//! Expiry reminders against a real bao and a real HTTP receiver: a credential expiring in
//! three days gets one `reminder.due` (`3d`), never its value, and not again from another
//! round, instance or restart; a new `expires` date starts afresh; anything but a date is
//! a 400; left out it is kept, empty it is removed.

use crate::helpers::*;
use crypter::notifications::{deliver, reminders};
use crypter_api::CredentialDetail;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

use crate::notifications::{fast as fast_delivery, Receiver};

async fn wait_for(r: &Receiver, n: usize) -> Vec<Value> {
    eventually("reminders delivered", Duration::from_secs(15), || async {
        let b = r.bodies();
        (b.len() >= n).then_some(b)
    })
    .await
}

fn fast_sweep() -> reminders::Schedule {
    reminders::Schedule {
        every: Duration::from_millis(200),
    }
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

fn in_days(n: i64) -> String {
    (today() + time::Duration::days(n)).to_string()
}

async fn put(app: &TestApp, c: &Caller, path: &str, body: Value) {
    let r = app.put_credential(c, "staging", path, body).await;
    expect_status(r, StatusCode::OK).await;
}

async fn expires_of(app: &TestApp, c: &Caller, path: &str) -> Option<String> {
    let r = app.get_credential(c, "staging", path).await;
    let d: CredentialDetail =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    d.metadata.expires
}

/// A subscription to `reminder.due` in staging, and its delivery loop.
async fn subscribe(app: &TestApp, admin: &Caller, url: &str) -> tokio::task::JoinHandle<()> {
    let sub = json!({"name": "expiry", "target": {"kind": "webhook", "url": url},
        "environments": ["staging"], "actions": ["reminder.due"]});
    let r = admin
        .call(app, Method::POST, "/notifications/subscriptions", sub)
        .await;
    expect_status(r, StatusCode::CREATED).await;
    deliver::spawn(
        app.state.activity.clone(),
        app.state.records.clone(),
        fast_delivery(),
    )
}

fn assert_reminder(b: &Value, path: &str, detail: &str) {
    let want = ["reminder.due", "staging", path, detail, "crypter"].map(|s| json!(s));
    let got = ["action", "environment", "path", "detail", "actor"].map(|k| b[k].clone());
    assert_eq!(got, want, "{b}");
}

#[tokio::test]
async fn a_credential_expiring_in_three_days_is_reminded_once() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    let (receiver, url) = Receiver::start().await;
    let _deliver = subscribe(&app, &admin, &url).await;

    let soon = in_days(3);
    let body = json!({"data": {"key": "reminded-secret-value"}, "class": "service",
        "owner": "payments", "expires": soon});
    put(&app, &admin, "svc/api-key", body).await;
    assert_eq!(expires_of(&app, &admin, "svc/api-key").await, Some(soon));
    // Quiet: no date, and a date a month away.
    app.seed(&admin, "staging", "svc/db", "v", "service").await;
    let later = json!({"data": {"v": "x"}, "class": "service", "expires": in_days(30)});
    put(&app, &admin, "svc/later", later).await;

    let sweep = reminders::spawn(app.state.records.clone(), fast_sweep());
    let got = wait_for(&receiver, 1).await;
    assert_reminder(&got[0], "svc/api-key", "3d");
    assert!(
        receiver
            .texts()
            .iter()
            .all(|t| !t.contains("reminded-secret-value")),
        "{:?}",
        receiver.texts()
    );

    // More rounds, a round of another instance, and a restart: nothing more.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let other = crypter::records::Records::new(app.bao.clone(), app.creds.clone());
    assert_eq!(reminders::round(&other, today()).await.unwrap(), 0);
    sweep.abort();
    // The old holder's lease goes stale after 2 s; then the new one sweeps.
    let restarted = reminders::spawn(other, fast_sweep());
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(receiver.bodies().len(), 1, "{:?}", receiver.texts());

    // A new date starts afresh: expiring today, it is reminded on the day.
    let now = json!({"data": {"key": "rotated-secret-value"}, "expires": in_days(0)});
    put(&app, &admin, "svc/api-key", now).await;
    let got = wait_for(&receiver, 2).await;
    assert_reminder(&got[1], "svc/api-key", "0d");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.bodies().len(), 2, "{:?}", receiver.texts());
    restarted.abort();
}

#[tokio::test]
async fn expires_is_refused_unless_a_date_kept_when_left_out_and_cleared_when_empty() {
    let app = spawn_app().await;
    let admin = Caller::admin(&app).await;
    app.seed(&admin, "staging", "svc/db", "v", "service").await;
    for bad in [
        "31/01/2027",
        "2027-02-30",
        "tomorrow",
        "2027-01-31T00:00:00Z",
    ] {
        let new = json!({"data": {"v": "x"}, "class": "service", "expires": bad});
        let r = app.put_credential(&admin, "staging", "svc/new", new).await;
        let message = expect_error(r, StatusCode::BAD_REQUEST, "invalid_expires").await;
        assert!(message.contains("YYYY-MM-DD"), "{message}");
        let edit = json!({"data": {"v": "y"}, "expires": bad});
        let r = app.put_credential(&admin, "staging", "svc/db", edit).await;
        expect_error(r, StatusCode::BAD_REQUEST, "invalid_expires").await;
    }
    let r = app.get_credential(&admin, "staging", "svc/new").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(expires_of(&app, &admin, "svc/db").await, None);

    let dated = json!({"data": {"v": "z"}, "expires": in_days(9)});
    put(&app, &admin, "svc/db", dated).await;
    // Left out, the date stays; an empty one removes it.
    put(&app, &admin, "svc/db", json!({"data": {"key": "v3"}})).await;
    assert_eq!(expires_of(&app, &admin, "svc/db").await, Some(in_days(9)));
    let cleared = json!({"data": {"key": "v4"}, "expires": ""});
    put(&app, &admin, "svc/db", cleared).await;
    assert_eq!(expires_of(&app, &admin, "svc/db").await, None);
}
