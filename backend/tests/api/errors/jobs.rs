use crate::changesets::{seed, spawn_changesets, write_file, JobState};
use serde_json::{json, Value};

const ROLE: &str = r#"
id = "001-role"
author = "ana"
description = "a role to change later"
environment = "qa"

[[operations]]
op = "create_environment"

[[operations]]
op = "create_role"
name = "payments"
class = "service"
grants = [{ environment = "qa", scope = "db/*", capabilities = ["read"], effect = "allow" }]
"#;

/// Many copies first, so that the role's change runs well after the apply answered.
const COPY_THEN_GRANTS: &str = r#"
id = "010-copy-then-grants"
author = "ana"
description = "bulk, then wider grants"
environment = "qa"

[[operations]]
op = "copy_credentials"
from = { environment = "prod", prefix = "bulk/" }
to = { prefix = "bulk/" }

[[operations]]
op = "update_grants"
role = "payments"
grants = [{ environment = "qa", scope = "*", capabilities = ["read", "list"], effect = "allow" }]
"#;

#[tokio::test]
async fn a_failed_apply_job_records_its_real_cause_not_internal_error() {
    super::logs::keep();
    let t = spawn_changesets().await;
    write_file(t.dir.path(), "001.toml", ROLE);
    t.plan_and_apply().await;
    seed(&t, 600).await;
    write_file(t.dir.path(), "010.toml", COPY_THEN_GRANTS);
    let plan = t.plan().await;
    assert!(plan.blockers.is_empty(), "{:?}", plan.blockers);
    let r = t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let started: Value = r.json().await.unwrap();
    // The plan was checked when apply answered; someone now breaks the role's record in
    // OpenBao directly, before the copies are done and the role's item reads it.
    t.root_write(
        "crypter/data/roles/payments",
        json!({"data": {"name": "payments", "class": 42}}),
    )
    .await;
    let job = started["job_id"].as_str().unwrap();
    let done = t.wait(job).await;
    assert_eq!(done.state, JobState::Failed, "{done:?}");
    let error = done.error.unwrap();
    assert!(
        error.contains("role record payments is unreadable"),
        "{error}"
    );
    assert!(!error.contains("internal error"), "{error}");
    let logged = super::logs::lines_with(job);
    assert!(
        logged
            .iter()
            .any(|l| l.contains("job failed") && l.contains("role record payments is unreadable")),
        "{logged:#?}"
    );
    let st = t.status_of("010-copy-then-grants").await;
    let recorded = st.error.unwrap();
    assert!(
        recorded.contains("role record payments is unreadable"),
        "{recorded}"
    );
}
