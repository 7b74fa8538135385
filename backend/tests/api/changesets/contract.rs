//! The plan is the contract: what cannot be meant is refused at validation; the plan lists
//! every item and its hash covers them all; apply does exactly those items, stops with a
//! conflict naming the item when the store moved, and never overwrites someone else's
//! write; a changelog record that does not decode is `invalid`; a plan predicts what
//! OpenBao will refuse.

use super::*;
use crypter_api::{ItemAction, ItemTarget, ValueCompare};
use secrecy::SecretString;

/// Five staging credentials under `payments/`, written by root.
async fn staging_payments(t: &Changesets) {
    for name in ["db", "ledger-db", "stripe-key", "webhook-secret", "api"] {
        t.root_write(
            &format!("env/staging/data/payments/{name}"),
            json!({"data": {"v": format!("{name}-value")}}),
        )
        .await;
    }
}

async fn staging_versions(t: &Changesets) -> Value {
    let scan = Method::from_bytes(b"SCAN").unwrap();
    let v = t
        .app
        .bao
        .request(
            scan,
            "env/staging/detailed-metadata/",
            Some(&t.app.root),
            None,
        )
        .await
        .unwrap()
        .unwrap();
    v["data"]["key_info"].clone()
}

const REPRODUCTION: &str = r#"id = "x1"
author = "a"
description = "d"
environment = "staging"
[[operations]]
op = "move_credentials"
from = { environment = "staging", prefix = "payments/" }
to = { prefix = "payments/" }
"#;

