//! Environment lint: gather a snapshot of the store with the caller's token, then run
//! pure rule functions over it. Each rule is `fn(&Snapshot, now) -> Vec<LintFinding>`.

pub mod key_rules;
mod rules;

pub use rules::CREDENTIAL_RULES;

use crate::bao::Bao;
use crate::credentials::{self, digests, digests::Written};
use crate::environments::{self, FAN_OUT};
use crate::error::AppError;
use crate::records::Records;
use crypter_api::{CredentialPath, CredentialSummary, EnvName, Environment, LintFinding};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use secrecy::SecretString;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// What one environment holds, as the rules see it.
#[derive(Debug, Clone)]
pub struct EnvSnapshot {
    pub environment: Environment,
    pub credentials: Vec<CredentialSummary>,
    /// A digest of each live credential's current value, by path: the keyed digest kept
    /// by Crypter, or (without the backend's records) a hash made in memory for this run.
    pub hashes: BTreeMap<String, String>,
    /// Live credentials whose value has no current digest (written outside Crypter since
    /// their last digest): `shared-value` cannot say whether they are shared.
    pub unknown: Vec<String>,
    /// The environment's keys with their known ciphertext counts (none when the caller
    /// may not list them).
    pub keys: Vec<key_rules::KeyState>,
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub environments: Vec<EnvSnapshot>,
}

pub type Rule = fn(&Snapshot, OffsetDateTime) -> Vec<LintFinding>;

/// An environment's credentials, without hashes yet.
async fn env_metadata(
    bao: &Bao,
    token: &SecretString,
    environment: Environment,
    now: OffsetDateTime,
) -> Result<EnvSnapshot, AppError> {
    let name = environment.name.clone();
    let credentials = credentials::scan(bao, token, &name, now).await?;
    Ok(EnvSnapshot {
        environment,
        credentials,
        hashes: BTreeMap::new(),
        unknown: Vec::new(),
        keys: Vec::new(),
    })
}

/// How a run learns the values' digests.
#[derive(Clone, Copy)]
pub enum Digests<'a> {
    /// Read every live value and hash it in memory (no backend identity at hand: the CLI).
    ReadAll,
    /// The kept digests; `fill`: read the values of stale ones once and keep their
    /// digests (the full lint), otherwise report them unknown (a scoped lint).
    Kept { records: &'a Records, fill: bool },
}

