//! Environment lint: gather a snapshot of the store with the caller's token, then run
//! pure rule functions over it. Each rule is `fn(&Snapshot, now) -> Vec<LintFinding>`.

mod gather;
pub mod key_rules;
mod rules;

pub use gather::snapshot;
pub use rules::CREDENTIAL_RULES;

use crate::bao::Bao;
use crate::credentials;
use crate::environments;
use crate::error::AppError;
use crate::records::Records;
use crypter_api::{CredentialPath, CredentialSummary, EnvName, Environment, LintFinding};
use gather::{all_metadata, hashes_if_needed, kept_digests, PARTS};
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

/// How a run learns the values' digests.
#[derive(Clone, Copy)]
pub enum Digests<'a> {
    /// Read every live value and hash it in memory (no backend identity at hand: the CLI).
    ReadAll,
    /// The kept digests; `fill`: read the values of stale ones once and keep their
    /// digests (the full lint), otherwise report them unknown (a scoped lint).
    Kept { records: &'a Records, fill: bool },
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
    // The rules over roles and policies (`dangling-grant`, `policy-drift`) read their own
    // input with the caller's token, beside the snapshot; a caller who may not read roles
    // or policies gets the credential rules only.
    let roles = async {
        match crate::roles::lint::findings(bao, token).await {
            Err(AppError::Store(crate::bao::BaoError::Forbidden { .. })) => Ok(Vec::new()),
            other => other,
        }
    };
    let (snapshot, roles) = tokio::try_join!(snapshot(bao, token, how, now), roles)?;
    let mut findings = check(&snapshot, CREDENTIAL_RULES, now);
    findings.extend(check(&snapshot, key_rules::KEY_RULES, now));
    findings.extend(roles);
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
    let protected = own.protected;
    // A protected environment's values are compared with every unprotected one's: their
    // SCANs and the kept digests are asked for at once, beside its own.
    let others: Vec<Environment> = if protected {
        envs.into_iter().filter(|e| !e.protected).collect()
    } else {
        Vec::new()
    };
    let involved: Vec<Environment> = others.iter().chain([&own]).cloned().collect();
    let credentials = async {
        match &scope.path {
            Some(path) => Ok(vec![credentials::summary_of(bao, token, env, path).await?]),
            None => credentials::scan_in_parts(bao, token, env, now, PARTS).await,
        }
    };
    let (credentials, others, kept) = tokio::try_join!(
        credentials,
        all_metadata(bao, token, others, now),
        kept_digests(how, &involved),
    )?;
    let own = EnvSnapshot {
        environment: own,
        credentials,
        hashes: BTreeMap::new(),
        unknown: Vec::new(),
        keys: Vec::new(),
    };
    let mut environments = vec![own];
    if protected {
        environments.extend(others);
        environments = hashes_if_needed(bao, token, how, environments, kept).await?;
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
