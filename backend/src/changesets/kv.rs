//! Reading any KV mount (v1 or v2) and writing verified copies into an environment.

use crate::bao::{Bao, BaoError};
use crate::credentials::{self, value_hash};
use crate::error::AppError;
use crypter_api::{CredentialMetadata, CredentialPath, EnvName};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A KV mount to read from, without slashes (e.g. `env/prod`, `secret`, `legacy/apps`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub path: String,
    pub v2: bool,
}

/// One credential found under a source prefix.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub metadata: CredentialMetadata,
}

fn clean_mount(mount: &str) -> String {
    mount.trim_matches('/').to_owned()
}

/// Whether `mount` is KV v1 or v2, from the UI mount endpoint (readable by any token that may
/// use the mount).
pub async fn mount_of(bao: &Bao, token: &SecretString, mount: &str) -> Result<Mount, AppError> {
    let path = clean_mount(mount);
    let answer = bao
        .read(&format!("sys/internal/ui/mounts/{path}"), token)
        .await?;
    let data = answer.as_ref().map(|a| &a["data"]);
    match data {
        Some(d) if d["type"] == "kv" || d["type"] == "generic" => Ok(Mount {
            v2: d["options"]["version"] == "2",
            path: d["path"]
                .as_str()
                .unwrap_or(&path)
                .trim_matches('/')
                .to_owned(),
        }),
        _ => Err(AppError::NotFound(format!(
            "there is no KV mount at {path}/ (or you may not read it); check the mount's path"
        ))),
    }
}

/// Every live credential below `prefix`, sorted by path. Missing mount or prefix: empty.
pub async fn list(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    prefix: &str,
) -> Result<Vec<Entry>, AppError> {
    let method = Method::from_bytes(b"SCAN").map_err(|e| anyhow::anyhow!(e))?;
    let url = if mount.v2 {
        format!("{}/detailed-metadata/", mount.path)
    } else {
        format!("{}/", mount.path)
    };
    let answer = match bao.request(method, &url, Some(token), None).await {
        Ok(v) => v.unwrap_or_default(),
        Err(BaoError::NotFound { .. }) => return Ok(Vec::new()),
        Err(BaoError::Rejected {
            status: 400,
            message,
            ..
        }) if message.contains("no handler") => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let now = OffsetDateTime::now_utc();
    let mut out: Vec<Entry> = if mount.v2 {
        answer
            .pointer("/data/key_info")
            .and_then(Value::as_object)
            .map(|info| {
                info.iter()
                    .filter(|(k, _)| !k.ends_with('/') && k.starts_with(prefix))
                    .map(|(k, v)| credentials::parse_entry(k, v, now))
                    .filter(|s| !s.deleted)
                    .map(|s| Entry {
                        path: s.path,
                        metadata: s.metadata,
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        answer
            .pointer("/data/keys")
            .and_then(Value::as_array)
            .map(|keys| {
                keys.iter()
                    .filter_map(Value::as_str)
                    .filter(|k| !k.ends_with('/') && k.starts_with(prefix))
                    .map(|k| Entry {
                        path: k.to_owned(),
                        metadata: CredentialMetadata::default(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn to_strings(values: &serde_json::Map<String, Value>) -> BTreeMap<String, String> {
    values
        .iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), s)
        })
        .collect()
}

/// The current value at `path`, or `None` when there is none (missing or deleted).
pub async fn read(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
) -> Result<Option<BTreeMap<String, String>>, AppError> {
    let url = if mount.v2 {
        format!("{}/data/{path}", mount.path)
    } else {
        format!("{}/{path}", mount.path)
    };
    let answer = match bao.read(&url, token).await {
        Ok(a) => a,
        // No such mount (yet): nothing there.
        Err(BaoError::NotFound { .. }) => None,
        Err(BaoError::Rejected {
            status: 400,
            message,
            ..
        }) if message.contains("no handler") => None,
        Err(e) => return Err(e.into()),
    };
    let values = answer.as_ref().and_then(|a| {
        if mount.v2 {
            a["data"]["data"].as_object()
        } else {
            a["data"].as_object()
        }
    });
    Ok(values.map(to_strings))
}

pub async fn hash_of(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
) -> Result<Option<String>, AppError> {
    Ok(read(bao, token, mount, path).await?.map(|d| value_hash(&d)))
}

pub fn env_mount(env: &EnvName) -> Mount {
    Mount {
        path: env.mount(),
        v2: true,
    }
}

/// What a verified copy did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copied {
    Written,
    /// The target already held the same value (a re-run or a resume).
    AlreadyThere,
}

/// Copy one value into an environment: create-only (cas 0) unless `overwrite`, then the
/// metadata, then read back and compare the SHA-256 of the value.
#[allow(clippy::too_many_arguments)]
pub async fn copy_one(
    bao: &Bao,
    token: &SecretString,
    src: &Mount,
    src_path: &str,
    env: &EnvName,
    path: &CredentialPath,
    metadata: &CredentialMetadata,
    overwrite: bool,
) -> Result<Copied, AppError> {
    let Some(data) = read(bao, token, src, src_path).await? else {
        return Err(AppError::Conflict(format!(
            "{}/{src_path} disappeared before it could be copied; plan again",
            src.path
        )));
    };
    let want = value_hash(&data);
    let target = env_mount(env);
    let mut body = json!({ "data": data });
    if !overwrite {
        body["options"] = json!({ "cas": 0 });
    }
    let url = format!("{}/data/{path}", target.path);
    match bao.write(&url, token, &body).await {
        Ok(_) => {}
        Err(BaoError::Rejected { message, .. }) if message.contains("check-and-set") => {
            return match hash_of(bao, token, &target, path.as_ref()).await? {
                Some(h) if h == want => {
                    credentials::write_metadata(bao, token, env, path, metadata).await?;
                    Ok(Copied::AlreadyThere)
                }
                _ => Err(AppError::Conflict(format!(
                    "{env}/{path} already holds a different value; set overwrite = true to replace it"
                ))),
            };
        }
        Err(e) => return Err(e.into()),
    }
    credentials::write_metadata(bao, token, env, path, metadata).await?;
    match hash_of(bao, token, &target, path.as_ref()).await? {
        Some(h) if h == want => Ok(Copied::Written),
        _ => Err(AppError::Internal(anyhow::anyhow!(
            "verification failed: {env}/{path} does not read back the value just written"
        ))),
    }
}

/// Remove a source credential for good (a move, after its copy was verified).
pub async fn remove(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
) -> Result<(), AppError> {
    let url = if mount.v2 {
        format!("{}/metadata/{path}", mount.path)
    } else {
        format!("{}/{path}", mount.path)
    };
    bao.delete(&url, token).await?;
    Ok(())
}
