//! Bootstrap: make a store ready for Crypter. Idempotent: every step reads first and
//! writes only what is missing or different, so a second run changes nothing.
//! Runs with the root token of a store Crypter manages itself (dev and embedded modes);
//! that token is dropped afterwards.

mod policies;

pub use policies::{ADMIN_POLICY, OPERATOR_POLICY};

use crate::bao::{Bao, BaoError};
use anyhow::Context;
use secrecy::SecretString;
use serde_json::{json, Value};

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

/// What bootstrap did. `admin_password` is set only when it created the admin user and
/// generated the password itself: the caller prints it once.
#[derive(Debug, Default)]
pub struct BootstrapReport {
    pub changes: Vec<String>,
    pub admin_created: bool,
}

pub async fn bootstrap(
    bao: &Bao,
    root: &SecretString,
    admin_password: &SecretString,
) -> anyhow::Result<BootstrapReport> {
    let mut report = BootstrapReport::default();
    ensure_auth(bao, root, "approle", &mut report).await?;
    ensure_auth(bao, root, "userpass", &mut report).await?;
    ensure_kv2(bao, root, "crypter", "Crypter's own records", &mut report).await?;
    for (name, description, color, protected) in INITIAL_ENVIRONMENTS {
        ensure_kv2(bao, root, &format!("env/{name}"), description, &mut report).await?;
        let record = json!({
            "name": name, "description": description, "color": color, "protected": protected,
        });
        ensure_record(
            bao,
            root,
            &format!("environments/{name}"),
            record,
            &mut report,
        )
        .await?;
    }
    ensure_policy(bao, root, "crypter-admin", ADMIN_POLICY, &mut report).await?;
    ensure_policy(bao, root, "crypter-operator", OPERATOR_POLICY, &mut report).await?;
    ensure_probe_role(bao, root, &mut report).await?;
    ensure_admin(bao, root, admin_password, &mut report).await?;
    Ok(report)
}

async fn ensure_auth(
    bao: &Bao,
    root: &SecretString,
    kind: &str,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    let auth = bao.read("sys/auth", root).await?.unwrap_or_default();
    let key = format!("{kind}/");
    if auth.get(&key).is_some() {
        return Ok(());
    }
    bao.write(&format!("sys/auth/{kind}"), root, &json!({ "type": kind }))
        .await
        .with_context(|| format!("enabling the {kind} auth method"))?;
    report.changes.push(format!("enabled auth method {key}"));
    Ok(())
}

async fn ensure_kv2(
    bao: &Bao,
    root: &SecretString,
    path: &str,
    description: &str,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    match bao.read(&format!("sys/mounts/{path}"), root).await {
        Ok(Some(_)) => return Ok(()),
        Ok(None) => {}
        // OpenBao answers 400 "no matching mount" for an unknown mount path.
        Err(BaoError::Rejected { status: 400, .. }) => {}
        Err(e) => return Err(e).context(format!("reading mount {path}/")),
    }
    bao.write(
        &format!("sys/mounts/{path}"),
        root,
        &json!({ "type": "kv", "description": description, "options": { "version": "2" } }),
    )
    .await
    .with_context(|| format!("mounting KV v2 at {path}/"))?;
    // Writes to a mount that is still upgrading are refused (and not retried).
    crate::bao::kv::wait_ready(bao, root, &crate::bao::kv::Mount::v2(path))
        .await
        .with_context(|| format!("waiting for the new KV v2 mount {path}/"))?;
    report.changes.push(format!("mounted KV v2 at {path}/"));
    Ok(())
}

/// Write `crypter/data/<key>` only if it does not exist (check-and-set 0), so records that
/// an admin has since edited are left alone.
async fn ensure_record(
    bao: &Bao,
    root: &SecretString,
    key: &str,
    data: Value,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    let path = format!("crypter/data/{key}");
    if bao.read(&path, root).await?.is_some() {
        return Ok(());
    }
    // A freshly mounted KV v2 engine needs a moment before it accepts writes.
    let body = json!({ "options": { "cas": 0 }, "data": data });
    bao.write(&path, root, &body)
        .await
        .with_context(|| format!("writing {path}"))?;
    report.changes.push(format!("wrote {path}"));
    Ok(())
}

async fn ensure_policy(
    bao: &Bao,
    root: &SecretString,
    name: &str,
    hcl: &str,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    let path = format!("sys/policies/acl/{name}");
    let live = bao.read(&path, root).await?;
    let live_text = live
        .as_ref()
        .and_then(|v| v.pointer("/data/policy"))
        .and_then(Value::as_str);
    if live_text == Some(hcl) {
        return Ok(());
    }
    bao.write(&path, root, &json!({ "policy": hcl }))
        .await
        .with_context(|| format!("writing policy {name}"))?;
    report.changes.push(format!("wrote policy {name}"));
    Ok(())
}

/// The token role that freeze verification mints probe tokens from: any one policy but
/// root's or the operators', orphaned, short-lived and not renewable.
async fn ensure_probe_role(
    bao: &Bao,
    root: &SecretString,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    let path = format!("auth/token/roles/{}", crate::freeze::verify::PROBE_ROLE);
    let want = json!({
        "allowed_policies_glob": ["*"],
        // Sorted, as OpenBao returns it, so that a second run sees no difference.
        "disallowed_policies": ["crypter-operator", "root"],
        "orphan": true,
        "renewable": false,
        "token_explicit_max_ttl": 300,
    });
    if let Some(live) = bao.read(&path, root).await? {
        let data = &live["data"];
        let same = want
            .as_object()
            .is_some_and(|w| w.iter().all(|(k, v)| &data[k] == v));
        if same {
            return Ok(());
        }
    }
    bao.write(&path, root, &want)
        .await
        .context("creating the freeze probe token role")?;
    report.changes.push(format!("wrote token role {path}"));
    Ok(())
}

async fn ensure_admin(
    bao: &Bao,
    root: &SecretString,
    password: &SecretString,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    use secrecy::ExposeSecret;
    let path = format!("auth/userpass/users/{ADMIN_USER}");
    if bao.read(&path, root).await?.is_some() {
        return Ok(());
    }
    bao.write(
        &path,
        root,
        &json!({
            "password": password.expose_secret(),
            "token_policies": ["crypter-admin", "crypter-operator"],
            "token_ttl": "8h",
            "token_max_ttl": "24h",
        }),
    )
    .await
    .context("creating the admin user")?;
    report.changes.push(format!("created user {ADMIN_USER}"));
    report.admin_created = true;
    Ok(())
}
