//! What the lint looks at: each environment's credentials, the digests of their values
//! and their keys, gathered with the caller's token.

use super::{key_rules, Digests, EnvSnapshot, Snapshot};
use crate::bao::Bao;
use crate::credentials::{self, digests, digests::Written};
use crate::environments::{self, FAN_OUT};
use crate::error::AppError;
use crate::records::Records;
use crypter_api::{CredentialPath, EnvName, Environment};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use secrecy::SecretString;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// SCANs of one environment's folders at once (see [`credentials::scan_in_parts`]): a
/// large environment is read on more than one of OpenBao's cores.
pub(super) const PARTS: usize = FAN_OUT / 4;

/// An environment's credentials, without hashes yet.
async fn env_metadata(
    bao: &Bao,
    token: &SecretString,
    environment: Environment,
    now: OffsetDateTime,
) -> Result<EnvSnapshot, AppError> {
    let name = environment.name.clone();
    let credentials = credentials::scan_in_parts(bao, token, &name, now, PARTS).await?;
    Ok(EnvSnapshot {
        environment,
        credentials,
        hashes: BTreeMap::new(),
        unknown: Vec::new(),
        keys: Vec::new(),
    })
}

/// The digests of every live credential's current value, for `shared-value`; `kept`:
/// the environment's kept digests, loaded beforehand (see [`kept_digests`]).
async fn with_hashes(
    bao: &Bao,
    token: &SecretString,
    how: Digests<'_>,
    mut env: EnvSnapshot,
    kept: BTreeMap<String, digests::Entry>,
) -> Result<EnvSnapshot, AppError> {
    let name = env.environment.name.clone();
    let live = env.credentials.iter().filter(|c| !c.deleted);
    let Digests::Kept { records, fill } = how else {
        let paths = live.map(|c| c.path.clone()).collect();
        env.hashes = credentials::hashes(bao, token, &name, paths).await?;
        return Ok(env);
    };
    let mut stale = Vec::new();
    for c in live {
        match kept.get(&c.path) {
            Some(e) if e.version == c.current_version => {
                env.hashes.insert(c.path.clone(), e.digest.clone());
            }
            _ => stale.push(c.path.clone()),
        }
    }
    if fill && !stale.is_empty() {
        let learned = learn(bao, token, records, &name, &stale).await?;
        stale.retain(|p| !learned.contains_key(p));
        env.hashes.extend(learned);
    }
    env.unknown = stale;
    Ok(env)
}

/// The kept digests of each environment, by name: loaded while the SCANs run, since they
/// do not depend on them. Only where `shared-value` can need them (a protected and an
/// unprotected environment both exist) and only when digests are kept at all.
pub(super) async fn kept_digests(
    how: Digests<'_>,
    envs: &[Environment],
) -> Result<BTreeMap<String, BTreeMap<String, digests::Entry>>, AppError> {
    let Digests::Kept { records, .. } = how else {
        return Ok(BTreeMap::new());
    };
    let both = envs.iter().any(|e| e.protected) && envs.iter().any(|e| !e.protected);
    if !both {
        return Ok(BTreeMap::new());
    }
    let names: Vec<EnvName> = envs.iter().map(|e| e.name.clone()).collect();
    stream::iter(names)
        .map(|name| async move {
            let kept = digests::load(records, &name).await?;
            Ok::<_, AppError>((name.to_string(), kept))
        })
        .buffer_unordered(FAN_OUT / 4)
        .try_collect()
        .await
}

