//! Whole mounts: a SCAN of every secret, what kind of mount a path is, waiting for a new
//! one to finish upgrading.

use super::{classify, KvError, Metadata, Mount};
use crate::bao::{Bao, BaoError};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;

/// Every secret of the mount, sorted by path, in one `SCAN` (KV v2: of
/// `detailed-metadata/`, with each one's metadata; KV v1: keys only). `NoMount` when
/// there is no such mount.
pub async fn scan(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
) -> Result<Vec<(String, Metadata)>, KvError> {
    let scan =
        Method::from_bytes(b"SCAN").map_err(|e| KvError::Store(BaoError::Config(e.to_string())))?;
    let url = if mount.v2 {
        format!("{}/detailed-metadata/", mount.path)
    } else {
        format!("{}/", mount.path)
    };
    let answer = match bao.request(scan, &url, Some(token), None).await {
        Ok(a) => a.unwrap_or_default(),
        Err(e) => {
            return match classify(e, mount, "") {
                // An empty mount has nothing to scan.
                KvError::NotFound { .. } => Ok(Vec::new()),
                other => Err(other),
            };
        }
    };
    let mut out: Vec<(String, Metadata)> = if mount.v2 {
        answer
            .pointer("/data/key_info")
            .and_then(Value::as_object)
            .map(|info| {
                info.iter()
                    .filter(|(k, _)| !k.ends_with('/'))
                    .map(|(k, v)| (k.clone(), Metadata::parse(v)))
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
                    .filter(|k| !k.ends_with('/'))
                    .map(|k| (k.to_owned(), Metadata::default()))
                    .collect()
            })
            .unwrap_or_default()
    };
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Whether `mount` is a KV mount, and which version, from the UI mounts endpoint (readable
/// by any token that may use the mount). `NoMount` when it is not a KV mount.
pub async fn mount_of(bao: &Bao, token: &SecretString, mount: &str) -> Result<Mount, KvError> {
    let path = mount.trim_matches('/').to_owned();
    let no_mount = || KvError::NoMount {
        mount: path.clone(),
    };
    let answer = match bao
        .read(&format!("sys/internal/ui/mounts/{path}"), token)
        .await
    {
        Ok(a) => a,
        Err(BaoError::Forbidden { .. }) | Err(BaoError::Rejected { status: 400, .. }) => {
            return Err(no_mount())
        }
        Err(e) => return Err(KvError::Store(e)),
    };
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
        _ => Err(no_mount()),
    }
}

/// Wait until a new KV v2 mount has finished upgrading: a read of its config is retried
/// meanwhile, so the writes that follow do not meet the upgrade. A refusal to read the
/// config (no grant on it) ends the wait too.
pub async fn wait_ready(bao: &Bao, token: &SecretString, mount: &Mount) -> Result<(), KvError> {
    match bao.read(&format!("{}/config", mount.path), token).await {
        Ok(_) | Err(BaoError::Forbidden { .. }) => Ok(()),
        Err(e) => Err(classify(e, mount, "config")),
    }
}
