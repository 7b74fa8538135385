//! The typed transit layer: an environment's transit mount (`transit/<env>/`), its keys
//! and their operations. The only place that reads OpenBao's transit answers and turns
//! its refusals into [`TransitError`]s; callers decide on the variant.
//!
//! Values (plaintext, ciphertext, signatures, HMACs) pass through here and back to the
//! caller; they are never logged, and OpenBao does not echo them in its errors.

use super::{Bao, BaoError};
use crypter_api::{EnvName, KeyName, KeyOperation};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The transit mount of an environment, without slashes.
pub fn mount(env: &EnvName) -> String {
    format!("transit/{env}")
}

fn key_path(env: &EnvName, name: &KeyName) -> String {
    format!("{}/keys/{name}", mount(env))
}

#[derive(Debug, thiserror::Error)]
pub enum TransitError {
    #[error("there is no key {name} in environment {env}")]
    NotFound { env: String, name: String },
    #[error(
        "environment {env} has no transit mount (transit/{env}/); run crypter bootstrap to add it"
    )]
    NoMount { env: String },
    #[error("OpenBao denied access to {path}: {message}")]
    Forbidden { path: String, message: String },
    /// OpenBao refused the request as given (a wrong ciphertext, a version below the
    /// minimum, deletion not allowed …): its words.
    #[error("OpenBao refused it: {message}")]
    Refused { message: String },
    #[error(transparent)]
    Store(BaoError),
}

const NO_ROUTE: &str = "no handler for route";

fn classify(e: BaoError, env: &EnvName, name: Option<&KeyName>) -> TransitError {
    let not_found = || TransitError::NotFound {
        env: env.to_string(),
        name: name.map(ToString::to_string).unwrap_or_default(),
    };
    match e {
        BaoError::NotFound { message, .. } | BaoError::Rejected { message, .. }
            if message.starts_with(NO_ROUTE) =>
        {
            TransitError::NoMount {
                env: env.to_string(),
            }
        }
        BaoError::NotFound { .. } => not_found(),
        BaoError::Forbidden { path, message } => TransitError::Forbidden { path, message },
        // OpenBao's words for a missing key, on each endpoint (400).
        BaoError::Rejected {
            status: 400,
            message,
            ..
        } if is_missing_key(&message) => not_found(),
        BaoError::Rejected {
            status: 400,
            message,
            ..
        } => TransitError::Refused { message },
        other => TransitError::Store(other),
    }
}

/// The messages transit answers for a key that does not exist.
fn is_missing_key(message: &str) -> bool {
    const MISSING: &[&str] = &[
        "encryption key not found",
        "signing key not found",
        "key not found",
        "could not delete key; not found",
        "no existing key named",
        "policy not found",
    ];
    MISSING.iter().any(|m| message.contains(m))
}

/// A key as OpenBao's transit engine describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub key_type: String,
    pub latest_version: u64,
    pub min_decryption_version: u64,
    pub min_encryption_version: u64,
    /// Seconds; 0: no automatic rotation.
    pub auto_rotate_period: u64,
    pub deletion_allowed: bool,
    pub exportable: bool,
    pub allow_plaintext_backup: bool,
    /// Version → when it was made (Unix seconds).
    pub versions: BTreeMap<u64, i64>,
}

fn creation_time(v: &Value) -> i64 {
    // Symmetric keys: Unix seconds; asymmetric ones: an object with an RFC 3339 time.
    if let Some(n) = v.as_i64() {
        return n;
    }
    v["creation_time"]
        .as_str()
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map_or(0, |t| t.unix_timestamp())
}