/// Read the current values of `paths` once (with the caller's token), keep their digests,
/// and return them. A value the caller may not read stays unknown.
async fn learn(
    bao: &Bao,
    token: &SecretString,
    records: &Records,
    env: &EnvName,
    paths: &[String],
) -> Result<BTreeMap<String, String>, AppError> {
    let read: Vec<Option<Written>> = stream::iter(paths.to_vec())
        .map(|p| async move {
            let path = CredentialPath::parse(&p)?;
            match credentials::read_data(bao, token, env, &path, None).await {
                Ok((version, data)) => Ok(Some(Written {
                    path: p,
                    version,
                    value: digests::canonical(&data),
                })),
                Err(AppError::NotFound(..))
                | Err(AppError::Store(crate::bao::BaoError::Forbidden { .. })) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(FAN_OUT)
        .try_collect()
        .await?;
    let written: Vec<Written> = read.into_iter().flatten().collect();
    let kept = digests::keep(records, env, written).await?;
    Ok(kept.into_iter().map(|(p, e)| (p, e.digest)).collect())
}

/// `shared-value` compares protected with unprotected values: when either side holds no
/// live credential, no value needs reading.
fn values_needed(envs: &[EnvSnapshot]) -> bool {
    let live = |protected: bool| {
        envs.iter()
            .filter(|e| e.environment.protected == protected)
            .any(|e| e.credentials.iter().any(|c| !c.deleted))
    };
    live(true) && live(false)
}

pub(super) async fn all_metadata(
    bao: &Bao,
    token: &SecretString,
    envs: Vec<Environment>,
    now: OffsetDateTime,
) -> Result<Vec<EnvSnapshot>, AppError> {
    stream::iter(envs)
        .map(|env| env_metadata(bao, token, env, now))
        .buffer_unordered(FAN_OUT / 4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Adds the digests of values, when `shared-value` needs them. `kept`: what
/// [`kept_digests`] loaded (an environment missing there is loaded now).
pub(super) async fn hashes_if_needed(
    bao: &Bao,
    token: &SecretString,
    how: Digests<'_>,
    envs: Vec<EnvSnapshot>,
    mut kept: BTreeMap<String, BTreeMap<String, digests::Entry>>,
) -> Result<Vec<EnvSnapshot>, AppError> {
    if !values_needed(&envs) {
        return Ok(envs);
    }
    let envs: Vec<_> = envs
        .into_iter()
        .map(|env| {
            let own = kept.remove(env.environment.name.as_str());
            (env, own)
        })
        .collect();
    stream::iter(envs)
        .map(|(env, own)| async move {
            let own = match (own, how) {
                (Some(own), _) => own,
                (None, Digests::Kept { records, .. }) => {
                    digests::load(records, &env.environment.name).await?
                }
                (None, Digests::ReadAll) => BTreeMap::new(),
            };
            with_hashes(bao, token, how, env, own).await
        })
        .buffer_unordered(FAN_OUT / 4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Each environment's key states, by name: the whole-store lint's key rules need them;
/// a scoped lint runs only the credential rules and never lists keys.
async fn all_key_states(
    bao: &Bao,
    token: &SecretString,
    envs: &[Environment],
    now: OffsetDateTime,
) -> Result<BTreeMap<String, Vec<key_rules::KeyState>>, AppError> {
    let names: Vec<EnvName> = envs.iter().map(|e| e.name.clone()).collect();
    stream::iter(names)
        .map(|name| async move {
            let keys = key_states(bao, token, &name, now).await?;
            Ok::<_, AppError>((name.to_string(), keys))
        })
        .buffer_unordered(FAN_OUT / 4)
        .try_collect()
        .await
}

/// Each key's summary and the ciphertext counts Crypter keeps of it: records only, no
/// value is read. A caller who may not list the keys gets no key findings for them.
async fn key_states(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    now: OffsetDateTime,
) -> Result<Vec<key_rules::KeyState>, AppError> {
    let keys = match crate::keys::list(bao, token, env, now).await {
        Ok(keys) => keys,
        Err(AppError::Store(crate::bao::BaoError::Forbidden { .. })) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let states: Vec<Result<key_rules::KeyState, AppError>> = stream::iter(keys)
        .map(|summary| async move {
            let (usage, _) = crate::keys::record::usage(bao, token, env, &summary.name).await?;
            Ok(key_rules::KeyState {
                summary,
                ciphertexts: usage.places,
            })
        })
        .buffered(FAN_OUT)
        .collect()
        .await;
    states.into_iter().collect()
}

/// What the whole-store lint looks at. The environments' SCANs, their kept digests and
/// their keys do not depend on each other: they are asked for at once (OpenBao's bounded
/// queue keeps the total in check), so the lint takes about as long as its longest SCAN.
pub async fn snapshot(
    bao: &Bao,
    token: &SecretString,
    how: Digests<'_>,
    now: OffsetDateTime,
) -> Result<Snapshot, AppError> {
    let envs = environments::records(bao, token).await?;
    let (scanned, kept, mut keys) = tokio::try_join!(
        all_metadata(bao, token, envs.clone(), now),
        kept_digests(how, &envs),
        all_key_states(bao, token, &envs, now),
    )?;
    let envs = hashes_if_needed(bao, token, how, scanned, kept).await?;
    let mut environments: Vec<EnvSnapshot> = envs
        .into_iter()
        .map(|mut env| {
            env.keys = keys
                .remove(env.environment.name.as_str())
                .unwrap_or_default();
            env
        })
        .collect();
    environments.sort_by(|a, b| a.environment.name.cmp(&b.environment.name));
    Ok(Snapshot { environments })
}
