//! The changeset steps, over the changesets engine (`crate::changesets`): validate the
//! checksums, plan, and apply exactly the plan that was signed off.

use super::steps::{Actor, Outcome};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::{ApplyRequest, ChangesetState, JobState, Runbook};
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

/// Apply the plan hash of the sign-off. A changed plan voids the sign-off.
pub async fn apply(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    run: &Runbook,
    signed: Option<String>,
) -> Result<Outcome, AppError> {
    let Some(plan_hash) = signed else {
        return Ok(Outcome::new(
            false,
            "no signed-off plan: sign off the go/no-go on a plan first".into(),
            json!({ "error": "no signed-off plan_hash" }),
        ));
    };
    let req = ApplyRequest {
        plan_hash: plan_hash.clone(),
        force: false,
        reason: None,
    };
    let dir = actor.changesets_dir;
    let started =
        crate::changesets::apply(bao, token, dir, actor.name, &req, Some(run.id.clone())).await;
    let started = match started {
        Ok(s) => s,
        Err(AppError::ConflictDetails {
            code: "plan_changed",
            message,
            details,
        }) => {
            let mut o = Outcome::new(
                false,
                format!("refused: the plan changed after the sign-off on {plan_hash}; re-plan and sign off again"),
                json!({ "error": message, "signed_plan_hash": plan_hash, "current": details }),
            );
            o.void_signoff = true;
            return Ok(o);
        }
        Err(e) => return Err(e),
    };
    let job = crate::changesets::wait(&started.job_id).await;
    let done = job.as_ref().is_some_and(|j| j.state == JobState::Done);
    let applied: Vec<Value> = crate::changesets::status(bao, token, dir)
        .await?
        .into_iter()
        .filter(|c| c.runbook_run.as_deref() == Some(run.id.as_str()))
        .filter_map(|c| serde_json::to_value(c).ok())
        .collect();
    let summary = match &job {
        Some(j) => format!(
            "plan {plan_hash}: job {} {}, {} of {} items, {} changesets applied",
            j.id,
            j.state,
            j.done,
            j.total,
            applied.len()
        ),
        None => format!("plan {plan_hash}: the job {} was lost", started.job_id),
    };
    Ok(Outcome::new(
        done,
        summary,
        json!({ "plan_hash": plan_hash, "job": job, "changesets": applied }),
    ))
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
