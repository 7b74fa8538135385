//! Named restore points of a whole environment: made by hand or on a schedule, compared
//! with now, and restored through an inverse plan applied like any plan (and undone like
//! any undo). The schedule runs as the backend's own identity, which may write named
//! restore points and nothing of the changesets' own.

use crate::changesets::{spawn_changesets, Changesets};
use crate::helpers::*;
use crypter::restore_points::schedule::{self, Schedule};
use crypter_api::{
    ChangesetPlan, ChangesetState, Drift, ItemAction, JobProgress, JobState,
    RestorePointComparison, RestorePointSummary, CSRF_HEADER,
};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

async fn call(
    t: &Changesets,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Response {
    let mut r = t
        .client
        .request(method, t.app.url(path))
        .header(CSRF_HEADER, &t.csrf);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

async fn v(t: &Changesets, path: &str) -> Option<String> {
    t.value(&format!("env/staging/data/{path}"))
        .await
        .and_then(|d| d["v"].as_str().map(str::to_owned))
}

async fn write(t: &Changesets, path: &str, value: &str) {
    t.root_write(
        &format!("env/staging/data/{path}"),
        json!({"data": {"v": value}}),
    )
    .await;
}

async fn apply(t: &Changesets, hash: &str) -> JobProgress {
    let r = t.apply_raw(json!({ "plan_hash": hash })).await;
    let started = expect_status(r, StatusCode::ACCEPTED).await;
    t.wait(started["job_id"].as_str().unwrap()).await
}

#[tokio::test]
async fn a_named_restore_point_compares_with_now_and_restores_the_environment() {
    let t = spawn_changesets().await;
    for name in ["a", "b", "c", "d"] {
        write(&t, &format!("rp/{name}"), &format!("{name}-then")).await;
    }
    let r = call(
        &t,
        reqwest::Method::POST,
        "/environments/staging/restore-points",
        Some(json!({"name": "before-q4"})),
    )
    .await;
    let made: RestorePointSummary =
        serde_json::from_value(expect_status(r, StatusCode::CREATED).await).unwrap();
    assert_eq!(made.entries, 4);
    assert_eq!(made.environment.as_deref(), Some("staging"));

    // Since then: a changed, b deleted, c retagged, e created; d untouched.
    write(&t, "rp/a", "a-now").await;
    t.root_write("env/staging/delete/rp/b", json!({"versions": [1]}))
        .await;
    t.root_write(
        "env/staging/metadata/rp/c",
        json!({"custom_metadata": {"owner": "someone-else"}}),
    )
    .await;
    write(&t, "rp/e", "e-now").await;

    let cmp: RestorePointComparison = t
        .app
        .get_json(
            &t.client,
            "/environments/staging/restore-points/before-q4/compare",
        )
        .await;
    let drift = |p: &str| cmp.lines.iter().find(|l| l.path == p).map(|l| l.drift);
    assert_eq!(drift("rp/a"), Some(Drift::Changed));
    assert_eq!(drift("rp/b"), Some(Drift::Deleted));
    assert_eq!(drift("rp/c"), Some(Drift::Changed));
    assert_eq!(drift("rp/e"), Some(Drift::Created));
    assert_eq!(drift("rp/d"), None);
    assert_eq!(cmp.counts.get("same"), Some(&1));

    let r = call(
        &t,
        reqwest::Method::POST,
        "/environments/staging/restore-points/before-q4/restore",
        Some(json!({})),
    )
    .await;
    let plan: ChangesetPlan =
        serde_json::from_value(expect_status(r, StatusCode::OK).await).unwrap();
    assert!(plan.blockers.is_empty(), "{:?}", plan.blockers);
    let items = t.all_items(&plan).await;
    let kinds: Vec<(String, ItemAction)> =
        items.iter().map(|i| (i.target.label(), i.action)).collect();
    for want in [
        ("staging/rp/a", ItemAction::Restore),
        ("staging/rp/b", ItemAction::Undelete),
        ("staging/rp/c", ItemAction::Retag),
        ("staging/rp/e", ItemAction::Delete),
    ] {
        assert!(
            kinds.iter().any(|(l, a)| l == want.0 && *a == want.1),
            "{want:?} not in {kinds:?}"
        );
    }
    assert_eq!(items.len(), 4, "only what differs is planned: {kinds:?}");
    let done = apply(&t, &plan.plan_hash).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(v(&t, "rp/a").await.as_deref(), Some("a-then"));
    assert_eq!(v(&t, "rp/b").await.as_deref(), Some("b-then"));
    assert_eq!(v(&t, "rp/e").await, None);
    let meta = t
        .app
        .bao
        .read("env/staging/metadata/rp/c", &t.app.root)
        .await
        .unwrap()
        .unwrap();
    assert!(meta["data"]["custom_metadata"]["owner"].is_null(), "{meta}");
    let cmp: RestorePointComparison = t
        .app
        .get_json(
            &t.client,
            "/environments/staging/restore-points/before-q4/compare",
        )
        .await;
    // Only a's version moved on (a restore writes the old value as a new version).
    let left: Vec<(&str, Drift)> = cmp
        .lines
        .iter()
        .map(|l| (l.path.as_str(), l.drift))
        .collect();
    assert_eq!(left, [("rp/a", Drift::Changed)], "{cmp:?}");

    // The restore is undone like any applied changeset: "now" comes back.
    let redo = call(
        &t,
        reqwest::Method::POST,
        "/changesets/restore-staging-before-q4/undo",
        Some(json!({})),
    )
    .await;
    let redo: ChangesetPlan =
        serde_json::from_value(expect_status(redo, StatusCode::OK).await).unwrap();
    let done = apply(&t, &redo.plan_hash).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(v(&t, "rp/a").await.as_deref(), Some("a-now"));
    assert_eq!(v(&t, "rp/e").await.as_deref(), Some("e-now"));
    assert_eq!(v(&t, "rp/b").await, None);
}

#[tokio::test]
async fn bad_restore_point_requests_are_clear_errors() {
    let t = spawn_changesets().await;
    let post = reqwest::Method::POST;
    for (path, body, status, code) in [
        (
            "/environments/staging/restore-points",
            json!({"name": "Not A Name"}),
            StatusCode::BAD_REQUEST,
            "invalid_restore_point_name",
        ),
        (
            "/environments/staging/restore-points/never-made/restore",
            json!({}),
            StatusCode::NOT_FOUND,
            "restore_point_not_found",
        ),
        (
            "/environments/staging/restore-points/x/restore",
            json!({"force": true}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
    ] {
        expect_error(call(&t, post.clone(), path, Some(body)).await, status, code).await;
    }
    let r = call(
        &t,
        post,
        "/environments/nowhere/restore-points",
        Some(json!({"name": "x"})),
    )
    .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = call(
        &t,
        reqwest::Method::GET,
        "/environments/staging/restore-points/never-made/compare",
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = call(
        &t,
        reqwest::Method::DELETE,
        "/environments/staging/restore-points/never-made",
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_schedule_makes_one_per_environment_and_period_and_keeps_the_newest() {
    let t = spawn_changesets().await;
    write(&t, "sched/x", "1").await;
    let records = t.app.state.records.clone();
    let s = Schedule {
        every: Duration::from_secs(3600),
        keep: 2,
    };
    let start = 1_796_626_200; // 2026-12-07 06:50 UTC
    for hour in 0..3 {
        // Two instances in the same period make the same restore point once.
        for _ in 0..2 {
            let n = schedule::round(&t.app.bao, &records, s, start + hour * 3600)
                .await
                .unwrap();
            assert!(n >= 2, "every environment: {n}");
        }
    }
    let list: Vec<RestorePointSummary> = t
        .app
        .get_json(&t.client, "/environments/staging/restore-points")
        .await;
    let mut names: Vec<&str> = list.iter().map(|r| r.changeset.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["auto-20261207-07", "auto-20261207-08"]);
    assert!(list.iter().all(|r| r.by == "crypter (schedule)"));

    // The backend's own token writes named restore points, never a changeset's.
    let token = records
        .as_backend(|t| async move { Ok::<_, crypter::error::AppError>(t) })
        .await
        .unwrap();
    let refused = t
        .app
        .bao
        .write(
            "crypter/data/changesets/restore-points/001.before_apply",
            &token,
            &json!({"data": {"x": 1}}),
        )
        .await;
    assert!(
        refused.is_err(),
        "the backend wrote a changeset's restore point"
    );
    let refused = t.app.bao.read("env/staging/data/sched/x", &token).await;
    assert!(refused.is_err(), "the backend read a credential's value");
    let status = t.status().await;
    assert!(status.iter().all(|c| c.status != ChangesetState::Invalid));
}
