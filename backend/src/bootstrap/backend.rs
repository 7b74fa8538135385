//! The backend's one identity of its own: the AppRole `crypter-backend`, whose policy
//! reaches Crypter's session and job records (and the bootstrap version), nothing that
//! holds secrets or grants rights. Every user action still goes out with the user's own
//! token; this identity is for Crypter's own bookkeeping, and at start for checking that
//! the store was bootstrapped by this release.

use super::{BootstrapReport, BOOTSTRAP_VERSION, VERSION_PATH};
use crate::bao::{Bao, BaoError};
pub use crate::records::{AppRoleCredentials, BackendCredentials};
use anyhow::{bail, Context};
use secrecy::SecretString;
use serde_json::{json, Value};

pub const BACKEND_ROLE: &str = "crypter-backend";
const ROLE_PATH: &str = "auth/approle/role/crypter-backend";

/// The identity that exists only to carry out approved requests (`approvals::carry`):
/// its policy reaches the ruled environments' credentials and nothing else.
pub const CARRIER_ROLE: &str = "crypter-carrier";
const CARRIER_PATH: &str = "auth/approle/role/crypter-carrier";

pub(super) async fn ensure_role(
    bao: &Bao,
    token: &SecretString,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    ensure_approle(bao, token, BACKEND_ROLE, 3600, report).await?;
    ensure_approle(bao, token, CARRIER_ROLE, 600, report).await
}

/// The AppRole `name` with the policy of the same name.
async fn ensure_approle(
    bao: &Bao,
    token: &SecretString,
    name: &str,
    ttl: u64,
    report: &mut BootstrapReport,
) -> anyhow::Result<()> {
    let path = format!("auth/approle/role/{name}");
    let want = json!({
        "token_policies": [name],
        "token_ttl": ttl,
        "token_max_ttl": 86400,
        "secret_id_num_uses": 0,
        "secret_id_ttl": 0,
    });
    if let Some(live) = bao.read(&path, token).await? {
        let data = &live["data"];
        let same = want
            .as_object()
            .is_some_and(|w| w.iter().all(|(k, v)| &data[k] == v));
        if same {
            return Ok(());
        }
    }
    bao.write(&path, token, &want)
        .await
        .with_context(|| format!("writing the AppRole {name}"))?;
    report
        .changes
        .push(format!("wrote AppRole {name} (policy {name})"));
    Ok(())
}

/// A new secret-id for the backend's AppRole (with an operator's or root token).
pub async fn issue_credentials(
    bao: &Bao,
    token: &SecretString,
) -> anyhow::Result<BackendCredentials> {
    let backend = issue(bao, token, ROLE_PATH).await?;
    let carrier = issue(bao, token, CARRIER_PATH).await?;
    Ok(BackendCredentials {
        role_id: backend.role_id,
        secret_id: backend.secret_id,
        carrier: Some(carrier),
    })
}

async fn issue(bao: &Bao, token: &SecretString, role: &str) -> anyhow::Result<AppRoleCredentials> {
    let role_id = bao
        .read(&format!("{role}/role-id"), token)
        .await?
        .and_then(|v| {
            v.pointer("/data/role_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .with_context(|| format!("{role} has no role-id; run crypter bootstrap first"))?;
    let secret_id = bao
        .write(&format!("{role}/secret-id"), token, &json!({}))
        .await?
        .and_then(|v| {
            v.pointer("/data/secret_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .with_context(|| format!("OpenBao issued no secret-id for {role}"))?;
    Ok(AppRoleCredentials { role_id, secret_id })
}

/// The store's bootstrap version (0 when never bootstrapped, 1 for the first release,
/// which kept no record but left the `crypter/` mount).
pub(super) async fn stored_version(bao: &Bao, token: &SecretString) -> anyhow::Result<u64> {
    match bao.read(VERSION_PATH, token).await {
        Ok(Some(v)) => {
            let version = v
                .pointer("/data/data/version")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            if version > BOOTSTRAP_VERSION {
                bail!(
                    "the store was bootstrapped by a newer Crypter (version {version}; this one \
                     is {BOOTSTRAP_VERSION}): use that release"
                );
            }
            Ok(version)
        }
        // No record: a first-release store if Crypter's mount exists, else a new one.
        Ok(None) | Err(BaoError::Rejected { status: 400, .. }) => {
            let mounted = matches!(bao.read("sys/mounts/crypter", token).await, Ok(Some(_)));
            Ok(u64::from(mounted))
        }
        Err(e) => Err(e).context("reading the bootstrap version"),
    }
}

/// What `crypter serve --bao-addr` found at start.
#[derive(Debug, PartialEq, Eq)]
pub enum VersionCheck {
    Current,
    /// Older than this release: it refuses to start.
    Older(u64),
    /// Newer: it starts, with a warning.
    Newer(u64),
}

/// Log in as the backend and read the store's bootstrap version.
pub async fn check_version(
    bao: &Bao,
    credentials: &BackendCredentials,
) -> anyhow::Result<VersionCheck> {
    let token = credentials.login(bao).await.context(
        "the backend could not log in with its AppRole credentials (expired or revoked?); \
         write new ones with `crypter bootstrap --backend-credentials FILE`",
    )?;
    let version = match bao.read(VERSION_PATH, &token).await {
        Ok(Some(v)) => v
            .pointer("/data/data/version")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        Ok(None) => 0,
        Err(BaoError::Forbidden { .. }) => 0,
        Err(e) => return Err(e).context("reading the store's bootstrap version"),
    };
    let _ = bao
        .request(
            reqwest::Method::POST,
            "auth/token/revoke-self",
            Some(&token),
            None,
        )
        .await;
    Ok(match version {
        v if v < BOOTSTRAP_VERSION => VersionCheck::Older(v),
        v if v > BOOTSTRAP_VERSION => VersionCheck::Newer(v),
        _ => VersionCheck::Current,
    })
}
