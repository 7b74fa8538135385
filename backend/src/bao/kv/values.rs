//! Reading and writing values, metadata and Crypter's own records.

use super::{classify, KvError, Metadata, Mount, Secret};
use crate::bao::Bao;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

fn strings(values: &Map<String, Value>) -> BTreeMap<String, String> {
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

/// A value (`version`: `None` for the current one). `None` when there is none to read:
/// missing, soft-deleted or destroyed.
pub async fn read(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
    version: Option<u64>,
) -> Result<Option<Secret>, KvError> {
    let url = mount.data(path);
    let answer = match version.filter(|_| mount.v2) {
        Some(v) => {
            bao.request_query(Method::GET, &url, &format!("version={v}"), Some(token))
                .await
        }
        None => bao.request(Method::GET, &url, Some(token), None).await,
    };
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            return match classify(e, mount, path) {
                KvError::NotFound { .. } => Ok(None),
                other => Err(other),
            }
        }
    };
    let Some(answer) = answer else {
        return Ok(None);
    };
    let (values, version) = if mount.v2 {
        (
            answer["data"]["data"].as_object(),
            answer["data"]["metadata"]["version"].as_u64().unwrap_or(0),
        )
    } else {
        (answer["data"].as_object(), 0)
    };
    Ok(values.map(|v| Secret {
        data: strings(v),
        version,
    }))
}

/// Write a new version; `cas`: the current version it must replace (0: must not exist).
/// Returns the new version (0 on KV v1).
pub async fn write(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
    data: &BTreeMap<String, String>,
    cas: Option<u64>,
) -> Result<u64, KvError> {
    let url = mount.data(path);
    let answer = if !mount.v2 {
        bao.write(&url, token, &json!(data)).await
    } else if let Some(cas) = cas {
        let body = json!({ "data": data, "options": { "cas": cas } });
        bao.write_idempotent(&url, token, &body).await
    } else {
        bao.write(&url, token, &json!({ "data": data })).await
    };
    let answer = answer.map_err(|e| classify(e, mount, path))?;
    Ok(answer
        .and_then(|a| a["data"]["version"].as_u64())
        .unwrap_or(0))
}

/// One of Crypter's own records: the current version's data as JSON, and its version.
/// `None` when there is none.
pub async fn read_json(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
) -> Result<Option<(Value, u64)>, KvError> {
    match bao.read(&mount.data(path), token).await {
        Ok(Some(a)) if mount.v2 => Ok(Some((
            a["data"]["data"].clone(),
            a["data"]["metadata"]["version"].as_u64().unwrap_or(0),
        ))),
        Ok(Some(a)) => Ok(Some((a["data"].clone(), 0))),
        Ok(None) => Ok(None),
        Err(e) => match classify(e, mount, path) {
            KvError::NotFound { .. } => Ok(None),
            other => Err(other),
        },
    }
}

/// Write one of Crypter's own records (a JSON object) as a new version, with `cas` like
/// [`write`]. Returns the new version.
pub async fn write_json(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
    data: &Value,
    cas: Option<u64>,
) -> Result<u64, KvError> {
    let url = mount.data(path);
    let answer = match cas {
        Some(cas) => {
            let body = json!({ "data": data, "options": { "cas": cas } });
            bao.write_idempotent(&url, token, &body).await
        }
        None => bao.write(&url, token, &json!({ "data": data })).await,
    };
    let answer = answer.map_err(|e| classify(e, mount, path))?;
    Ok(answer
        .and_then(|a| a["data"]["version"].as_u64())
        .unwrap_or(0))
}

/// The metadata of a KV v2 secret, `None` when there is none.
pub async fn metadata(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
) -> Result<Option<Metadata>, KvError> {
    match bao.read(&mount.under("metadata", path), token).await {
        Ok(v) => Ok(v.map(|v| Metadata::parse(&v["data"]))),
        Err(e) => match classify(e, mount, path) {
            KvError::NotFound { .. } => Ok(None),
            other => Err(other),
        },
    }
}

/// Replace a KV v2 secret's `custom_metadata` (an object of strings); `metadata_cas`: the
/// metadata version it must replace.
pub async fn write_metadata(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
    custom: &Value,
    metadata_cas: Option<u64>,
) -> Result<(), KvError> {
    let mut body = json!({ "custom_metadata": custom });
    if let Some(cas) = metadata_cas {
        body["metadata_cas"] = json!(cas);
    }
    bao.write_idempotent(&mount.under("metadata", path), token, &body)
        .await
        .map_err(|e| classify(e, mount, path))?;
    Ok(())
}

async fn versions_call(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    endpoint: &str,
    path: &str,
    versions: &[u64],
) -> Result<(), KvError> {
    // Each acts on the versions named, so sending it twice changes nothing more.
    bao.write_idempotent(
        &mount.under(endpoint, path),
        token,
        &json!({ "versions": versions }),
    )
    .await
    .map_err(|e| classify(e, mount, path))?;
    Ok(())
}

/// Soft-delete these versions (they can be undeleted).
pub async fn delete_versions(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
    versions: &[u64],
) -> Result<(), KvError> {
    versions_call(bao, token, mount, "delete", path, versions).await
}

pub async fn undelete(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
    versions: &[u64],
) -> Result<(), KvError> {
    versions_call(bao, token, mount, "undelete", path, versions).await
}

/// Destroy these versions for good (the metadata stays).
pub async fn destroy(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
    versions: &[u64],
) -> Result<(), KvError> {
    versions_call(bao, token, mount, "destroy", path, versions).await
}

/// Remove a secret for good: every version and its metadata (KV v1: the key).
pub async fn remove(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
) -> Result<(), KvError> {
    let url = if mount.v2 {
        mount.under("metadata", path)
    } else {
        mount.data(path)
    };
    bao.delete(&url, token)
        .await
        .map_err(|e| classify(e, mount, path))
}
