//! Jobs over two backend processes sharing one OpenBao: an apply started on A, A killed
//! halfway; B shows the job `interrupted`, resumes it from its cursor, and its event
//! stream reaches 100 %. Only a job's owner and operators follow it.

use super::process::{start_with, Backend};
use super::*;
use crypter::embedded::free_loopback_port;
use std::time::Instant;

/// A heartbeat every second; interrupted after two silent seconds.
const FAST_JOBS: &[&str] = &["--job-heartbeat-secs", "1", "--job-stale-secs", "2"];

async fn job_on(b: &Backend, id: &str) -> (StatusCode, Value) {
    let r = b
        .client
        .get(format!("{}/api/v1/jobs/{id}", b.addr))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Poll until the job's state is `want` (a condition, not a fixed sleep).
async fn until_state(b: &Backend, id: &str, want: &str) -> Value {
    let what = format!("job {id} becoming {want}");
    eventually(&what, Duration::from_secs(60), || async {
        let (status, p) = job_on(b, id).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        let became = p["state"] == want;
        became.then_some(p)
    })
    .await
}

/// Every event of the job's stream on `b`, until it ends.
async fn stream_on(b: &Backend, id: &str) -> Vec<JobProgress> {
    let r = b
        .client
        .get(format!("{}/api/v1/jobs/{id}/events", b.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = tokio::time::timeout(Duration::from_secs(300), r.text())
        .await
        .expect("the stream ends with the job")
        .unwrap();
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| serde_json::from_str(d.trim()).unwrap())
        .collect()
}

async fn check_copied(t: &Changesets, n: usize) {
    let (bao, root) = (&t.app.bao, &t.app.root);
    let keys = bao.list("env/qa/metadata/bulk/", root).await.unwrap();
    assert_eq!(keys.len(), n, "every credential is there");
    let wrong: Vec<String> = stream::iter(keys)
        .map(|k| async move {
            let i: usize = k.trim_start_matches('c').parse().unwrap();
            let v = bao
                .read(&format!("env/qa/data/bulk/{k}"), root)
                .await
                .unwrap()
                .unwrap();
            let value_ok = v["data"]["data"]["v"] == format!("value-{i}");
            // Written once: a second write would make version 2.
            let once = v["data"]["metadata"]["version"] == 1;
            (!(value_ok && once)).then(|| format!("{k}: {}", v["data"]))
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

/// 2,000 credentials; `make soak` sets 10,000.
fn resume_size() -> usize {
    std::env::var("CRYPTER_SOAK_RESUME_CREDENTIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

#[tokio::test]
async fn an_apply_killed_on_one_instance_is_interrupted_and_resumed_on_another() {
    let n = resume_size();
    let t = spawn_changesets().await;
    seed(&t, n).await;
    write_file(t.dir.path(), "010.toml", COPY);
    let (pa, pb) = (free_loopback_port().unwrap(), free_loopback_port().unwrap());
    let dir = t.dir.path();
    // A kills itself (SIGKILL) right after half of the copy's writes.
    let mut a = start_with(
        &t.app.bao,
        &t.app.root,
        dir,
        pa,
        Some(n as u64 / 2),
        FAST_JOBS,
    )
    .await;
    let b = start_with(&t.app.bao, &t.app.root, dir, pb, None, FAST_JOBS).await;
    let plan = a.plan().await;
    let job = a.try_apply(&plan).await.expect("A answers before it dies");
    a.child.wait().await.unwrap();

    // B shows the job interrupted once A's heartbeat is stale, part-way.
    let p = until_state(&b, &job, "interrupted").await;
    let done = p["done"].as_u64().unwrap();
    assert!(done > 0 && done < n as u64 + 1, "{p}");
    assert!(p["error"].as_str().unwrap().contains("resume"), "{p}");

    // Resume on B, from the saved cursor, and follow its stream there to 100 %.
    let r = b
        .client
        .post(format!("{}/api/v1/jobs/{job}/resume", b.addr))
        .header(CSRF_HEADER, &b.csrf)
        .json(&json!({ "reason": "A died" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::ACCEPTED,
        "{}",
        r.text().await.unwrap()
    );
    let events = stream_on(&b, &job).await;
    let last = events.last().expect("at least one event");
    assert_eq!(last.state, JobState::Done, "{last:?}");
    assert_eq!(last.done, last.total, "the stream reaches 100 %: {last:?}");
    assert!(
        last.events
            .iter()
            .any(|e| e.kind == "resume" && e.message.contains("A died")),
        "the resume is recorded: {:?}",
        last.events
    );
    check_copied(&t, n).await;
    assert_eq!(
        t.status_of("010-copy").await.status,
        ChangesetState::Applied
    );
}

#[tokio::test]
async fn only_a_jobs_owner_and_operators_follow_it() {
    let t = spawn_changesets().await;
    seed(&t, 20).await;
    write_file(t.dir.path(), "010.toml", COPY);
    let plan = t.plan().await;
    let r = t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let job = r.json::<Value>().await.unwrap()["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    t.wait(&job).await;

    t.app
        .user_with("mallory", "mallory-password", &["crypter-admin"])
        .await;
    t.app
        .user_with("olga", "olga-password", &["crypter-operator"])
        .await;
    let (mallory, mallory_csrf) = t.app.session_of("mallory", "mallory-password").await;
    let (olga, _) = t.app.session_of("olga", "olga-password").await;
    for path in [format!("/jobs/{job}"), format!("/jobs/{job}/events")] {
        let r = mallory.get(t.app.url(&path)).send().await.unwrap();
        let (status, code, message) = error_code(r).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{path}"
        );
        assert!(message.contains("owner and operators"), "{message}");
        let r = olga.get(t.app.url(&path)).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "an operator follows any job: {path}"
        );
    }
    let r = mallory
        .post(t.app.url(&format!("/jobs/{job}/resume")))
        .header(CSRF_HEADER, &mallory_csrf)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let listed: Vec<JobProgress> = t.app.get_json(&mallory, "/jobs").await;
    assert!(listed.iter().all(|j| j.id != job), "{listed:?}");
    let listed: Vec<JobProgress> = t.app.get_json(&t.client, "/jobs").await;
    assert!(listed.iter().any(|j| j.id == job), "the owner lists it");

    // Straight against OpenBao with the attacker's own token: no job record, no marker.
    let token = t.app.bao_login("mallory", "mallory-password").await;
    let read = t
        .app
        .bao
        .read(&format!("crypter/data/jobs/{job}"), &token)
        .await;
    assert!(
        matches!(read, Err(crypter::bao::BaoError::Forbidden { .. })),
        "{read:?}"
    );
    let markers = t.app.bao.list("crypter/metadata/job-owners/", &token).await;
    assert!(
        matches!(markers, Err(crypter::bao::BaoError::Forbidden { .. })),
        "{markers:?}"
    );
}

#[tokio::test]
async fn ended_jobs_are_kept_for_a_bounded_time() {
    let clock = crypter::clock::ManualClock::new(time::OffsetDateTime::now_utc());
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_clocked(
        Settings {
            changesets_dir: Some(dir.path().to_owned()),
            ..Settings::default()
        },
        std::sync::Arc::new(clock.clone()),
    )
    .await;
    let (client, session) = app.admin().await;
    let t = Changesets {
        app,
        dir,
        client,
        csrf: session.csrf_token,
    };
    seed(&t, 5).await;
    write_file(t.dir.path(), "010.toml", COPY);
    let plan = t.plan().await;
    let r = t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
    let job = r.json::<Value>().await.unwrap()["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(t.wait(&job).await.state, JobState::Done);
    // Let the job's runner let go of it (it is then only a record).
    eventually("the runner letting go", Duration::from_secs(10), || async {
        t.app.state.jobs.local(&job).is_none().then_some(())
    })
    .await;
    assert_eq!(
        t.app.state.jobs.sweep().await.unwrap(),
        0,
        "kept within the retention"
    );
    clock.advance(time::Duration::days(7) + time::Duration::minutes(1));
    assert_eq!(t.app.state.jobs.sweep().await.unwrap(), 1);
    // A week later the old session has ended too: a new one finds no such job.
    let (client, _) = t.app.admin().await;
    let r = client
        .get(t.app.url(&format!("/jobs/{job}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sigterm_hands_a_running_apply_over_and_exits_within_ten_seconds() {
    const N: usize = 2_000;
    let t = spawn_changesets().await;
    seed(&t, N).await;
    write_file(t.dir.path(), "010.toml", COPY);
    let (pa, pb) = (free_loopback_port().unwrap(), free_loopback_port().unwrap());
    let dir = t.dir.path();
    let mut a = start_with(&t.app.bao, &t.app.root, dir, pa, None, FAST_JOBS).await;
    let b = start_with(&t.app.bao, &t.app.root, dir, pb, None, FAST_JOBS).await;
    let plan = a.plan().await;
    let job = a.apply(&plan).await;
    let ready = |addr: String| async move {
        reqwest::get(format!("{addr}/api/v1/health/ready"))
            .await
            .map(|r| r.status())
    };
    assert_eq!(ready(a.addr.clone()).await.unwrap(), StatusCode::OK);

    let pid = nix::unistd::Pid::from_raw(a.child.id().unwrap() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let signalled = Instant::now();
    let exited = tokio::time::timeout(Duration::from_secs(10), a.child.wait()).await;
    let took = signalled.elapsed();
    assert!(exited.is_ok(), "still running 10 s after SIGTERM");
    println!("SIGTERM to exit: {took:.2?}");
    assert!(ready(a.addr.clone()).await.is_err(), "no longer listening");

    // Handed over at once (no need to wait for its heartbeat to go stale), or done.
    let (_, p) = job_on(&b, &job).await;
    match p["state"].as_str().unwrap() {
        "done" => println!("the apply finished before the signal: nothing to hand over"),
        state => {
            assert_eq!(state, "interrupted", "{p}");
            let handed = p["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "handover");
            assert!(handed, "the hand-over is recorded: {p}");
            // Resumed from the CLI this time, against B, following it to the end.
            let token = t.app.bao_login("admin", ADMIN_PASSWORD).await;
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_crypter"))
                .args([
                    "jobs",
                    "--url",
                    &b.addr,
                    "resume",
                    &job,
                    "--reason",
                    "A was stopped",
                ])
                .env("BAO_TOKEN", secrecy::ExposeSecret::expose_secret(&token))
                .output()
                .await
                .unwrap();
            let said = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{said}");
            assert!(
                t.app.token_alive(&token).await,
                "the CLI's session kept its token"
            );
            let last = stream_on(&b, &job).await.pop().unwrap();
            assert_eq!((last.state, last.done), (JobState::Done, last.total));
            assert!(last
                .events
                .iter()
                .any(|e| e.message.contains("A was stopped")));
        }
    }
    check_copied(&t, N).await;
}

const APPLY_RUNBOOK: &str = r#"
name = "copy-bulk"
title = "Copy bulk"
[[steps]]
id = "plan"
title = "Plan"
kind = "plan_changesets"
[[steps]]
id = "go"
title = "Go / no-go"
kind = "manual"
gate = true
[[steps]]
id = "apply"
title = "Apply"
kind = "apply_changesets"
"#;

async fn rb(b: &Backend, path: &str, body: Value) -> Value {
    let r = b
        .client
        .post(format!("{}/api/v1{path}", b.addr))
        .header(CSRF_HEADER, &b.csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

fn step<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()
}

#[tokio::test]
async fn a_runbook_apply_step_left_running_by_a_dead_instance_is_taken_over() {
    const N: usize = 2_000;
    let t = spawn_changesets().await;
    seed(&t, N).await;
    write_file(t.dir.path(), "010.toml", COPY);
    let (pa, pb) = (free_loopback_port().unwrap(), free_loopback_port().unwrap());
    let dir = t.dir.path();
    let a = start_with(
        &t.app.bao,
        &t.app.root,
        dir,
        pa,
        Some(N as u64 / 2),
        FAST_JOBS,
    )
    .await;
    let b = start_with(&t.app.bao, &t.app.root, dir, pb, None, FAST_JOBS).await;
    rb(&a, "/runbook-templates", json!({ "toml": APPLY_RUNBOOK })).await;
    let run = rb(
        &a,
        "/runbooks",
        json!({"template": "copy-bulk", "title": "Copy", "environments": ["qa"]}),
    )
    .await;
    let id = run["id"].as_str().unwrap().to_owned();
    let planned = rb(&a, &format!("/runbooks/{id}/steps/plan/run"), json!({})).await;
    let hash = step(&planned, "plan")["evidence"]["plan_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    rb(
        &a,
        &format!("/runbooks/{id}/steps/go/signoff"),
        json!({ "plan_hash": hash }),
    )
    .await;

    // The apply step answers at once: running, naming its job.
    let asked = Instant::now();
    let started = rb(&a, &format!("/runbooks/{id}/steps/apply/run"), json!({})).await;
    println!("the apply step answered in {:.2?}", asked.elapsed());
    let apply = step(&started, "apply");
    assert_eq!(apply["state"], "running", "{apply}");
    let job = apply["job"].as_str().unwrap().to_owned();
    // A dies halfway (SIGKILL after half the copy's writes).
    let mut a = a;
    a.child.wait().await.unwrap();
    until_state(&b, &job, "interrupted").await;

    // Take over on B, with a reason.
    let r = b
        .client
        .post(format!(
            "{}/api/v1/runbooks/{id}/steps/apply/takeover",
            b.addr
        ))
        .header(CSRF_HEADER, &b.csrf)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a takeover needs a reason"
    );
    rb(
        &b,
        &format!("/runbooks/{id}/steps/apply/takeover"),
        json!({ "reason": "instance A died mid-apply" }),
    )
    .await;
    let done = eventually("the step's end", Duration::from_secs(120), || async {
        let run: Value = b
            .client
            .get(format!("{}/api/v1/runbooks/{id}", b.addr))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ended = step(&run, "apply")["state"] != "running";
        ended.then_some(run)
    })
    .await;
    assert_eq!(
        step(&done, "apply")["state"],
        "passed",
        "{}",
        step(&done, "apply")
    );
    let report = b
        .client
        .get(format!("{}/api/v1/runbooks/{id}/report.md", b.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("taken over") && report.contains("instance A died mid-apply"),
        "{report}"
    );
    check_copied(&t, N).await;
}
