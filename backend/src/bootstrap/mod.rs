//! Bootstrap: make a store ready for Crypter, or upgrade one an earlier release made
//! ready. One code path for every mode: `crypter bootstrap --bao-addr …` (an operator's
//! token in `BAO_TOKEN`), and the embedded and dev modes at start (their root token, which
//! they drop afterwards). Idempotent: every step reads first and writes only what is
//! missing or different, and says what it changed, so a second run changes nothing.
//!
//! The store's bootstrap version is kept at `crypter/data/bootstrap`; `crypter serve
//! --bao-addr` refuses to start over a store whose version is older than its own.

mod backend;
mod grants;
mod policies;
mod steps;

pub use backend::{
    check_version, issue_credentials, AppRoleCredentials, BackendCredentials, VersionCheck,
    BACKEND_ROLE, CARRIER_ROLE,
};
pub use policies::{
    carrier_policy, ADMIN_POLICY, AUDIT_INGEST_POLICY, BACKEND_POLICY, OPERATOR_POLICY, OWN_POLICY,
};

use crate::bao::Bao;
use anyhow::Context;
use secrecy::SecretString;
use serde_json::json;
use std::sync::LazyLock;

/// What this release's bootstrap makes. 1 was the first release (no version record);
/// 2 gave records owners, the backend its identity, probe roles their limits, and moved
/// activity to OpenBao's audit device; 3 keeps sessions and jobs in the store (a transit
/// key for session tokens, job owner markers) and adds keys (a transit mount per environment
/// that refuses key creation by encryption, and the policies' rules on keys), and the
/// backend's digest key for the lint. 4 added restore points and notifications; 5 lets
/// the backend record product events and read the freeze record (it watches for breaches);
/// 6 lets admins and operators configure single sign-on (`auth/oidc`) and keep the
/// external groups of provider groups; 7 moves the admins' and operators' rules on their
/// own records to `crypter-own` (OpenBao parses a templated policy again on every request)
/// and attaches it to every user, AppRole and group that holds either.
pub const BOOTSTRAP_VERSION: u64 = 7;
pub const VERSION_PATH: &str = "crypter/data/bootstrap";

/// The environments every store starts with: (name, description, colour, protected).
pub const INITIAL_ENVIRONMENTS: &[(&str, &str, &str, bool)] = &[
    (
        "staging",
        "Pre-production: integration and e2e credentials",
        "#2f80ed",
        false,
    ),
    (
        "production",
        "Live services; destructive actions need typed confirmation",
        "#d64545",
        true,
    ),
];

pub const ADMIN_USER: &str = "admin";

/// The built-in policies people hold, and the one that goes beside either.
pub const ADMIN: &str = "crypter-admin";
pub const OPERATOR: &str = "crypter-operator";
pub const OWN: &str = "crypter-own";

/// The policies bootstrap installs, by name.
pub static POLICIES: LazyLock<[(&str, &str); 5]> = LazyLock::new(|| {
    [
        (ADMIN, ADMIN_POLICY.as_str()),
        (OPERATOR, OPERATOR_POLICY.as_str()),
        (OWN, OWN_POLICY.as_str()),
        ("crypter-backend", BACKEND_POLICY.as_str()),
        ("crypter-audit-ingest", AUDIT_INGEST_POLICY.as_str()),
    ]
});

/// What bootstrap did. `admin_created` is set only when it created the admin user: the
/// caller prints the password once.
#[derive(Debug, Default)]
pub struct BootstrapReport {
    pub changes: Vec<String>,
    pub admin_created: bool,
    /// The version the store had before (0: never bootstrapped, 1: the first release).
    pub from_version: u64,
}

/// The carrier's policy, for the environments that have an approval rule now.
async fn ensure_carrier_policy(
    bao: &Bao,
    token: &SecretString,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    let rules = crate::roles::rules::load(bao, token)
        .await
        .map_err(|e| anyhow::anyhow!(e.cause_chain()))?;
    let ruled = rules.into_iter().map(|r| r.environment).collect();
    let hcl = policies::carrier_policy(&ruled);
    steps::ensure_policy(bao, token, CARRIER_ROLE, &hcl, report).await
}

/// Bootstrap or upgrade the store with `token` (root, or an operator's). The admin user is
/// created, with `admin_password`, only when a password is given and the user is missing.
pub async fn bootstrap(
    bao: &Bao,
    token: &SecretString,
    admin_password: Option<&SecretString>,
) -> anyhow::Result<BootstrapReport> {
    let mut report = BootstrapReport::default();
    steps::refuse_when_frozen(bao, token).await?;
    report.from_version = backend::stored_version(bao, token).await?;
    steps::ensure_auth(bao, token, "approle", &mut report).await?;
    steps::ensure_auth(bao, token, "userpass", &mut report).await?;
    steps::ensure_kv2(bao, token, "crypter", "Crypter's own records", &mut report).await?;
    for (name, description, color, protected) in INITIAL_ENVIRONMENTS {
        steps::ensure_kv2(bao, token, &format!("env/{name}"), description, &mut report).await?;
        let record = json!({
            "name": name, "description": description, "color": color, "protected": protected,
        });
        let key = format!("environments/{name}");
        steps::ensure_record(bao, token, &key, record, &mut report).await?;
    }
    for (name, hcl) in POLICIES.iter() {
        steps::ensure_policy(bao, token, name, hcl, &mut report).await?;
    }
    steps::ensure_session_key(bao, token, &mut report).await?;
    steps::ensure_transit_mounts(bao, token, &mut report).await?;
    steps::ensure_token_roles(bao, token, &mut report).await?;
    steps::ensure_audited_header(bao, token, &mut report).await?;
    backend::ensure_role(bao, token, &mut report).await?;
    ensure_carrier_policy(bao, token, &mut report).await?;
    steps::upgrade_role_policies(bao, token, &mut report).await?;
    if report.from_version < 7 {
        steps::attach_own_policy(bao, token, &mut report).await?;
    }
    if let Some(password) = admin_password {
        steps::ensure_admin(bao, token, password, &mut report).await?;
    }
    if report.from_version < BOOTSTRAP_VERSION {
        let at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let body = json!({ "data": { "version": BOOTSTRAP_VERSION, "at": at } });
        bao.write(VERSION_PATH, token, &body)
            .await
            .context("writing the bootstrap version")?;
        report.changes.push(format!(
            "bootstrap version {} -> {BOOTSTRAP_VERSION}",
            report.from_version
        ));
    }
    Ok(report)
}
