//! The typed KV layer: read, write with `cas`, metadata with `metadata_cas`, delete,
//! undelete, destroy and scan, on any KV mount (v2, and v1 where it makes sense).
//!
//! This is the only place that reads OpenBao's KV answers (`data.data`, `data.metadata`,
//! `key_info`) and the only place that turns its refusals into [`KvError`]s; callers decide
//! on the variant, never on the wording of a message.

mod mounts;
mod values;

pub use mounts::{mount_of, scan, wait_ready};
pub use values::{
    delete_versions, destroy, metadata, read, read_json, remove, undelete, write, write_json,
    write_metadata,
};

use super::BaoError;
use serde_json::Value;
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

    pub(super) fn data(&self, path: &str) -> String {
        if self.v2 {
            format!("{}/data/{path}", self.path)
        } else {
            format!("{}/{path}", self.path)
        }
    }

    pub(super) fn under(&self, endpoint: &str, path: &str) -> String {
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
    /// `path`: OpenBao's whole path (mount included), for the log and [`concept`].
    ///
    /// [`concept`]: super::concept
    #[error("nothing at {path} in OpenBao")]
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

impl From<BaoError> for KvError {
    fn from(e: BaoError) -> Self {
        Self::Store(e)
    }
}

/// OpenBao's answers to a check-and-set mismatch, on data and on metadata.
const CAS_DATA: &str = "check-and-set parameter did not match the current version";
const CAS_METADATA: &str = "metadata check-and-set parameter does not match the current version";
const NO_ROUTE: &str = "no handler for route";

/// OpenBao answered that there is no mount at the path (for callers that read raw
/// answers, such as the credential list's own SCAN).
pub fn is_no_mount(e: &BaoError) -> bool {
    matches!(e, BaoError::NotFound { message, .. } | BaoError::Rejected { message, .. }
        if message.starts_with(NO_ROUTE))
}

/// The one mapping from OpenBao's answers to [`KvError`].
pub(super) fn classify(e: BaoError, mount: &Mount, path: &str) -> KvError {
    let upgrading = e.is_kv_upgrading();
    match e {
        BaoError::NotFound { ref message, .. } if message.starts_with(NO_ROUTE) => {
            KvError::NoMount {
                mount: mount.path.clone(),
            }
        }
        BaoError::NotFound { .. } => KvError::NotFound {
            path: mount.data(path),
        },
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
    pub(super) fn parse(v: &Value) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rejected(message: &str) -> BaoError {
        BaoError::Rejected {
            path: "env/qa/data/x".into(),
            status: 400,
            message: message.into(),
        }
    }

    #[test]
    fn nothing_at_a_path_is_named_as_crypter_names_it() {
        let m = Mount::v2("env/qa");
        let gone = BaoError::NotFound {
            path: "env/qa/data/db/password".into(),
            message: String::new(),
        };
        let e = crate::error::AppError::from(classify(gone, &m, "db/password"));
        match e {
            crate::error::AppError::NotFound(_, message) => assert_eq!(
                message,
                "credential db/password in environment qa does not exist"
            ),
            other => panic!("{other:?}"),
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
