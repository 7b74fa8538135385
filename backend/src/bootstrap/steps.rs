//! The steps of a bootstrap. Each reads first and writes only what is missing or
//! different, and says what it changed in the report.

use super::{BootstrapReport, ADMIN, ADMIN_USER, OPERATOR, OWN};
use crate::bao::{Bao, BaoError, PURPOSE_HEADER};
use crate::roles::policy::{policy_name, LEGACY_ACTIVITY_RULE};
use anyhow::{bail, Context};
use crypter_api::{Role, RoleName};
use secrecy::SecretString;
use serde_json::{json, Value};

/// Check access: a batch token carrying one role's policy, nothing else. A role cannot cap
/// a batch token's TTL in OpenBao; Crypter asks for 60 s.
pub const CHECK_ROLE: &str = crate::roles::access::PROBE_TOKEN_ROLE;
/// Freeze verification: one policy per token, any but root's and the operators'. Only
/// operators may use it.
pub const FREEZE_PROBE_ROLE: &str = crate::freeze::verify::PROBE_ROLE;
/// The single token role of earlier releases, which any admin could use to mint a token
/// carrying almost any policy. Removed.
const LEGACY_PROBE_ROLE: &str = "crypter-probe";

/// Rewriting policies under a freeze would break the thaw (it would see them as changed).
pub async fn refuse_when_frozen(bao: &Bao, token: &SecretString) -> anyhow::Result<()> {
    let frozen = match crate::freeze::load_record(bao, token).await {
        Ok((record, _)) => record.level != crate::freeze::levels::Level::None,
        Err(crate::error::AppError::Store(BaoError::Rejected { status: 400, .. })) => false,
        Err(e) => return Err(anyhow::anyhow!("reading the freeze record: {e}")),
    };
    if frozen {
        bail!("the store is frozen: thaw it first (crypter thaw), then bootstrap");
    }
    Ok(())
}

pub async fn ensure_auth(
    bao: &Bao,
    token: &SecretString,
    kind: &str,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    let auth = bao.read("sys/auth", token).await?.unwrap_or_default();
    let key = format!("{kind}/");
    if auth.get(&key).is_some() || auth["data"].get(&key).is_some() {
        return Ok(());
    }
    bao.write(&format!("sys/auth/{kind}"), token, &json!({ "type": kind }))
        .await
        .with_context(|| format!("enabling the {kind} auth method"))?;
    report.changes.push(format!("enabled auth method {key}"));
    Ok(())
}

pub async fn ensure_kv2(
    bao: &Bao,
    token: &SecretString,
    path: &str,
    description: &str,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    match bao.read(&format!("sys/mounts/{path}"), token).await {
        Ok(Some(_)) => return Ok(()),
        Ok(None) => {}
        // OpenBao answers 400 "no matching mount" for an unknown mount path.
        Err(BaoError::Rejected { status: 400, .. }) => {}
        Err(e) => return Err(e).context(format!("reading mount {path}/")),
    }
    bao.write(
        &format!("sys/mounts/{path}"),
        token,
        &json!({ "type": "kv", "description": description, "options": { "version": "2" } }),
    )
    .await
    .with_context(|| format!("mounting KV v2 at {path}/"))?;
    // Writes to a mount that is still upgrading are refused (and not retried).
    crate::bao::kv::wait_ready(bao, token, &crate::bao::kv::Mount::v2(path))
        .await
        .with_context(|| format!("waiting for the new KV v2 mount {path}/"))?;
    report.changes.push(format!("mounted KV v2 at {path}/"));
    Ok(())
}

