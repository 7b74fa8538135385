//! Item lists are kept in chunks because Raft refuses log entries over 1 MiB: proved on
//! the embedded store (a real single-node Raft OpenBao), not only on `bao -dev`.

use super::*;
use crypter::changesets::{checksum, store};
use crypter_api::{CredentialMetadata, ItemAction, ItemSource, ItemTarget, Precondition};
use secrecy::SecretString;

fn items(n: usize) -> Vec<PlanItem> {
    (0..n)
        .map(|i| PlanItem {
            changeset: "2026-02-01-move-everything".into(),
            operation: 1,
            action: ItemAction::Create,
            source: Some(ItemSource {
                environment: Some("production".into()),
                mount: "env/production".into(),
                path: format!("services/team-{}/credential-{i:05}", i % 50),
                version: Some(3),
            }),
            target: ItemTarget::Credential {
                environment: "dc2".into(),
                path: format!("services/team-{}/credential-{i:05}", i % 50),
                version: None,
            },
            value: None,
            precondition: Precondition {
                cas: Some(0),
                metadata_cas: Some(0),
                source_version: Some(3),
                record_version: None,
                key_version: None,
            },
            metadata: Some(CredentialMetadata {
                class: Some("service".into()),
                owner: Some(format!("team-{}", i % 50)),
                description: Some("Database login of the service, rotated every quarter".into()),
                environment: Some("dc2".into()),
                rotate_after_days: Some(90),
                expires: None,
                created_by: Some("admin".into()),
                labels: vec!["migrated".into(), "dc2".into()],
            }),
            reason: None,
            refused: None,
            resumed: false,
            key_move: None,
        })
        .collect()
}

#[tokio::test]
async fn a_ten_thousand_item_list_is_kept_in_chunks_on_the_raft_store() {
    let dir = tempfile::tempdir().unwrap();
    let managed = crypter::embedded::start_managed(dir.path(), None)
        .await
        .unwrap();
    let (bao, root) = (managed.bao.clone(), managed.root_token.clone());
    crypter::bootstrap::bootstrap(
        &bao,
        &root,
        Some(&SecretString::from("raft-admin-pw".to_owned())),
    )
    .await
    .unwrap();
    let list = items(10_000);
    let text = serde_json::to_string(&list).unwrap();
    assert!(text.len() > 4 * 1024 * 1024, "{} bytes", text.len());
    // Written whole, Raft refuses it.
    let whole = bao
        .write(
            "crypter/data/changesets/whole",
            &root,
            &json!({"data": {"part": text}}),
        )
        .await;
    assert!(whole.is_err(), "a {}-byte entry was accepted", text.len());

    let changesets = vec![(
        "2026-02-01-move-everything".to_owned(),
        "sha256:abc".to_owned(),
    )];
    let hash = checksum::plan_hash(&changesets, &list);
    store::save(&bao, &root, &hash, &changesets, &list, None)
        .await
        .unwrap();
    let back = store::load(&bao, &root, &hash).await.unwrap().unwrap();
    assert_eq!(back.items, list);
    assert_eq!(back.changesets, changesets);
    let key = hash.trim_start_matches("sha256:");
    let chunks = bao
        .list(&format!("crypter/metadata/changesets/plans/{key}/"), &root)
        .await
        .unwrap();
    assert!(
        chunks.len() >= text.len() / store::CHUNK_BYTES,
        "{chunks:?}"
    );
    // Stored by hash: saving it again writes nothing.
    store::save(&bao, &root, &hash, &changesets, &list, None)
        .await
        .unwrap();
    let manifest = bao
        .read(&format!("crypter/data/changesets/plans/{key}"), &root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(manifest["data"]["metadata"]["version"], 1);
    // A chunk that changed is noticed: the list is refused, not read wrong.
    bao.write(
        &format!("crypter/data/changesets/plans/{key}/0"),
        &root,
        &json!({"data": {"part": "[]"}}),
    )
    .await
    .unwrap();
    match store::load(&bao, &root, &hash).await {
        Err(crypter::error::AppError::Internal(e)) => {
            assert!(e.to_string().contains("damaged"), "{e}")
        }
        other => panic!(
            "a changed chunk was not noticed: {:?}",
            other.map(|s| s.map(|s| s.items.len()))
        ),
    }
    managed.process.stop().await.unwrap();
}
