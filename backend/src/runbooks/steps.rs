//! The automated steps: each calls the same engine as its endpoint, keeps the full JSON
//! result as evidence, and passes only when that evidence says so.

use super::changes;
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::FreezeTarget;
use crypter_api::StepState;
use crypter_api::{IdentityStatus, Runbook, Severity, ThawResult};
use secrecy::SecretString;
use serde_json::{json, Value};

/// Who runs a step (freezing needs the caller's policies to keep them exempt).
pub struct Actor<'a> {
    pub name: &'a str,
    pub policies: &'a [String],
    /// Where the changesets are read from (`--changesets-dir`), besides the uploads.
    pub changesets_dir: Option<&'a std::path::Path>,
    /// OpenBao's audit log, when this process reads it: the verify step lists the writes
    /// that got through the freeze.
    pub feed: Option<&'a crate::activity::AuditFeed>,
    /// The caller's identity entity: their jobs' owner markers go under it.
    pub entity_id: Option<&'a str>,
    /// Where the steps' jobs are kept.
    pub jobs: &'a crate::jobs::Jobs,
    /// Where the snapshot step keeps the store's snapshots.
    pub snapshots: super::SnapshotPlace<'a>,
}

pub struct Outcome {
    pub passed: bool,
    pub summary: String,
    pub evidence: Value,
    /// The plan changed after the go/no-go: its sign-off is void.
    pub void_signoff: bool,
}

impl Outcome {
    pub fn new(passed: bool, summary: String, evidence: Value) -> Self {
        Self {
            passed,
            summary,
            evidence,
            void_signoff: false,
        }
    }