/// The backend's transit mount and the derived, non-exportable key that seals session
/// tokens (only the backend's policy may use it).
pub async fn ensure_session_key(
    bao: &Bao,
    token: &SecretString,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    use crate::records::{DIGEST_KEY, TRANSIT_KEY, TRANSIT_MOUNT};
    let mounted = match bao
        .read(&format!("sys/mounts/{TRANSIT_MOUNT}"), token)
        .await
    {
        Ok(found) => found.is_some(),
        Err(BaoError::Rejected { status: 400, .. }) => false,
        Err(e) => return Err(e).context(format!("reading mount {TRANSIT_MOUNT}/")),
    };
    if !mounted {
        let body = json!({
            "type": "transit",
            "description": "Crypter's backend: seals the OpenBao tokens kept in session records",
        });
        bao.write(&format!("sys/mounts/{TRANSIT_MOUNT}"), token, &body)
            .await
            .with_context(|| format!("mounting transit at {TRANSIT_MOUNT}/"))?;
        report
            .changes
            .push(format!("mounted transit at {TRANSIT_MOUNT}/"));
    }
    // The session key is derived (every seal names its record); the digest key is not:
    // an HMAC takes no context, and equal values must give equal digests.
    let keys = [
        (
            TRANSIT_KEY,
            json!({ "type": "aes256-gcm96", "derived": true, "exportable": false }),
        ),
        (
            DIGEST_KEY,
            json!({ "type": "hmac", "key_size": 32, "exportable": false }),
        ),
    ];
    for (name, body) in keys {
        let key = format!("{TRANSIT_MOUNT}/keys/{name}");
        if bao.read(&key, token).await?.is_none() {
            bao.write(&key, token, &body)
                .await
                .with_context(|| format!("creating the transit key {key}"))?;
            report.changes.push(format!("created transit key {key}"));
        }
    }
    Ok(())
}

/// Every environment's transit mount (`transit/<env>/`, for its keys), refusing key
/// creation by encryption (`disable_upsert`): environments made before keys existed get
/// theirs here.
pub async fn ensure_transit_mounts(
    bao: &Bao,
    token: &SecretString,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    use crate::bao::transit;
    for key in bao.list("crypter/metadata/environments", token).await? {
        let Ok(env) = crypter_api::EnvName::parse(key.trim_end_matches('/')) else {
            continue;
        };
        let path = transit::mount(&env);
        match transit::upsert_refused(bao, token, &env).await? {
            Some(true) => {}
            Some(false) => {
                transit::refuse_upsert(bao, token, &env)
                    .await
                    .with_context(|| format!("configuring {path}/"))?;
                report
                    .changes
                    .push(format!("{path}/ refuses key creation by encryption"));
            }
            None => {
                transit::mount_for(bao, token, &env)
                    .await
                    .with_context(|| format!("mounting transit at {path}/"))?;
                report.changes.push(format!(
                    "mounted transit at {path}/ (refusing key creation by encryption)"
                ));
            }
        }
    }
    Ok(())
}

/// Write `crypter/data/<key>` only if it does not exist (check-and-set 0), so records that
/// an admin has since edited are left alone.
pub async fn ensure_record(
    bao: &Bao,
    token: &SecretString,
    key: &str,
    data: Value,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    let path = format!("crypter/data/{key}");
    if bao.read(&path, token).await?.is_some() {
        return Ok(());
    }
    let body = json!({ "options": { "cas": 0 }, "data": data });
    bao.write(&path, token, &body)
        .await
        .with_context(|| format!("writing {path}"))?;
    report.changes.push(format!("wrote {path}"));
    Ok(())
}

pub async fn ensure_policy(
    bao: &Bao,
    token: &SecretString,
    name: &str,
    hcl: &str,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    let path = format!("sys/policies/acl/{name}");
    let live = bao.read(&path, token).await?;
    let live_text = live
        .as_ref()
        .and_then(|v| v.pointer("/data/policy"))
        .and_then(Value::as_str);
    if live_text == Some(hcl) {
        return Ok(());
    }
    bao.write(&path, token, &json!({ "policy": hcl }))
        .await
        .with_context(|| format!("writing policy {name}"))?;
    let verb = if live_text.is_some() {
        "upgraded"
    } else {
        "wrote"
    };
    report.changes.push(format!("{verb} policy {name}"));
    Ok(())
}

