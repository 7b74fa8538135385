//! What a drill checks on the restored store against the live one: sampled credentials,
//! read at the same version on both, and the whole ACL policy set. Values are compared
//! here, in the process; only paths ever leave it.

use super::{CredentialCheck, PolicyCheck, SnapshotError};
use crate::bao::kv::{self, KvError, Mount};
use crate::bao::{Bao, Purpose};
use futures_util::stream::{self, StreamExt};
use rand::seq::IndexedRandom;
use rand::Rng;
use secrecy::SecretString;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// Reads in flight at once on each store.
const PARALLELISM: usize = 16;

/// One credential of the snapshot: its mount, path and current version there.
#[derive(Clone)]
struct Pick {
    mount: Mount,
    path: String,
    version: u64,
}

/// The environments' KV v2 mounts (`env/<name>`) on `bao`.
async fn env_mounts(bao: &Bao, token: &SecretString) -> Result<Vec<Mount>, SnapshotError> {
    let answer = bao.read("sys/mounts", token).await?.unwrap_or_default();
    let table = answer
        .get("data")
        .and_then(Value::as_object)
        .or_else(|| answer.as_object());
    let mut mounts: Vec<Mount> = table
        .into_iter()
        .flatten()
        .filter(|(path, m)| {
            path.starts_with("env/") && m["type"] == "kv" && m["options"]["version"] == "2"
        })
        .map(|(path, _)| Mount::v2(path.trim_end_matches('/')))
        .collect();
    mounts.sort();
    Ok(mounts)
}

/// `n` credentials of the restored store, read there and on the live store at the same
/// version. Each environment gives at least one (while `n` allows), the rest are drawn
/// at random from all of them.
pub(super) async fn credentials(
    live: &Bao,
    restored: &Bao,
    token: &SecretString,
    n: usize,
) -> Result<CredentialCheck, SnapshotError> {
    let mounts = env_mounts(restored, token).await?;
    let mut per_mount = Vec::new();
    for mount in &mounts {
        let picks: Vec<Pick> = kv::scan(restored, token, mount)
            .await
            .map_err(kv_error)?
            .into_iter()
            .filter(|(_, meta)| meta.readable())
            .map(|(path, meta)| Pick {
                mount: mount.clone(),
                path,
                version: meta.current_version,
            })
            .collect();
        per_mount.push(picks);
    }
    let in_snapshot = per_mount.iter().map(Vec::len).sum();
    let sample = draw(&per_mount, n);
    let live = live.with_purpose(Purpose::Compare).from_leader();
    let sampled = sample.len();
    // Picks by value, not by reference: a closure over `&Pick` makes a future that rustc
    // cannot prove `Send` inside an axum handler (the runbook's snapshot step).
    let live = &live;
    let outcomes: Vec<Result<Outcome, SnapshotError>> = stream::iter(sample)
        .map(|pick| async move { compare_one(live, restored, token, &pick).await })
        .buffer_unordered(PARALLELISM)
        .collect()
        .await;
    let mut check = CredentialCheck {
        mounts: mounts.into_iter().map(|m| m.path).collect(),
        in_snapshot,
        sampled,
        ..CredentialCheck::default()
    };
    for outcome in outcomes {
        match outcome? {
            Outcome::Matched => check.matched += 1,
            Outcome::ChangedSince => check.changed_since += 1,
            Outcome::Mismatched(path) => check.mismatched.push(path),
        }
    }
    check.mismatched.sort();
    Ok(check)
}

fn draw(per_mount: &[Vec<Pick>], n: usize) -> Vec<Pick> {
    let mut rng = rand::rng();
    let mut chosen: HashSet<(usize, usize)> = HashSet::new();
    for (m, picks) in per_mount.iter().enumerate() {
        if chosen.len() < n && !picks.is_empty() {
            chosen.insert((m, rng.random_range(0..picks.len())));
        }
    }
    let rest: Vec<(usize, usize)> = per_mount
        .iter()
        .enumerate()
        .flat_map(|(m, picks)| (0..picks.len()).map(move |i| (m, i)))
        .filter(|k| !chosen.contains(k))
        .collect();
    let more = n.saturating_sub(chosen.len());
    chosen.extend(rest.choose_multiple(&mut rng, more).copied());
    chosen
        .into_iter()
        .map(|(m, i)| per_mount[m][i].clone())
        .collect()
}

enum Outcome {
    Matched,
    ChangedSince,
    Mismatched(String),
}

async fn compare_one(
    live: &Bao,
    restored: &Bao,
    token: &SecretString,
    pick: &Pick,
) -> Result<Outcome, SnapshotError> {
    let version = Some(pick.version);
    let was = kv::read(restored, token, &pick.mount, &pick.path, version)
        .await
        .map_err(kv_error)?;
    let now = match kv::read(live, token, &pick.mount, &pick.path, version).await {
        Ok(v) => v,
        Err(KvError::NoMount { .. }) => None,
        Err(e) => return Err(kv_error(e)),
    };
    Ok(match (was, now) {
        (Some(a), Some(b)) if a.data == b.data => Outcome::Matched,
        (_, None) => Outcome::ChangedSince,
        _ => Outcome::Mismatched(format!(
            "{}/{}@{}",
            pick.mount.path, pick.path, pick.version
        )),
    })
}

fn kv_error(e: KvError) -> SnapshotError {
    match e {
        KvError::Store(e) => SnapshotError::Store(e),
        other => SnapshotError::Http(other.to_string()),
    }
}

/// Every ACL policy on each store, by name and text.
pub(super) async fn policies(
    live: &Bao,
    restored: &Bao,
    token: &SecretString,
) -> Result<PolicyCheck, SnapshotError> {
    let (a, b) = (
        policy_set(live, token).await?,
        policy_set(restored, token).await?,
    );
    let mut differing: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|name| a.get(*name) != b.get(*name))
        .cloned()
        .collect();
    differing.sort();
    differing.dedup();
    Ok(PolicyCheck {
        count: b.len(),
        matched: differing.is_empty(),
        differing,
    })
}

async fn policy_set(
    bao: &Bao,
    token: &SecretString,
) -> Result<BTreeMap<String, String>, SnapshotError> {
    let mut out = BTreeMap::new();
    for name in bao.list("sys/policies/acl", token).await? {
        let text = bao
            .read(&format!("sys/policies/acl/{name}"), token)
            .await?
            .and_then(|v| v["data"]["policy"].as_str().map(str::to_owned))
            .unwrap_or_default();
        out.insert(name, text);
    }
    Ok(out)
}
