//! Changesets against a real OpenBao. The harness is here; the tests are by subject.

mod contract;
mod crash;
mod instances;
mod lock;
mod operations;
pub mod process;
mod props;
mod raft;
mod rewrap;
mod undo;

use crate::helpers::*;
use crypter::bao::kv;
use crypter::config::Settings;
pub use crypter_api::{
    ChangesetPlan, ChangesetState, ChangesetStatus, JobProgress, JobState, PlanItem, PlanItemPage,
    PlannedOperation, CSRF_HEADER,
};
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
        self.app
            .get_json(&self.client, &format!("/jobs/{id}"))
            .await
    }

    pub async fn wait(&self, id: &str) -> JobProgress {
        let what = format!("job {id} finished");
        eventually(&what, Duration::from_secs(120), move || async move {
            let p = self.job(id).await;
            (p.state != JobState::Running).then_some(p)
        })
        .await
    }

    /// A page of a plan's items (`query`: e.g. `kind=create&limit=10`).
    pub async fn items_page(&self, hash: &str, query: &str) -> PlanItemPage {
        let r = self
            .client
            .get(
                self.app
                    .url(&format!("/changesets/plans/{hash}/items?{query}")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// Every item of a plan, paged through the API.
    pub async fn all_items(&self, plan: &ChangesetPlan) -> Vec<PlanItem> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let q = match after {
                Some(a) => format!("limit=1000&after={a}"),
                None => "limit=1000".into(),
            };
            let page = self.items_page(&plan.plan_hash, &q).await;
            out.extend(page.items.into_iter().map(|n| n.item));
            match page.next {
                Some(n) => after = Some(n),
                None => return out,
            }
        }
    }

    /// Plan, apply that plan, wait: the job must succeed.
    pub async fn plan_and_apply(&self) -> (ChangesetPlan, JobProgress) {
        let plan = self.plan().await;
        assert!(plan.blockers.is_empty(), "{:?}", plan.blockers);
        let r = self.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
        let started: Value = r.json().await.unwrap();
        let done = self.wait(started["job_id"].as_str().unwrap()).await;
        assert_eq!(done.state, JobState::Done, "{done:?}");
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
        kv::wait_ready(&self.app.bao, &self.app.root, &kv::Mount::v2("legacy2"))
            .await
            .unwrap();
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

pub const SETUP: &str = r#"
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

pub const EVERYTHING: &str = r#"
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

pub async fn seed(t: &Changesets, n: usize) {
    t.root_write(
        "sys/mounts/env/prod",
        json!({"type": "kv", "options": {"version": "2"}}),
    )
    .await;
    kv::wait_ready(&t.app.bao, &t.app.root, &kv::Mount::v2("env/prod"))
        .await
        .unwrap();
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

pub const COPY: &str = r#"
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

/// Items of one kind in an operation's counts.
pub fn count(op: &PlannedOperation, kind: &str) -> u64 {
    op.counts.get(kind).copied().unwrap_or(0)
}