/// `want`'s fields, compared with what OpenBao holds at `path`; written when they differ.
async fn ensure_fields(
    bao: &Bao,
    token: &SecretString,
    path: &str,
    want: &Value,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    if let Some(live) = bao.read(path, token).await? {
        let data = &live["data"];
        let same = want
            .as_object()
            .is_some_and(|w| w.iter().all(|(k, v)| &data[k] == v));
        if same {
            return Ok(());
        }
    }
    bao.write(path, token, want)
        .await
        .with_context(|| format!("writing {path}"))?;
    report.changes.push(format!("wrote {path}"));
    Ok(())
}

/// The two probe token roles, each limited to its use; the old catch-all role goes.
/// The longest a token of the access checks' role lives: the checks need it for seconds.
pub const CHECK_TOKEN_MAX_SECS: u64 = 300;

pub async fn ensure_token_roles(
    bao: &Bao,
    token: &SecretString,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    // A role's token for an access check lives for minutes and is its maker's child:
    // revoking the maker (a deleted admin) ends it. (A batch orphan could not be revoked
    // at all, and lived up to the system's maximum.)
    let check = json!({
        "allowed_policies": [],
        "allowed_policies_glob": ["crypter-role-*"],
        "disallowed_policies": [],
        "orphan": false,
        "renewable": false,
        "token_type": "service",
        "token_explicit_max_ttl": CHECK_TOKEN_MAX_SECS,
        "token_no_default_policy": true,
    });
    ensure_fields(
        bao,
        token,
        &format!("auth/token/roles/{CHECK_ROLE}"),
        &check,
        report,
    )
    .await?;
    let probe = json!({
        "allowed_policies_glob": ["*"],
        // Sorted, as OpenBao returns it, so that a second run sees no difference.
        "disallowed_policies": ["crypter-operator", "root"],
        "orphan": false,
        "renewable": false,
        "token_explicit_max_ttl": 300,
    });
    let path = format!("auth/token/roles/{FREEZE_PROBE_ROLE}");
    ensure_fields(bao, token, &path, &probe, report).await?;
    let legacy = format!("auth/token/roles/{LEGACY_PROBE_ROLE}");
    if bao.read(&legacy, token).await?.is_some() {
        bao.delete(&legacy, token)
            .await
            .context("removing the old probe token role")?;
        report
            .changes
            .push(format!("removed token role {LEGACY_PROBE_ROLE}"));
    }
    Ok(())
}

/// Ask OpenBao to copy `X-Crypter-Purpose` into its audit log, unhashed: the activity feed
/// tells a plan's reads from a reveal by it.
pub async fn ensure_audited_header(
    bao: &Bao,
    token: &SecretString,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    let path = format!("sys/config/auditing/request-headers/{PURPOSE_HEADER}");
    let live = match bao.read(&path, token).await {
        // OpenBao answers 400 "Could not find header in config" for a header not set.
        Err(BaoError::Rejected { status: 400, .. }) => None,
        other => other?,
    };
    // OpenBao answers `{"data": {"X-Crypter-Purpose": {"hmac": false}}}`; the header's
    // case may differ, so look at every key.
    let hmac = live.as_ref().and_then(|v| {
        v["data"].as_object().and_then(|headers| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(PURPOSE_HEADER))
                .and_then(|(_, h)| h["hmac"].as_bool())
        })
    });
    if hmac == Some(false) {
        return Ok(());
    }
    bao.write(&path, token, &json!({ "hmac": false }))
        .await
        .context("registering the X-Crypter-Purpose audit header")?;
    report
        .changes
        .push(format!("audit header {PURPOSE_HEADER} (unhashed)"));
    Ok(())
}

