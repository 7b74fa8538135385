//! The apply lock: two applies at once, a live lock taken over with force and a reason, a
//! stale lock; and an apply refused because the plan changed since its hash.

use super::*;

#[tokio::test]
async fn two_concurrent_applies_one_gets_409_naming_the_holder() {
    let t = spawn_changesets().await;
    seed(&t, 1500).await;
    write_file(t.dir.path(), "010.toml", COPY);
    let plan = t.plan().await;
    let body = json!({ "plan_hash": plan.plan_hash });
    let (a, b) = tokio::join!(t.apply_raw(body.clone()), t.apply_raw(body.clone()));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [202, 409]);
    let (winner, loser) = if a.status() == 202 { (a, b) } else { (b, a) };
    let (_, code, message) = error_code(loser).await;
    assert_eq!(code, "changesets_locked");
    assert!(message.contains("admin on "), "{message}");
    let lock: Value = t.app.get_json(&t.client, "/changesets/lock").await;
    assert_eq!(lock["holder"], "admin", "{lock}");
    // Forcing needs a reason.
    let r = t
        .apply_raw(json!({ "plan_hash": plan.plan_hash, "force": true }))
        .await;
    assert_eq!(error_code(r).await.1, "reason_required");
    let started: Value = winner.json().await.unwrap();
    let done = t.wait(started["job_id"].as_str().unwrap()).await;
    assert_eq!((done.state, done.done), (JobState::Done, 1501));
    let lock: Value = t.app.get_json(&t.client, "/changesets/lock").await;
    assert!(lock.is_null(), "released: {lock}");
    // Breaking the lock needs a reason and is recorded.
    let r = t
        .client
        .delete(t.app.url("/changesets/lock"))
        .header(CSRF_HEADER, &t.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = t
        .client
        .delete(t.app.url("/changesets/lock?reason=stuck%20after%20crash"))
        .header(CSRF_HEADER, &t.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // OpenBao's audit log holds who removed the lock.
    let events = t.app.events(&t.client).await;
    assert!(
        events.iter().any(|e| e.action == "record.delete"
            && e.target == "changesets/lock"
            && e.actor == "admin"),
        "{events:#?}"
    );
}

#[tokio::test]
async fn apply_refuses_when_the_plan_changed_since_its_hash() {
    let t = spawn_changesets().await;
    seed(&t, 5).await;
    write_file(t.dir.path(), "010.toml", COPY);
    let plan = t.plan().await;
    t.root_write("env/prod/data/bulk/late", json!({"data": {"v": "x"}}))
        .await;
    let r = t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
    expect_error(r, StatusCode::CONFLICT, "plan_changed").await;
    let lock: Value = t.app.get_json(&t.client, "/changesets/lock").await;
    assert!(lock.is_null(), "a refused apply leaves the lock free");
    let (plan, done) = t.plan_and_apply().await;
    assert_eq!(count(&plan.changesets[0].operations[1], "create"), 6);
    assert_eq!(done.done, 7);

    // The same progress as server-sent events; the stream ends with the job.
    let r = t
        .client
        .get(t.app.url(&format!("/jobs/{}/events", done.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let body = r.text().await.unwrap();
    assert!(body.contains("event: progress"), "{body}");
    assert!(
        body.contains("\"state\":\"done\"") && body.contains("\"done\":7"),
        "{body}"
    );
    for (path, status) in [
        ("/jobs/job-nope", 400),
        ("/jobs/job-nope/events", 400),
        ("/jobs/job-00000000000000ff", 404),
        ("/jobs/job-00000000000000ff/events", 404),
    ] {
        let r = t.client.get(t.app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
    }
}

#[tokio::test]
async fn a_live_lock_is_taken_over_only_with_force_and_a_reason_which_is_recorded() {
    let t = spawn_changesets().await;
    write_file(t.dir.path(), "001.toml", SETUP);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    t.root_write(
        "crypter/data/changesets/lock",
        json!({"data": {"holder": "bob", "host": "far-away pid 1", "acquired_at": "2026-01-01T00:00:00Z",
                        "heartbeat": now, "job_id": "job-x", "stale": false}}),
    )
    .await;
    let plan = t.plan().await;
    let r = t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
    let message = expect_error(r, StatusCode::CONFLICT, "changesets_locked").await;
    assert!(message.contains("bob on far-away pid 1"), "{message}");
    let r = t
        .apply_raw(
            json!({ "plan_hash": plan.plan_hash, "force": true, "reason": "bob's laptop died" }),
        )
        .await;
    assert_eq!(r.status(), 202);
    let started: Value = r.json().await.unwrap();
    assert_eq!(
        t.wait(started["job_id"].as_str().unwrap()).await.state,
        JobState::Done
    );
    // OpenBao's audit log holds who rewrote the lock, under the apply's job.
    let events = t.app.events(&t.client).await;
    let job = format!("apply:{}", started["job_id"].as_str().unwrap());
    assert!(
        events.iter().any(|e| e.target == "changesets/lock"
            && e.actor == "admin"
            && e.purpose.as_deref() == Some(job.as_str())),
        "{events:#?}"
    );
    // A lock whose heartbeat is older than 60 s is stale: anyone may take it.
    t.root_write(
        "crypter/data/changesets/lock",
        json!({"data": {"holder": "bob", "host": "far-away pid 1", "acquired_at": "2026-01-01T00:00:00Z",
                        "heartbeat": now - 61, "job_id": "job-x", "stale": false}}),
    )
    .await;
    let lock: Value = t.app.get_json(&t.client, "/changesets/lock").await;
    assert_eq!(lock["stale"], true, "{lock}");
    let plan = t.plan().await;
    let r = t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
    assert_eq!(r.status(), 202);
}
