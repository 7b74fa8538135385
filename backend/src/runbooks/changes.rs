//! The changeset steps, over the changesets engine (`crate::changesets`): validate the
//! checksums, plan, and apply exactly the plan that was signed off.

use super::steps::{Actor, Outcome};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{ChangesetState, JobProgress, JobState, Runbook};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::fmt::Write;

fn outside(run: &Runbook, env: Option<&str>) -> bool {
    env.is_some_and(|e| !run.environments.iter().any(|r| r == e))
}

/// No changeset may have changed since it ran, failed, or fail to parse.
pub async fn validate(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    run: &Runbook,
) -> Result<Outcome, AppError> {
    let all = crate::changesets::status(bao, token, actor.changesets_dir).await?;
    let bad: Vec<String> = all
        .iter()
        .filter(|c| {
            !matches!(
                c.status,
                ChangesetState::Pending | ChangesetState::Applied | ChangesetState::Accepted
            )
        })
        .map(|c| format!("{} is {}", c.id, c.status))
        .collect();
    let pending = all
        .iter()
        .filter(|c| c.status == ChangesetState::Pending)
        .count();
    let summary = if bad.is_empty() {
        format!(
            "{} changesets, checksums valid, {pending} pending",
            all.len()
        )
    } else {
        format!("{} changesets: {}", all.len(), bad.join(", "))
    };
    let _ = run;
    Ok(Outcome::new(
        bad.is_empty(),
        summary,
        json!({ "changesets": all }),
    ))
}

/// A dry run. Passes when nothing blocks it; changesets aimed outside the run's
/// environments are named in the summary for the go/no-go.
pub async fn plan(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    run: &Runbook,
) -> Result<Outcome, AppError> {
    let made = crate::changesets::plan(bao, token, actor.changesets_dir).await?;
    // The complete item list is evidence too: kept in the store, in chunks, by its hash.
    crate::changesets::keep(bao, token, &made).await?;
    let plan = &made.view;
    let strays: Vec<&str> = plan
        .changesets
        .iter()
        .filter(|c| outside(run, Some(&c.environment)))
        .map(|c| c.id.as_str())
        .collect();
    let mut summary = format!(
        "plan {}: {} changesets, {} items ({}), {} warnings",
        plan.plan_hash,
        plan.changesets.len(),
        made.items.len(),
        counts_text(&plan.counts),
        plan.warnings.len()
    );
    if !plan.blockers.is_empty() {
        let _ = write!(summary, "; blocked: {}", plan.blockers.join("; "));
    }
    if !strays.is_empty() {
        let _ = write!(
            summary,
            "; outside this run's environments: {}",
            strays.join(", ")
        );
    }
    let passed = plan.blockers.is_empty();
    let mut evidence = serde_json::to_value(plan).unwrap_or(Value::Null);
    evidence["items_kept"] = json!(format!(
        "all {} items are kept with the plan; GET /api/v1/changesets/plans/{}/items",
        made.items.len(),
        plan.plan_hash
    ));
    Ok(Outcome::new(passed, summary, evidence))
}

