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
        *crypter::bootstrap::ADMIN_POLICY
    );
    assert_eq!(
        first["policies"]["crypter-operator"],
        *crypter::bootstrap::OPERATOR_POLICY
    );
    assert_eq!(
        first["policies"]["crypter-own"],
        *crypter::bootstrap::OWN_POLICY
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

mod upgrade {
    use crate::helpers::*;
    use crypter::bao::Bao;
    use crypter::embedded::{free_loopback_port, start_dev, BaoProcess};
    use secrecy::{ExposeSecret, SecretString};
    use serde_json::json;
    use std::net::SocketAddr;
    use std::path::Path;
    use std::process::Stdio;
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, BufReader};

    const BIN: &str = env!("CARGO_BIN_EXE_crypter");
    const V1: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/api/fixtures/bootstrap-v1"
    );

    /// A store as the first release left it: its two policies, the catch-all probe token
    /// role, a role whose policy may write activity, and no bootstrap version record.
    async fn first_release_store() -> (BaoProcess, Bao, SecretString) {
        let root = SecretString::from(format!("root-{}", crypter::session::random_token()));
        let addr = SocketAddr::from(([127, 0, 0, 1], free_loopback_port().unwrap()));
        let (process, bao) = start_dev(addr, &root).await.unwrap();
        for (path, body) in [
            ("sys/auth/approle", json!({"type": "approle"})),
            ("sys/auth/userpass", json!({"type": "userpass"})),
            (
                "sys/mounts/crypter",
                json!({"type": "kv", "options": {"version": "2"}}),
            ),
            (
                "sys/mounts/env/staging",
                json!({"type": "kv", "options": {"version": "2"}}),
            ),
            (
                "sys/mounts/env/production",
                json!({"type": "kv", "options": {"version": "2"}}),
            ),
        ] {
            bao.write(path, &root, &body).await.unwrap();
        }
        for name in ["crypter-admin", "crypter-operator"] {
            let hcl = std::fs::read_to_string(Path::new(V1).join(format!("{name}.hcl"))).unwrap();
            bao.write(
                &format!("sys/policies/acl/{name}"),
                &root,
                &json!({"policy": hcl}),
            )
            .await
            .unwrap();
        }
        bao.write(
            "auth/token/roles/crypter-probe",
            &root,
            &json!({"allowed_policies_glob": ["*"], "disallowed_policies": ["crypter-operator", "root"]}),
        )
        .await
        .unwrap();
        // People and machines that earlier releases' operators made admins or operators by
        // hand, and one that is neither.
        for (path, body) in [
            (
                "auth/userpass/users/lead",
                json!({"password": "lead-password-1", "token_policies": ["crypter-admin", "crypter-operator"]}),
            ),
            (
                "auth/userpass/users/dev",
                json!({"password": "dev-password-12", "token_policies": ["crypter-role-deployer"]}),
            ),
            (
                "auth/approle/role/ops-bot",
                json!({"token_policies": ["default", "crypter-operator"], "token_ttl": "10m"}),
            ),
            (
                "identity/group/name/release-leads",
                json!({"type": "internal", "policies": ["crypter-admin"]}),
            ),
        ] {
            bao.write(path, &root, &body).await.unwrap();
        }
        let role = json!({"name": "deployer", "class": "human", "description": "",
            "grants": [{"environment": "staging", "scope": "app/*", "capabilities": ["read"], "effect": "allow"}]});
        bao.write("crypter/data/roles/deployer", &root, &json!({"data": role}))
            .await
            .unwrap();
        let grants: Vec<crypter_api::Grant> =
            serde_json::from_value(role["grants"].clone()).unwrap();
        let name = crypter_api::RoleName::parse("deployer").unwrap();
        let current = crypter::roles::derive(&name, &grants);
        let (head, rest) = current.split_once('\n').unwrap();
        let old = format!(
            "{head}\n{}{rest}",
            crypter::roles::policy::LEGACY_ACTIVITY_RULE
        );
        bao.write(
            "sys/policies/acl/crypter-role-deployer",
            &root,
            &json!({"policy": old}),
        )
        .await
        .unwrap();
        (process, bao, root)
    }

    async fn run(bao: &Bao, root: &SecretString, args: &[&str]) -> (i32, String, String) {
        let out = tokio::process::Command::new(BIN)
            .arg("bootstrap")
            .args(args)
            .env("BAO_ADDR", bao.addr())
            .env("BAO_TOKEN", root.expose_secret())
            .output()
            .await
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `crypter serve --bao-addr`: what it printed, and whether it is still running.
    async fn serve(bao: &Bao, creds: Option<&Path>) -> (bool, String) {
        let listen = free_loopback_port().unwrap();
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{listen}")])
            .args(["--bao-addr", bao.addr()])
            .args(["--dist-dir", "/nonexistent"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(c) = creds {
            cmd.arg("--backend-credentials").arg(c);
        }
        let mut child = cmd.spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let started = tokio::time::timeout(Duration::from_secs(30), out.next_line())
            .await
            .ok()
            .and_then(|l| l.ok().flatten())
            .is_some_and(|l| l.starts_with("Crypter console:"));
        let _ = child.start_kill();
        let mut err = String::new();
        use tokio::io::AsyncReadExt;
        let _ = child.stderr.take().unwrap().read_to_string(&mut err).await;
        (started, err)
    }

    #[tokio::test]
    async fn bootstrap_upgrades_a_first_release_store_and_serve_checks_the_version() {
        let (_process, bao, root) = first_release_store().await;
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("backend.json");

        // Without the backend's credentials, serve says what to run.
        let (started, err) = serve(&bao, None).await;
        assert!(!started);
        assert!(err.contains("crypter bootstrap --bao-addr"), "{err}");

        let (code, out, err) = run(
            &bao,
            &root,
            &["--backend-credentials", creds.to_str().unwrap()],
        )
        .await;
        assert_eq!(code, 0, "{out}{err}");
        for change in [
            "upgraded policy crypter-admin",
            "upgraded policy crypter-operator",
            "wrote policy crypter-backend",
            "wrote policy crypter-audit-ingest",
            "wrote auth/token/roles/crypter-check",
            "removed token role crypter-probe",
            "audit header X-Crypter-Purpose",
            "wrote AppRole crypter-backend",
            "upgraded policy crypter-role-deployer (no activity write)",
            "mounted transit at transit/staging/ (refusing key creation by encryption)",
            "mounted transit at transit/production/ (refusing key creation by encryption)",
            "mounted transit at crypter-backend-transit/",
            "created transit key crypter-backend-transit/keys/sessions",
            &format!(
                "bootstrap version 1 -> {}",
                crypter::bootstrap::BOOTSTRAP_VERSION
            ),
            "wrote the backend's credentials",
            "wrote policy crypter-own",
            "attached policy crypter-own to user lead",
            "attached policy crypter-own to AppRole ops-bot",
            "attached policy crypter-own to group release-leads",
        ] {
            assert!(
                out.contains(&format!("changed: {change}")),
                "{change} missing from:\n{out}"
            );
        }
        assert!(
            out.lines()
                .filter(|l| l.contains("mounted"))
                .all(|l| l.contains("transit")),
            "existing mounts are kept (only the new transit mounts are made): {out}"
        );
        assert!(!out.contains("to user dev"), "{out}");
        for (path, field, want) in [
            (
                "auth/userpass/users/lead",
                "token_policies",
                &["crypter-admin", "crypter-operator", "crypter-own"][..],
            ),
            (
                "auth/userpass/users/dev",
                "token_policies",
                &["crypter-role-deployer"][..],
            ),
            (
                "auth/approle/role/ops-bot",
                "token_policies",
                &["default", "crypter-operator", "crypter-own"][..],
            ),
            (
                "identity/group/name/release-leads",
                "policies",
                &["crypter-admin", "crypter-own"][..],
            ),
        ] {
            let live = bao.read(path, &root).await.unwrap().unwrap();
            assert_eq!(live["data"][field], json!(want), "{path}");
        }
        // The user kept their password, and a new login carries the policy.
        let login = bao
            .unauthenticated(
                reqwest::Method::POST,
                "auth/userpass/login/lead",
                Some(&json!({"password": "lead-password-1"})),
            )
            .await
            .unwrap()
            .unwrap();
        let policies = login["auth"]["token_policies"].as_array().unwrap();
        assert!(policies.contains(&json!("crypter-own")), "{policies:?}");
        // The AppRole kept what it had besides.
        let bot = bao
            .read("auth/approle/role/ops-bot", &root)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bot["data"]["token_ttl"], 600);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);

        let (code, out, err) = run(
            &bao,
            &root,
            &["--backend-credentials", creds.to_str().unwrap()],
        )
        .await;
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            out.trim(),
            format!(
                "nothing to change: the store is at bootstrap version {}",
                crypter::bootstrap::BOOTSTRAP_VERSION
            )
        );

        // A current store: serve starts with the backend's credentials.
        let (started, err) = serve(&bao, Some(&creds)).await;
        assert!(started, "{err}");
        // An older store: serve refuses and names the command.
        bao.write(
            crypter::bootstrap::VERSION_PATH,
            &root,
            &json!({"data": {"version": 1}}),
        )
        .await
        .unwrap();
        let (started, err) = serve(&bao, Some(&creds)).await;
        assert!(!started);
        assert!(
            err.contains("older Crypter") && err.contains("crypter bootstrap --bao-addr"),
            "{err}"
        );
    }

    /// A store of the previous release (version 2: no keys) gains a transit mount per
    /// environment, refusing key creation by encryption, and the policies' rules on keys;
    /// a second run changes nothing.
    #[tokio::test]
    async fn bootstrap_upgrades_a_version_2_store_with_keys_idempotently() {
        let app = spawn_app().await;
        let (bao, root) = (&app.bao, &app.root);
        bao.delete("sys/mounts/transit/staging", root)
            .await
            .unwrap();
        bao.write(
            "transit/production/config/keys",
            root,
            &json!({"disable_upsert": false}),
        )
        .await
        .unwrap();
        let without_keys: String = crypter::bootstrap::ADMIN_POLICY
            .split("\npath ")
            .filter(|rule| !rule.contains("transit"))
            .collect::<Vec<_>>()
            .join("\npath ");
        bao.write(
            "sys/policies/acl/crypter-admin",
            root,
            &json!({"policy": without_keys}),
        )
        .await
        .unwrap();
        bao.write(
            crypter::bootstrap::VERSION_PATH,
            root,
            &json!({"data": {"version": 2}}),
        )
        .await
        .unwrap();
        let (code, out, err) = run(bao, root, &[]).await;
        assert_eq!(code, 0, "{out}{err}");
        for change in [
            "upgraded policy crypter-admin",
            "mounted transit at transit/staging/ (refusing key creation by encryption)",
            "transit/production/ refuses key creation by encryption",
            &format!(
                "bootstrap version 2 -> {}",
                crypter::bootstrap::BOOTSTRAP_VERSION
            ),
        ] {
            assert!(
                out.contains(&format!("changed: {change}")),
                "{change} missing from:\n{out}"
            );
        }
        let upsert = bao.read("transit/staging/config/keys", root).await.unwrap();
        assert_eq!(upsert.unwrap()["data"]["disable_upsert"], true);
        let (code, out, _) = run(bao, root, &[]).await;
        assert_eq!(code, 0);
        assert_eq!(
            out.trim(),
            format!(
                "nothing to change: the store is at bootstrap version {}",
                crypter::bootstrap::BOOTSTRAP_VERSION
            )
        );
    }

    #[tokio::test]
    async fn bootstrap_refuses_while_frozen_and_its_operator_token_is_enough_afterwards() {
        let app = spawn_app().await;
        let (op, s) = app.admin().await;
        let resp = op
            .put(app.url("/freeze"))
            .header(crypter_api::CSRF_HEADER, &s.csrf_token)
            .json(&json!({"level": "provisioning", "reason": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let operator = app.token_with(&["crypter-operator", "default"]).await;
        let (code, _, err) = run(&app.bao, &operator, &[]).await;
        assert_eq!(code, 1);
        assert!(err.contains("thaw it first"), "{err}");
        let resp = op
            .delete(app.url("/freeze"))
            .header(crypter_api::CSRF_HEADER, &s.csrf_token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        // Policies edited since are put back with an operator's token alone.
        app.bao
            .write(
                "sys/policies/acl/crypter-admin",
                &app.root,
                &json!({"policy": "path \"x\" { capabilities = [\"read\"] }"}),
            )
            .await
            .unwrap();
        // …and a version 6 store gets crypter-own beside the policies it attaches, where the
        // operator's token may look: a group it may not read is named for someone who may.
        app.bao
            .write(
                crypter::bootstrap::VERSION_PATH,
                &app.root,
                &json!({"data": {"version": 6}}),
            )
            .await
            .unwrap();
        app.user_with("lead6", "lead6-password", &["crypter-operator"])
            .await;
        app.bao
            .write(
                "identity/group/name/platform",
                &app.root,
                &json!({"policies": ["crypter-admin"]}),
            )
            .await
            .unwrap();
        let (code, out, err) = run(&app.bao, &operator, &[]).await;
        assert_eq!(code, 0, "{err}");
        for change in [
            "upgraded policy crypter-admin",
            "attached policy crypter-own to user lead6",
            "could not read group platform: if it holds crypter-admin or crypter-operator, \
             attach crypter-own to it too",
            "bootstrap version 6 -> 7",
        ] {
            assert!(
                out.contains(&format!("changed: {change}")),
                "{change}: {out}"
            );
        }
        assert!(
            !out.contains("to user admin"),
            "the admin has it already: {out}"
        );
        let group = app
            .bao
            .read("identity/group/name/platform", &app.root)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(group["data"]["policies"], json!(["crypter-admin"]));
    }
}