/// The digests of every live credential's current value, for `shared-value`.
async fn with_hashes(
    bao: &Bao,
    token: &SecretString,
    how: Digests<'_>,
    mut env: EnvSnapshot,
) -> Result<EnvSnapshot, AppError> {
    let name = env.environment.name.clone();
    let live = env.credentials.iter().filter(|c| !c.deleted);
    let Digests::Kept { records, fill } = how else {
        let paths = live.map(|c| c.path.clone()).collect();
        env.hashes = credentials::hashes(bao, token, &name, paths).await?;
        return Ok(env);
    };
    let kept = digests::load(records, &name).await?;
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

async fn all_metadata(
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

/// Adds the digests of values, when `shared-value` needs them.
async fn hashes_if_needed(
    bao: &Bao,
    token: &SecretString,
    how: Digests<'_>,
    envs: Vec<EnvSnapshot>,
) -> Result<Vec<EnvSnapshot>, AppError> {
    if !values_needed(&envs) {
        return Ok(envs);
    }
    stream::iter(envs)
        .map(|env| with_hashes(bao, token, how, env))
        .buffer_unordered(FAN_OUT / 4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Adds each environment's key states: the whole-store lint's key rules need them; a
/// scoped lint runs only the credential rules and never lists keys.
async fn with_keys(
    bao: &Bao,
    token: &SecretString,
    envs: Vec<EnvSnapshot>,
    now: OffsetDateTime,
) -> Result<Vec<EnvSnapshot>, AppError> {
    stream::iter(envs)
        .map(|mut env| async move {
            let name = env.environment.name.clone();
            env.keys = key_states(bao, token, &name, now).await?;
            Ok(env)
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

pub async fn snapshot(
    bao: &Bao,
    token: &SecretString,
    how: Digests<'_>,
    now: OffsetDateTime,
) -> Result<Snapshot, AppError> {
    let envs = environments::records(bao, token).await?;
    let envs = all_metadata(bao, token, envs, now).await?;
    let envs = hashes_if_needed(bao, token, how, envs).await?;
    let mut environments = with_keys(bao, token, envs, now).await?;
    environments.sort_by(|a, b| a.environment.name.cmp(&b.environment.name));
    Ok(Snapshot { environments })
}

/// Runs the rules over a snapshot; findings sorted by severity (worst first), then place.
pub fn check(snapshot: &Snapshot, rules: &[Rule], now: OffsetDateTime) -> Vec<LintFinding> {
    let mut findings: Vec<LintFinding> = rules.iter().flat_map(|r| r(snapshot, now)).collect();
    sort(&mut findings);
    findings
}

fn sort(findings: &mut [LintFinding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.environment.cmp(&b.environment))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.rule.cmp(&b.rule))
    });
}

/// `GET /api/v1/lint`: every rule.
pub async fn run(
    bao: &Bao,
    token: &SecretString,
    how: Digests<'_>,
) -> Result<Vec<LintFinding>, AppError> {
    run_at(bao, token, how, OffsetDateTime::now_utc()).await
}

/// [`run`]'s reads of values (to find shared ones) are the lint's, not reveals.
fn marked(bao: &Bao) -> Bao {
    bao.with_purpose(crate::bao::Purpose::Lint)
}

/// [`run`] as if it were `now`, so tests can look into the future.
pub async fn run_at(
    bao: &Bao,
    token: &SecretString,
    how: Digests<'_>,
    now: OffsetDateTime,
) -> Result<Vec<LintFinding>, AppError> {
    let bao = &marked(bao);
    let snapshot = snapshot(bao, token, how, now).await?;
    let mut findings = check(&snapshot, CREDENTIAL_RULES, now);
    findings.extend(check(&snapshot, key_rules::KEY_RULES, now));
    // The rules over roles and policies (`dangling-grant`, `policy-drift`) read their own
    // input with the caller's token; a caller who may not read roles or policies gets the
    // credential rules only.
    match crate::roles::lint::findings(bao, token).await {
        Ok(more) => findings.extend(more),
        Err(AppError::Store(crate::bao::BaoError::Forbidden { .. })) => {}
        Err(e) => return Err(e),
    }
    sort(&mut findings);
    Ok(findings)
}

/// What a scoped lint looks at: one environment, or one credential in it.
#[derive(Debug, Clone)]
pub struct Scope {
    pub environment: EnvName,
    pub path: Option<CredentialPath>,
}

/// The credential rules over one environment (or one credential), reading only what they
/// need: values only when the environment is protected (a `shared-value` finding is
/// reported on the protected copy), and then those of the unprotected environments too.
/// Findings about roles and policies are not about one environment: ask the full lint.
pub async fn run_scoped(
    bao: &Bao,
    token: &SecretString,
    how: Digests<'_>,
    scope: &Scope,
    now: OffsetDateTime,
) -> Result<Vec<LintFinding>, AppError> {
    let bao = &marked(bao);
    let env = &scope.environment;
    let envs = environments::records(bao, token).await?;
    let Some(own) = envs.iter().find(|e| e.name == env.as_str()).cloned() else {
        return Err(environments::not_found(env));
    };
    let credentials = match &scope.path {
        Some(path) => vec![credentials::summary_of(bao, token, env, path).await?],
        None => credentials::scan(bao, token, env, now).await?,
    };
    let protected = own.protected;
    let own = EnvSnapshot {
        environment: own,
        credentials,
        hashes: BTreeMap::new(),
        unknown: Vec::new(),
        keys: Vec::new(),
    };
    let mut environments = vec![own];
    if protected {
        let others: Vec<Environment> = envs.into_iter().filter(|e| !e.protected).collect();
        environments.extend(all_metadata(bao, token, others, now).await?);
        environments = hashes_if_needed(bao, token, how, environments).await?;
    }
    let mut findings = check(&Snapshot { environments }, CREDENTIAL_RULES, now);
    findings.retain(|f| {
        f.environment.as_deref() == Some(env.as_str())
            && scope
                .path
                .as_ref()
                .is_none_or(|p| f.path.as_deref() == Some(p.as_str()))
    });
    Ok(findings)
}
