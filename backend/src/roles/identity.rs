//! Identity checks: every e2e role logs in through AppRole with its kept secret-id, reads
//! its canaries (expecting 200) and its forbidden paths (expecting 403). Deprecated login
//! methods that are still enabled are reported alongside.

use super::machine::E2E_SECRETS;
use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crypter_api::{
    IdentityProbe, IdentityReport, IdentityResult, IdentityStatus, ProbePath, Role, RoleClass,
};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

pub async fn check_all(bao: &Bao, token: &SecretString) -> Result<IdentityReport, AppError> {
    let settings = super::settings::read(bao, token).await?;
    let deprecated_enabled = super::settings::deprecated_enabled(bao, token, &settings).await?;
    let mut results = Vec::new();
    for role in super::list(bao, token).await? {
        if role.class == RoleClass::E2e {
            results.push(check_one(bao, token, &role).await?);
        }
    }
    let ok =
        deprecated_enabled.is_empty() && results.iter().all(|r| r.status == IdentityStatus::Ok);
    Ok(IdentityReport {
        results,
        deprecated_enabled,
        ok,
    })
}

fn status_of(e: &BaoError) -> u16 {
    e.status().unwrap_or(0)
}

async fn check_one(
    bao: &Bao,
    token: &SecretString,
    role: &Role,
) -> Result<IdentityResult, AppError> {
    let name = &role.name;
    let kept = bao
        .read(&format!("{E2E_SECRETS}/{name}"), token)
        .await?
        .and_then(|v| v.pointer("/data/data").cloned())
        .unwrap_or_default();
    let text = |f: &str| kept.get(f).and_then(Value::as_str).unwrap_or("").to_owned();
    let (role_id, secret_id) = (text("role_id"), SecretString::from(text("secret_id")));
    let mut probes = Vec::new();
    let identity = match login(bao, &role_id, &secret_id).await {
        Ok(t) => {
            probes.push(probe("login", "approle/", 200, 200));
            t
        }
        Err(got) => {
            probes.push(probe("login", "approle/", 200, got));
            let details = if role_id.is_empty() {
                "no secret-id is kept for this identity; issue one from the role page".to_owned()
            } else {
                format!("AppRole login failed (OpenBao answered {got}); the secret-id may be revoked or expired")
            };
            return Ok(IdentityResult {
                role: name.clone(),
                status: IdentityStatus::LoginFailed,
                details,
                probes,
            });
        }
    };
    let misses = read_probes(bao, &identity, role, &mut probes).await;
    // The identity's token is of no further use; failing to revoke it only leaves it to expire.
    let _ = bao
        .request(
            Method::POST,
            "auth/token/revoke-self",
            Some(&identity),
            None,
        )
        .await;
    let (status, details) = verdict(role, &misses);
    Ok(IdentityResult {
        role: name.clone(),
        status,
        details,
        probes,
    })
}

/// AppRole login with the kept ids: the identity's token, or the status OpenBao
/// answered (0 when there is nothing to log in with or no token came back).
async fn login(bao: &Bao, role_id: &str, secret_id: &SecretString) -> Result<SecretString, u16> {
    if role_id.is_empty() {
        return Err(0);
    }
    bao.request(
        Method::POST,
        "auth/approle/login",
        None,
        Some(&json!({ "role_id": role_id, "secret_id": secret_id.expose_secret() })),
    )
    .await
    .map_err(|e| status_of(&e))
    .and_then(|v| {
        v.and_then(|v| {
            v.pointer("/auth/client_token")
                .and_then(Value::as_str)
                .map(|t| SecretString::from(t.to_owned()))
        })
        .ok_or(0)
    })
}

/// The probes that did not answer as expected, by kind.
#[derive(Default)]
struct Misses {
    failed_canaries: Vec<String>,
    readable: Vec<String>,
}

/// Read every canary (expecting 200) and forbidden path (expecting 403) as the identity.
async fn read_probes(
    bao: &Bao,
    identity: &SecretString,
    role: &Role,
    probes: &mut Vec<IdentityProbe>,
) -> Misses {
    let mut misses = Misses::default();
    for (kind, paths, expected) in [
        ("canary", &role.canaries, 200u16),
        ("forbidden", &role.forbidden, 403u16),
    ] {
        for p in paths.iter() {
            let got = read_status(bao, identity, p).await;
            let target = format!("{}/{}", p.environment, p.path);
            if got != expected {
                if kind == "canary" {
                    misses.failed_canaries.push(format!("{target} ({got})"));
                } else {
                    misses.readable.push(format!("{target} ({got})"));
                }
            }
            probes.push(probe(kind, &target, expected, got));
        }
    }
    misses
}

/// A readable forbidden path outweighs an unreadable canary.
fn verdict(role: &Role, misses: &Misses) -> (IdentityStatus, String) {
    if !misses.readable.is_empty() {
        (
            IdentityStatus::ForbiddenReadable,
            format!(
                "forbidden paths are readable: {}",
                misses.readable.join(", ")
            ),
        )
    } else if !misses.failed_canaries.is_empty() {
        (
            IdentityStatus::CanaryFailed,
            format!(
                "canaries could not be read: {}",
                misses.failed_canaries.join(", ")
            ),
        )
    } else {
        (
            IdentityStatus::Ok,
            format!(
                "logged in; {} canaries read, {} forbidden paths refused",
                role.canaries.len(),
                role.forbidden.len()
            ),
        )
    }
}

fn probe(kind: &str, target: &str, expected: u16, got: u16) -> IdentityProbe {
    IdentityProbe {
        kind: kind.to_owned(),
        target: target.to_owned(),
        expected,
        got,
        ok: expected == got,
    }
}

/// The status OpenBao answers a read of the credential with (200, 403, 404, …).
async fn read_status(bao: &Bao, token: &SecretString, p: &ProbePath) -> u16 {
    let path = format!("env/{}/data/{}", p.environment, p.path);
    match bao.request(Method::GET, &path, Some(token), None).await {
        Ok(_) => 200,
        Err(e) => status_of(&e),
    }
}
