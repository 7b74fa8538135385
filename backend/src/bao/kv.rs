//! The typed KV layer: read, write with `cas`, metadata with `metadata_cas`, delete,
//! undelete, destroy and scan, on any KV mount (v2, and v1 where it makes sense).
//!
//! This is the only place that reads OpenBao's KV answers (`data.data`, `data.metadata`,
//! `key_info`) and the only place that turns its refusals into [`KvError`]s; callers decide
//! on the variant, never on the wording of a message.

use super::{Bao, BaoError};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A KV mount, without slashes (e.g. `env/prod`, `secret`, `legacy/apps`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mount {
    pub path: String,
    pub v2: bool,
}

impl Mount {
    pub fn v2(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            v2: true,
        }
    }

    /// An environment's credentials: `env/<name>`, KV v2.
    pub fn env(env: &crypter_api::EnvName) -> Self {
        Self::v2(env.mount())
    }

    fn data(&self, path: &str) -> String {
        if self.v2 {
            format!("{}/data/{path}", self.path)
        } else {
            format!("{}/{path}", self.path)
        }
    }

    fn under(&self, endpoint: &str, path: &str) -> String {
        format!("{}/{endpoint}/{path}", self.path)
    }
}

/// Why a KV request did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// Check-and-set refused the write: the data (or, with `metadata`, the metadata)
    /// version is not the one given.
    #[error("{path} changed since it was read (check-and-set on its {} failed)", if *.metadata { "metadata" } else { "data" })]
    CasFailed { path: String, metadata: bool },
    #[error("{path} does not exist in OpenBao")]
    NotFound { path: String },
    #[error("there is no KV mount at {mount}/")]
    NoMount { mount: String },
    #[error("OpenBao denied access to {path}: {message}")]
    Forbidden { path: String, message: String },
    #[error("the KV mount {mount}/ is still upgrading; try again in a moment")]
    Upgrading { mount: String },
    #[error(transparent)]
    Store(BaoError),
}

/// OpenBao's answers to a check-and-set mismatch, on data and on metadata.
const CAS_DATA: &str = "check-and-set parameter did not match the current version";
const CAS_METADATA: &str = "metadata check-and-set parameter does not match the current version";
const NO_ROUTE: &str = "no handler for route";

/// The one mapping from OpenBao's answers to [`KvError`].
fn classify(e: BaoError, mount: &Mount, path: &str) -> KvError {
    let upgrading = e.is_kv_upgrading();
    match e {
        BaoError::NotFound { ref message, .. } if message.starts_with(NO_ROUTE) => {
            KvError::NoMount {
                mount: mount.path.clone(),
            }
        }
        BaoError::NotFound { .. } => KvError::NotFound { path: path.into() },
        BaoError::Forbidden { path, message } => KvError::Forbidden { path, message },
        BaoError::Rejected { ref message, .. } if message == CAS_DATA => KvError::CasFailed {
            path: path.into(),
            metadata: false,
        },
        BaoError::Rejected { ref message, .. } if message == CAS_METADATA => KvError::CasFailed {
            path: path.into(),
            metadata: true,
        },
        BaoError::Rejected { ref message, .. } if message.starts_with(NO_ROUTE) => {
            KvError::NoMount {
                mount: mount.path.clone(),
            }
        }
        _ if upgrading => KvError::Upgrading {
            mount: mount.path.clone(),
        },
        other => KvError::Store(other),
    }
}

impl From<KvError> for crate::error::AppError {
    fn from(e: KvError) -> Self {
        use crate::error::AppError;
        match e {
            KvError::CasFailed { .. } => {
                AppError::Conflict(format!("{e}; reload it and try again"))
            }
            KvError::NotFound { .. } | KvError::NoMount { .. } => AppError::NotFound(e.to_string()),
            KvError::Forbidden { path, message } => {
                AppError::Store(BaoError::Forbidden { path, message })
            }
            KvError::Upgrading { .. } => AppError::Store(BaoError::Rejected {
                path: String::new(),
                status: 503,
                message: e.to_string(),
            }),
            KvError::Store(e) => AppError::Store(e),
        }
    }
}

/// One version's value. KV v1 values have version 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    pub data: BTreeMap<String, String>,
    pub version: u64,
}

