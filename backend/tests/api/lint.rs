use crate::helpers::*;
use crypter_api::LintFinding;
use reqwest::{Method, StatusCode};
use serde_json::json;

impl TestApp {
    pub async fn lint(&self, c: &Caller) -> Vec<LintFinding> {
        let resp = self.call(c, Method::GET, "/lint", None).await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }
}

fn has(findings: &[LintFinding], rule: &str, env: &str, path: &str) -> bool {
    findings.iter().any(|f| {
        f.rule == rule && f.environment.as_deref() == Some(env) && f.path.as_deref() == Some(path)
    })
}

/// Credentials that three rules flag: missing-metadata (`staging/raw`, written straight
/// to OpenBao), shared-value (one value in `staging/svc/db` and `production/payments/db`,
/// protected and unprotected) and unexpected-in-protected (`production/e2e/bot`).
async fn raw_shared_and_unexpected(app: &TestApp, c: &Caller) {
    app.bao
        .write(
            "env/staging/data/raw",
            &app.root,
            &json!({"data": {"v": "raw-value"}}),
        )
        .await
        .unwrap();
    app.seed(c, "staging", "svc/db", "shared-secret", "service")
        .await;
    app.seed(c, "production", "payments/db", "shared-secret", "service")
        .await;
    app.seed(c, "production", "e2e/bot", "bot-value", "e2e")
        .await;
}

/// Credentials for `expired` (`staging/certs/today`, `staging/certs/last-week`) and
/// `expires-soon` (`staging/certs/soon`), and one a month away that neither flags.
async fn expiring(app: &TestApp, c: &Caller) {
    let expire = |path: &'static str, days: i64| {
        let date =
            (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string();
        async move {
            let body = json!({"data": {"v": path}, "class": "key", "owner": "o", "expires": date});
            assert_eq!(
                app.put_credential(c, "staging", path, body).await.status(),
                StatusCode::OK
            );
        }
    };
    expire("certs/today", 0).await;
    expire("certs/last-week", -7).await;
    expire("certs/soon", 5).await;
    expire("certs/next-month", 30).await;
}

fn expiry_found(findings: &[LintFinding]) {
    for path in ["certs/today", "certs/last-week"] {
        assert!(has(findings, "expired", "staging", path), "{findings:?}");
    }
    let expired = findings.iter().find(|f| f.rule == "expired").unwrap();
    assert_eq!(expired.severity, crypter_api::Severity::Error);
    assert!(expired.message.contains("expired on 20"), "{expired:?}");
    assert!(
        has(findings, "expires-soon", "staging", "certs/soon"),
        "{findings:?}"
    );
    assert!(
        !findings
            .iter()
            .any(|f| f.path.as_deref() == Some("certs/next-month")),
        "{findings:?}"
    );
}

#[tokio::test]
async fn lint_is_quiet_on_a_clean_store() {
    let app = spawn_app().await;
    let c = app.caller().await;
    assert!(app.lint(&c).await.is_empty());
    app.seed(&c, "staging", "svc/db", "staging-only", "service")
        .await;
    app.seed(&c, "staging", "e2e/bot", "bot-value", "e2e").await;
    app.seed(&c, "production", "svc/db", "production-only", "service")
        .await;
    let findings = app.lint(&c).await;
    assert!(findings.is_empty(), "{findings:?}");
}

#[tokio::test]
async fn every_credential_rule_fires() {
    let app = spawn_app().await;
    let c = app.caller().await;
    // environment-mismatch: metadata written behind Crypter's back.
    app.seed(&c, "staging", "svc/moved", "moved-value", "service")
        .await;
    app.bao
        .write(
            "env/staging/metadata/svc/moved",
            &app.root,
            &json!({"custom_metadata": {"class": "service", "owner": "x", "environment": "production"}}),
        )
        .await
        .unwrap();
    raw_shared_and_unexpected(&app, &c).await;
    // rotation-overdue: 0 days is due at once; 30 days is due a month from now.
    let rotate = |path: &'static str, days: u32| {
        let (app, c) = (&app, &c);
        async move {
            let body = json!({"data": {"v": "r"}, "class": "key", "owner": "o", "rotate_after_days": days});
            assert_eq!(
                app.put_credential(c, "staging", path, body).await.status(),
                StatusCode::OK
            );
        }
    };
    rotate("keys/now", 0).await;
    rotate("keys/later", 30).await;
    expiring(&app, &c).await;
    let findings = app.lint(&c).await;
    assert!(
        has(&findings, "environment-mismatch", "staging", "svc/moved"),
        "{findings:?}"
    );
    assert!(
        has(&findings, "missing-metadata", "staging", "raw"),
        "{findings:?}"
    );
    assert!(
        has(&findings, "shared-value", "production", "payments/db"),
        "{findings:?}"
    );
    assert!(
        has(
            &findings,
            "unexpected-in-protected",
            "production",
            "e2e/bot"
        ),
        "{findings:?}"
    );
    assert!(
        has(&findings, "rotation-overdue", "staging", "keys/now"),
        "{findings:?}"
    );
    assert!(
        !has(&findings, "rotation-overdue", "staging", "keys/later"),
        "{findings:?}"
    );
    expiry_found(&findings);
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(31);
    let future = crypter::lint::run_at(&app.bao, &app.root, crypter::lint::Digests::ReadAll, later)
        .await
        .unwrap();
    assert!(
        has(&future, "rotation-overdue", "staging", "keys/later"),
        "{future:?}"
    );
    let text = serde_json::to_string(&findings).unwrap();
    assert!(!text.contains("shared-secret"), "{text}");
}

