//! Check access: "can role R do C on env/path?" answered by OpenBao. Crypter mints a
//! short-lived batch token that carries only the role's policy (through the token role
//! `crypter-check`, which may only hand out `crypter-role-*` policies) and asks
//! `sys/capabilities` about it. Crypter does no policy reasoning of its own.

use super::policy_name;
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::{AccessAnswer, AccessCheck, Capability, CredentialPath, EnvName, RoleName};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The token role bootstrap creates for probe tokens.
pub const PROBE_TOKEN_ROLE: &str = "crypter-check";
const PROBE_TTL: &str = "60s";

/// A batch token holding only `crypter-role-<name>`. Batch tokens cannot be revoked; they
/// expire after 60 s and are not stored by OpenBao.
pub async fn probe_token(
    bao: &Bao,
    token: &SecretString,
    role: &RoleName,
) -> Result<SecretString, AppError> {
    let resp = bao
        .write(
            &format!("auth/token/create/{PROBE_TOKEN_ROLE}"),
            token,
            &json!({ "policies": [policy_name(role)], "ttl": PROBE_TTL }),
        )
        .await?
        .unwrap_or_default();
    resp.pointer("/auth/client_token")
        .and_then(Value::as_str)
        .map(|t| SecretString::from(t.to_owned()))
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("token create returned no token")))
}

/// The OpenBao paths asked about: the value, the metadata, and the listing below `path/`.
pub fn paths(env: &EnvName, path: &CredentialPath) -> [String; 3] {
    [
        format!("env/{env}/data/{path}"),
        format!("env/{env}/metadata/{path}"),
        format!("env/{env}/metadata/{path}/"),
    ]
}

pub async fn check(
    bao: &Bao,
    token: &SecretString,
    role: &RoleName,
    env: &EnvName,
    path: &CredentialPath,
) -> Result<AccessCheck, AppError> {
    super::get(bao, token, role).await?;
    if !super::environment_exists(bao, token, env).await? {
        return Err(AppError::bad_request(
            "unknown_environment",
            format!("environment {env} does not exist; pick an existing environment"),
        ));
    }
    let probe = probe_token(bao, token, role).await?;
    let [data, _, listing] = paths(env, path);
    let asked = paths(env, path);
    use secrecy::ExposeSecret;
    let resp = bao
        .write(
            "sys/capabilities",
            token,
            &json!({ "token": probe.expose_secret(), "paths": asked }),
        )
        .await?
        .unwrap_or_default();
    let caps_of = |p: &str| -> Vec<String> {
        resp.get(p)
            .or_else(|| {
                resp.pointer(&format!(
                    "/data/{}",
                    p.replace('~', "~0").replace('/', "~1")
                ))
            })
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let capabilities: BTreeMap<String, Vec<String>> =
        asked.iter().map(|p| (p.clone(), caps_of(p))).collect();
    let has = |p: &str, c: &str| {
        capabilities
            .get(p)
            .is_some_and(|v| v.iter().any(|x| x == c))
    };
    let answers = Capability::ALL
        .iter()
        .map(|&capability| {
            let allowed = match capability {
                Capability::List => has(&listing, "list"),
                other => has(&data, other.as_str()),
            };
            AccessAnswer {
                capability,
                allowed,
            }
        })
        .collect();
    Ok(AccessCheck {
        environment: env.clone(),
        path: path.clone(),
        capabilities,
        answers,
    })
}
