//! Every operation planned, applied and re-run; edits of applied files; the plan's
//! warnings; parse errors and uploads.

use super::*;
use crypter_api::ItemAction;

#[tokio::test]
async fn every_operation_plans_applies_and_a_rerun_changes_nothing() {
    let mut t = spawn_changesets().await;
    write_file(t.dir.path(), "001.toml", SETUP);
    assert_eq!(
        t.status_of("001-setup").await.status,
        ChangesetState::Pending
    );
    let (plan, job) = t.plan_and_apply().await;
    assert_eq!(plan.changesets.len(), 1);
    assert_eq!(
        count(&plan.changesets[0].operations[0], "create_environment"),
        1
    );
    assert_eq!(job.done, 4);
    assert_eq!(job.total, 4);
    let st = t.status_of("001-setup").await;
    assert_eq!(st.status, ChangesetState::Applied);
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
    assert_eq!(count(&ops[5], "create"), 1, "{:?}", ops[5]);
    // Every item is listed: the copy names its source and target with their versions.
    let items = t.all_items(&plan).await;
    let copied = items.iter().find(|i| i.operation == 5).unwrap();
    assert_eq!(copied.action, ItemAction::Create);
    assert_eq!(copied.target.label(), "qa/copied/password");
    let source = copied.source.as_ref().unwrap();
    assert_eq!(
        (source.mount.as_str(), source.path.as_str(), source.version),
        ("env/prod", "db/password", Some(1))
    );
    assert_eq!(copied.precondition.cas, Some(0));
    // A move is a copy and then its source removed, each an item.
    let moved: Vec<ItemAction> = items
        .iter()
        .filter(|i| i.operation == 6)
        .map(|i| i.action)
        .collect();
    assert_eq!(moved, vec![ItemAction::Create, ItemAction::DeleteSource]);
    assert_eq!(
        t.status_of("002-everything").await.status,
        ChangesetState::Applied
    );
    // The apply kept the keyed digest of each value it wrote (for the lint), by version.
    let (bao, root) = (&t.app.bao, &t.app.root);
    let shards = bao
        .list("crypter/metadata/digests/qa/", root)
        .await
        .unwrap();
    let mut kept = serde_json::Map::new();
    for shard in shards {
        let path = format!("crypter/data/digests/qa/{shard}");
        let record = bao.read(&path, root).await.unwrap().unwrap();
        kept.extend(record["data"]["data"].as_object().unwrap().clone());
    }
    assert_eq!(kept["copied/password"]["version"], 1, "{kept:?}");
    assert!(kept["copied/password"]["digest"]
        .as_str()
        .unwrap()
        .starts_with("vault:v1:"));

    // Every operation's effect.
    let role: Value = t.app.get_json(&t.client, "/roles/payments").await;
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
    assert_eq!((done.state, done.total), (JobState::Done, 0));
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
        "\n[[operations]]\nop = \"copy_credentials\"\nfrom = { environment = \"qa\" }\nto = { prefix = \"all/\" }\noverwrite = true\n",
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
    expect_error(r, StatusCode::CONFLICT, "plan_blocked").await;
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
    assert_eq!(
        t.status_of("001-setup").await.status,
        ChangesetState::Applied
    );
    let edited = SETUP.replace("length = 24", "length = 32");
    write_file(t.dir.path(), "001.toml", &edited);
    let st = t.status_of("001-setup").await;
    assert_eq!(st.status, ChangesetState::Changed);
    let diff = st.diff.unwrap();
    assert!(diff.contains("-generate = { length = 24"), "{diff}");
    assert!(diff.contains("+generate = { length = 32"), "{diff}");
    assert_ne!(st.checksum, applied.checksum);
    let plan = t.plan().await;
    assert!(plan.warnings.iter().any(|w| w.code == "changed"));
    let r = t.apply_raw(json!({ "plan_hash": plan.plan_hash })).await;
    let message = expect_error(r, StatusCode::CONFLICT, "plan_blocked").await;
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
    assert_eq!(st.status, ChangesetState::Accepted);
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
    assert_eq!(bad.status, ChangesetState::Invalid);
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
    let message = expect_error(r, StatusCode::BAD_REQUEST, "invalid_changeset").await;
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
        (st.status, st.file.as_str()),
        (ChangesetState::Pending, "upload:005-uploaded")
    );
    assert!(t
        .value("crypter/data/changesets/uploads/005-uploaded")
        .await
        .is_some());
}