#[tokio::test]
async fn demo_data_gives_the_lint_something_to_show() {
    let app = spawn_app().await;
    let c = app.caller().await;
    let written = crypter::demo::load(&app.bao, &app.root).await.unwrap();
    assert!(written >= 30, "{written}");
    assert_eq!(crypter::demo::load(&app.bao, &app.root).await.unwrap(), 0);
    let findings = app.lint(&c).await;
    assert!(has(
        &findings,
        "environment-mismatch",
        "staging",
        "payments/copied-from-prod"
    ));
    assert!(has(
        &findings,
        "shared-value",
        "production",
        "legacy/smtp-password"
    ));
    assert!(has(
        &findings,
        "rotation-overdue",
        "production",
        "signing/legacy-hmac"
    ));
    assert!(has(
        &findings,
        "unexpected-in-protected",
        "production",
        "payments/stripe-key"
    ));
    let classes: std::collections::BTreeSet<String> = app
        .list_credentials(&c, "staging", "")
        .await
        .json::<crypter_api::CredentialPage>()
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|i| i.metadata.class)
        .collect();
    assert_eq!(classes.len(), 5, "{classes:?}");
}

#[tokio::test]
async fn lint_of_one_environment_or_one_credential_reads_only_what_it_needs() {
    let app = spawn_app().await;
    let c = app.caller().await;
    raw_shared_and_unexpected(&app, &c).await;
    let scoped = |q: &'static str| {
        let (app, c) = (&app, &c);
        async move {
            let resp = app.call(c, Method::GET, &format!("/lint{q}"), None).await;
            assert_eq!(resp.status(), StatusCode::OK, "{q}");
            resp.json::<Vec<LintFinding>>().await.unwrap()
        }
    };
    let staging = scoped("?environment=staging").await;
    assert_eq!(staging.len(), 1, "{staging:?}");
    assert!(has(&staging, "missing-metadata", "staging", "raw"));
    let production = scoped("?environment=production").await;
    assert!(has(
        &production,
        "shared-value",
        "production",
        "payments/db"
    ));
    assert!(has(
        &production,
        "unexpected-in-protected",
        "production",
        "e2e/bot"
    ));
    assert_eq!(production.len(), 2, "{production:?}");
    let one = scoped("?environment=production&path=payments/db").await;
    assert_eq!(one.len(), 1, "{one:?}");
    assert!(has(&one, "shared-value", "production", "payments/db"));
    assert!(scoped("?environment=staging&path=svc/db").await.is_empty());

    // A token that may read staging alone (and the environment records) lints staging:
    // an unprotected environment's lint reads no other environment. The full lint, which
    // reads production's values, is refused to it by OpenBao.
    let (user, token) = app
        .user_with_policy(
            "staging-linter",
            r#"path "env/staging/*" { capabilities = ["read", "list", "scan"] }
path "crypter/metadata/environments" { capabilities = ["list"] }
path "crypter/data/environments/*" { capabilities = ["read"] }"#,
        )
        .await;
    let resp = app
        .call(&user, Method::GET, "/lint?environment=staging", None)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app.call(&user, Method::GET, "/lint", None).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let denied = app
        .bao
        .read("env/production/data/payments/db", &token)
        .await
        .unwrap_err();
    assert_eq!(denied.status(), Some(403));
}

#[tokio::test]
async fn scoped_lint_input_is_validated() {
    let app = spawn_app().await;
    let c = app.caller().await;
    for (q, status, code) in [
        (
            "?path=svc/db",
            StatusCode::BAD_REQUEST,
            "environment_required",
        ),
        (
            "?environment=Bad_Name",
            StatusCode::BAD_REQUEST,
            "invalid_environment",
        ),
        (
            "?environment=staging&path=a/../b",
            StatusCode::BAD_REQUEST,
            "invalid_path",
        ),
        (
            "?environment=nowhere",
            StatusCode::NOT_FOUND,
            "environment_not_found",
        ),
        (
            "?environment=staging&path=no/such",
            StatusCode::NOT_FOUND,
            "credential_not_found",
        ),
    ] {
        let resp = app.call(&c, Method::GET, &format!("/lint{q}"), None).await;
        let (got, got_code, _) = error_code(resp).await;
        assert_eq!((got, got_code.as_str()), (status, code), "{q}");
    }
}

