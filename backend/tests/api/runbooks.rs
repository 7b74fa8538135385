//! Runbooks against a real OpenBao: every automated step calls the live engines.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

impl Admin<'_> {
    async fn rb(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let resp = self.send(method, path, body).await;
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn start_run(&self, template: &str, envs: &[&str]) -> Value {
        let (s, run) = self
            .rb(
                Method::POST,
                "/runbooks",
                Some(json!({"template": template, "title": "Move to dc2", "environments": envs})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{run}");
        run
    }

    async fn step(
        &self,
        run: &Value,
        step: &str,
        action: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let id = run["id"].as_str().unwrap();
        self.rb(
            Method::POST,
            &format!("/runbooks/{id}/steps/{step}/{action}"),
            body,
        )
        .await
    }

    /// Act on a step and expect 200; returns the step's record.
    async fn ok_step(&self, run: &Value, step: &str, action: &str, body: Option<Value>) -> Value {
        let (s, after) = self.step(run, step, action, body).await;
        assert_eq!(s, StatusCode::OK, "{step} {action}: {after}");
        let answered = step_of(&after, step);
        if answered["state"] == "running" {
            // The apply step answers at once; its job records the outcome when it ends.
            assert!(
                answered["job"].is_string(),
                "a running step names its job: {answered}"
            );
            return self.settled(run, step).await;
        }
        answered
    }

    /// A store migration of production run up to its plan: announced (`announce` is the
    /// step's action), frozen, verified, validated and planned, each step passing; the
    /// snapshot step fails on `bao -dev` (no Raft), saying so, and is skipped.
    async fn planned_migration(&self, announce: &str, body: Value) -> Value {
        let run = self.start_run("store-migration", &["production"]).await;
        self.ok_step(&run, "announce", announce, Some(body)).await;
        for step in ["freeze", "verify-freeze"] {
            let s = self.ok_step(&run, step, "run", None).await;
            assert_eq!(s["state"], "passed", "{step}: {s}");
        }
        self.skip_snapshot(&run).await;
        for step in ["validate", "plan"] {
            let s = self.ok_step(&run, step, "run", None).await;
            assert_eq!(s["state"], "passed", "{step}: {s}");
        }
        run
    }

    /// The snapshot step on `bao -dev`: it fails with the not-Raft message, then is skipped.
    async fn skip_snapshot(&self, run: &Value) {
        let s = self.ok_step(run, "snapshot", "run", None).await;
        assert_eq!(s["state"], "failed", "{s}");
        let summary = s["summary"].as_str().unwrap();
        assert!(
            summary.contains("does not use Raft storage") && summary.contains("crypter dev"),
            "{summary}"
        );
        let body = json!({"reason": "bao -dev keeps its store in memory: no Raft snapshot"});
        let s = self.ok_step(run, "snapshot", "skip", Some(body)).await;
        assert_eq!(s["state"], "skipped", "{s}");
    }

    /// Every check passed: the three roll back steps are skipped, with the reason.
    async fn skip_rollback(&self, run: &Value) {
        for step in ["plan-rollback", "rollback-go-no-go", "rollback"] {
            let body = json!({"reason": "every check passed: nothing to roll back"});
            let s = self.ok_step(run, step, "skip", Some(body)).await;
            assert_eq!(s["state"], "skipped", "{step}: {s}");
        }
    }

    /// The step once it is no longer running (its job ended).
    async fn settled(&self, run: &Value, step: &str) -> Value {
        let what = format!("step {step} ended");
        eventually(&what, Duration::from_secs(120), move || async move {
            let s = step_of(&self.run_record(run).await, step);
            (s["state"] != "running").then_some(s)
        })
        .await
    }

    async fn upload(&self, toml: &str) -> (StatusCode, Value) {
        self.rb(
            Method::POST,
            "/runbook-templates",
            Some(json!({ "toml": toml })),
        )
        .await
    }

    async fn report(&self, run: &Value) -> String {
        let id = run["id"].as_str().unwrap();
        let resp = self
            .send(Method::GET, &format!("/runbooks/{id}/report.md"), None)
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.unwrap()
    }

    async fn run_record(&self, run: &Value) -> Value {
        let id = run["id"].as_str().unwrap();
        let (s, v) = self.rb(Method::GET, &format!("/runbooks/{id}"), None).await;
        assert_eq!(s, StatusCode::OK);
        v
    }
}

fn step_of(run: &Value, id: &str) -> Value {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no step {id} in {run}"))
}

fn template(name: &str, steps: &[(&str, &str, &str)]) -> String {
    let mut t = format!("name = \"{name}\"\ntitle = \"{name}\"\n");
    for (id, kind, extra) in steps {
        t.push_str(&format!(
            "[[steps]]\nid = \"{id}\"\ntitle = \"{id}\"\nkind = \"{kind}\"\n{extra}\n"
        ));
    }
    t
}

async fn demo_app() -> TestApp {
    let app = spawn_app().await;
    crypter::demo::load(&app.bao, &app.root).await.unwrap();
    crypter::demo::load_roles(&app.bao, &app.root)
        .await
        .unwrap();
    app
}

#[tokio::test]
async fn templates_are_listed_and_uploads_are_validated() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    let (s, list) = admin.rb(Method::GET, "/runbook-templates", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["name"], "store-migration");
    assert_eq!(list[0]["builtin"], true);
    assert_eq!(list[0]["steps"].as_array().unwrap().len(), 17);

    let unknown = template("bad", &[("a", "reboot", "")]);
    let (s, e) = admin.upload(&unknown).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown kind"),
        "{e}"
    );
    let dup = template("bad", &[("a", "manual", ""), ("a", "thaw", "")]);
    let (s, e) = admin.upload(&dup).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate step id"),
        "{e}"
    );
    let (s, _) = admin.upload("name = [").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let good = template(
        "quick-check",
        &[
            ("lint", "lint_environments", ""),
            ("health", "cluster_health", ""),
        ],
    );
    let (s, t) = admin.upload(&good).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (_, list) = admin.rb(Method::GET, "/runbook-templates", None).await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "quick-check"));

    // Starting a run: environments are required, the template must exist.
    let (s, _) = admin
        .rb(
            Method::POST,
            "/runbooks",
            Some(json!({"template": "store-migration", "title": "x", "environments": []})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = admin
        .rb(
            Method::POST,
            "/runbooks",
            Some(json!({"template": "nope", "title": "x", "environments": ["staging"]})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn steps_run_in_order_and_skipping_needs_a_reason() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    let run = admin.start_run("store-migration", &["production"]).await;
    assert_eq!(step_of(&run, "announce")["state"], "pending");

    let (s, e) = admin.step(&run, "freeze", "run", None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(e["error"]["code"], "out_of_order", "{e}");
    let (s, _) = admin.step(&run, "announce", "run", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "manual steps are not run");
    let (s, e) = admin.step(&run, "announce", "skip", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (s, _) = admin
        .step(&run, "announce", "skip", Some(json!({"reason": "  "})))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let skipped = admin
        .ok_step(
            &run,
            "announce",
            "skip",
            Some(json!({"reason": "announced yesterday"})),
        )
        .await;
    assert_eq!(skipped["state"], "skipped");
    assert_eq!(skipped["reason"], "announced yesterday");
    // Still out of order two steps ahead.
    let (s, e) = admin.step(&run, "verify-freeze", "run", None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(e["error"]["details"]["blocking_step"], "freeze");
    let (s, _) = admin.step(&run, "go-no-go", "complete", None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = admin.step(&run, "announce", "explode", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = admin.step(&run, "nope", "run", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// The checks of the migration story, on demo data (changesets skipped: see
/// `the_whole_store_migration_passes` for the template with them).
#[tokio::test]
async fn a_checked_run_passes_every_step_and_reports_it() {
    let app = demo_app().await;
    fix_demo_lint_errors(&app).await;
    let admin = Admin::new(&app).await;
    let t = template(
        "checks",
        &[
            ("announce", "manual", ""),
            ("freeze", "freeze", "params = { level = \"provisioning\" }"),
            ("verify-freeze", "verify_freeze", ""),
            ("go", "manual", "gate = true"),
            ("verify-identities", "verify_identities", ""),
            ("lint", "lint_environments", ""),
            ("cluster-health", "cluster_health", ""),
            ("thaw", "thaw", ""),
            (
                "verify-thaw",
                "verify_freeze",
                "params = { expect = \"none\" }",
            ),
        ],
    );
    assert_eq!(admin.upload(&t).await.0, StatusCode::CREATED);
    let run = admin.start_run("checks", &["staging", "production"]).await;
    admin
        .ok_step(
            &run,
            "announce",
            "complete",
            Some(json!({"note": "posted in #releases"})),
        )
        .await;
    let frozen = admin.ok_step(&run, "freeze", "run", None).await;
    assert_eq!(frozen["state"], "passed", "{frozen}");
    assert_eq!(frozen["evidence"]["level"], "provisioning");
    let verified = admin.ok_step(&run, "verify-freeze", "run", None).await;
    assert_eq!(verified["state"], "passed", "{verified}");
    assert!(!verified["evidence"]["probes"]
        .as_array()
        .unwrap()
        .is_empty());

    // An incident while the gate is next; it is linked to that step.
    let id = run["id"].as_str().unwrap();
    let (s, after) = admin
        .rb(Method::POST, &format!("/runbooks/{id}/incidents"), Some(json!({
            "title": "Checkout logins slow", "severity": "medium",
            "user_impact": "3% of checkouts retried", "status": "open", "follow_up": "add a dc2 read replica"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{after}");
    assert_eq!(after["incidents"][0]["step"], "go");
    let (s, _) = admin
        .rb(
            Method::POST,
            &format!("/runbooks/{id}/incidents"),
            Some(json!({"title": "x", "severity": "huge", "user_impact": "none"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, after) = admin
        .rb(
            Method::PATCH,
            &format!("/runbooks/{id}/incidents/1"),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(after["incidents"][0]["status"], "resolved");

    let (s, _) = admin.step(&run, "go", "complete", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a gate needs a sign-off");
    let signed = admin
        .ok_step(&run, "go", "signoff", Some(json!({"note": "go"})))
        .await;
    assert_eq!(signed["state"], "passed");
    assert_eq!(signed["signoff"]["by"], "admin");
    for step in [
        "verify-identities",
        "lint",
        "cluster-health",
        "thaw",
        "verify-thaw",
    ] {
        let s = admin.ok_step(&run, step, "run", None).await;
        assert_eq!(s["state"], "passed", "{step}: {s}");
        assert!(s["evidence"].is_object(), "{step}");
    }
    let done = admin.run_record(&run).await;
    assert_eq!(done["status"], "succeeded");
    let kinds: Vec<&str> = done["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "run.start",
        "step.complete",
        "step.start",
        "step.pass",
        "incident.open",
        "incident.update",
        "signoff",
        "run.end",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }

    let md = admin.report(&run).await;
    for section in [
        "# Runbook report: Move to dc2",
        "**Succeeded**",
        "## Plan",
        "## Steps",
        "## Incidents",
        "## Timeline",
        "Checkout logins slow",
        "3% of checkouts retried",
        "add a dc2 read replica",
        "medium",
        "write probes denied, 0 probes failed",
        "identity `checkout-bot`: ok",
        "posted in #releases",
        "Signed off by admin",
    ] {
        assert!(md.contains(section), "{section} missing from:\n{md}");
    }
    // No secret values or tokens.
    let secret_id = app
        .bao
        .read("crypter/data/e2e/checkout-bot", &app.root)
        .await
        .unwrap()
        .unwrap();
    let secret_id = secret_id["data"]["data"]["secret_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let db = app
        .bao
        .read("env/staging/data/payments/db", &app.root)
        .await
        .unwrap()
        .unwrap();
    for (_, v) in db["data"]["data"].as_object().unwrap() {
        assert!(
            !md.contains(v.as_str().unwrap()),
            "a credential value leaked"
        );
    }
    assert!(!md.contains(&secret_id));
    assert!(!md.contains(&admin.caller.csrf));
    let full = serde_json::to_string(&done).unwrap();
    assert!(!full.contains(&secret_id));
}

#[tokio::test]
async fn verify_freeze_fails_when_a_policy_is_edited_to_allow_writes() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    let t = template(
        "fv",
        &[("freeze", "freeze", ""), ("verify", "verify_freeze", "")],
    );
    admin.upload(&t).await;
    let path = "sys/policies/acl/ops-sneaky";
    let broad = "path \"env/*\" {\n  capabilities = [\"create\", \"read\", \"update\"]\n}\n";
    let policy = |hcl: &str| json!({ "policy": hcl });
    app.bao
        .write(path, &app.root, &policy(broad))
        .await
        .unwrap();
    let run = admin.start_run("fv", &["staging"]).await;
    assert_eq!(
        admin.ok_step(&run, "freeze", "run", None).await["state"],
        "passed"
    );
    // Someone re-allows policy writes directly in OpenBao while frozen.
    let frozen = app.bao.read(path, &app.root).await.unwrap().unwrap();
    let edited = format!(
        "{}path \"sys/policies/acl/*\" {{\n  capabilities = [\"create\", \"update\"]\n}}\n",
        frozen["data"]["policy"].as_str().unwrap()
    );
    app.bao
        .write(path, &app.root, &policy(&edited))
        .await
        .unwrap();
    let verify = admin.ok_step(&run, "verify", "run", None).await;
    assert_eq!(verify["state"], "failed", "{verify}");
    let probes = verify["evidence"]["probes"].as_array().unwrap();
    assert!(
        probes
            .iter()
            .any(|p| p["policy"] == "ops-sneaky" && p["got"] == "allowed"),
        "{verify}"
    );
    assert!(verify["summary"]
        .as_str()
        .unwrap()
        .contains("probes failed"));
    // A failed step blocks what follows it until it passes or is skipped.
    let (s, _) = admin.step(&run, "verify", "run", None).await;
    assert_eq!(s, StatusCode::OK, "a failed step can be run again");
    let md = admin.report(&run).await;
    assert!(md.contains("FAILED: policy `ops-sneaky`"), "{md}");
}

#[tokio::test]
async fn verify_identities_fails_when_the_canary_grant_is_removed() {
    let app = demo_app().await;
    let admin = Admin::new(&app).await;
    admin
        .upload(&template("ids", &[("ids", "verify_identities", "")]))
        .await;
    let broken = json!({
        "name": "checkout-bot", "class": "e2e", "description": "Checkout end-to-end suite",
        "grants": [grant("staging", "e2e/other", &["read"], "allow")],
        "canaries": [{"environment": "staging", "path": "e2e/checkout-bot"}],
        "forbidden": [{"environment": "staging", "path": "payments/db"}],
    });
    assert_eq!(
        admin.update_role("checkout-bot", broken).await.status(),
        StatusCode::OK
    );
    let run = admin.start_run("ids", &["staging"]).await;
    let ids = admin.ok_step(&run, "ids", "run", None).await;
    assert_eq!(ids["state"], "failed", "{ids}");
    assert_eq!(ids["evidence"]["results"][0]["status"], "canary_failed");
    assert_eq!(admin.run_record(&run).await["status"], "in_progress");
}

#[tokio::test]
async fn the_lint_step_reports_a_credential_written_to_the_wrong_environment() {
    let app = spawn_app().await;
    let admin = Admin::new(&app).await;
    admin
        .upload(&template("lint", &[("lint", "lint_environments", "")]))
        .await;
    app.bao
        .write(
            "env/production/data/svc/moved",
            &app.root,
            &json!({"data": {"v": "moved-value"}}),
        )
        .await
        .unwrap();
    app.bao
        .write("env/production/metadata/svc/moved", &app.root,
            &json!({"custom_metadata": {"class": "service", "owner": "x", "environment": "staging"}}))
        .await
        .unwrap();
    let run = admin.start_run("lint", &["production"]).await;
    let lint = admin.ok_step(&run, "lint", "run", None).await;
    assert_eq!(lint["state"], "failed", "{lint}");
    let findings = lint["evidence"]["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "environment-mismatch" && f["path"] == "svc/moved"),
        "{lint}"
    );
    let md = admin.report(&run).await;
    assert!(
        md.contains("environment-mismatch") && md.contains("production/svc/moved"),
        "{md}"
    );
    assert!(!md.contains("moved-value"));
}

#[tokio::test]
async fn two_browsers_acting_at_once_never_lose_an_event() {
    let app = spawn_app().await;
    let a = Admin::new(&app).await;
    let b = Admin::new(&app).await;
    let run = a.start_run("store-migration", &["staging"]).await;
    let id = run["id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for n in 0..12 {
        let who = if n % 2 == 0 { &a } else { &b };
        let id = id.clone();
        tasks.push(async move {
            let (path, body) = if n % 3 == 0 {
                (format!("/runbooks/{id}/incidents"),
                 json!({"title": format!("incident {n}"), "severity": "low", "user_impact": "none"}))
            } else {
                (format!("/runbooks/{id}/notes"), json!({"note": format!("note {n}")}))
            };
            let (s, v) = who.rb(Method::POST, &path, Some(body)).await;
            assert!(s.is_success(), "{v}");
        });
    }
    futures::future::join_all(tasks).await;
    let done = a.run_record(&run).await;
    let messages: Vec<&str> = done["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    for n in 0..12 {
        let wanted = if n % 3 == 0 {
            format!("incident {n}")
        } else {
            format!("note {n}")
        };
        assert!(
            messages.iter().any(|m| m.ends_with(&wanted)),
            "{wanted} lost: {messages:?}"
        );
    }
    let mut ns: Vec<u64> = done["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["n"].as_u64().unwrap())
        .collect();
    ns.sort_unstable();
    assert_eq!(ns, vec![1, 2, 3, 4]);
    let (s, list) = a.rb(Method::GET, "/runbooks", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["current_step"], "announce");
}

/// The demo data carries two lint errors on purpose; the lead fixes them before migrating.
async fn fix_demo_lint_errors(app: &TestApp) {
    for path in ["legacy/smtp-password", "payments/copied-from-prod"] {
        app.bao
            .delete(&format!("env/staging/metadata/{path}"), &app.root)
            .await
            .unwrap();
    }
}

/// A legacy KV v1 mount with `n` secrets that the admin may read, and an uploaded
/// changeset importing it into production under `legacy/`.
async fn legacy_mount_and_changeset(app: &TestApp, n: usize) {
    app.bao
        .write(
            "sys/mounts/legacy-kv",
            &app.root,
            &json!({"type": "kv", "options": {"version": "1"}}),
        )
        .await
        .unwrap();
    for i in 0..n {
        app.bao
            .write(
                &format!("legacy-kv/apps/app-{i}"),
                &app.root,
                &json!({"password": format!("legacy-value-{i}")}),
            )
            .await
            .unwrap();
    }
    app.bao
        .write(
            "sys/policies/acl/legacy-reader",
            &app.root,
            &json!({"policy":
            "path \"legacy-kv/*\" {\n  capabilities = [\"read\", \"list\", \"scan\"]\n}\n"}),
        )
        .await
        .unwrap();
    let user = app
        .bao
        .read("auth/userpass/users/admin", &app.root)
        .await
        .unwrap()
        .unwrap();
    let mut policies: Vec<Value> = user["data"]["token_policies"].as_array().unwrap().clone();
    policies.push(json!("legacy-reader"));
    app.bao
        .write(
            "auth/userpass/users/admin",
            &app.root,
            &json!({"token_policies": policies}),
        )
        .await
        .unwrap();
    let cs = r#"id = "2026-11-import-legacy"
author = "release lead"
description = "copy over the data from the old collections"
environment = "production"
requires_freeze = "provisioning"

[[operations]]
op = "import_kv"
mount = "legacy-kv"
prefix = "apps/"
to = { prefix = "legacy/apps/" }
"#;
    crypter::changesets::source::upload(&app.bao, &app.root, cs)
        .await
        .unwrap();
}

fn plan_hash_of(run: &Value) -> String {
    step_of(run, "plan")["evidence"]["plan_hash"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_whole_store_migration_passes() {
    let app = demo_app().await;
    fix_demo_lint_errors(&app).await;
    legacy_mount_and_changeset(&app, 5).await;
    let admin = Admin::new(&app).await;
    let run = admin
        .planned_migration("complete", json!({"note": "announced in #eng"}))
        .await;
    let now = admin.run_record(&run).await;
    let hash = plan_hash_of(&now);
    assert!(hash.starts_with("sha256:"), "{hash}");
    let planned = &step_of(&now, "plan")["evidence"]["changesets"][0];
    assert_eq!(planned["operations"][0]["counts"]["create"], 5, "{planned}");
    let (s, e) = admin
        .step(
            &run,
            "go-no-go",
            "signoff",
            Some(json!({"plan_hash": "sha256:stale"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let signed = admin
        .ok_step(
            &run,
            "go-no-go",
            "signoff",
            Some(json!({"plan_hash": hash})),
        )
        .await;
    assert_eq!(signed["signoff"]["plan_hash"], hash.as_str());
    for step in ["apply", "verify-identities", "lint", "cluster-health"] {
        let s = admin.ok_step(&run, step, "run", None).await;
        assert_eq!(s["state"], "passed", "{step}: {s}");
    }
    admin.skip_rollback(&run).await;
    for step in ["thaw", "verify-thaw"] {
        let s = admin.ok_step(&run, step, "run", None).await;
        assert_eq!(s["state"], "passed", "{step}: {s}");
    }
    admin
        .ok_step(
            &run,
            "report",
            "complete",
            Some(json!({"note": "sent to eng-all"})),
        )
        .await;
    let done = admin.run_record(&run).await;
    assert_eq!(done["status"], "succeeded");
    for i in 0..5 {
        let v = app
            .bao
            .read(
                &format!("env/production/data/legacy/apps/app-{i}"),
                &app.root,
            )
            .await
            .unwrap();
        assert!(v.is_some(), "app-{i} imported");
    }
    let applied = &step_of(&done, "apply")["evidence"]["changesets"][0];
    assert_eq!(applied["status"], "applied");
    assert_eq!(applied["runbook_run"], done["id"]);
    let checksum = applied["checksum"].as_str().unwrap();

    let md = admin.report(&run).await;
    for wanted in [
        "**Succeeded**",
        "## Plan",
        "## Steps",
        "## Incidents",
        "## Timeline",
        &format!("Plan hash: `{hash}`"),
        &format!("checksum `{checksum}`"),
        "2026-11-import-legacy",
        "import_kv: 5 create",
        "identity `checkout-bot`: ok",
        "write probes denied",
        "Signed off by admin",
        "restored policies match",
        "no user impact",
    ] {
        assert!(md.contains(wanted), "{wanted} missing from:\n{md}");
    }
    for i in 0..5 {
        assert!(!md.contains(&format!("legacy-value-{i}")));
    }
}

#[tokio::test]
async fn apply_refuses_after_the_plan_changed_post_signoff() {
    let app = demo_app().await;
    legacy_mount_and_changeset(&app, 3).await;
    let admin = Admin::new(&app).await;
    let run = admin
        .planned_migration("skip", json!({"reason": "rehearsal"}))
        .await;
    let first = plan_hash_of(&admin.run_record(&run).await);
    admin
        .ok_step(
            &run,
            "go-no-go",
            "signoff",
            Some(json!({"plan_hash": first})),
        )
        .await;
    // The legacy mount grows after the sign-off: the plan is no longer the one signed.
    app.bao
        .write(
            "legacy-kv/apps/late",
            &app.root,
            &json!({"password": "late-value"}),
        )
        .await
        .unwrap();
    let apply = admin.ok_step(&run, "apply", "run", None).await;
    assert_eq!(apply["state"], "failed", "{apply}");
    assert!(apply["summary"].as_str().unwrap().contains("plan changed"));
    assert!(
        !app.bao_has("env/production/data/legacy/apps/app-0").await,
        "nothing applied"
    );
    let after = admin.run_record(&run).await;
    let gate = step_of(&after, "go-no-go");
    assert_eq!(gate["state"], "waiting_signoff", "{gate}");
    assert!(gate["signoff"].is_null());
    assert_eq!(gate["voided"][0]["plan_hash"], first.as_str());
    assert!(after["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "signoff.void"));
    // The sign-off must be redone before apply can run again, on the new plan.
    let (s, e) = admin.step(&run, "apply", "run", None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    admin.ok_step(&run, "plan", "run", None).await;
    let second = plan_hash_of(&admin.run_record(&run).await);
    assert_ne!(first, second);
    let (s, _) = admin
        .step(
            &run,
            "go-no-go",
            "signoff",
            Some(json!({"plan_hash": first})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "the old plan cannot be signed again"
    );
    admin
        .ok_step(
            &run,
            "go-no-go",
            "signoff",
            Some(json!({"plan_hash": second})),
        )
        .await;
    assert_eq!(
        admin.ok_step(&run, "apply", "run", None).await["state"],
        "passed"
    );
    assert!(app.bao_has("env/production/data/legacy/apps/late").await);
    let md = admin.report(&run).await;
    assert!(md.contains("Void sign-off by admin"), "{md}");
}

/// The sign-off is bound to the complete item list: a plan that lists other items, even
/// with the same counts, is another plan, and apply refuses it.
#[tokio::test]
async fn a_signoff_refuses_an_apply_whose_items_differ_even_with_the_same_counts() {
    let app = demo_app().await;
    legacy_mount_and_changeset(&app, 3).await;
    let admin = Admin::new(&app).await;
    let run = admin
        .planned_migration("skip", json!({"reason": "rehearsal"}))
        .await;
    let planned = admin.run_record(&run).await;
    let first = plan_hash_of(&planned);
    let counts = step_of(&planned, "plan")["evidence"]["counts"].clone();
    assert_eq!(counts, json!({"create": 3}), "{counts}");
    // The complete item list is kept with the run's plan, not only its first page.
    let (s, items) = admin
        .rb(
            Method::GET,
            &format!("/changesets/plans/{first}/items?limit=2"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{items}");
    assert_eq!(
        (items["total"].as_u64(), items["next"].as_u64()),
        (Some(3), Some(1))
    );
    admin
        .ok_step(
            &run,
            "go-no-go",
            "signoff",
            Some(json!({"plan_hash": first})),
        )
        .await;
    // One legacy secret swapped for another: still three creates, other items.
    app.bao
        .delete("legacy-kv/apps/app-2", &app.root)
        .await
        .unwrap();
    app.bao
        .write(
            "legacy-kv/apps/app-9",
            &app.root,
            &json!({"password": "p9"}),
        )
        .await
        .unwrap();
    let apply = admin.ok_step(&run, "apply", "run", None).await;
    assert_eq!(apply["state"], "failed", "{apply}");
    let error = apply["evidence"]["error"].as_str().unwrap();
    assert!(
        error.contains("item 3 was planned as create production/legacy/apps/app-2 (absent), and is now create production/legacy/apps/app-9 (absent)"),
        "{error}"
    );
    for i in [0, 2, 9] {
        let v = app
            .bao
            .read(
                &format!("env/production/data/legacy/apps/app-{i}"),
                &app.root,
            )
            .await
            .unwrap();
        assert!(v.is_none(), "app-{i}: nothing applied");
    }
    let gate = step_of(&admin.run_record(&run).await, "go-no-go");
    assert_eq!(gate["voided"][0]["plan_hash"], first.as_str(), "{gate}");
    admin.ok_step(&run, "plan", "run", None).await;
    let replanned = admin.run_record(&run).await;
    assert_eq!(
        step_of(&replanned, "plan")["evidence"]["counts"],
        counts,
        "same counts"
    );
    assert_ne!(plan_hash_of(&replanned), first, "another plan");
}

#[tokio::test]
async fn the_cli_starts_a_run_acts_on_steps_and_prints_the_report() {
    let app = spawn_app().await;
    let token = app
        .bao
        .write(
            "auth/token/create",
            &app.root,
            &json!({"policies": ["crypter-admin", "crypter-operator", "default"]}),
        )
        .await
        .unwrap()
        .unwrap()["auth"]["client_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = |args: Vec<String>| {
        let addr = app.bao.addr().to_owned();
        let token = token.clone();
        async move {
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_crypter"))
                .arg("runbook")
                .args(args)
                .env("BAO_ADDR", addr)
                .env("BAO_TOKEN", token)
                .output()
                .await
                .unwrap();
            (
                out.status.code().unwrap(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let args = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
    let (code, out, err) = run(args("--json start --title cli-run --env staging")).await;
    assert_eq!(code, 0, "{err}");
    let started: Value = serde_json::from_str(&out).unwrap();
    let id = started["id"].as_str().unwrap();
    let (code, _, err) = run(args(&format!("run-step {id} freeze"))).await;
    assert_eq!(code, 3, "out of order is a conflict: {err}");
    let (code, _, err) = run(args(&format!("run-step {id} announce --action skip"))).await;
    assert_eq!(code, 1, "a skip needs a reason: {err}");
    let (code, out, err) = run(args(&format!(
        "run-step {id} announce --action skip --reason cli"
    )))
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("skipped") && out.contains("> pending"),
        "{out}"
    );
    let (code, out, _) = run(args(&format!("run-step {id} freeze"))).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("frozen at provisioning"), "{out}");
    let (code, out, _) = run(args("status")).await;
    assert_eq!(code, 0);
    assert!(out.contains(id) && out.contains("2/17"), "{out}");
    let (code, out, _) = run(args(&format!("report {id}"))).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("# Runbook report: cli-run") && out.contains("## Timeline"),
        "{out}"
    );
    assert!(!out.contains(token.as_str()));
}

#[tokio::test]
async fn a_run_rolls_its_migration_back_behind_its_own_sign_off_and_reports_it() {
    let app = demo_app().await;
    fix_demo_lint_errors(&app).await;
    legacy_mount_and_changeset(&app, 5).await;
    let admin = Admin::new(&app).await;
    let run = admin
        .planned_migration("complete", json!({"note": "announced"}))
        .await;
    let hash = plan_hash_of(&admin.run_record(&run).await);
    admin
        .ok_step(
            &run,
            "go-no-go",
            "signoff",
            Some(json!({"plan_hash": hash})),
        )
        .await;
    for step in ["apply", "verify-identities", "lint", "cluster-health"] {
        let s = admin.ok_step(&run, step, "run", None).await;
        assert_eq!(s["state"], "passed", "{step}: {s}");
    }
    let imported = "env/production/data/legacy/apps/app-0";
    assert!(app.bao.read(imported, &app.root).await.unwrap().is_some());
    // Someone changes one imported credential after the apply: the roll back leaves it.
    app.bao
        .write(
            "env/production/data/legacy/apps/app-4",
            &app.root,
            &json!({"data": {"pw": "changed after"}}),
        )
        .await
        .unwrap();

    let planned = admin.ok_step(&run, "plan-rollback", "run", None).await;
    assert_eq!(planned["state"], "passed", "{planned}");
    let undo_hash = planned["evidence"]["plan_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(undo_hash, hash);
    assert_eq!(
        planned["evidence"]["rollback_of"],
        json!(["2026-11-import-legacy"])
    );
    assert_eq!(planned["evidence"]["counts"]["delete"], 4, "{planned}");
    assert_eq!(planned["evidence"]["counts"]["conflict"], 1, "{planned}");
    // The sign-off is bound to the roll back's own plan, not the migration's.
    let (s, e) = admin
        .step(
            &run,
            "rollback-go-no-go",
            "signoff",
            Some(json!({"plan_hash": hash})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    admin
        .ok_step(
            &run,
            "rollback-go-no-go",
            "signoff",
            Some(json!({"plan_hash": undo_hash})),
        )
        .await;
    let rolled = admin.ok_step(&run, "rollback", "run", None).await;
    assert_eq!(rolled["state"], "passed", "{rolled}");
    for i in 0..4 {
        let path = format!("env/production/data/legacy/apps/app-{i}");
        assert!(
            app.bao.read(&path, &app.root).await.unwrap().is_none(),
            "app-{i} removed"
        );
    }
    let kept = app
        .bao
        .read("env/production/data/legacy/apps/app-4", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept["data"]["data"]["pw"], "changed after");
    assert_eq!(
        rolled["evidence"]["changesets"][0]["status"], "undone",
        "{rolled}"
    );
    for step in ["thaw", "verify-thaw"] {
        admin.ok_step(&run, step, "run", None).await;
    }
    let md = admin.report(&run).await;
    for wanted in [
        "## Roll back",
        "- Undone, the last first: 2026-11-import-legacy",
        "conflict, left as it is: production/legacy/apps/app-4",
        "Roll back signed off by admin",
        &format!("on plan `{undo_hash}`"),
        "1 conflict(s) left as they were: production/legacy/apps/app-4",
    ] {
        assert!(md.contains(wanted), "{wanted:?} missing from:\n{md}");
    }
}
