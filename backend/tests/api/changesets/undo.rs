//! Undo: the inverse plan from the restore point made before an apply, applied like any
//! plan. Old values come back, what the apply created goes, a credential changed since is a
//! conflict left as it is, the changeset becomes `undone`, and undoing the undo returns to
//! the applied state. Bad input changes nothing.

use super::*;
use crypter_api::{ItemAction, RestorePointSummary};

const COPY: &str = r#"id = "001-copy"
author = "ana"
description = "copy staging svc/ over production svc/"
environment = "production"
[[operations]]
op = "copy_credentials"
overwrite = true
from = { environment = "staging", prefix = "svc/" }
to = { environment = "production", prefix = "svc/" }
"#;

impl Changesets {
    async fn undo_raw(&self, id: &str, body: Value) -> Response {
        self.client
            .post(self.app.url(&format!("/changesets/{id}/undo")))
            .header(CSRF_HEADER, &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn undo(&self, id: &str) -> ChangesetPlan {
        let r = self.undo_raw(id, json!({})).await;
        let v = expect_status(r, StatusCode::OK).await;
        serde_json::from_value(v).unwrap()
    }

    /// Apply a plan by its hash and wait for the job.
    async fn apply_hash(&self, hash: &str) -> JobProgress {
        let r = self.apply_raw(json!({ "plan_hash": hash })).await;
        let started = expect_status(r, StatusCode::ACCEPTED).await;
        self.wait(started["job_id"].as_str().unwrap()).await
    }

    async fn v(&self, env: &str, path: &str) -> Option<String> {
        self.value(&format!("env/{env}/data/{path}"))
            .await
            .and_then(|d| d["v"].as_str().map(str::to_owned))
    }
}

/// 15 staging credentials; production holds the first 10 with older values.
async fn seeded() -> Changesets {
    let t = spawn_changesets().await;
    for i in 0..15 {
        t.root_write(
            &format!("env/staging/data/svc/s{i}"),
            json!({"data": {"v": format!("new-{i}")}}),
        )
        .await;
    }
    for i in 0..10 {
        t.root_write(
            &format!("env/production/data/svc/s{i}"),
            json!({"data": {"v": format!("old-{i}")}}),
        )
        .await;
    }
    write_file(t.dir.path(), "001-copy.toml", COPY);
    t
}

#[tokio::test]
async fn an_undo_puts_old_values_back_removes_what_was_created_and_leaves_conflicts() {
    let t = seeded().await;
    t.plan_and_apply().await;
    assert_eq!(t.v("production", "svc/s3").await.as_deref(), Some("new-3"));
    // Someone changes one after the apply: the undo must not overwrite it.
    t.root_write(
        "env/production/data/svc/s9",
        json!({"data": {"v": "changed-after"}}),
    )
    .await;

    let undo = t.undo("001-copy").await;
    assert_eq!(undo.undo_of.as_deref(), Some("001-copy"));
    assert!(undo.blockers.is_empty(), "{:?}", undo.blockers);
    let items = t.all_items(&undo).await;
    assert_eq!(items.len(), 15, "{items:#?}");
    let count = |a: ItemAction| items.iter().filter(|i| i.action == a).count();
    assert_eq!(
        (
            count(ItemAction::Restore),
            count(ItemAction::Delete),
            count(ItemAction::Conflict)
        ),
        (9, 5, 1)
    );
    let conflict = items
        .iter()
        .find(|i| i.action == ItemAction::Conflict)
        .unwrap();
    assert_eq!(conflict.target.label(), "production/svc/s9");
    assert!(conflict
        .reason
        .as_deref()
        .unwrap()
        .contains("changed since the apply"));

    let done = t.apply_hash(&undo.plan_hash).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert!(
        done.events.iter().any(|e| e
            .message
            .contains("1 conflict(s) left as they were: production/svc/s9")),
        "{:?}",
        done.events
    );
    for i in 0..9 {
        let want = format!("old-{i}");
        assert_eq!(t.v("production", &format!("svc/s{i}")).await, Some(want));
    }
    assert_eq!(
        t.v("production", "svc/s9").await.as_deref(),
        Some("changed-after")
    );
    for i in 10..15 {
        assert_eq!(t.v("production", &format!("svc/s{i}")).await, None);
    }
    // Undone: never planned again.
    assert_eq!(t.status_of("001-copy").await.status, ChangesetState::Undone);
    let again = t.plan().await;
    assert!(again.changesets.is_empty(), "{again:?}");
    let points: Vec<RestorePointSummary> = t.app.get_json(&t.client, "/restore-points").await;
    assert!(
        points
            .iter()
            .any(|p| p.changeset == "001-copy" && p.entries == 15),
        "{points:?}"
    );

    // The undo of the undo: back to the applied state (s9 is still someone else's).
    let redo = t.undo("001-copy").await;
    assert!(redo.blockers.is_empty(), "{:?}", redo.blockers);
    let done = t.apply_hash(&redo.plan_hash).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    for i in (0..9).chain(10..15) {
        let want = format!("new-{i}");
        assert_eq!(t.v("production", &format!("svc/s{i}")).await, Some(want));
    }
    assert_eq!(
        t.v("production", "svc/s9").await.as_deref(),
        Some("changed-after")
    );
    assert_eq!(
        t.status_of("001-copy").await.status,
        ChangesetState::Applied
    );
}

#[tokio::test]
async fn bad_undos_are_clear_errors_and_change_nothing() {
    let t = seeded().await;
    let before = t.snapshot().await;
    let never = expect_error(
        t.undo_raw("001-copy", json!({})).await,
        StatusCode::CONFLICT,
        "never_applied",
    )
    .await;
    assert!(never.contains("never applied"), "{never}");
    expect_error(
        t.undo_raw("no%20such", json!({})).await,
        StatusCode::BAD_REQUEST,
        "invalid_changeset_id",
    )
    .await;
    expect_error(
        t.undo_raw("001-copy", json!({"force": true})).await,
        StatusCode::BAD_REQUEST,
        "invalid_body",
    )
    .await;
    assert_eq!(t.snapshot().await, before);

    // A damaged restore point: no plan, nothing changed.
    t.plan_and_apply().await;
    t.root_write(
        "crypter/data/changesets/restore-point-chunks/001-copy.before_apply/0",
        json!({"data": {"part": "[]"}}),
    )
    .await;
    let applied = t.snapshot().await;
    let damaged = expect_error(
        t.undo_raw("001-copy", json!({})).await,
        StatusCode::CONFLICT,
        "restore_point_damaged",
    )
    .await;
    assert!(damaged.contains("damaged"), "{damaged}");
    assert_eq!(t.snapshot().await, applied);
    assert_eq!(
        t.status_of("001-copy").await.status,
        ChangesetState::Applied
    );
}

#[tokio::test]
async fn what_cannot_be_undone_is_refused_and_blocks_the_undo() {
    let t = spawn_changesets().await;
    write_file(
        t.dir.path(),
        "001-rotate.toml",
        r#"id = "001-rotate"
author = "ana"
description = "a key and its rotation"
environment = "staging"
[[operations]]
op = "create_key"
name = "cards"
key_type = "aes256-gcm96"
[[operations]]
op = "rotate_key"
name = "cards"
"#,
    );
    t.plan_and_apply().await;
    let undo = t.undo("001-rotate").await;
    let items = t.all_items(&undo).await;
    let refused: Vec<&str> = items.iter().filter_map(|i| i.refused.as_deref()).collect();
    assert!(
        refused.iter().any(|r| r.contains("cannot be undone")),
        "{items:#?}"
    );
    assert!(!undo.blockers.is_empty());
    let r = t.apply_raw(json!({ "plan_hash": undo.plan_hash })).await;
    expect_error(r, StatusCode::CONFLICT, "plan_blocked").await;
    assert_eq!(
        t.status_of("001-rotate").await.status,
        ChangesetState::Applied
    );
}

#[tokio::test]
async fn an_undo_puts_back_a_value_the_apply_wrote_over_and_then_deleted() {
    let t = spawn_changesets().await;
    t.root_write("env/staging/data/gone/x", json!({"data": {"v": "before"}}))
        .await;
    write_file(
        t.dir.path(),
        "001-over-then-delete.toml",
        r#"id = "001-over-then-delete"
author = "ana"
description = "a new value, then delete it"
environment = "staging"
[[operations]]
op = "put_credential"
path = "gone/x"
class = "service"
overwrite = true
generate = { length = 12, charset = "hex" }
[[operations]]
op = "delete_credentials"
prefix = "gone/"
"#,
    );
    t.plan_and_apply().await;
    assert_eq!(t.v("staging", "gone/x").await, None);
    let undo = t.undo("001-over-then-delete").await;
    let items = t.all_items(&undo).await;
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0].action, ItemAction::Restore);
    let done = t.apply_hash(&undo.plan_hash).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(t.v("staging", "gone/x").await.as_deref(), Some("before"));
}
