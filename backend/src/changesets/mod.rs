//! Changesets: checksummed, planned, locked and resumable migrations of the store.
//!
//! The public API, used by the routes, the CLI and the runbooks:
//! - [`status`]: every changeset with its status (pending, applied, changed, accepted, failed);
//! - [`plan`]: a dry run that writes nothing, with counts, warnings and a `plan_hash`;
//! - [`apply`]: checks the `plan_hash` against a fresh plan, takes the lock and starts a job;
//! - [`job`] / [`wait`]: the job's progress.

pub mod changelog;
pub mod checksum;
pub mod format;
pub mod jobs;
pub mod kv;
pub mod lock;
pub mod plan;
mod run;
pub mod source;

use crate::bao::Bao;
use crate::error::AppError;
use crate::freeze;
use crypter_api::{
    ApplyRequest, ChangesetCursor, ChangesetLock, ChangesetPlan, ChangesetStatus, JobProgress,
    PlanWarning, PlannedChangeset,
};
use format::Changeset;
use plan::{Ctx, OpPlan};
use secrecy::SecretString;
use serde_json::json;
use std::path::Path;

/// One changeset that apply would run, with its operations' items.
pub struct Work {
    pub cs: Changeset,
    pub checksum: String,
    pub text: String,
    pub ops: Vec<OpPlan>,
    /// Where a failed (or killed) earlier apply stopped.
    pub resume: Option<ChangesetCursor>,
}

/// A plan: what the console shows (`view`), and the work apply runs.
pub struct Plan {
    pub view: ChangesetPlan,
    pub work: Vec<Work>,
}

/// The answer to [`apply`]: the job, and the live lock holder it replaced (when forced).
pub struct Started {
    pub job_id: String,
    pub taken_over_from: Option<ChangesetLock>,
}

/// Every changeset (the folder read afresh, plus uploads) with its status, in order of id.
pub async fn status(
    bao: &Bao,
    token: &SecretString,
    dir: Option<&Path>,
) -> Result<Vec<ChangesetStatus>, AppError> {
    let loaded = source::load(bao, token, dir).await?;
    let applying = lock::read(bao, token).await?.is_some_and(|(l, _)| !l.stale);
    let mut out = Vec::with_capacity(loaded.len());
    for l in &loaded {
        let record = match &l.parsed {
            Ok(cs) => changelog::load(bao, token, &cs.id).await?,
            Err(_) => None,
        };
        out.push(changelog::status_of(l, record.as_ref(), applying));
    }
    Ok(out)
}

fn warning(changeset: &str, code: &str, message: String) -> PlanWarning {
    PlanWarning {
        changeset: changeset.into(),
        operation: None,
        code: code.into(),
        message,
    }
}

/// A dry run against the live store: reads only. Its value reads are marked as the plan's
/// (`X-Crypter-Purpose: plan`), so the activity feed never shows them as reveals.
pub async fn plan(bao: &Bao, token: &SecretString, dir: Option<&Path>) -> Result<Plan, AppError> {
    let bao = &bao.with_purpose(crate::bao::Purpose::Plan);
    let loaded = source::load(bao, token, dir).await?;
    let (freeze_record, _) = freeze::load_record(bao, token).await?;
    let frozen = freeze_record.level.as_str();
    let mut view = ChangesetPlan {
        plan_hash: String::new(),
        changesets: Vec::new(),
        warnings: Vec::new(),
        blockers: Vec::new(),
    };
    let mut work = Vec::new();
    let planned_roles = plan::PlannedRoles::default();
    for l in &loaded {
        let record = match &l.parsed {
            Ok(cs) => changelog::load(bao, token, &cs.id).await?,
            Err(_) => None,
        };
        let st = changelog::status_of(l, record.as_ref(), false);
        let cs = match (&l.parsed, st.status.as_str()) {
            (Err(e), _) => {
                view.warnings.push(warning(&st.id, "invalid", e.clone()));
                view.blockers
                    .push(format!("{} does not parse: fix it first", l.file));
                continue;
            }
            (Ok(_), "changed") => {
                view.warnings.push(warning(
                    &st.id,
                    "changed",
                    format!(
                        "{} was edited after it was applied (checksum {} was applied); see its diff",
                        st.id,
                        st.applied_checksum.clone().unwrap_or_default()
                    ),
                ));
                view.blockers.push(format!(
                    "{} is changed: revert the edit, or add its new checksum {} to valid_checksums with a reason",
                    st.id,
                    st.checksum.clone().unwrap_or_default()
                ));
                continue;
            }
            (Ok(_), "applied" | "accepted") => continue,
            (Ok(cs), _) => cs,
        };
        if let Some(level) = &cs.requires_freeze {
            let ok = frozen == level || (level == "provisioning" && frozen == "full");
            if !ok {
                view.warnings.push(warning(
                    &cs.id,
                    "freeze_missing",
                    format!("{} requires a `{level}` freeze, but the store's freeze is `{frozen}`; freeze first", cs.id),
                ));
                view.blockers
                    .push(format!("{} needs a `{level}` freeze", cs.id));
            }
        }
        if let Ok(env) = crate::environments::record(bao, token, &cs.environment).await {
            if env.protected {
                view.warnings.push(warning(
                    &cs.id,
                    "protected_environment",
                    format!("the target environment {} is protected", cs.environment),
                ));
            }
        }
        let ctx = Ctx {
            bao,
            token,
            cs,
            roles: &planned_roles,
        };
        let mut ops = Vec::new();
        for (i, op) in cs.operations.iter().enumerate() {
            let p = plan::plan_operation(&ctx, i, op).await?;
            view.warnings.extend(p.warnings.iter().cloned());
            if p.view.conflict > 0 {
                view.blockers.push(format!(
                    "{} operation {} ({}) has {} conflict(s)",
                    cs.id,
                    i + 1,
                    p.view.op,
                    p.view.conflict
                ));
            }
            ops.push(p);
        }
        let sum = checksum::checksum(cs);
        view.changesets.push(PlannedChangeset {
            id: cs.id.clone(),
            checksum: sum.clone(),
            environment: cs.environment.to_string(),
            status: st.status.clone(),
            operations: ops.iter().map(|o| o.view.clone()).collect(),
        });
        work.push(Work {
            cs: cs.clone(),
            checksum: sum,
            text: l.text.clone(),
            ops,
            resume: st.cursor.clone(),
        });
    }
    let hashed = json!({
        "changesets": view.changesets, "warnings": view.warnings, "blockers": view.blockers,
    });
    view.plan_hash = checksum::sha256_prefixed(&checksum::canonical_json(&hashed));
    Ok(Plan { view, work })
}

