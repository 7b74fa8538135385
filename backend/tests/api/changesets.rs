//! Changesets against a real OpenBao: every operation planned, applied and re-run; edits
//! of applied files; the plan's warnings and hash; the lock; a crash in the middle of a
//! 10,000-credential copy and its resume.

use crate::helpers::*;
use crypter::config::Settings;
use crypter_api::{ChangesetPlan, ChangesetStatus, JobProgress, CSRF_HEADER};
use futures_util::stream::{self, StreamExt};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

pub struct Changesets {
    pub app: TestApp,
    pub dir: tempfile::TempDir,
    pub client: Client,
    pub csrf: String,
}

pub async fn spawn_changesets() -> Changesets {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(Settings {
        changesets_dir: Some(dir.path().to_owned()),
        ..Settings::default()
    })
    .await;
    let (client, session) = app.admin().await;
    Changesets {
        app,
        dir,
        client,
        csrf: session.csrf_token,
    }
}

pub fn write_file(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

impl Changesets {
    pub async fn status(&self) -> Vec<ChangesetStatus> {
        let r = self
            .client
            .get(self.app.url("/changesets"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    pub async fn status_of(&self, id: &str) -> ChangesetStatus {
        self.status()
            .await
            .into_iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("no changeset {id}"))
    }

    pub async fn plan(&self) -> ChangesetPlan {
        let r = self
            .client
            .post(self.app.url("/changesets/plan"))
            .header(CSRF_HEADER, &self.csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    pub async fn apply_raw(&self, body: Value) -> Response {
        self.client
            .post(self.app.url("/changesets/apply"))
            .header(CSRF_HEADER, &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn upload(&self, toml: &str) -> Response {
        self.client
            .post(self.app.url("/changesets"))
            .header(CSRF_HEADER, &self.csrf)
            .json(&json!({ "toml": toml }))
            .send()
            .await
            .unwrap()
    }

    pub async fn job(&self, id: &str) -> JobProgress {
        self.client
            .get(self.app.url(&format!("/jobs/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn wait(&self, id: &str) -> JobProgress {
        for _ in 0..1200 {
            let p = self.job(id).await;
            if p.state != "running" {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("job {id} did not finish");
    }

    /// Plan, apply that plan, wait: the job must succeed.
    pub async fn plan_and_apply(&self) -> (ChangesetPlan, JobProgress) {
        let plan = self.plan().await;
        assert!(plan.blockers.is_empty(), "{:?}", plan.blockers);
        let r = self.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
        let started: Value = r.json().await.unwrap();
        let done = self.wait(started["job_id"].as_str().unwrap()).await;
        assert_eq!(done.state, "done", "{done:?}");
        (plan, done)
    }

    /// The old collections, a KV v1 and a KV v2 mount outside Crypter, readable by the admin
    /// through an extra policy (the admin logs in again to get it).
    pub async fn legacy_mounts(&mut self) {
        for (path, version) in [("legacy1", "1"), ("legacy2", "2")] {
            self.root_write(
                &format!("sys/mounts/{path}"),
                json!({"type": "kv", "options": {"version": version}}),
            )
            .await;
        }
        let policy = "path \"legacy1/*\" { capabilities = [\"read\", \"list\", \"scan\"] }\n\
                      path \"legacy2/*\" { capabilities = [\"read\", \"list\", \"scan\"] }\n";
        self.root_write(
            "sys/policies/acl/legacy-reader",
            json!({ "policy": policy }),
        )
        .await;
        self.root_write(
            "auth/userpass/users/admin",
            json!({"token_policies": "crypter-admin,crypter-operator,legacy-reader"}),
        )
        .await;
        let (client, session) = self.app.admin().await;
        self.client = client;
        self.csrf = session.csrf_token;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    pub async fn value(&self, mount_path: &str) -> Option<Value> {
        self.app
            .bao
            .read(mount_path, &self.app.root)
            .await
            .unwrap()
            .map(|v| v["data"]["data"].clone())
    }

    pub async fn root_write(&self, path: &str, body: Value) {
        self.app
            .bao
            .write(path, &self.app.root, &body)
            .await
            .unwrap();
    }

    /// Everything in the store that a plan could touch: keys and versions of the records,
    /// environments, mounts, policies and roles.
    pub async fn snapshot(&self) -> Value {
        let scan = Method::from_bytes(b"SCAN").unwrap();
        let mut out = serde_json::Map::new();
        for path in [
            "crypter/detailed-metadata/",
            "env/prod/detailed-metadata/",
            "env/qa/detailed-metadata/",
        ] {
            let v = self
                .app
                .bao
                .request(scan.clone(), path, Some(&self.app.root), None)
                .await
                .ok()
                .flatten()
                .map(|v| v["data"].clone())
                .unwrap_or_default();
            out.insert(path.into(), v);
        }
        let mounts = self
            .app
            .bao
            .read("sys/mounts", &self.app.root)
            .await
            .unwrap();
        out.insert(
            "sys/mounts".into(),
            mounts.map(|v| v["data"].clone()).unwrap_or_default(),
        );
        let policies = self
            .app
            .bao
            .list("sys/policies/acl", &self.app.root)
            .await
            .unwrap();
        out.insert("policies".into(), json!(policies));
        Value::Object(out)
    }
}

const SETUP: &str = r#"
id = "001-setup"
author = "ana"
description = "environments"
environment = "prod"

[[operations]]
op = "create_environment"
description = "production"
protected = true

[[operations]]
op = "create_environment"
name = "qa"

[[operations]]
op = "put_credential"
path = "db/password"
class = "service"
owner = "payments"
generate = { length = 24, charset = "alphanumeric" }

[[operations]]
op = "put_credential"
path = "api/key"
class = "integration"
generate = { length = 16, charset = "hex" }
"#;

const EVERYTHING: &str = r#"
id = "002-everything"
author = "ana"
description = "every operation"
environment = "qa"

[[operations]]
op = "create_role"
name = "payments"
class = "service"
grants = [{ environment = "qa", scope = "db/*", capabilities = ["read"], effect = "allow" }]

[[operations]]
op = "update_grants"
role = "payments"
grants = [{ environment = "qa", scope = "*", capabilities = ["read", "list"], effect = "allow" }]

[[operations]]
op = "create_role"
name = "olduser"
class = "integration"

[[operations]]
op = "delete_role"
role = "olduser"

[[operations]]
op = "put_credential"
path = "db/copy-of-prod"
class = "service"
from = { environment = "prod", path = "db/password" }

[[operations]]
op = "copy_credentials"
from = { environment = "prod", prefix = "db/" }
to = { prefix = "copied/" }

[[operations]]
op = "move_credentials"
from = { environment = "prod", prefix = "api/" }
to = { prefix = "moved/" }

[[operations]]
op = "import_kv"
mount = "legacy1"
to = { prefix = "v1/" }
class = "integration"

[[operations]]
op = "import_kv"
mount = "legacy2"
prefix = "apps/"
to = { prefix = "v2/" }

[[operations]]
op = "retag_credentials"
prefix = "v1/"
owner = "platform"
add_labels = ["imported"]

[[operations]]
op = "delete_credentials"
prefix = "v2/old"
"#;

#[tokio::test]
async fn every_operation_plans_applies_and_a_rerun_changes_nothing() {
    let mut t = spawn_changesets().await;
    write_file(t.dir.path(), "001.toml", SETUP);
    assert_eq!(t.status_of("001-setup").await.status, "pending");
    let (plan, job) = t.plan_and_apply().await;
    assert_eq!(plan.changesets.len(), 1);
    assert_eq!(plan.changesets[0].operations[0].create, 1);
    assert_eq!(job.done, 4);
    assert_eq!(job.total, 4);
    let st = t.status_of("001-setup").await;
    assert_eq!(st.status, "applied");
    assert_eq!(st.applied_by.as_deref(), Some("admin"));
    assert_eq!(st.checksum, st.applied_checksum);

    // The old collections: a KV v1 and a KV v2 mount outside Crypter.
    t.legacy_mounts().await;
    t.root_write("legacy1/svc/token", json!({"token": "v1-value", "n": 3}))
        .await;
    t.root_write("legacy2/data/apps/web", json!({"data": {"pw": "w"}}))
        .await;
    t.root_write("legacy2/data/apps/old-one", json!({"data": {"pw": "o"}}))
        .await;
    write_file(t.dir.path(), "002.toml", EVERYTHING);
    let (plan, _) = t.plan_and_apply().await;
    let ops = &plan.changesets[0].operations;
    assert_eq!(ops.len(), 11);
    assert_eq!(ops[5].create, 1, "{:?}", ops[5]);
    assert!(ops[5]
        .examples
        .contains(&"create qa/copied/password".to_owned()));
    assert_eq!(t.status_of("002-everything").await.status, "applied");

    // Every operation's effect.
    let role: Value = t
        .client
        .get(t.app.url("/roles/payments"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(role["grants"][0]["scope"], "*", "{role}");
    let gone = t
        .client
        .get(t.app.url("/roles/olduser"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let prod_pw = t.value("env/prod/data/db/password").await.unwrap();
    assert_eq!(prod_pw["value"].as_str().unwrap().len(), 24);
    assert_eq!(
        t.value("env/qa/data/db/copy-of-prod").await.unwrap(),
        prod_pw
    );
    assert_eq!(
        t.value("env/qa/data/copied/password").await.unwrap(),
        prod_pw
    );
    assert!(t.value("env/qa/data/moved/key").await.is_some());
    assert!(
        t.value("env/prod/data/api/key").await.is_none(),
        "moved away"
    );
    let v1 = t.value("env/qa/data/v1/svc/token").await.unwrap();
    assert_eq!(v1, json!({"token": "v1-value", "n": "3"}));
    assert_eq!(
        t.value("env/qa/data/v2/web").await.unwrap(),
        json!({"pw": "w"})
    );
    assert!(t.value("env/qa/data/v2/old-one").await.is_none(), "deleted");
    let meta = t
        .app
        .bao
        .read("env/qa/metadata/v1/svc/token", &t.app.root)
        .await
        .unwrap()
        .unwrap();
    let custom = &meta["data"]["custom_metadata"];
    assert_eq!(custom["owner"], "platform");
    assert_eq!(custom["labels"], "imported");
    assert_eq!(custom["class"], "integration");
    assert_eq!(custom["environment"], "qa");
    let copied = t
        .app
        .bao
        .read("env/qa/metadata/copied/password", &t.app.root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(copied["data"]["custom_metadata"]["owner"], "payments");
    assert_eq!(copied["data"]["current_version"], 1);

    // Re-running changes nothing: nothing left to plan, and the store stays as it is.
    let before = t.snapshot().await;
    let again = t.plan().await;
    assert!(again.changesets.is_empty(), "{again:?}");
    assert!(again.blockers.is_empty());
    let r = t.apply_raw(json!({ "plan_hash": again.plan_hash })).await;
    assert_eq!(r.status(), 202);
    let id: Value = r.json().await.unwrap();
    let done = t.wait(id["job_id"].as_str().unwrap()).await;
    assert_eq!((done.state.as_str(), done.total), ("done", 0));
    let after = t.snapshot().await;
    assert_eq!(
        before["env/qa/detailed-metadata/"], after["env/qa/detailed-metadata/"],
        "a re-run writes no credential"
    );
}

#[tokio::test]
async fn plan_writes_nothing_and_warns() {
    let mut t = spawn_changesets().await;
    write_file(t.dir.path(), "001.toml", SETUP);
    t.plan_and_apply().await;
    write_file(t.dir.path(), "002.toml", EVERYTHING);
    let mut text = EVERYTHING.replace("id = \"002-everything\"", "id = \"003-more\"");
    text.push_str(
        "\n[[operations]]\nop = \"copy_credentials\"\nfrom = { environment = \"prod\" }\nto = { prefix = \"all/\" }\noverwrite = true\n",
    );
    write_file(
        t.dir.path(),
        "003.toml",
        &text.replace(
            "environment = \"qa\"\n\n",
            "environment = \"prod\"\nrequires_freeze = \"provisioning\"\n\n",
        ),
    );
    t.legacy_mounts().await;
    let before = t.snapshot().await;
    let plan = t.plan().await;
    let after = t.snapshot().await;
    assert_eq!(before, after, "a plan writes nothing");
    let codes: Vec<(&str, &str)> = plan
        .warnings
        .iter()
        .map(|w| (w.changeset.as_str(), w.code.as_str()))
        .collect();
    // put_credential from prod into qa.
    assert!(
        codes.contains(&("002-everything", "environment_mismatch")),
        "{codes:?}"
    );
    assert!(codes.contains(&("003-more", "overwrite")), "{codes:?}");
    assert!(
        codes.contains(&("003-more", "protected_environment")),
        "{codes:?}"
    );
    assert!(codes.contains(&("003-more", "freeze_missing")), "{codes:?}");
    assert!(plan.blockers.iter().any(|b| b.contains("freeze")));
    let mismatch = plan
        .warnings
        .iter()
        .find(|w| w.code == "environment_mismatch" && w.operation == Some(4))
        .unwrap();
    assert!(
        mismatch.message.contains("prod/db/password"),
        "{mismatch:?}"
    );
    let r = t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
    let (status, code, _) = error_code(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "plan_blocked")
    );
}

#[tokio::test]
async fn an_edited_applied_changeset_is_changed_then_accepted() {
    let t = spawn_changesets().await;
    write_file(t.dir.path(), "001.toml", SETUP);
    t.plan_and_apply().await;
    let applied = t.status_of("001-setup").await;
    // Comments and the description do not change the checksum.
    write_file(
        t.dir.path(),
        "001.toml",
        &format!(
            "# reviewed\n{}",
            SETUP.replace("description = \"environments\"", "description = \"envs\"")
        ),
    );
    assert_eq!(t.status_of("001-setup").await.status, "applied");
    let edited = SETUP.replace("length = 24", "length = 32");
    write_file(t.dir.path(), "001.toml", &edited);
    let st = t.status_of("001-setup").await;
    assert_eq!(st.status, "changed");
    let diff = st.diff.unwrap();
    assert!(diff.contains("-generate = { length = 24"), "{diff}");
    assert!(diff.contains("+generate = { length = 32"), "{diff}");
    assert_ne!(st.checksum, applied.checksum);
    let plan = t.plan().await;
    assert!(plan.warnings.iter().any(|w| w.code == "changed"));
    let r = t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
    let (status, code, message) = error_code(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "plan_blocked")
    );
    assert!(message.contains("001-setup is changed"), "{message}");

    let new_sum = st.checksum.unwrap();
    let accepted = edited.replace(
        "environment = \"prod\"\n",
        &format!(
            "environment = \"prod\"\nvalid_checksums = [{{ checksum = \"{new_sum}\", reason = \"longer password, reviewed by bo\" }}]\n"
        ),
    );
    write_file(t.dir.path(), "001.toml", &accepted);
    let st = t.status_of("001-setup").await;
    assert_eq!(st.status, "accepted");
    assert_eq!(
        st.accepted_reason.as_deref(),
        Some("longer password, reviewed by bo")
    );
    assert!(t.plan().await.blockers.is_empty());
}

#[tokio::test]
async fn parse_errors_are_listed_and_uploads_are_validated() {
    let t = spawn_changesets().await;
    let no_env = SETUP.replace("environment = \"prod\"\n", "");
    write_file(t.dir.path(), "bad.toml", &no_env);
    write_file(t.dir.path(), "001.toml", SETUP);
    write_file(t.dir.path(), "dup.toml", SETUP);
    let all = t.status().await;
    assert_eq!(all.len(), 3, "a bad file does not hide the rest");
    let bad = all.iter().find(|s| s.file.ends_with("bad.toml")).unwrap();
    assert_eq!(bad.status, "invalid");
    assert!(
        bad.error.as_ref().unwrap().contains("environment"),
        "{bad:?}"
    );
    let dup = all.iter().find(|s| s.file.ends_with("dup.toml")).unwrap();
    assert!(
        dup.error.as_ref().unwrap().contains("duplicate id"),
        "{dup:?}"
    );

    let r = t.upload(&no_env).await;
    let (status, code, message) = error_code(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_changeset")
    );
    assert!(message.contains("missing field `environment`"), "{message}");
    let literal = SETUP.replace(
        "generate = { length = 24, charset = \"alphanumeric\" }",
        "value = \"hunter2\"",
    );
    let r = t.upload(&literal.replace("001-setup", "009-up")).await;
    let (status, _, message) = error_code(r).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        message.contains("literal secret") && message.contains(":21:"),
        "{message}"
    );
    assert!(!message.contains("hunter2"));
    let unknown = SETUP.replace("create_environment", "make_environment");
    let r = t.upload(&unknown.replace("001-setup", "009-up")).await;
    let (_, _, message) = error_code(r).await;
    assert!(message.contains("make_environment"), "{message}");

    let r = t.upload(&SETUP.replace("001-setup", "005-uploaded")).await;
    assert_eq!(r.status(), 201);
    let st: ChangesetStatus = r.json().await.unwrap();
    assert_eq!(
        (st.status.as_str(), st.file.as_str()),
        ("pending", "upload:005-uploaded")
    );
    assert!(t
        .value("crypter/data/changesets/uploads/005-uploaded")
        .await
        .is_some());
}

async fn seed(t: &Changesets, n: usize) {
    t.root_write(
        "sys/mounts/env/prod",
        json!({"type": "kv", "options": {"version": "2"}}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let bao = &t.app.bao;
    let root = &t.app.root;
    stream::iter(0..n)
        .map(|i| async move {
            bao.write(
                &format!("env/prod/data/bulk/c{i:05}"),
                root,
                &json!({"data": {"v": format!("value-{i}")}}),
            )
            .await
            .unwrap();
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
}

const COPY: &str = r#"
id = "010-copy"
author = "ana"
description = "bulk"
environment = "qa"

[[operations]]
op = "create_environment"

[[operations]]
op = "copy_credentials"
from = { environment = "prod", prefix = "bulk/" }
to = { prefix = "bulk/" }
"#;

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
    let lock: Value = t
        .client
        .get(t.app.url("/changesets/lock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(lock["holder"], "admin", "{lock}");
    // Forcing needs a reason.
    let r = t
        .apply_raw(json!({ "plan_hash": plan.plan_hash, "force": true }))
        .await;
    assert_eq!(error_code(r).await.1, "reason_required");
    let started: Value = winner.json().await.unwrap();
    let done = t.wait(started["job_id"].as_str().unwrap()).await;
    assert_eq!((done.state.as_str(), done.done), ("done", 1501));
    let lock: Value = t
        .client
        .get(t.app.url("/changesets/lock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let (status, code, _) = error_code(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "plan_changed")
    );
    let lock: Value = t
        .client
        .get(t.app.url("/changesets/lock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(lock.is_null(), "a refused apply leaves the lock free");
    let (plan, done) = t.plan_and_apply().await;
    assert_eq!(plan.changesets[0].operations[1].create, 6);
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
    let r = t
        .client
        .get(t.app.url("/jobs/job-nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = t
        .client
        .get(t.app.url("/jobs/job-nope/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

mod crash {
    use super::*;
    use crypter::embedded::free_loopback_port;
    use std::process::Stdio;
    use std::time::Instant;
    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::process::{Child, Command};

    const BIN: &str = env!("CARGO_BIN_EXE_crypter");
    const N: usize = 10_000;

    struct Backend {
        child: Child,
        addr: String,
    }

    async fn start(bao_addr: &str, dir: &Path, creds: &Path, listen: u16) -> Backend {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", &format!("127.0.0.1:{listen}")])
            .args(["--bao-addr", bao_addr])
            .arg("--backend-credentials")
            .arg(creds)
            .arg("--changesets-dir")
            .arg(dir)
            .arg("--dist-dir")
            .arg(dir.join("no-dist"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = String::new();
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout_at(deadline.into(), lines.next_line()).await
        {
            seen.push_str(&line);
            if line.starts_with("Crypter console:") {
                break;
            }
        }
        assert!(
            seen.contains("Crypter console:"),
            "crypter did not start: {seen}"
        );
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Backend {
            child,
            addr: format!("http://127.0.0.1:{listen}"),
        }
    }

    async fn login(addr: &str) -> (Client, String) {
        let client = browser();
        let r = client
            .post(format!("{addr}/api/v1/session"))
            .json(&json!({"method": "userpass", "username": "admin", "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let s: Value = r.json().await.unwrap();
        (client, s["csrf_token"].as_str().unwrap().to_owned())
    }

    async fn plan_and_start(addr: &str, client: &Client, csrf: &str) -> (ChangesetPlan, String) {
        let plan: ChangesetPlan = client
            .post(format!("{addr}/api/v1/changesets/plan"))
            .header(CSRF_HEADER, csrf)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = client
            .post(format!("{addr}/api/v1/changesets/apply"))
            .header(CSRF_HEADER, csrf)
            .json(&json!({ "plan_hash": plan.plan_hash }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
        let v: Value = r.json().await.unwrap();
        (plan, v["job_id"].as_str().unwrap().to_owned())
    }

    async fn progress(addr: &str, client: &Client, job: &str) -> JobProgress {
        client
            .get(format!("{addr}/api/v1/jobs/{job}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_killed_copy_resumes_with_nothing_lost_or_duplicated() {
        let t = spawn_changesets().await;
        seed(&t, N).await;
        write_file(t.dir.path(), "010.toml", COPY);
        let bao_addr = t.app.bao.addr().to_owned();
        let listen = free_loopback_port().unwrap();
        // `serve --bao-addr` starts only with the backend's own AppRole credentials.
        let private = tempfile::tempdir().unwrap();
        let creds = private.path().join("backend.json");
        crypter::bootstrap::issue_credentials(&t.app.bao, &t.app.root)
            .await
            .unwrap()
            .write(&creds)
            .unwrap();

        let mut first = start(&bao_addr, t.dir.path(), &creds, listen).await;
        let (client, csrf) = login(&first.addr).await;
        let (plan, job) = plan_and_start(&first.addr, &client, &csrf).await;
        assert_eq!(plan.changesets[0].operations[1].create, N as u64);
        // Kill it once a part is copied, well before the end.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let p = progress(&first.addr, &client, &job).await;
            assert_eq!(
                p.state, "running",
                "finished before it could be killed: {p:?}"
            );
            if p.done >= 1000 {
                break;
            }
            assert!(Instant::now() < deadline, "no progress: {p:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let pid = nix::unistd::Pid::from_raw(first.child.id().unwrap() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
        first.child.wait().await.unwrap();

        let record = t.value("crypter/data/changelog/010-copy").await.unwrap();
        assert_eq!(record["result"], "running", "{record}");
        let cursor = &record["cursor"];
        assert_eq!(cursor["operation"], 1, "{record}");
        assert!(cursor["after"].as_str().unwrap().starts_with("qa/bulk/c"));
        let st = t.status_of("010-copy").await;
        assert_eq!(st.status, "failed");
        assert!(st.cursor.is_some());

        let second = start(&bao_addr, t.dir.path(), &creds, listen).await;
        let (client, csrf) = login(&second.addr).await;
        let (plan, job) = plan_and_start(&second.addr, &client, &csrf).await;
        let op = &plan.changesets[0].operations[1];
        assert!(
            op.skip >= 1000 && op.create + op.update + op.skip == N as u64,
            "{op:?}"
        );
        let done = loop {
            let p = progress(&second.addr, &client, &job).await;
            if p.state != "running" {
                break p;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(done.state, "done", "{done:?}");

        // Every credential exactly once (version 1), with its value and metadata.
        let scan = Method::from_bytes(b"SCAN").unwrap();
        let listed = t
            .app
            .bao
            .request(scan, "env/qa/detailed-metadata/", Some(&t.app.root), None)
            .await
            .unwrap()
            .unwrap();
        let info = listed["data"]["key_info"].as_object().unwrap();
        let copies: Vec<(&String, &Value)> = info
            .iter()
            .filter(|(k, _)| k.starts_with("bulk/"))
            .collect();
        assert_eq!(copies.len(), N);
        for (k, v) in &copies {
            assert_eq!(v["current_version"], 1, "{k} written twice");
            assert_eq!(v["custom_metadata"]["environment"], "qa", "{k}");
        }
        let bao = &t.app.bao;
        let root = &t.app.root;
        let wrong: Vec<String> = stream::iter(0..N)
            .map(|i| async move {
                let v = bao
                    .read(&format!("env/qa/data/bulk/c{i:05}"), root)
                    .await
                    .unwrap();
                let ok = v.is_some_and(|v| v["data"]["data"]["v"] == format!("value-{i}"));
                (!ok).then(|| format!("c{i:05}"))
            })
            .buffer_unordered(32)
            .filter_map(|x| async move { x })
            .collect()
            .await;
        assert!(wrong.is_empty(), "wrong values: {wrong:?}");
        let record = t.value("crypter/data/changelog/010-copy").await.unwrap();
        assert_eq!(record["result"], "applied", "{record}");
        assert!(record["cursor"].is_null());
        assert_eq!(
            Some(record["checksum"].as_str().unwrap().to_owned()),
            t.status_of("010-copy").await.checksum
        );
        assert_eq!(t.status_of("010-copy").await.status, "applied");
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
    let (status, code, message) = error_code(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "changesets_locked")
    );
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
        "done"
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
    let lock: Value = t
        .client
        .get(t.app.url("/changesets/lock"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(lock["stale"], true, "{lock}");
    let plan = t.plan().await;
    let r = t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
    assert_eq!(r.status(), 202);
}