/// Role policies written by an earlier release carry a `create` on activity records: take
/// it out where the rest is exactly what the role's grants derive (others are drift, left
/// for people to see).
pub async fn upgrade_role_policies(
    bao: &Bao,
    token: &SecretString,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    for key in bao.list("crypter/metadata/roles", token).await? {
        let Ok(name) = RoleName::parse(key.trim_end_matches('/')) else {
            continue;
        };
        let Some(record) = bao
            .read(&format!("crypter/data/roles/{name}"), token)
            .await?
        else {
            continue;
        };
        let Ok(role) = serde_json::from_value::<Role>(record["data"]["data"].clone()) else {
            continue;
        };
        let policy = policy_name(&name);
        let path = format!("sys/policies/acl/{policy}");
        let live = bao.read(&path, token).await?;
        let Some(text) = live
            .as_ref()
            .and_then(|v| v.pointer("/data/policy"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let derived = crate::roles::rules::derive_now(bao, token, &name, &role.grants).await?;
        if text.replacen(LEGACY_ACTIVITY_RULE, "", 1) != derived || text == derived {
            continue;
        }
        bao.write(&path, token, &json!({ "policy": derived }))
            .await
            .with_context(|| format!("upgrading policy {policy}"))?;
        report
            .changes
            .push(format!("upgraded policy {policy} (no activity write)"));
    }
    Ok(())
}

/// Stores made before version 7 held the admins' and operators' rules on their own records
/// in `crypter-admin` and `crypter-operator`: attach `crypter-own` wherever either is
/// attached, to userpass users, AppRoles and identity groups. A group this token may not
/// read is named in the report, for someone who may to attach it. Tokens already issued
/// keep their policies until their holders log in again.
pub async fn attach_own_policy(
    bao: &Bao,
    token: &SecretString,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    // (what holds policies, where to list it, its field): each is written where it is
    // read, which updates that field alone.
    let holders = [
        ("user", "auth/userpass/users", "token_policies"),
        ("AppRole", "auth/approle/role", "token_policies"),
        ("group", "identity/group/name", "policies"),
    ];
    for (noun, at, field) in holders {
        for name in bao.list(at, token).await? {
            let path = format!("{at}/{name}");
            let live = match bao.read(&path, token).await {
                Ok(live) => live,
                Err(BaoError::Forbidden { .. }) => {
                    report.changes.push(format!(
                        "could not read {noun} {name}: if it holds {ADMIN} or {OPERATOR}, \
                         attach {OWN} to it too"
                    ));
                    continue;
                }
                Err(e) => return Err(e).with_context(|| format!("reading {noun} {name}")),
            };
            let held = crate::bao::strings(live.as_ref().map(|v| &v["data"][field]));
            if !needs_own(&held) {
                continue;
            }
            let mut policies = held;
            policies.push(OWN.to_owned());
            bao.write(&path, token, &json!({ field: policies }))
                .await
                .with_context(|| format!("attaching {OWN} to {noun} {name}"))?;
            report
                .changes
                .push(format!("attached policy {OWN} to {noun} {name}"));
        }
    }
    Ok(())
}

/// Whether policies that hold `crypter-admin` or `crypter-operator` lack `crypter-own`.
fn needs_own(held: &[String]) -> bool {
    held.iter().any(|p| p == ADMIN || p == OPERATOR) && !held.iter().any(|p| p == OWN)
}

pub async fn ensure_admin(
    bao: &Bao,
    token: &SecretString,
    password: &SecretString,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    use secrecy::ExposeSecret;
    let path = format!("auth/userpass/users/{ADMIN_USER}");
    if bao.read(&path, token).await?.is_some() {
        return Ok(());
    }
    bao.write(
        &path,
        token,
        &json!({
            "password": password.expose_secret(),
            "token_policies": [ADMIN, OPERATOR, OWN],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_goes_beside_admin_or_operator_once() {
        let held = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert!(needs_own(&held(&["default", ADMIN])));
        assert!(needs_own(&held(&[OPERATOR])));
        assert!(!needs_own(&held(&[ADMIN, OPERATOR, OWN])));
        assert!(!needs_own(&held(&["default", "crypter-role-ops"])));
        assert!(!needs_own(&held(&[])));
    }
}