/// Apply the plan that hashes to `req.plan_hash`: 409 when a fresh plan differs or cannot
/// run; takes the lock (409 naming the holder); returns at once with the job's id.
pub async fn apply(
    bao: &Bao,
    token: &SecretString,
    dir: Option<&Path>,
    actor: &str,
    req: &ApplyRequest,
    runbook_run: Option<String>,
) -> Result<Started, AppError> {
    if req.force && req.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(AppError::bad_request(
            "reason_required",
            "taking the changesets lock over by force needs a reason; it is recorded",
        ));
    }
    // The lock first, then the fresh plan: nothing else can apply between the check and the run.
    let job_id = jobs::new_id();
    // Every request the apply makes carries its job: the Freeze page lists its writes
    // apart from writes that got through the freeze otherwise.
    let bao = &bao.with_purpose(crate::bao::Purpose::Apply(job_id.clone()));
    let (version, taken_over_from) = lock::acquire(bao, token, actor, &job_id, req.force).await?;
    let fresh = match checked_plan(bao, token, dir, &req.plan_hash).await {
        Ok(p) => p,
        Err(e) => {
            lock::release(bao, token).await?;
            return Err(e);
        }
    };
    let total = fresh
        .work
        .iter()
        .flat_map(|w| w.ops.iter())
        .flat_map(|o| o.items.iter())
        .filter(|i| !matches!(i.action, plan::Action::None))
        .count() as u64;
    let job = jobs::start(&job_id, total);
    tokio::spawn(run::run(
        run::Runner {
            bao: bao.clone(),
            token: token.clone(),
            actor: actor.to_owned(),
            runbook_run,
            job,
            lock_version: version,
        },
        fresh.work,
    ));
    Ok(Started {
        job_id,
        taken_over_from,
    })
}

/// A fresh plan that may run and hashes to `plan_hash`, or the 409 that says why not.
async fn checked_plan(
    bao: &Bao,
    token: &SecretString,
    dir: Option<&Path>,
    plan_hash: &str,
) -> Result<Plan, AppError> {
    let fresh = plan(bao, token, dir).await?;
    if !fresh.view.blockers.is_empty() {
        return Err(AppError::ConflictDetails {
            code: "plan_blocked",
            message: format!("apply refused: {}", fresh.view.blockers.join("; ")),
            details: json!({ "blockers": fresh.view.blockers }),
        });
    }
    if fresh.view.plan_hash != plan_hash {
        return Err(AppError::ConflictDetails {
            code: "plan_changed",
            message: "the plan changed since it was made (the store or the changesets moved); \
                      review the new plan and apply that one"
                .into(),
            details: json!({ "plan_hash": fresh.view.plan_hash }),
        });
    }
    Ok(fresh)
}

pub fn job(id: &str) -> Option<JobProgress> {
    jobs::get(id)
}

/// Wait until the job ends (for the CLI and the runbooks); `None` for an unknown job.
pub async fn wait(id: &str) -> Option<JobProgress> {
    loop {
        let p = jobs::get(id)?;
        if p.state != "running" {
            return Some(p);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
