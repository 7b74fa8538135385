//! `rewrap_credentials`: ciphertexts held in a field of credentials re-encrypted by
//! OpenBao with the key's latest version, as planned items (no plaintext reaches
//! Crypter); a killed apply resumes with none lost and none rewrapped twice; the
//! ciphertext counts it leaves are what the lint reads.

use super::process::start;
use super::*;
use crypter::embedded::free_loopback_port;
use secrecy::SecretString;

const N: usize = 1_000;
/// Ciphertexts already at the latest version (planned as `skip`).
const AT_LATEST: usize = 5;

const REWRAP: &str = r#"
id = "020-rewrap"
author = "release lead"
description = "re-encrypt card numbers with the rotated key"
environment = "staging"

[[operations]]
op = "rewrap_credentials"
prefix = "cards/"
key = "cards"
field = "pan"
"#;

fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

async fn root_post(t: &Changesets, path: &str, body: Value) -> Value {
    t.app
        .bao
        .write(path, &t.app.root, &body)
        .await
        .unwrap()
        .unwrap_or_default()
}

/// The key `staging/cards` at version 3; `cards/c00000…` hold a `pan` ciphertext: the first
/// 600 of N at version 1, the rest at version 2, `AT_LATEST` more at 3; plus a credential
/// whose `pan` is no ciphertext, and one without a `pan`.
async fn seed_cards(t: &Changesets, n: usize) {
    let r = t
        .client
        .post(t.app.url("/environments/staging/keys"))
        .header(CSRF_HEADER, &t.csrf)
        .json(&json!({"name": "cards", "key_type": "aes256-gcm96"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let first = n * 3 / 5;
    let batches = [(0..first, 1), (first..n, 2), (n..n + AT_LATEST, 3)];
    for (range, version) in batches {
        if version > 1 {
            root_post(t, "transit/staging/keys/cards/rotate", json!({})).await;
        }
        stream::iter(range)
            .map(|i| async move {
                let c = root_post(
                    t,
                    "transit/staging/encrypt/cards",
                    json!({"plaintext": b64(&format!("4111-{i:05}"))}),
                )
                .await;
                let pan = c["data"]["ciphertext"].as_str().unwrap().to_owned();
                assert!(pan.starts_with(&format!("vault:v{version}:")));
                let data = json!({"data": {"pan": pan, "holder": format!("holder {i}")}});
                root_post(t, &format!("env/staging/data/cards/c{i:05}"), data).await;
            })
            .buffer_unordered(32)
            .collect::<Vec<_>>()
            .await;
    }
    root_post(
        t,
        "env/staging/data/cards/plain",
        json!({"data": {"pan": "not encrypted"}}),
    )
    .await;
    root_post(
        t,
        "env/staging/data/cards/other",
        json!({"data": {"iban": "x"}}),
    )
    .await;
}

/// Every seeded credential: exactly one version more than seeded where it was rewrapped
/// (none written twice), its `pan` at the latest version and decrypting (with root, as the
/// services would) to what was encrypted, its other field untouched.
async fn check_rewrapped(app: &TestApp, n: usize) {
    let (bao, root): (&crypter::bao::Bao, &SecretString) = (&app.bao, &app.root);
    let wrong: Vec<String> = stream::iter(0..n + AT_LATEST)
        .map(|i| async move {
            let v = bao
                .read(&format!("env/staging/data/cards/c{i:05}"), root)
                .await
                .unwrap()
                .unwrap();
            let version = v["data"]["metadata"]["version"].as_u64().unwrap();
            let want = if i < n { 2 } else { 1 };
            let pan = v["data"]["data"]["pan"].as_str().unwrap().to_owned();
            let plain = bao
                .write(
                    "transit/staging/decrypt/cards",
                    root,
                    &json!({"ciphertext": pan}),
                )
                .await
                .unwrap()
                .unwrap();
            let ok = version == want
                && pan.starts_with("vault:v3:")
                && plain["data"]["plaintext"] == b64(&format!("4111-{i:05}"))
                && v["data"]["data"]["holder"] == format!("holder {i}");
            (!ok).then(|| format!("c{i:05}: version {version}, {}", &pan[..9]))
        })
        .buffer_unordered(32)
        .filter_map(|x| async move { x })
        .collect()
        .await;
    assert!(
        wrong.is_empty(),
        "{} wrong, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
}

async fn usage(app: &TestApp) -> Value {
    app.bao
        .read("crypter/data/key-usage/staging/cards", &app.root)
        .await
        .unwrap()
        .map(|v| v["data"]["data"].clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn rewrap_moves_every_ciphertext_to_the_latest_version_as_planned() {
    let t = spawn_changesets().await;
    seed_cards(&t, N).await;
    write_file(t.dir.path(), "020.toml", REWRAP);
    let plan = t.plan().await;
    assert!(plan.blockers.is_empty(), "{:?}", plan.blockers);
    let op = &plan.changesets[0].operations[0];
    assert_eq!(count(op, "rewrap"), N as u64);
    assert_eq!(count(op, "skip"), AT_LATEST as u64);
    assert_eq!(
        op.counts.values().sum::<u64>(),
        (N + AT_LATEST) as u64,
        "{op:?}"
    );
    assert!(
        op.summary.ends_with("to v3: 600 from v1, 400 from v2"),
        "{}",
        op.summary
    );
    let first = &plan.items.items[0].item;
    let moved = first.key_move.as_ref().unwrap();
    assert_eq!((moved.key.as_str(), moved.from, moved.to), ("cards", 1, 3));
    assert_eq!(first.precondition.cas, Some(1));

    let r = t.apply_raw(json!({"plan_hash": plan.plan_hash})).await;
    assert_eq!(r.status(), 202);
    let job: Value = r.json().await.unwrap();
    let done = t.wait(job["job_id"].as_str().unwrap()).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    check_rewrapped(&t.app, N).await;
    for path in ["cards/plain", "cards/other"] {
        let v = t
            .app
            .bao
            .read(&format!("env/staging/metadata/{path}"), &t.app.root)
            .await;
        assert_eq!(v.unwrap().unwrap()["data"]["current_version"], 1, "{path}");
    }
    // The counts the apply leaves, where the lint reads them.
    let u = usage(&t.app).await;
    assert_eq!(
        u["places"][0]["by_version"],
        json!({"3": N + AT_LATEST}),
        "{u}"
    );
    assert_eq!(u["places"][0]["source"], "rewrap");
    // Planned again: nothing left to move.
    let again = t.plan().await;
    assert!(
        again.changesets.is_empty(),
        "applied: {:?}",
        again.changesets
    );
}

#[tokio::test]
async fn a_rewrap_killed_in_the_middle_resumes_with_none_lost_and_none_rewrapped_twice() {
    let t = spawn_changesets().await;
    seed_cards(&t, N).await;
    write_file(t.dir.path(), "020.toml", REWRAP);
    let listen = free_loopback_port().unwrap();
    // Killed (SIGKILL) right after its 400th store write.
    let mut first = start(&t.app.bao, &t.app.root, t.dir.path(), listen, Some(400)).await;
    let plan = first.plan().await;
    let job = first.try_apply(&plan).await;
    let ended = match job {
        Some(job) => first.outcome(&job).await,
        None => None,
    };
    assert!(ended.is_none(), "it was to be killed: {ended:?}");
    let _ = first.child.wait().await;
    let st = t.status_of("020-rewrap").await;
    assert_eq!(st.status, ChangesetState::Failed);
    let cursor = st.cursor.unwrap();
    assert!(cursor.done < N, "{cursor:?}");

    let mut second = start(&t.app.bao, &t.app.root, t.dir.path(), listen, None).await;
    let rest = second.plan().await;
    assert!(rest.blockers.is_empty(), "{:?}", rest.blockers);
    assert!(rest.items.items[0].item.resumed);
    let job = second.apply(&rest).await;
    let done = second.outcome(&job).await.unwrap();
    assert_eq!(done.state, JobState::Done, "{done:?}");
    check_rewrapped(&t.app, N).await;
    assert_eq!(
        t.status_of("020-rewrap").await.status,
        ChangesetState::Applied
    );
    // Counted over the whole list, the items done before the kill included.
    let u = usage(&t.app).await;
    assert_eq!(
        u["places"][0]["by_version"],
        json!({"3": N + AT_LATEST}),
        "{u}"
    );
}

#[tokio::test]
async fn the_lint_flags_ciphertexts_below_the_minimum_version_from_counts_not_values() {
    let t = spawn_changesets().await;
    seed_cards(&t, 10).await;
    let post = |path: String, body: Value| {
        t.client
            .post(t.app.url(&path))
            .header(CSRF_HEADER, &t.csrf)
            .json(&body)
            .send()
    };
    // The explicit scan reads the values once and keeps the counts.
    let r = post(
        "/environments/staging/keys/cards/scan".into(),
        json!({"prefix": "cards/", "field": "pan"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let counted: Value = r.json().await.unwrap();
    assert_eq!(
        counted["by_version"],
        json!({"1": 6, "2": 4, "3": AT_LATEST})
    );
    let lint = |t: &'_ Changesets| {
        let c = t.client.clone();
        let url = t.app.url("/lint");
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<Vec<Value>>()
                .await
                .unwrap()
        }
    };
    let about = |findings: &[Value], rule: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f["rule"] == rule && f["path"] == "key cards")
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = lint(&t).await;
    assert!(about(&before, "undecryptable-ciphertext").is_empty());
    let behind = about(&before, "ciphertext-behind-latest");
    assert!(behind[0].starts_with("10 ciphertext(s)"), "{behind:?}");

    let r = t
        .client
        .patch(t.app.url("/environments/staging/keys/cards"))
        .header(CSRF_HEADER, &t.csrf)
        .json(&json!({"min_decryption_version": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let after = lint(&t).await;
    let gone = about(&after, "undecryptable-ciphertext");
    assert_eq!(gone.len(), 1, "{after:?}");
    assert!(gone[0].starts_with("6 ciphertext(s)"), "{gone:?}");
    let finding = after
        .iter()
        .find(|f| f["rule"] == "undecryptable-ciphertext")
        .unwrap();
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["environment"], "staging");
    // And the plan will not pretend to rewrap them.
    write_file(t.dir.path(), "020.toml", REWRAP);
    let plan = t.plan().await;
    assert_eq!(count(&plan.changesets[0].operations[0], "conflict"), 6);
    assert!(!plan.blockers.is_empty());
    // Neither the scan's nor the plan's value reads are reveals in the activity feed.
    let events = t.app.events(&t.client).await;
    let reveals = events
        .iter()
        .filter(|e| e.action == "credential.reveal" && e.target.starts_with("staging/cards/"))
        .count();
    assert_eq!(reveals, 0);
    let scanned = events
        .iter()
        .filter(|e| e.action == "credential.read" && e.purpose.as_deref() == Some("scan"))
        .count();
    assert_eq!(
        scanned,
        10 + AT_LATEST + 2,
        "one read per credential under cards/"
    );
    // (After the feed is read: the test's own root read is a reveal.)
    // Those ciphertexts really are undecryptable in OpenBao.
    let v = t
        .app
        .bao
        .read("env/staging/data/cards/c00000", &t.app.root)
        .await
        .unwrap()
        .unwrap();
    let refused = t
        .app
        .bao
        .write(
            "transit/staging/decrypt/cards",
            &t.app.root,
            &json!({"ciphertext": v["data"]["data"]["pan"]}),
        )
        .await;
    assert!(refused.is_err());
}