/// The roll back: the inverse plan of every changeset this run applied, the last first,
/// from the restore points made before its apply. Kept in the store like a plan. Passes
/// when nothing but conflicts stands in its way (each is left as it is, and listed).
pub async fn plan_rollback(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    run: &Runbook,
) -> Result<Outcome, AppError> {
    let all = crate::changesets::status(bao, token, actor.changesets_dir).await?;
    let mut ids: Vec<String> = all
        .into_iter()
        .filter(|c| c.runbook_run.as_deref() == Some(run.id.as_str()))
        .filter(|c| c.status == ChangesetState::Applied)
        .map(|c| c.id)
        .collect();
    if ids.is_empty() {
        return Ok(Outcome::new(
            false,
            "this run applied no changeset: there is nothing to roll back; skip the roll back \
             steps"
                .into(),
            json!({ "rollback_of": [] }),
        ));
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let made = crate::changesets::undo_all(bao, token, &ids).await?;
    let plan = &made.view;
    let conflicts = plan.counts.get("conflict").copied().unwrap_or(0);
    let mut summary = format!(
        "roll back plan {}: undo of {}, {} items ({}), {conflicts} conflict(s) left as they are",
        plan.plan_hash,
        ids.join(", "),
        made.items.len(),
        counts_text(&plan.counts)
    );
    if !plan.blockers.is_empty() {
        let _ = write!(summary, "; blocked: {}", plan.blockers.join("; "));
    }
    let mut evidence = serde_json::to_value(plan).unwrap_or(Value::Null);
    evidence["rollback_of"] = json!(ids);
    evidence["conflicts"] = json!(made
        .items
        .iter()
        .filter(|i| i.action == crypter_api::ItemAction::Conflict)
        .map(|i| format!(
            "{}: {}",
            i.target.label(),
            i.reason.as_deref().unwrap_or("")
        ))
        .collect::<Vec<_>>());
    Ok(Outcome::new(plan.blockers.is_empty(), summary, evidence))
}

/// `5 create, 2 skip`, kinds in order.
fn counts_text(counts: &crypter_api::ItemCounts) -> String {
    if counts.is_empty() {
        return "nothing to do".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plan hash of the sign-off of the last gate before step `i`.
pub fn signed_plan(run: &Runbook, i: usize) -> Option<String> {
    run.steps[..i]
        .iter()
        .rev()
        .find(|s| s.step.gate)
        .and_then(|s| s.signoff.as_ref())
        .and_then(|s| s.plan_hash.clone())
}

/// The apply could not start (or resume): why, as the step's outcome. A changed plan
/// voids the sign-off.
pub fn refused(plan_hash: &str, e: AppError) -> Outcome {
    match e {
        AppError::ConflictDetails {
            code: ErrorCode::PlanChanged,
            message,
            details,
        } => {
            let mut o = Outcome::new(
                false,
                format!("refused: the plan changed after the sign-off on {plan_hash}; re-plan and sign off again"),
                json!({ "error": message, "signed_plan_hash": plan_hash, "current": details }),
            );
            o.void_signoff = true;
            o
        }
        other => Outcome::error(&other),
    }
}

/// The apply step's outcome once its job ended: passed when the job is done.
pub async fn apply_outcome(
    bao: &Bao,
    token: &SecretString,
    dir: Option<&std::path::Path>,
    run_id: &str,
    plan_hash: &str,
    job: &JobProgress,
) -> Outcome {
    let done = job.state == JobState::Done;
    let applied: Vec<Value> = match crate::changesets::status(bao, token, dir).await {
        Ok(all) => all
            .into_iter()
            .filter(|c| c.runbook_run.as_deref() == Some(run_id))
            .filter_map(|c| serde_json::to_value(c).ok())
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e.cause_chain(), "reading the changesets' status for the apply step");
            Vec::new()
        }
    };
    let summary = format!(
        "plan {plan_hash}: job {} {}, {} of {} items, {} changesets applied",
        job.id,
        job.state,
        job.done,
        job.total,
        applied.len()
    );
    Outcome::new(
        done,
        summary,
        json!({ "plan_hash": plan_hash, "job": job, "changesets": applied }),
    )
}

/// The changeset steps' evidence in the report: changesets with checksums, the plan hash.
pub fn report(md: &mut String, kind: &str, e: &Value) {
    if let Some(h) = e.get("plan_hash").and_then(Value::as_str) {
        let _ = writeln!(md, "- Plan hash: `{h}`");
    }
    if let Some(j) = e.get("job").filter(|j| j.is_object()) {
        let _ = writeln!(
            md,
            "- Job `{}`: {}, {} of {} items",
            j["id"].as_str().unwrap_or("-"),
            j["state"].as_str().unwrap_or("-"),
            j["done"],
            j["total"]
        );
    }
    let list = e
        .get("changesets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for c in list {
        let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("-").to_owned();
        let _ = writeln!(
            md,
            "  - changeset `{}` → {} ({}), checksum `{}`",
            s("id"),
            s("environment"),
            s("status"),
            s("checksum")
        );
        if kind == "plan_changesets" {
            for o in c
                .get("operations")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let counts: crypter_api::ItemCounts =
                    serde_json::from_value(o["counts"].clone()).unwrap_or_default();
                let _ = writeln!(
                    md,
                    "    - {}: {}",
                    o["op"].as_str().unwrap_or("-"),
                    counts_text(&counts)
                );
            }
        }
    }
    if let Some(w) = e.get("warnings").and_then(Value::as_array) {
        for w in w {
            let _ = writeln!(
                md,
                "  - warning {}: {}",
                w["code"].as_str().unwrap_or("-"),
                w["message"].as_str().unwrap_or("-").replace('|', "\\|")
            );
        }
    }
}