    pub(super) fn error(e: &AppError) -> Self {
        let cause = e.cause_chain();
        let evidence = json!({ "error": cause });
        Self::new(false, format!("the engine refused: {cause}"), evidence)
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub async fn execute(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    run: &Runbook,
    step_id: &str,
) -> Outcome {
    let Some(i) = run.steps.iter().position(|s| s.step.id == step_id) else {
        return Outcome::new(false, "no such step".into(), Value::Null);
    };
    let step = &run.steps[i].step;
    let result = match step.kind.as_str() {
        "freeze" => freeze(bao, token, actor, run, step.params.get("level")).await,
        "verify_freeze" if step.params.get("expect").is_some_and(|e| e == "none") => {
            verify_thaw(bao, token, run, i).await
        }
        "verify_freeze" => verify_freeze(bao, token, actor).await,
        "snapshot" => super::snapshot::snapshot(bao, token, actor).await,
        "thaw" => thaw(bao, token, actor).await,
        "verify_identities" => identities(bao, token).await,
        "lint_environments" => lint(bao, token, actor, run, step.params.get("fail_on")).await,
        "cluster_health" => cluster(bao, token).await,
        "validate_changesets" => changes::validate(bao, token, actor, run).await,
        "plan_changesets" => changes::plan(bao, token, actor, run).await,
        "plan_rollback" => changes::plan_rollback(bao, token, actor, run).await,
        // It runs as a changeset job (see `run.rs`), never within a request.
        "apply_changesets" => Err(AppError::Internal(anyhow::anyhow!(
            "the apply step runs as a job"
        ))),
        other => Err(AppError::bad_request(
            ErrorCode::UnknownKind,
            format!("step kind {other:?} cannot be run"),
        )),
    };
    result.unwrap_or_else(|e| Outcome::error(&e))
}

async fn freeze(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    run: &Runbook,
    level: Option<&String>,
) -> Result<Outcome, AppError> {
    // The template's `level` is checked to be one of these when it is uploaded.
    let target = level
        .and_then(|l| FreezeTarget::parse(l))
        .unwrap_or(FreezeTarget::Provisioning);
    let reason = format!("runbook {}: {}", run.id, run.title);
    let who = crate::freeze::Actor {
        name: actor.name,
        policies: actor.policies,
    };
    let state = crate::freeze::freeze(bao, token, &who, target, &reason).await?;
    let passed = state.level == target.level();
    let summary = format!(
        "frozen at {}: {} policies rewritten, {} exempt",
        state.level,
        state.policies.len(),
        state.exempt.len()
    );
    Ok(Outcome::new(passed, summary, to_json(&state)))
}

async fn verify_freeze(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
) -> Result<Outcome, AppError> {
    let mut v = crate::freeze::verify::verify(bao, token, actor.name).await?;
    let writes: Vec<_> = v.probes.iter().filter(|p| p.expected == "denied").collect();
    let denied = writes.iter().filter(|p| p.got == "denied").count();
    let failed = v.probes.iter().filter(|p| p.status != "pass").count();
    // Any write probe that was not denied fails the step, whatever else held.
    let passed = v.verified && failed == 0 && denied == writes.len();
    let mut summary = format!(
        "{denied} of {} write probes denied, {failed} probes failed",
        writes.len()
    );
    if let Some(feed) = actor.feed {
        let (record, _) = crate::freeze::load_record(bao, token).await?;
        let patterns = record.patterns();
        let window = crate::activity::frozen::Window {
            level: record.level.as_str(),
            patterns: &patterns,
            since: record.since.as_deref(),
            until: None,
        };
        // Listed, not judged: a write by root or an operator is allowed, but it is shown.
        if let Ok(through) = crate::activity::frozen::list(feed, bao, token, &window).await {
            let applied: usize = through.applies.iter().map(|a| a.writes.len()).sum();
            summary.push_str(&format!(
                "; {} write(s) got through the freeze ({applied} more by apply jobs)",
                through.writes.len()
            ));
            v.writes_through_freeze = Some(through);
        }
    }
    Ok(Outcome::new(passed, summary, to_json(&v)))
}

async fn thaw(bao: &Bao, token: &SecretString, actor: &Actor<'_>) -> Result<Outcome, AppError> {
    let r = crate::freeze::thaw(bao, token, actor.name, Default::default()).await?;
    let matching = r.restored.iter().filter(|p| p.matches_snapshot).count();
    let passed = r.state.level == "none" && matching == r.restored.len();
    let summary = format!(
        "thawed: {matching} of {} restored policies match their snapshot",
        r.restored.len()
    );
    Ok(Outcome::new(passed, summary, to_json(&r)))
}

/// Verify the thaw: the store is not frozen, and the run's thaw restored every policy to
/// its snapshot checksum.
async fn verify_thaw(
    bao: &Bao,
    token: &SecretString,
    run: &Runbook,
    i: usize,
) -> Result<Outcome, AppError> {
    let (record, _) = crate::freeze::load_record(bao, token).await?;
    let state = record.to_state();
    let thaw: Option<ThawResult> = run.steps[..i]
        .iter()
        .rev()
        .find(|s| s.step.kind == "thaw" && s.state == StepState::Passed)
        .and_then(|s| s.evidence.clone())
        .and_then(|e| serde_json::from_value(e).ok());
    let (restored, matching) = thaw.as_ref().map_or((0, 0), |t| {
        (
            t.restored.len(),
            t.restored.iter().filter(|p| p.matches_snapshot).count(),
        )
    });
    let passed = state.level == "none" && thaw.is_some() && matching == restored;
    let summary = match &thaw {
        None => format!("freeze level {}; no passed thaw in this run", state.level),
        Some(_) => format!(
            "freeze level {}; {matching} of {restored} restored policies match their snapshot",
            state.level
        ),
    };
    let evidence = json!({ "state": state, "thaw": thaw });
    Ok(Outcome::new(passed, summary, evidence))
}

async fn identities(bao: &Bao, token: &SecretString) -> Result<Outcome, AppError> {
    let r = crate::roles::identity::check_all(bao, token).await?;
    let ok = r
        .results
        .iter()
        .filter(|i| i.status == IdentityStatus::Ok)
        .count();
    let summary = format!(
        "{ok} of {} identities ok, {} deprecated login methods enabled",
        r.results.len(),
        r.deprecated_enabled.len()
    );
    Ok(Outcome::new(r.ok, summary, to_json(&r)))
}

async fn lint(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    run: &Runbook,
    fail_on: Option<&String>,
) -> Result<Outcome, AppError> {
    let threshold = match fail_on.map(String::as_str) {
        Some("warning") => Severity::Warning,
        Some("info") => Severity::Info,
        _ => Severity::Error,
    };
    let how = match actor.jobs.records() {
        Some(records) => crate::lint::Digests::Kept {
            records,
            fill: true,
        },
        None => crate::lint::Digests::ReadAll,
    };
    let findings: Vec<_> = crate::lint::run(bao, token, how)
        .await?
        .into_iter()
        .filter(|f| {
            f.environment
                .as_ref()
                .is_none_or(|e| run.environments.contains(e))
        })
        .collect();
    let failing = findings.iter().filter(|f| f.severity >= threshold).count();
    let summary = format!(
        "{} findings in {}, {failing} at {threshold:?} or worse",
        findings.len(),
        run.environments.join(", ")
    )
    .to_lowercase();
    Ok(Outcome::new(
        failing == 0,
        summary,
        json!({ "findings": findings }),
    ))
}

async fn cluster(bao: &Bao, token: &SecretString) -> Result<Outcome, AppError> {
    // A live health check of every node now, not the last one the loop made.
    bao.check_nodes().await;
    let v = crate::cluster::view(bao, token).await?;
    let healthy = v.nodes.iter().filter(|n| n.healthy).count();
    let summary = format!(
        "{healthy} of {} nodes healthy, leader {}",
        v.nodes.len(),
        v.leader.as_deref().unwrap_or("unknown")
    );
    Ok(Outcome::new(v.healthy, summary, to_json(&v)))
}
