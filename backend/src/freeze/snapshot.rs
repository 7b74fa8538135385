//! The freeze snapshot at `crypter/data/freeze/snapshot`: every ACL policy's original text
//! and SHA-256, taken before the freeze rewrites anything. Its KV version and the SHA-256
//! of its content go on the freeze record, so thaw can tell a damaged or replaced snapshot
//! from the one the freeze took, and point at the last good version (KV v2 keeps them).

use super::{read_policy, sha256_hex, PARALLEL};
use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crypter_api::SnapshotVersion;
use futures::stream::{self, StreamExt, TryStreamExt};
use reqwest::Method;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const SNAPSHOT_PATH: &str = "crypter/data/freeze/snapshot";
pub const SNAPSHOT_METADATA: &str = "crypter/metadata/freeze/snapshot";
/// Versions listed in a refused thaw, newest first.
const MAX_VERSIONS: usize = 20;

/// One policy as the snapshot keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotPolicy {
    pub name: String,
    pub hcl: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub taken_at: String,
    pub by: String,
    pub policies: Vec<SnapshotPolicy>,
}

impl Snapshot {
    pub fn original(&self, name: &str) -> Option<&SnapshotPolicy> {
        self.policies.iter().find(|p| p.name == name)
    }

    /// SHA-256 of the snapshot's JSON, as written.
    pub fn sha256(&self) -> String {
        sha256_hex(&serde_json::to_string(self).unwrap_or_default())
    }

    /// Why this snapshot cannot be trusted, if it cannot: a policy whose text does not
    /// hash to its recorded SHA-256, or content other than what the freeze recorded.
    pub fn problem(&self, expected_sha256: Option<&str>) -> Option<String> {
        if let Some(p) = self
            .policies
            .iter()
            .find(|p| sha256_hex(&p.hcl) != p.sha256)
        {
            return Some(format!(
                "policy {:?} in it does not match its own SHA-256",
                p.name
            ));
        }
        match expected_sha256 {
            Some(want) if self.sha256() != want => Some(
                "its content is not what the freeze wrote (the SHA-256 on the freeze record differs)"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// Every ACL policy, with its text and checksum.
pub async fn take(bao: &Bao, token: &SecretString, by: &str) -> Result<Snapshot, AppError> {
    let names = bao.list("sys/policies/acl", token).await?;
    let mut policies: Vec<SnapshotPolicy> = stream::iter(names)
        .map(|name| async move {
            let hcl = read_policy(bao, token, &name).await?.unwrap_or_default();
            Ok::<_, AppError>(SnapshotPolicy {
                sha256: sha256_hex(&hcl),
                name,
                hcl,
            })
        })
        .buffer_unordered(PARALLEL)
        .try_collect()
        .await?;
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Snapshot {
        taken_at: super::now(),
        by: by.to_owned(),
        policies,
    })
}

/// Write the snapshot; returns the KV version it became.
pub async fn write(bao: &Bao, token: &SecretString, snapshot: &Snapshot) -> Result<u64, AppError> {
    let answer = bao
        .write(SNAPSHOT_PATH, token, &json!({ "data": snapshot }))
        .await?
        .unwrap_or_default();
    Ok(answer
        .pointer("/data/version")
        .and_then(Value::as_u64)
        .unwrap_or(0))
}

/// One version of the snapshot (`None` = the current one), or what is wrong with it.
pub async fn load(
    bao: &Bao,
    token: &SecretString,
    version: Option<u64>,
    expected_sha256: Option<&str>,
) -> Result<Result<Snapshot, String>, AppError> {
    let answer = match version {
        Some(v) => {
            let query = format!("version={v}");
            match bao
                .request_query(Method::GET, SNAPSHOT_PATH, &query, Some(token))
                .await
            {
                Ok(a) => a,
                Err(BaoError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            }
        }
        None => bao.read(SNAPSHOT_PATH, token).await?,
    };
    let Some(answer) = answer else {
        return Ok(Err("it is missing".into()));
    };
    let data = answer.pointer("/data/data").cloned().unwrap_or_default();
    if data.is_null() {
        return Ok(Err("it was deleted or destroyed".into()));
    }
    Ok(match serde_json::from_value::<Snapshot>(data) {
        Err(e) => Err(format!("it cannot be read as a snapshot ({e})")),
        Ok(s) => match s.problem(expected_sha256) {
            Some(problem) => Err(problem),
            None => Ok(s),
        },
    })
}

/// Every version still kept, newest first, each checked.
pub async fn versions(
    bao: &Bao,
    token: &SecretString,
    expected_sha256: Option<&str>,
) -> Result<Vec<SnapshotVersion>, AppError> {
    let Some(meta) = bao.read(SNAPSHOT_METADATA, token).await? else {
        return Ok(Vec::new());
    };
    let mut numbers: Vec<(u64, Option<String>)> = meta
        .pointer("/data/versions")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let created = v["created_time"].as_str().map(str::to_owned);
                    k.parse::<u64>().ok().map(|n| (n, created))
                })
                .collect()
        })
        .unwrap_or_default();
    numbers.sort_by_key(|n| std::cmp::Reverse(n.0));
    numbers.truncate(MAX_VERSIONS);
    let mut out = Vec::with_capacity(numbers.len());
    for (version, created_time) in numbers {
        let checked = load(bao, token, Some(version), expected_sha256).await?;
        out.push(SnapshotVersion {
            version,
            created_time,
            good: checked.is_ok(),
            problem: checked.err(),
        });
    }
    Ok(out)
}