#[tokio::test]
async fn the_self_targeting_move_of_the_issue_is_refused_at_validation() {
    let t = spawn_changesets().await;
    staging_payments(&t).await;
    let before = staging_versions(&t).await;
    let message = expect_error(
        t.upload(REPRODUCTION).await,
        StatusCode::BAD_REQUEST,
        "invalid_changeset",
    )
    .await;
    assert!(
        message.starts_with("upload:5: operation 1: move_credentials"),
        "{message}"
    );
    assert!(message.contains("overlap"), "{message}");
    // A self-targeting copy and an overlapping import are refused too.
    let copy = REPRODUCTION.replace("move_credentials", "copy_credentials");
    let (status, _, message) = error_code(t.upload(&copy).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{message}");
    let import = REPRODUCTION.replace(
        "op = \"move_credentials\"\nfrom = { environment = \"staging\", prefix = \"payments/\" }\nto = { prefix = \"payments/\" }",
        "op = \"import_kv\"\nmount = \"env/staging\"\nto = { prefix = \"imported/\" }",
    );
    let (status, _, message) = error_code(t.upload(&import).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{message}");
    assert!(
        message.contains("env/staging/* and env/staging/imported/*"),
        "{message}"
    );
    // The same file in the folder is listed as invalid, with its file and line, and blocks.
    write_file(t.dir.path(), "x1.toml", REPRODUCTION);
    let all = t.status().await;
    let st = all
        .iter()
        .find(|s| s.file.ends_with("x1.toml"))
        .unwrap()
        .clone();
    assert_eq!(st.status, ChangesetState::Invalid);
    assert!(st.error.unwrap().contains("x1.toml:5:"));
    let plan = t.plan().await;
    assert!(
        plan.blockers.iter().any(|b| b.contains("x1.toml")),
        "{:?}",
        plan.blockers
    );
    assert_eq!(staging_versions(&t).await, before, "nothing was touched");
}

#[tokio::test]
async fn a_move_shows_each_copy_and_each_removal_and_apply_does_exactly_that() {
    let t = spawn_changesets().await;
    staging_payments(&t).await;
    // One target holds the same value already, one a different one.
    t.root_write(
        "env/staging/data/old-payments/db",
        json!({"data": {"v": "db-value"}}),
    )
    .await;
    t.root_write(
        "env/staging/data/old-payments/api",
        json!({"data": {"v": "other"}}),
    )
    .await;
    let moving = REPRODUCTION.replace(
        "to = { prefix = \"payments/\" }",
        "to = { prefix = \"old-payments/\" }\noverwrite = true",
    );
    write_file(t.dir.path(), "x1.toml", &moving);
    let plan = t.plan().await;
    assert!(plan.blockers.is_empty(), "{:?}", plan.blockers);
    let items = t.all_items(&plan).await;
    let shown: Vec<(String, ItemAction, Option<ValueCompare>)> = items
        .iter()
        .map(|i| (i.target.label(), i.action, i.value))
        .collect();
    assert_eq!(
        shown,
        vec![
            (
                "staging/old-payments/api".into(),
                ItemAction::Update,
                Some(ValueCompare::Different)
            ),
            (
                "staging/old-payments/api".into(),
                ItemAction::DeleteSource,
                None
            ),
            (
                "staging/old-payments/db".into(),
                ItemAction::Skip,
                Some(ValueCompare::Same)
            ),
            (
                "staging/old-payments/db".into(),
                ItemAction::DeleteSource,
                None
            ),
            (
                "staging/old-payments/ledger-db".into(),
                ItemAction::Create,
                None
            ),
            (
                "staging/old-payments/ledger-db".into(),
                ItemAction::DeleteSource,
                None
            ),
            (
                "staging/old-payments/stripe-key".into(),
                ItemAction::Create,
                None
            ),
            (
                "staging/old-payments/stripe-key".into(),
                ItemAction::DeleteSource,
                None
            ),
            (
                "staging/old-payments/webhook-secret".into(),
                ItemAction::Create,
                None
            ),
            (
                "staging/old-payments/webhook-secret".into(),
                ItemAction::DeleteSource,
                None
            ),
        ]
    );
    // Values are compared in the backend: the plan shows versions, never a digest.
    let text = serde_json::to_string(&items).unwrap();
    assert!(
        !text.contains("db-value") && !text.contains("sha256"),
        "{text}"
    );
    assert_eq!(items[0].precondition.cas, Some(1), "overwrites version 1");
    assert_eq!(
        items[1].target,
        ItemTarget::Credential {
            environment: "staging".into(),
            path: "old-payments/api".into(),
            version: Some(2),
        }
    );
    t.plan_and_apply().await;
    for name in ["db", "ledger-db", "stripe-key", "webhook-secret", "api"] {
        let moved = t
            .value(&format!("env/staging/data/old-payments/{name}"))
            .await;
        assert_eq!(moved, Some(json!({"v": format!("{name}-value")})), "{name}");
        assert!(
            t.value(&format!("env/staging/data/payments/{name}"))
                .await
                .is_none(),
            "{name}"
        );
    }
}

/// `n` credentials in prod, and a changeset copying them into qa (which exists).
async fn copy_into_qa(t: &Changesets, n: usize) {
    seed(t, n).await;
    t.root_write(
        "sys/mounts/env/qa",
        json!({"type": "kv", "options": {"version": "2"}}),
    )
    .await;
    kv::wait_ready(&t.app.bao, &t.app.root, &kv::Mount::v2("env/qa"))
        .await
        .unwrap();
    write_file(
        t.dir.path(),
        "010.toml",
        &COPY.replace("[[operations]]\nop = \"create_environment\"\n\n", ""),
    );
}

#[tokio::test]
async fn the_plan_lists_every_item_a_page_at_a_time_and_its_hash_covers_them_all() {
    let t = spawn_changesets().await;
    copy_into_qa(&t, 250).await;
    let plan = t.plan().await;
    assert_eq!(plan.counts.get("create"), Some(&250));
    assert_eq!(plan.changesets[0].items, 250);
    assert_eq!(
        plan.items.items.len(),
        100,
        "the first page comes with the plan"
    );
    assert_eq!((plan.items.total, plan.items.next), (250, Some(99)));
    let last = t.items_page(&plan.plan_hash, "after=199&limit=100").await;
    assert_eq!((last.items.len(), last.next), (50, None));
    assert_eq!(last.items[49].item.target.label(), "qa/bulk/c00249");
    let none = t.items_page(&plan.plan_hash, "kind=refused").await;
    assert_eq!(none.total, 0);
    for (query, code) in [("kind=nope", "invalid_kind"), ("limit=0", "invalid_limit")] {
        let r = t
            .client
            .get(t.app.url(&format!(
                "/changesets/plans/{}/items?{query}",
                plan.plan_hash
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(error_code(r).await.1, code);
    }
    let r = t
        .client
        .get(t.app.url("/changesets/plans/abc/items"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await.1, "invalid_plan_hash");
    let unknown = format!("sha256:{}", "0".repeat(64));
    let r = t
        .client
        .get(t.app.url(&format!("/changesets/plans/{unknown}/items")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Another source version: same counts, another item list, another hash.
    t.root_write(
        "env/prod/data/bulk/c00007",
        json!({"data": {"v": "changed"}}),
    )
    .await;
    let again = t.plan().await;
    assert_eq!(again.counts, plan.counts);
    assert_ne!(again.plan_hash, plan.plan_hash);
}

#[tokio::test]
async fn a_write_by_someone_else_before_apply_is_named_and_never_overwritten() {
    let t = spawn_changesets().await;
    copy_into_qa(&t, 3).await;
    let plan = t.plan().await;
    t.root_write("env/qa/data/bulk/c00001", json!({"data": {"v": "theirs"}}))
        .await;
    let (status, code, message) =
        error_code(t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "plan_changed")
    );
    assert!(
        message.contains(
            "item 2 was planned as create qa/bulk/c00001 (absent), and is now conflict \
             qa/bulk/c00001 (version 1)"
        ),
        "{message}"
    );
    assert_eq!(
        t.value("env/qa/data/bulk/c00001").await,
        Some(json!({"v": "theirs"}))
    );
    assert!(
        t.value("env/qa/data/bulk/c00000").await.is_none(),
        "nothing applied"
    );
}

#[tokio::test]
async fn a_write_by_someone_else_during_apply_stops_it_at_that_item() {
    let t = spawn_changesets().await;
    const N: usize = 2000;
    copy_into_qa(&t, N).await;
    let plan = t.plan().await;
    let r = t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
    assert_eq!(r.status(), 202);
    let started: Value = r.json().await.unwrap();
    // The plan was checked when apply answered; the last item runs well after this write.
    t.root_write("env/qa/data/bulk/c01999", json!({"data": {"v": "theirs"}}))
        .await;
    let done = t.wait(started["job_id"].as_str().unwrap()).await;
    assert_eq!(done.state, JobState::Failed, "{done:?}");
    let error = done.error.unwrap();
    assert!(
        error.contains("conflict at item 2000 (create qa/bulk/c01999)"),
        "{error}"
    );
    assert_eq!(
        t.value("env/qa/data/bulk/c01999").await,
        Some(json!({"v": "theirs"}))
    );
    assert!(t.value("env/qa/data/bulk/c01998").await.is_some());
    let st = t.status_of("010-copy").await;
    assert_eq!(st.status, ChangesetState::Failed);
    assert!(st.error.unwrap().contains("c01999"));
    // Resuming runs the same item again, under the same precondition: it conflicts again.
    let resumed = t.plan().await;
    assert_eq!(resumed.changesets[0].items, 1);
    assert!(resumed.items.items[0].item.resumed);
    let r = t.apply_raw(json!({ "plan_hash": resumed.plan_hash })).await;
    assert_eq!(r.status(), 202);
    let started: Value = r.json().await.unwrap();
    let again = t.wait(started["job_id"].as_str().unwrap()).await;
    assert_eq!(again.state, JobState::Failed);
    assert_eq!(
        t.value("env/qa/data/bulk/c01999").await,
        Some(json!({"v": "theirs"}))
    );
}

#[tokio::test]
async fn a_changelog_record_written_as_garbage_is_invalid_and_apply_refuses() {
    let t = spawn_changesets().await;
    write_file(t.dir.path(), "001.toml", SETUP);
    t.root_write(
        "crypter/data/changelog/001-setup",
        json!({"data": {"garbage": "yes"}}),
    )
    .await;
    let st = t.status_of("001-setup").await;
    assert_eq!(st.status, ChangesetState::Invalid, "never read as pending");
    let error = st.error.unwrap();
    assert!(
        error.contains("crypter/data/changelog/001-setup cannot be read"),
        "{error}"
    );
    let plan = t.plan().await;
    assert!(plan.changesets.is_empty());
    assert!(
        plan.blockers.iter().any(|b| b.contains("001.toml")),
        "{:?}",
        plan.blockers
    );
    let (status, code, _) =
        error_code(t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "plan_blocked")
    );
    assert!(t.value("env/prod/data/db/password").await.is_none());
}

/// A user with the admin policy only (no operator), logged in.
async fn plain_admin(t: &Changesets) -> (Client, String) {
    t.root_write(
        "auth/userpass/users/ann",
        json!({"password": "ann-password-1234", "token_policies": "crypter-admin"}),
    )
    .await;
    let client = browser();
    let r = t.app.login(&client, "ann", "ann-password-1234").await;
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    (client, s["csrf_token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_plan_under_a_provisioning_freeze_shows_provisioning_items_refused() {
    let t = spawn_changesets().await;
    for f in std::fs::read_dir("../changesets/demo").unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, t.dir.path().join(f.file_name().unwrap())).unwrap();
    }
    let r = t.app.freeze(&t.client, &t.csrf, "provisioning").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (ann, csrf) = plain_admin(&t).await;
    let plan: ChangesetPlan = ann
        .post(t.app.url("/changesets/plan"))
        .header(CSRF_HEADER, &csrf)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refused: Vec<(String, String)> = plan
        .items
        .items
        .iter()
        .filter_map(|n| n.item.refused.clone().map(|r| (n.item.target.label(), r)))
        .collect();
    let labels: Vec<&str> = refused.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        vec!["environment qa", "role payments-qa"],
        "{refused:?}"
    );
    assert!(
        refused[0].1.contains("frozen at `provisioning`"),
        "{refused:?}"
    );
    assert!(refused[0].1.contains("sys/mounts/env/qa"), "{refused:?}");
    assert_eq!(plan.counts.get("refused"), Some(&2));
    assert!(
        plan.blockers.iter().any(|b| b.contains("will be refused")),
        "{:?}",
        plan.blockers
    );
    let r = ann
        .post(t.app.url("/changesets/apply"))
        .header(CSRF_HEADER, &csrf)
        .json(&json!({ "plan_hash": plan.plan_hash }))
        .send()
        .await
        .unwrap();
    // Only operators may take the apply lock: OpenBao refuses her before anything runs.
    let (status, code, message) = error_code(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "store_forbidden"),
        "{message}"
    );
    assert!(message.contains("refused this action"), "{message}");
    // OpenBao itself refuses the write the plan predicted refused, with her own token.
    let token = SecretString::from(
        t.app
            .bao
            .write(
                "auth/userpass/login/ann",
                &t.app.root,
                &json!({"password": "ann-password-1234"}),
            )
            .await
            .unwrap()
            .unwrap()["auth"]["client_token"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    let direct = t
        .app
        .bao
        .write(
            "sys/mounts/env/qa",
            &token,
            &json!({"type": "kv", "options": {"version": "2"}}),
        )
        .await;
    assert!(
        matches!(direct, Err(crypter::bao::BaoError::Forbidden { .. })),
        "{direct:?}"
    );
}

#[tokio::test]
async fn a_token_without_a_grant_sees_its_writes_refused_and_why() {
    let t = spawn_changesets().await;
    write_file(t.dir.path(), "001.toml", SETUP);
    t.root_write(
        "sys/policies/acl/reader",
        json!({"policy": "path \"env/*\" { capabilities = [\"read\", \"list\", \"scan\"] }\npath \"crypter/*\" { capabilities = [\"read\", \"list\"] }\n"}),
    )
    .await;
    t.root_write(
        "auth/userpass/users/rita",
        json!({"password": "rita-password-1234", "token_policies": "reader"}),
    )
    .await;
    let client = browser();
    assert_eq!(
        t.app
            .login(&client, "rita", "rita-password-1234")
            .await
            .status(),
        200
    );
    let s: Value = t.app.whoami(&client).await.json().await.unwrap();
    let plan: ChangesetPlan = client
        .post(t.app.url("/changesets/plan"))
        .header(CSRF_HEADER, s["csrf_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = &plan.items.items;
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|n| n.item.refused.is_some()), "{items:?}");
    let why = items[0].item.refused.as_deref().unwrap();
    assert!(
        why.contains("may not `update` sys/mounts/env/prod") && why.contains("ask for a grant"),
        "{why}"
    );
    assert!(
        plan.blockers
            .iter()
            .any(|b| b.contains("crypter/data/changelog/001-setup")),
        "applying would write the changelog: {:?}",
        plan.blockers
    );
    // A plan's items are served from memory only to the token that made it.
    let admins = t.plan().await;
    let r = client
        .get(
            t.app
                .url(&format!("/changesets/plans/{}/items", admins.plan_hash)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(t.items_page(&admins.plan_hash, "limit=1").await.total, 4);
}

#[tokio::test]
async fn odd_key_names_from_openbao_are_encoded_on_the_way_back() {
    let t = spawn_changesets().await;
    write_file(t.dir.path(), "001.toml", SETUP);
    t.plan_and_apply().await;
    // Written behind Crypter's back: names no credential path allows.
    for key in ["odd#1", "odd 2", "odd%3", "odd"] {
        t.root_write(&format!("env/qa/data/{key}"), json!({"data": {"v": key}}))
            .await;
    }
    let listed = t
        .app
        .bao
        .list("env/qa/metadata/", &t.app.root)
        .await
        .unwrap();
    for key in ["odd#1", "odd 2", "odd%3", "odd"] {
        assert!(listed.contains(&key.to_owned()), "{key} in {listed:?}");
        assert_eq!(
            t.value(&format!("env/qa/data/{key}")).await,
            Some(json!({"v": key}))
        );
    }
    write_file(
        t.dir.path(),
        "002.toml",
        "id = \"002-odd\"\nauthor = \"a\"\ndescription = \"d\"\nenvironment = \"qa\"\n\n[[operations]]\nop = \"retag_credentials\"\nprefix = \"odd\"\nowner = \"found\"\n\n[[operations]]\nop = \"delete_credentials\"\nprefix = \"odd\"\n",
    );
    let (plan, done) = t.plan_and_apply().await;
    assert_eq!(plan.counts.get("retag"), Some(&4));
    assert_eq!((done.done, done.total), (8, 8));
    for key in ["odd#1", "odd 2", "odd%3", "odd"] {
        let meta = t
            .app
            .bao
            .read(&format!("env/qa/metadata/{key}"), &t.app.root)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(meta["data"]["custom_metadata"]["owner"], "found", "{key}");
        assert!(
            t.value(&format!("env/qa/data/{key}")).await.is_none(),
            "{key} deleted"
        );
    }
}