impl KeyInfo {
    fn parse(data: &Value) -> Self {
        let versions = data["keys"]
            .as_object()
            .map(|keys| {
                keys.iter()
                    .filter_map(|(k, v)| Some((k.parse().ok()?, creation_time(v))))
                    .collect()
            })
            .unwrap_or_default();
        let n = |k: &str| data[k].as_u64().unwrap_or(0);
        Self {
            key_type: data["type"].as_str().unwrap_or_default().to_owned(),
            latest_version: n("latest_version"),
            min_decryption_version: n("min_decryption_version"),
            min_encryption_version: n("min_encryption_version"),
            auto_rotate_period: n("auto_rotate_period"),
            deletion_allowed: data["deletion_allowed"].as_bool().unwrap_or(false),
            exportable: data["exportable"].as_bool().unwrap_or(false),
            allow_plaintext_backup: data["allow_plaintext_backup"].as_bool().unwrap_or(false),
            versions,
        }
    }

    /// When the latest version was made (Unix seconds).
    pub fn last_rotated(&self) -> i64 {
        self.versions
            .get(&self.latest_version)
            .copied()
            .unwrap_or_default()
    }
}

/// The key, or `None` when there is none of that name.
pub async fn read_key(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
) -> Result<Option<KeyInfo>, TransitError> {
    match bao
        .request(Method::GET, &key_path(env, name), Some(token), None)
        .await
    {
        Ok(v) => Ok(v.map(|v| KeyInfo::parse(&v["data"]))),
        Err(e) => match classify(e, env, Some(name)) {
            TransitError::NotFound { .. } => Ok(None),
            other => Err(other),
        },
    }
}