/// One version as the metadata lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionState {
    pub created_time: String,
    pub deletion_time: Option<String>,
    pub destroyed: bool,
}

/// A KV v2 secret's metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    pub current_version: u64,
    /// OpenBao's `current_metadata_version`, the value `metadata_cas` compares with.
    pub metadata_version: u64,
    pub updated_time: String,
    /// `custom_metadata`: an object of strings, or null.
    pub custom: Value,
    pub versions: BTreeMap<u64, VersionState>,
    /// The answer as OpenBao gave it, for the credential detail's own parsing.
    pub raw: Value,
}

impl Metadata {
    fn parse(v: &Value) -> Self {
        let versions = v["versions"]
            .as_object()
            .map(|vs| {
                vs.iter()
                    .filter_map(|(k, s)| {
                        Some((
                            k.parse().ok()?,
                            VersionState {
                                created_time: s["created_time"].as_str().unwrap_or("").into(),
                                deletion_time: s["deletion_time"]
                                    .as_str()
                                    .filter(|t| !t.is_empty())
                                    .map(str::to_owned),
                                destroyed: s["destroyed"].as_bool().unwrap_or(false),
                            },
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            current_version: v["current_version"].as_u64().unwrap_or(0),
            metadata_version: v["current_metadata_version"].as_u64().unwrap_or(0),
            updated_time: v["updated_time"].as_str().unwrap_or("").into(),
            custom: v["custom_metadata"].clone(),
            versions,
            raw: v.clone(),
        }
    }

    /// The current version can be read: it exists and is neither deleted nor destroyed.
    pub fn readable(&self) -> bool {
        self.versions
            .get(&self.current_version)
            .is_some_and(|v| v.deletion_time.is_none() && !v.destroyed)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(message: &str) -> BaoError {
        BaoError::Rejected {
            path: "env/qa/data/x".into(),
            status: 400,
            message: message.into(),
        }
    }

    #[test]
    fn refusals_map_to_variants_by_openbao_s_exact_words() {
        let m = Mount::v2("env/qa");
        assert!(matches!(
            classify(rejected(CAS_DATA), &m, "x"),
            KvError::CasFailed {
                metadata: false,
                ..
            }
        ));
        assert!(matches!(
            classify(rejected(CAS_METADATA), &m, "x"),
            KvError::CasFailed { metadata: true, .. }
        ));
        let no_route = "no handler for route \"env/qa/data/x\". route entry not found.";
        assert!(matches!(
            classify(rejected(no_route), &m, "x"),
            KvError::NoMount { .. }
        ));
        let missing = BaoError::NotFound {
            path: "env/qa/data/x".into(),
            message: no_route.into(),
        };
        assert!(matches!(
            classify(missing, &m, "x"),
            KvError::NoMount { .. }
        ));
        assert!(matches!(
            classify(
                rejected(super::super::error::UPGRADING_MESSAGES[0]),
                &m,
                "x"
            ),
            KvError::Upgrading { .. }
        ));
        // Near misses are not mistaken for them.
        for other in [
            "check-and-set parameter required",
            "upgrading soon",
            "no handler",
        ] {
            assert!(
                matches!(classify(rejected(other), &m, "x"), KvError::Store(_)),
                "{other}"
            );
        }
        assert!(matches!(
            classify(
                BaoError::NotFound {
                    path: "p".into(),
                    message: "Not Found".into()
                },
                &m,
                "x"
            ),
            KvError::NotFound { .. }
        ));
    }

    #[test]
    fn metadata_tells_whether_the_current_version_reads() {
        let v = json!({
            "current_version": 2, "current_metadata_version": 3, "custom_metadata": {"a": "b"},
            "versions": {
                "1": {"created_time": "t1", "deletion_time": "", "destroyed": false},
                "2": {"created_time": "t2", "deletion_time": "t3", "destroyed": false}
            }
        });
        let m = Metadata::parse(&v);
        assert_eq!((m.current_version, m.metadata_version), (2, 3));
        assert!(!m.readable());
        assert_eq!(m.versions[&1].deletion_time, None);
        assert_eq!(m.custom["a"], "b");
    }
}
