use crate::helpers::*;
use crypter::bao::Bao;
use secrecy::SecretString;
use serde_json::Value;

/// Everything bootstrap touches, read back from OpenBao.
async fn snapshot(bao: &Bao, root: &SecretString) -> Value {
    let auth = bao.read("sys/auth", root).await.unwrap().unwrap();
    let mounts = bao.read("sys/mounts", root).await.unwrap().unwrap();
    let mut policies = serde_json::Map::new();
    for name in bao.list("sys/policies/acl", root).await.unwrap() {
        let p = bao
            .read(&format!("sys/policies/acl/{name}"), root)
            .await
            .unwrap()
            .unwrap();
        policies.insert(name, p["data"]["policy"].clone());
    }
    let mut records = serde_json::Map::new();
    for env in ["staging", "production"] {
        let m = bao
            .read(&format!("crypter/metadata/environments/{env}"), root)
            .await
            .unwrap()
            .unwrap();
        records.insert(
            env.into(),
            serde_json::json!({
                "current_version": m["data"]["current_version"],
                "updated_time": m["data"]["updated_time"],
            }),
        );
    }
    let admin = bao
        .read("auth/userpass/users/admin", root)
        .await
        .unwrap()
        .unwrap();
    let keys = |v: &Value| {
        let mut k: Vec<String> = v["data"].as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    serde_json::json!({
        "auth": keys(&auth),
        "mounts": keys(&mounts),
        "policies": policies,
        "records": records,
        "admin": admin["data"],
    })
}

#[tokio::test]
async fn bootstrap_creates_everything_and_a_second_run_changes_nothing() {
    let app = spawn_app().await;
    let first = snapshot(&app.bao, &app.root).await;
    for m in ["approle/", "userpass/"] {
        assert!(
            first["auth"].as_array().unwrap().iter().any(|k| k == m),
            "{m}"
        );
    }
    for m in ["crypter/", "env/staging/", "env/production/"] {
        assert!(
            first["mounts"].as_array().unwrap().iter().any(|k| k == m),
            "{m}"
        );
    }
    assert_eq!(
        first["policies"]["crypter-admin"],
        crypter::bootstrap::ADMIN_POLICY
    );
    assert_eq!(
        first["policies"]["crypter-operator"],
        crypter::bootstrap::OPERATOR_POLICY
    );
    let production = app
        .bao
        .read("crypter/data/environments/production", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(production["data"]["data"]["protected"], true);

    let report = crypter::bootstrap::bootstrap(
        &app.bao,
        &app.root,
        Some(&SecretString::from("a different password".to_owned())),
    )
    .await
    .unwrap();
    assert!(
        report.changes.is_empty(),
        "second run changed: {:?}",
        report.changes
    );
    assert!(!report.admin_created);
    assert_eq!(snapshot(&app.bao, &app.root).await, first);
    // The admin's password was not reset by the second run.
    assert_eq!(
        app.login(&browser(), "admin", ADMIN_PASSWORD)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn bootstrap_repairs_a_policy_edited_by_hand() {
    let app = spawn_app().await;
    app.bao
        .write(
            "sys/policies/acl/crypter-operator",
            &app.root,
            &serde_json::json!({"policy": "path \"x\" { capabilities = [\"read\"] }"}),
        )
        .await
        .unwrap();
    let report = crypter::bootstrap::bootstrap(&app.bao, &app.root, None)
        .await
        .unwrap();
    assert_eq!(
        report.changes,
        vec!["upgraded policy crypter-operator".to_owned()]
    );
}
