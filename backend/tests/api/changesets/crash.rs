//! A crash in the middle of a 10,000-credential copy, and its resume: the same item list
//! continues from its cursor, and nothing is lost or written twice.

use super::process::start;
use super::*;
use crypter::embedded::free_loopback_port;

const N: usize = 10_000;

#[tokio::test]
async fn a_killed_copy_resumes_its_item_list_with_nothing_lost_or_duplicated() {
    let t = spawn_changesets().await;
    seed(&t, N).await;
    write_file(t.dir.path(), "010.toml", COPY);
    let listen = free_loopback_port().unwrap();

    let mut first = start(&t.app.bao, &t.app.root, t.dir.path(), listen, None).await;
    let plan = first.plan().await;
    assert_eq!(count(&plan.changesets[0].operations[1], "create"), N as u64);
    let job = first.apply(&plan).await;
    // Kill it once a part is copied, well before the end.
    eventually("a part copied", Duration::from_secs(120), || async {
        let p = first.progress(&job).await.unwrap();
        assert_eq!(
            p.state,
            JobState::Running,
            "finished before it could be killed: {p:?}"
        );
        (p.done >= 1000).then_some(())
    })
    .await;
    first.kill().await;

    let st = t.status_of("010-copy").await;
    assert_eq!(st.status, ChangesetState::Failed);
    let cursor = st.cursor.clone().unwrap();
    assert_eq!(cursor.plan_hash, plan.plan_hash);
    assert_eq!(cursor.total, N + 1);
    assert!(cursor.done >= 1 && cursor.done < N, "{cursor:?}");
    assert!(cursor.in_flight > cursor.done, "{cursor:?}");

    let mut second = start(&t.app.bao, &t.app.root, t.dir.path(), listen, None).await;
    let resumed = second.plan().await;
    let cs = &resumed.changesets[0];
    assert_eq!(cs.status, ChangesetState::Failed);
    assert_eq!(
        cs.items as usize,
        N + 1 - cursor.done,
        "the rest of the same list"
    );
    // The rest of the list, as it was planned: creates only, the first ones marked resumed.
    assert_eq!(
        count(&cs.operations[1], "create") as usize,
        N + 1 - cursor.done
    );
    let first_items = &resumed.items.items;
    assert!(first_items[0].item.resumed, "{:?}", first_items[0]);
    let job = second.apply(&resumed).await;
    let done = second.outcome(&job).await.unwrap();
    assert_eq!(done.state, JobState::Done, "{done:?}");

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
        assert_eq!(
            v["current_metadata_version"], 1,
            "{k}'s metadata written twice"
        );
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
    let st = t.status_of("010-copy").await;
    assert_eq!(st.status, ChangesetState::Applied);
    assert!(st.cursor.is_none());
}
