//! Check access: "can role R do C on env/path (or on a key)?" answered by OpenBao. Crypter mints a
//! short-lived batch token that carries only the role's policy (through the token role
//! `crypter-check`, which may only hand out `crypter-role-*` policies) and asks
//! `sys/capabilities` about it. Crypter does no policy reasoning of its own.

use super::policy_name;
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{
    AccessAnswer, AccessCheck, Capability, CredentialPath, EnvName, KeyName, RoleName,
};
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

/// The transit path each key capability is answered on, and the OpenBao capability that
/// allows it.
pub fn key_paths(env: &EnvName, key: &KeyName) -> Vec<(Capability, String, &'static str)> {
    Capability::KEY
        .iter()
        .map(|&c| {
            let path = match c {
                Capability::Rotate => format!("transit/{env}/keys/{key}/rotate"),
                Capability::Read => format!("transit/{env}/keys/{key}"),
                other => format!("transit/{env}/{}/{key}", other.as_str()),
            };
            let needed = if c == Capability::Read {
                "read"
            } else {
                "update"
            };
            (c, path, needed)
        })
        .collect()
}

/// What a role may do on a credential (`path`) or a key (`key`), as OpenBao answers it.
pub async fn check(
    bao: &Bao,
    token: &SecretString,
    role: &RoleName,
    env: &EnvName,
    path: Option<&CredentialPath>,
    key: Option<&KeyName>,
) -> Result<AccessCheck, AppError> {
    super::get(bao, token, role).await?;
    if !super::environment_exists(bao, token, env).await? {
        return Err(AppError::bad_request(
            ErrorCode::UnknownEnvironment,
            format!("environment {env} does not exist; pick an existing environment"),
        ));
    }
    // (capability, path asked, OpenBao capability that allows it)
    let asked: Vec<(Capability, String, &'static str)> = match (path, key) {
        (Some(p), None) => {
            let [data, _, listing] = paths(env, p);
            Capability::CREDENTIAL
                .iter()
                .map(|&c| match c {
                    Capability::List => (c, listing.clone(), "list"),
                    other => (c, data.clone(), other.as_str()),
                })
                .collect()
        }
        (None, Some(k)) => key_paths(env, k),
        _ => {
            return Err(AppError::bad_request(
                ErrorCode::InvalidCheck,
                "name either a credential `path` or a `key` to check",
            ))
        }
    };
    let mut all: Vec<String> = match path {
        Some(p) => paths(env, p).to_vec(),
        None => asked.iter().map(|(_, p, _)| p.clone()).collect(),
    };
    all.dedup();
    let probe = probe_token(bao, token, role).await?;
    use secrecy::ExposeSecret;
    let resp = bao
        .write(
            "sys/capabilities",
            token,
            &json!({ "token": probe.expose_secret(), "paths": all }),
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
        all.iter().map(|p| (p.clone(), caps_of(p))).collect();
    let answers = asked
        .iter()
        .map(|(capability, p, needed)| AccessAnswer {
            capability: *capability,
            allowed: capabilities
                .get(p)
                .is_some_and(|v| v.iter().any(|x| x == needed || x == "root")),
        })
        .collect();
    Ok(AccessCheck {
        environment: env.clone(),
        path: path.cloned(),
        key: key.cloned(),
        capabilities,
        answers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_capabilities_are_asked_on_their_transit_paths() {
        let env = EnvName::parse("staging").unwrap();
        let key = KeyName::parse("cards").unwrap();
        let asked = key_paths(&env, &key);
        assert_eq!(asked.len(), Capability::KEY.len());
        assert!(asked.contains(&(
            Capability::Encrypt,
            "transit/staging/encrypt/cards".into(),
            "update"
        )));
        assert!(asked.contains(&(
            Capability::Rotate,
            "transit/staging/keys/cards/rotate".into(),
            "update"
        )));
        assert!(asked.contains(&(
            Capability::Read,
            "transit/staging/keys/cards".into(),
            "read"
        )));
    }
}
