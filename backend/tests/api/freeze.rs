//! Freeze against a real OpenBao: enforcement is checked with tokens used directly against
//! OpenBao, not through Crypter.

use crate::helpers::*;
use crypter_api::{FreezeState, ThawResult, Verification, CSRF_HEADER};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};

/// A hand-written policy granting broad writes through globs.
const BROAD: &str = r#"# written by hand, not by Crypter
path "sys/policies/acl/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "auth/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "env/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "sys/mounts/*" {
  capabilities = ["create", "read", "update", "delete"]
}
"#;

/// Which of five writes OpenBao lets `t` through (straight at OpenBao, not via Crypter).
async fn writes(app: &TestApp, t: &SecretString, n: &str) -> [bool; 5] {
    let tries = [
        (
            Method::PUT,
            format!("sys/policies/acl/p-{n}"),
            json!({"policy": "path \"x\" {\n  capabilities = [\"read\"]\n}\n"}),
        ),
        (Method::POST, format!("auth/approle/role/r-{n}"), json!({})),
        (
            Method::POST,
            format!("auth/userpass/users/u-{n}"),
            json!({"password": "pw-not-secret"}),
        ),
        (
            Method::POST,
            format!("env/staging/data/c-{n}"),
            json!({"data": {"v": "1"}}),
        ),
        (
            Method::POST,
            "auth/approle/role/existing/secret-id".to_owned(),
            json!({}),
        ),
    ];
    let mut allowed = [false; 5];
    for (i, (method, path, body)) in tries.into_iter().enumerate() {
        allowed[i] = app.bao_allows(t, method, &path, &body).await;
    }
    allowed
}

#[tokio::test]
async fn freeze_is_enforced_inside_openbao_and_thaw_restores_every_byte() {
    let app = spawn_app().await;
    app.put_policy("ops-broad", BROAD).await;
    app.bao
        .write("auth/approle/role/existing", &app.root, &json!({}))
        .await
        .unwrap();
    let ops = app.token_with(&["ops-broad"]).await;
    assert_eq!(
        writes(&app, &ops, "a").await,
        [true; 5],
        "before the freeze everything is writable"
    );
    let before = app.all_policies().await;

    let (admin, session) = app.admin().await;
    let resp = app
        .freeze(&admin, &session.csrf_token, "provisioning")
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let state: FreezeState = resp.json().await.unwrap();
    assert_eq!(state.level, "provisioning");
    assert_eq!(state.by.as_deref(), Some("admin"));
    assert!(
        state.policies.contains(&"ops-broad".to_owned()),
        "{:?}",
        state.policies
    );
    assert!(state.policies.contains(&"crypter-admin".to_owned()));
    assert!(
        !state.policies.contains(&"crypter-operator".to_owned()),
        "operators are exempt"
    );
    assert_eq!(
        app.policy_text("crypter-operator").await,
        *crypter::bootstrap::OPERATOR_POLICY
    );

    // Policies, roles and users are frozen; credentials and secret-ids are not.
    assert_eq!(
        writes(&app, &ops, "b").await,
        [false, false, false, true, true]
    );

    let resp = app.freeze(&admin, &session.csrf_token, "full").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        writes(&app, &ops, "c").await,
        [false; 5],
        "at full, credentials and secret-ids too"
    );
    assert!(
        app.bao.read("env/staging/data/c-a", &ops).await.is_ok(),
        "reads still work at full"
    );

    let resp = app.thaw(&admin, &session.csrf_token, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let thawed: ThawResult = resp.json().await.unwrap();
    assert_eq!(thawed.state.level, "none");
    assert!(!thawed.restored.is_empty());
    assert!(
        thawed.restored.iter().all(|r| r.matches_snapshot),
        "{:?}",
        thawed.restored
    );
    assert_eq!(
        app.all_policies().await,
        before,
        "every policy is byte-identical to the snapshot"
    );
    assert_eq!(
        writes(&app, &ops, "d").await,
        [true; 5],
        "everything works as before"
    );
}

#[tokio::test]
async fn freeze_and_thaw_are_idempotent() {
    let app = spawn_app().await;
    let (admin, s) = app.admin().await;
    let first: FreezeState = app
        .freeze(&admin, &s.csrf_token, "provisioning")
        .await
        .json()
        .await
        .unwrap();
    let frozen = app.all_policies().await;
    let again = app.freeze(&admin, &s.csrf_token, "provisioning").await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: FreezeState = again.json().await.unwrap();
    assert_eq!(
        again.since, first.since,
        "a second freeze at the same level changes nothing"
    );
    assert_eq!(app.all_policies().await, frozen);

    assert_eq!(
        app.thaw(&admin, &s.csrf_token, None).await.status(),
        StatusCode::OK
    );
    let thawed = app.all_policies().await;
    let second = app.thaw(&admin, &s.csrf_token, None).await;
    assert_eq!(second.status(), StatusCode::OK);
    let second: ThawResult = second.json().await.unwrap();
    assert!(second.restored.is_empty());
    assert_eq!(app.all_policies().await, thawed);
}

#[tokio::test]
async fn verify_proves_the_freeze_and_catches_a_policy_edited_to_allow_writes() {
    let app = spawn_app().await;
    app.put_policy("ops-broad", BROAD).await;
    let (admin, s) = app.admin().await;
    assert_eq!(
        app.verify_freeze(&admin, &s.csrf_token).await.status(),
        StatusCode::CONFLICT,
        "nothing to verify yet"
    );
    app.freeze(&admin, &s.csrf_token, "provisioning").await;

    let resp = app.verify_freeze(&admin, &s.csrf_token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Verification = resp.json().await.unwrap();
    assert!(
        v.verified,
        "{:#?}",
        v.probes
            .iter()
            .filter(|p| p.status != "pass")
            .collect::<Vec<_>>()
    );
    let probed: std::collections::BTreeSet<&str> =
        v.probes.iter().map(|p| p.policy.as_str()).collect();
    assert!(
        probed.contains("ops-broad")
            && probed.contains("crypter-admin")
            && probed.contains("default")
    );
    assert!(!probed.contains("crypter-operator") && !probed.contains("root"));
    for op in [
        "write policy",
        "create approle role",
        "create userpass user",
        "mount",
        "capabilities",
    ] {
        assert!(
            v.probes
                .iter()
                .any(|p| p.operation == op && p.got != "allowed"),
            "{op}"
        );
    }
    assert!(
        v.probes
            .iter()
            .any(|p| p.expected == "allowed" && p.status == "pass"),
        "reads are probed"
    );
    let exempt: Vec<&str> = v.exemptions.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(exempt, vec!["root", "crypter-operator"]);
    let state: FreezeState = app.get_json(&admin, "/freeze").await;
    assert!(state.verification.unwrap().verified);

    // Someone re-allows policy writes directly in OpenBao while frozen.
    let mut edited = app.policy_text("ops-broad").await;
    edited
        .push_str("path \"sys/policies/acl/*\" {\n  capabilities = [\"create\", \"update\"]\n}\n");
    app.put_policy("ops-broad", &edited).await;
    let v: Verification = app
        .verify_freeze(&admin, &s.csrf_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(!v.verified);
    let failed: Vec<_> = v.probes.iter().filter(|p| p.status == "fail").collect();
    assert!(
        failed.iter().any(|p| p.policy == "ops-broad"
            && p.operation == "write policy"
            && p.got == "allowed"),
        "{failed:#?}"
    );
    assert!(
        failed.iter().all(|p| p.policy == "ops-broad"),
        "{failed:#?}"
    );
    let state: FreezeState = app.get_json(&admin, "/freeze").await;
    assert!(!state.verification.unwrap().verified);

    // No probe data is left behind, and every probe token is revoked.
    let leftovers: Vec<String> = app.bao.list("sys/policies/acl", &app.root).await.unwrap();
    assert!(
        leftovers.iter().all(|p| !p.starts_with("crypter-probe")),
        "{leftovers:?}"
    );
    assert!(app
        .bao
        .list("auth/approle/role", &app.root)
        .await
        .unwrap()
        .iter()
        .all(|r| !r.starts_with("crypter-probe")));
    assert!(app
        .bao
        .list("auth/userpass/users", &app.root)
        .await
        .unwrap()
        .iter()
        .all(|u| !u.starts_with("crypter-probe")));
    let mounts = app
        .bao
        .read("sys/mounts", &app.root)
        .await
        .unwrap()
        .unwrap();
    assert!(mounts["data"]
        .as_object()
        .unwrap()
        .keys()
        .all(|m| !m.starts_with("crypter-probe")));
    for accessor in app
        .bao
        .list("auth/token/accessors", &app.root)
        .await
        .unwrap()
    {
        let t = app
            .bao
            .write(
                "auth/token/lookup-accessor",
                &app.root,
                &json!({"accessor": accessor}),
            )
            .await
            .unwrap()
            .unwrap();
        assert!(
            !t["data"]["display_name"]
                .as_str()
                .unwrap_or("")
                .contains("crypter-probe"),
            "{t}"
        );
    }
}

#[tokio::test]
async fn full_freeze_verification_probes_every_environment() {
    let app = spawn_app().await;
    let (admin, s) = app.admin().await;
    app.freeze(&admin, &s.csrf_token, "full").await;
    let v: Verification = app
        .verify_freeze(&admin, &s.csrf_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        v.verified,
        "{:#?}",
        v.probes
            .iter()
            .filter(|p| p.status != "pass")
            .collect::<Vec<_>>()
    );
    for env in ["staging", "production"] {
        for op in [
            "write credential",
            "delete credential",
            "destroy credential",
        ] {
            assert!(v
                .probes
                .iter()
                .any(|p| p.operation == op && p.path.starts_with(&format!("env/{env}/"))));
        }
    }
    assert!(v.probes.iter().any(|p| p.operation == "issue secret-id"));
}

#[tokio::test]
async fn thaw_refuses_over_a_policy_changed_while_frozen_unless_forced() {
    let app = spawn_app().await;
    app.put_policy("ops-broad", BROAD).await;
    let original = app.policy_text("ops-broad").await;
    let (admin, s) = app.admin().await;
    app.freeze(&admin, &s.csrf_token, "provisioning").await;
    let mut edited = app.policy_text("ops-broad").await;
    edited.push_str("path \"secret/new\" {\n  capabilities = [\"read\"]\n}\n");
    app.put_policy("ops-broad", &edited).await;

    let resp = app.thaw(&admin, &s.csrf_token, None).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "policies_changed_while_frozen");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("ops-broad"));
    let conflicts = body["error"]["details"]["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0]["policy"], "ops-broad");
    assert!(conflicts[0]["diff"]
        .as_str()
        .unwrap()
        .contains("+path \"secret/new\""));
    assert_eq!(
        app.policy_text("ops-broad").await,
        edited,
        "nothing was restored"
    );

    let resp = app
        .thaw(&admin, &s.csrf_token, Some(json!({"force": true})))
        .await;
    expect_error(resp, StatusCode::BAD_REQUEST, "reason_required").await;

    let resp = app
        .thaw(
            &admin,
            &s.csrf_token,
            Some(json!({"force": true, "reason": "edit was a test"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let thawed: ThawResult = resp.json().await.unwrap();
    assert_eq!(thawed.overwritten.len(), 1);
    assert_eq!(app.policy_text("ops-broad").await, original);

    // The forced thaw and its reason stay on the freeze record.
    let state: FreezeState = app.get_json(&admin, "/freeze").await;
    let note = state.last_thaw.expect("the thaw is recorded");
    assert!(note.forced && note.by == "admin");
    assert_eq!(note.reason.as_deref(), Some("edit was a test"));
    assert_eq!(note.overwritten, ["ops-broad"]);
}

#[tokio::test]
async fn an_unparsable_policy_stops_the_freeze_before_anything_changes() {
    let app = spawn_app().await;
    // OpenBao's HCL 1 accepts two attributes on one line; Crypter's HCL parser does not.
    app.put_policy(
        "one-liner",
        "path \"sys/policies/acl/*\" { capabilities = [\"update\"] max_wrapping_ttl = 300 }\n",
    )
    .await;
    let before = app.all_policies().await;
    let (admin, s) = app.admin().await;
    let resp = app.freeze(&admin, &s.csrf_token, "provisioning").await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unparsable_policy", "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("one-liner"));
    assert_eq!(app.all_policies().await, before, "nothing is half-frozen");
    let state: FreezeState = app.get_json(&admin, "/freeze").await;
    assert_eq!(state.level, "none");
}

#[tokio::test]
async fn a_freeze_that_fails_half_way_rolls_back() {
    let app = spawn_app().await;
    app.put_policy("ops-broad", BROAD).await;
    // Sorted last, and the freezer may not rewrite it: the freeze fails on its last write.
    app.put_policy("zz-locked", BROAD).await;
    // An operator who may read but not rewrite zz-locked.
    app.put_policy(
        "no-zz",
        "path \"sys/policies/acl/zz-locked\" {\n  capabilities = [\"read\"]\n}\n",
    )
    .await;
    app.bao
        .write(
            "auth/userpass/users/half",
            &app.root,
            &json!({"password": "half-pass-123", "token_policies": ["crypter-operator", "no-zz"]}),
        )
        .await
        .unwrap();
    let before = app.all_policies().await;
    let client = browser();
    let resp = app.login(&client, "half", "half-pass-123").await;
    let s: crypter_api::SessionInfo = resp.json().await.unwrap();

    let resp = app.freeze(&client, &s.csrf_token, "provisioning").await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "freeze_failed", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("zz-locked"),
        "{body}"
    );
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("rolled back"));
    assert_eq!(
        app.all_policies().await,
        before,
        "every rewritten policy was rolled back"
    );
    let (admin, _) = app.admin().await;
    let state: FreezeState = app.get_json(&admin, "/freeze").await;
    assert_eq!(state.level, "none");
}

#[tokio::test]
async fn frozen_console_actions_are_refused_early_with_who_and_when() {
    let app = spawn_app().await;
    let (admin, s) = app.admin().await;
    app.freeze(&admin, &s.csrf_token, "provisioning").await;
    let resp = admin
        .post(app.url("/roles"))
        .header(CSRF_HEADER, &s.csrf_token)
        .json(&json!({"name": "deployer"}))
        .send()
        .await
        .unwrap();
    let message = expect_error(resp, StatusCode::LOCKED, "frozen").await;
    assert!(
        message.contains("provisioning") && message.contains("admin") && message.contains("since"),
        "{message}"
    );
    // Credential writes are not frozen at provisioning.
    let resp = admin
        .put(app.url("/environments/staging/credentials/x"))
        .header(CSRF_HEADER, &s.csrf_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_ne!(resp.status(), StatusCode::LOCKED);

    app.thaw(&admin, &s.csrf_token, None).await;
    let resp = admin
        .post(app.url("/roles"))
        .header(CSRF_HEADER, &s.csrf_token)
        .json(&json!({"name": "deployer"}))
        .send()
        .await
        .unwrap();
    assert_ne!(
        resp.status(),
        StatusCode::LOCKED,
        "thawed: no longer refused"
    );
}

#[tokio::test]
async fn freeze_input_is_validated() {
    let app = spawn_app().await;
    let (admin, s) = app.admin().await;
    let resp = admin
        .put(app.url("/freeze"))
        .header(CSRF_HEADER, &s.csrf_token)
        .json(&json!({"level": "total", "reason": "x"}))
        .send()
        .await
        .unwrap();
    // The level is a type of its own: refused while the body is read, naming the field.
    let message = expect_error(resp, StatusCode::BAD_REQUEST, "invalid_json").await;
    assert!(message.contains("level"), "{message}");
    assert!(message.contains("provisioning"));
    // `none` is what a thaw gives; a freeze never asks for it.
    let resp = admin
        .put(app.url("/freeze"))
        .header(CSRF_HEADER, &s.csrf_token)
        .json(&json!({"level": "none", "reason": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::BAD_REQUEST, "invalid_json").await;
    let resp = admin
        .put(app.url("/freeze"))
        .header(CSRF_HEADER, &s.csrf_token)
        .json(&json!({"level": "full", "reason": "  "}))
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::BAD_REQUEST, "invalid_reason").await;
    // Someone who is not an operator could not thaw, so may not freeze.
    app.bao
        .write(
            "auth/userpass/users/viewer",
            &app.root,
            &json!({"password": "viewer-pass-1", "token_policies": ["default"]}),
        )
        .await
        .unwrap();
    let viewer = browser();
    let vs: crypter_api::SessionInfo = app
        .login(&viewer, "viewer", "viewer-pass-1")
        .await
        .json()
        .await
        .unwrap();
    let resp = app.freeze(&viewer, &vs.csrf_token, "provisioning").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_cli_freezes_verifies_and_thaws_with_exit_codes_scripts_can_use() {
    use secrecy::ExposeSecret;
    let app = spawn_app().await;
    app.put_policy("ops-broad", BROAD).await;
    let operator = app
        .token_with(&["crypter-admin", "crypter-operator", "default"])
        .await;
    let run = |args: &'static [&'static str]| {
        let addr = app.bao.addr().to_owned();
        let token = operator.expose_secret().to_owned();
        async move {
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_crypter"))
                .args(args)
                .env("BAO_ADDR", addr)
                .env("BAO_TOKEN", token)
                .output()
                .await
                .unwrap();
            (
                out.status.code().unwrap(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let (code, _, err) = run(&["freeze", "provisioning"]).await;
    assert_eq!(code, 1, "a freeze needs a reason: {err}");
    let (code, out, err) = run(&["freeze", "provisioning", "--reason", "cli test"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("frozen at provisioning"), "{out}");
    let (code, out, _) = run(&["freeze", "verify"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VERIFIED"), "{out}");

    let mut edited = app.policy_text("ops-broad").await;
    edited.push_str("path \"sys/policies/acl/*\" {\n  capabilities = [\"update\"]\n}\n");
    app.put_policy("ops-broad", &edited).await;
    let (code, out, _) = run(&["freeze", "verify"]).await;
    assert_eq!(code, 2, "not verified: {out}");
    let (code, _, err) = run(&["thaw"]).await;
    assert_eq!(code, 3, "a conflict: {err}");
    assert!(err.contains("ops-broad"), "{err}");
    let (code, out, err) = run(&["thaw", "--force", "--reason", "cli test"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("thawed"), "{out}");
    let (code, out, _) = run(&["freeze", "status"]).await;
    assert_eq!((code, out.trim()), (0, "level: none"));
}

/// The login settings are frozen at provisioning inside OpenBao: an admin's own token,
/// straight against OpenBao, may write them before the freeze and not during it.
#[tokio::test]
async fn an_admin_cannot_rewrite_the_login_settings_during_a_provisioning_freeze() {
    let app = spawn_app().await;
    let admin_token = app.token_with(&["crypter-admin", "default"]).await;
    let settings = json!({"data": {"deprecated_methods": ["userpass/"]}});
    let write = || {
        app.bao_status(
            &admin_token,
            Method::POST,
            "crypter/data/settings/auth",
            settings.clone(),
        )
    };
    assert_eq!(write().await, 200, "outside a freeze an admin may");
    let (admin, s) = app.admin().await;
    app.freeze_ok(&admin, &s.csrf_token, "provisioning").await;
    assert_eq!(write().await, 403, "frozen: OpenBao refuses the admin");
    let resp = app.thaw(&admin, &s.csrf_token, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(write().await, 200, "thawed: allowed again");
}