/// The names of the environment's keys, sorted.
pub async fn list_keys(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
) -> Result<Vec<String>, TransitError> {
    let list = Method::from_bytes(b"LIST")
        .map_err(|e| TransitError::Store(BaoError::Config(e.to_string())))?;
    let path = format!("{}/keys", mount(env));
    match bao.request(list, &path, Some(token), None).await {
        Ok(v) => {
            let mut keys: Vec<String> = v
                .as_ref()
                .and_then(|v| v.pointer("/data/keys"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|k| k.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            keys.sort();
            Ok(keys)
        }
        Err(e) => match classify(e, env, None) {
            // An empty mount answers 404.
            TransitError::NotFound { .. } => Ok(Vec::new()),
            other => Err(other),
        },
    }
}

/// Create a key. Exportability and plaintext backups are never sent: they stay off, and
/// every policy but the operators' denies them.
pub async fn create_key(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
    key_type: &str,
    auto_rotate_period: u64,
) -> Result<(), TransitError> {
    let mut body = json!({ "type": key_type });
    if key_type == "hmac" {
        // OpenBao asks an HMAC key's size (bytes); 32 matches SHA-256.
        body["key_size"] = json!(32);
    }
    if auto_rotate_period > 0 {
        body["auto_rotate_period"] = json!(auto_rotate_period);
    }
    bao.write(&key_path(env, name), token, &body)
        .await
        .map(drop)
        .map_err(|e| classify(e, env, Some(name)))
}

/// Change the key's configuration: only the fields in `fields`.
pub async fn configure(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
    fields: &Map<String, Value>,
) -> Result<(), TransitError> {
    let path = format!("{}/config", key_path(env, name));
    bao.write(&path, token, &Value::Object(fields.clone()))
        .await
        .map(drop)
        .map_err(|e| classify(e, env, Some(name)))
}

pub async fn rotate(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
) -> Result<(), TransitError> {
    let path = format!("{}/rotate", key_path(env, name));
    bao.write(&path, token, &json!({}))
        .await
        .map(drop)
        .map_err(|e| classify(e, env, Some(name)))
}

/// OpenBao refuses unless an operator allowed deletion for this key.
pub async fn delete_key(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
) -> Result<(), TransitError> {
    bao.delete(&key_path(env, name), token)
        .await
        .map_err(|e| classify(e, env, Some(name)))
}

/// One operation on a key: `body` as OpenBao takes it; its `data` back.
pub async fn operate(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
    op: KeyOperation,
    body: &Value,
) -> Result<Value, TransitError> {
    let path = format!("{}/{}/{name}", mount(env), op.as_str());
    let answer = bao
        .write(&path, token, body)
        .await
        .map_err(|e| classify(e, env, Some(name)))?;
    Ok(answer.map(|mut a| a["data"].take()).unwrap_or_default())
}

/// `ciphertext` re-encrypted inside OpenBao with `key_version` (the latest when `None`):
/// the new ciphertext. No plaintext leaves OpenBao.
pub async fn rewrap(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
    ciphertext: &str,
    key_version: Option<u64>,
) -> Result<String, TransitError> {
    let mut body = json!({ "ciphertext": ciphertext });
    if let Some(v) = key_version {
        body["key_version"] = json!(v);
    }
    let data = operate(bao, token, env, name, KeyOperation::Rewrap, &body).await?;
    data["ciphertext"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            TransitError::Store(BaoError::Decode("rewrap returned no ciphertext".into()))
        })
}

/// Mount the environment's transit engine and refuse key creation by encryption on it
/// (`disable_upsert`: an encrypt to a missing key fails instead of creating it, whatever
/// a policy grants).
pub async fn mount_for(bao: &Bao, token: &SecretString, env: &EnvName) -> Result<(), BaoError> {
    bao.write(
        &format!("sys/mounts/{}", mount(env)),
        token,
        &json!({ "type": "transit", "description": format!("Keys of environment {env}") }),
    )
    .await?;
    refuse_upsert(bao, token, env).await
}

pub async fn refuse_upsert(bao: &Bao, token: &SecretString, env: &EnvName) -> Result<(), BaoError> {
    bao.write(
        &format!("{}/config/keys", mount(env)),
        token,
        &json!({ "disable_upsert": true }),
    )
    .await
    .map(drop)
}

/// Whether the mount refuses key creation by encryption; `None` when there is no mount.
pub async fn upsert_refused(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
) -> Result<Option<bool>, BaoError> {
    let path = format!("{}/config/keys", mount(env));
    match bao.request(Method::GET, &path, Some(token), None).await {
        Ok(v) => Ok(Some(
            v.and_then(|v| v.pointer("/data/disable_upsert").and_then(Value::as_bool))
                .unwrap_or(false),
        )),
        // "no handler for route": there is no mount there.
        Err(BaoError::NotFound { .. }) => Ok(None),
        Err(e) if crate::bao::kv::is_no_mount(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_both_shapes_parse() {
        let data = json!({
            "type": "ed25519", "latest_version": 2, "min_decryption_version": 1,
            "min_encryption_version": 0, "auto_rotate_period": 7200, "deletion_allowed": false,
            "keys": {
                "1": {"creation_time": "2026-01-01T00:00:00Z", "public_key": "x"},
                "2": {"creation_time": "2026-01-02T00:00:00.5Z", "public_key": "y"}
            }
        });
        let k = KeyInfo::parse(&data);
        assert_eq!(k.latest_version, 2);
        assert_eq!(k.auto_rotate_period, 7200);
        assert_eq!(k.last_rotated(), 1_767_312_000);
        let sym = KeyInfo::parse(&json!({"type": "aes256-gcm96", "latest_version": 1,
            "keys": {"1": 1_767_225_600}}));
        assert_eq!(sym.last_rotated(), 1_767_225_600);
    }

    #[test]
    fn missing_keys_are_told_apart_from_refusals() {
        let env = EnvName::parse("staging").unwrap();
        let name = KeyName::parse("k").unwrap();
        let rejected = |m: &str| BaoError::Rejected {
            path: "x".into(),
            status: 400,
            message: m.into(),
        };
        assert!(matches!(
            classify(rejected("encryption key not found"), &env, Some(&name)),
            TransitError::NotFound { .. }
        ));
        assert!(matches!(
            classify(
                rejected("ciphertext or signature version is disallowed by policy (too old)"),
                &env,
                Some(&name)
            ),
            TransitError::Refused { .. }
        ));
        assert!(matches!(
            classify(
                BaoError::NotFound {
                    path: "x".into(),
                    message: "no handler for route \"transit/x/keys\"".into()
                },
                &env,
                None
            ),
            TransitError::NoMount { .. }
        ));
    }
}