/// `shared-value` without reading values: Crypter keeps a keyed digest (an HMAC from the
/// backend's own transit key) of each value it writes; a value changed outside Crypter is
/// `unknown` to a scoped lint until a full lint reads it once.
#[tokio::test]
async fn shared_value_compares_kept_digests_and_names_values_changed_outside_crypter() {
    let app = spawn_app().await;
    let c = app.caller().await;
    let scoped = |q: &'static str| {
        let (app, c) = (&app, &c);
        async move {
            let resp = app.call(c, Method::GET, &format!("/lint{q}"), None).await;
            assert_eq!(resp.status(), StatusCode::OK, "{q}");
            resp.json::<Vec<LintFinding>>().await.unwrap()
        }
    };
    app.seed(&c, "staging", "svc/db", "shared-secret", "service")
        .await;
    app.seed(&c, "production", "payments/db", "shared-secret", "service")
        .await;
    // Written straight to OpenBao, with the value of staging's svc/db.
    app.bao
        .write(
            "env/production/data/raw",
            &app.root,
            &json!({"data": {"value": "shared-secret"}}),
        )
        .await
        .unwrap();
    let before = scoped("?environment=production").await;
    assert!(
        has(&before, "shared-value", "production", "payments/db"),
        "{before:?}"
    );
    assert!(
        !has(&before, "shared-value", "production", "raw"),
        "{before:?}"
    );
    assert!(
        has(&before, "shared-value-unknown", "production", "raw"),
        "{before:?}"
    );
    // The full lint reads the unknown value once and keeps its digest.
    let full = app.lint(&c).await;
    assert!(has(&full, "shared-value", "production", "raw"), "{full:?}");
    let after = scoped("?environment=production").await;
    assert!(
        has(&after, "shared-value", "production", "raw"),
        "{after:?}"
    );
    assert!(
        !after.iter().any(|f| f.rule == "shared-value-unknown"),
        "{after:?}"
    );
    // A save through Crypter replaces the digest: the value is no longer shared.
    app.seed(&c, "production", "raw", "now-its-own", "service")
        .await;
    let saved = scoped("?environment=production").await;
    assert!(
        !has(&saved, "shared-value", "production", "raw"),
        "{saved:?}"
    );
    // A promote keeps the digest of what it copied.
    let resp = app
        .promote(
            &c,
            json!({"from": "staging", "to": "production", "path": "svc/db"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let promoted = scoped("?environment=production").await;
    assert!(
        has(&promoted, "shared-value", "production", "svc/db"),
        "{promoted:?}"
    );
    // The digests are HMACs in records that only the backend's identity reaches: admins
    // and operators can neither call the key nor read or write the records.
    let kept = app
        .bao
        .list("crypter/metadata/digests/production/", &app.root)
        .await
        .unwrap();
    assert!(!kept.is_empty());
    let shard = format!("crypter/data/digests/production/{}", kept[0]);
    let record = app.bao.read(&shard, &app.root).await.unwrap().unwrap();
    let text = record.to_string();
    assert!(
        text.contains("vault:v1:") && !text.contains("shared-secret"),
        "{text}"
    );
    for policy in ["crypter-admin", "crypter-operator"] {
        let token = app.token_with(&[policy, "default"]).await;
        let hmac = app
            .bao
            .write(
                "crypter-backend-transit/hmac/digests",
                &token,
                &json!({"input": "c2hhcmVkLXNlY3JldA=="}),
            )
            .await;
        assert!(
            matches!(hmac, Err(crypter::bao::BaoError::Forbidden { .. })),
            "{policy}: {hmac:?}"
        );
        let read = app.bao.read(&shard, &token).await;
        assert!(
            matches!(read, Err(crypter::bao::BaoError::Forbidden { .. })),
            "{policy}: {read:?}"
        );
        let write = app.bao.write(&shard, &token, &json!({"data": {}})).await;
        assert!(
            matches!(write, Err(crypter::bao::BaoError::Forbidden { .. })),
            "{policy}: {write:?}"
        );
    }
}

#[tokio::test]
async fn a_token_that_may_scan_an_environment_but_not_list_it_gets_the_same_findings() {
    let app = spawn_app().await;
    let c = app.caller().await;
    raw_shared_and_unexpected(&app, &c).await;
    async fn lint(app: &TestApp, c: &Caller) -> Vec<LintFinding> {
        let resp = app
            .call(c, Method::GET, "/lint?environment=staging", None)
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }
    let admin = lint(&app, &c).await;
    assert!(has(&admin, "missing-metadata", "staging", "raw"));
    // The lint reads a large environment in parts (a LIST, then SCANs of its folders);
    // this token may not LIST, so one whole SCAN answers instead, with the same rows.
    let (user, token) = app
        .user_with_policy(
            "scan-only-linter",
            r#"path "env/staging/detailed-metadata/" { capabilities = ["scan"] }
path "env/staging/detailed-metadata/*" { capabilities = ["scan"] }
path "crypter/metadata/environments" { capabilities = ["list"] }
path "crypter/data/environments/*" { capabilities = ["read"] }"#,
        )
        .await;
    let refused = app
        .bao
        .list("env/staging/detailed-metadata/", &token)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403));
    assert_eq!(lint(&app, &user).await, admin);
}
