//! Environment lint: gather a snapshot of the store with the caller's token, then run
//! pure rule functions over it. Each rule is `fn(&Snapshot, now) -> Vec<LintFinding>`.

mod rules;

pub use rules::CREDENTIAL_RULES;

use crate::bao::Bao;
use crate::credentials;
use crate::environments::{self, FAN_OUT};
use crate::error::AppError;
use crypter_api::{CredentialSummary, EnvName, Environment, LintFinding};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// What one environment holds, as the rules see it.
#[derive(Debug, Clone)]
pub struct EnvSnapshot {
    pub environment: Environment,
    pub credentials: Vec<CredentialSummary>,
    /// SHA-256 of each live credential's current value, by path.
    pub hashes: BTreeMap<String, String>,
    /// The environment's keys with their known ciphertext counts (none when the caller
    /// may not list them).
    pub keys: Vec<crate::keys::lint::KeyState>,
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub environments: Vec<EnvSnapshot>,
}

pub type Rule = fn(&Snapshot, OffsetDateTime) -> Vec<LintFinding>;

async fn env_snapshot(
    bao: &Bao,
    token: &SecretString,
    environment: Environment,
    now: OffsetDateTime,
) -> Result<EnvSnapshot, AppError> {
    let name = EnvName::parse(&environment.name)?;
    let credentials = credentials::scan(bao, token, &name, now).await?;
    let live = credentials
        .iter()
        .filter(|c| !c.deleted)
        .map(|c| c.path.clone())
        .collect();
    let hashes = credentials::hashes(bao, token, &name, live).await?;
    let keys = key_states(bao, token, &name, now).await?;
    Ok(EnvSnapshot {
        environment,
        credentials,
        hashes,
        keys,
    })
}

/// Each key's summary and the ciphertext counts Crypter keeps of it: records only, no
/// value is read. A caller who may not list the keys gets no key findings for them.
async fn key_states(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    now: OffsetDateTime,
) -> Result<Vec<crate::keys::lint::KeyState>, AppError> {
    let keys = match crate::keys::list(bao, token, env, now).await {
        Ok(keys) => keys,
        Err(AppError::Store(crate::bao::BaoError::Forbidden { .. })) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let states: Vec<Result<crate::keys::lint::KeyState, AppError>> = stream::iter(keys)
        .map(|summary| async move {
            let (usage, _) = crate::keys::record::usage(bao, token, env, &summary.name).await?;
            Ok(crate::keys::lint::KeyState {
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
    now: OffsetDateTime,
) -> Result<Snapshot, AppError> {
    let envs = environments::records(bao, token).await?;
    let mut environments: Vec<EnvSnapshot> = stream::iter(envs)
        .map(|env| env_snapshot(bao, token, env, now))
        .buffer_unordered(FAN_OUT / 4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
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
pub async fn run(bao: &Bao, token: &SecretString) -> Result<Vec<LintFinding>, AppError> {
    run_at(bao, token, OffsetDateTime::now_utc()).await
}

/// [`run`]'s reads of values (to find shared ones) are the lint's, not reveals.
fn marked(bao: &Bao) -> Bao {
    bao.with_purpose(crate::bao::Purpose::Lint)
}

/// [`run`] as if it were `now`, so tests can look into the future.
pub async fn run_at(
    bao: &Bao,
    token: &SecretString,
    now: OffsetDateTime,
) -> Result<Vec<LintFinding>, AppError> {
    let bao = &marked(bao);
    let snapshot = snapshot(bao, token, now).await?;
    let mut findings = check(&snapshot, CREDENTIAL_RULES, now);
    findings.extend(check(&snapshot, crate::keys::lint::KEY_RULES, now));
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
