//! Changesets: checksummed, planned, locked and resumable migrations of the store.
//!
//! The public API, used by the routes, the CLI and the runbooks:
//! - [`status`]: every changeset with its status;
//! - [`plan`]: a dry run that writes nothing: the complete item list and its hash;
//! - [`items`]: a plan's items, a page at a time;
//! - [`apply`]: takes the lock, checks that the plan made now is the one presented (same
//!   hash: the same items), keeps its item list and starts a job that runs exactly those
//!   items;
//! - [`job`] / [`wait`]: the job's progress.

pub mod changelog;
pub mod checksum;
mod exec;
pub mod fault;
pub mod format;
pub mod jobs;
pub mod lock;
pub mod plan;
mod plans;
mod run;
pub mod source;
pub mod store;
pub mod validate;

use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::{
    ApplyRequest, ChangesetLock, ChangesetState, ChangesetStatus, JobProgress, JobState, PlanItem,
    PlanItemPage,
};
pub use plan::view::Filter;
pub use plan::Plan;
use secrecy::SecretString;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

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

/// A dry run against the live store: reads only. The plan is kept in this process so its
/// items can be paged. Its value reads are marked as the plan's (`X-Crypter-Purpose: plan`),
/// so the activity feed never shows them as reveals.
pub async fn plan(
    bao: &Bao,
    token: &SecretString,
    dir: Option<&Path>,
) -> Result<Arc<Plan>, AppError> {
    let bao = &bao.with_purpose(crate::bao::Purpose::Plan);
    let plan = Arc::new(plan::make(bao, token, dir).await?);
    plans::remember(plan.clone(), token);
    Ok(plan)
}

/// The items of plan `hash`: made by this process, or stored (by an apply, or as a
/// runbook's evidence).
pub async fn items(
    bao: &Bao,
    token: &SecretString,
    hash: &str,
    filter: &Filter,
    after: Option<u64>,
    limit: usize,
) -> Result<PlanItemPage, AppError> {
    let items = item_list(bao, token, hash).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "no plan {hash} is known here; make the plan again (plans are kept by the backend \
             that made them, and stored once applied)"
        ))
    })?;
    Ok(plan::view::page(&items, filter, after, limit))
}

async fn item_list(
    bao: &Bao,
    token: &SecretString,
    hash: &str,
) -> Result<Option<Arc<Vec<PlanItem>>>, AppError> {
    if let Some(p) = plans::get(hash, token) {
        return Ok(Some(p.items.clone()));
    }
    Ok(store::load(bao, token, hash)
        .await?
        .map(|s| Arc::new(s.items)))
}

/// Keep a plan's items in the store (chunked), e.g. as a runbook's evidence.
pub async fn keep(bao: &Bao, token: &SecretString, plan: &Plan) -> Result<(), AppError> {
    store::save(bao, token, &plan.hash, &plan.changesets(), &plan.items).await
}

/// Apply the plan that hashes to `req.plan_hash`: takes the lock (409 naming the holder);
/// 409 when the plan made now differs or cannot run; returns at once with the job's id.
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
    // The lock first, then the plan: nothing else can apply between the check and the run.
    let job_id = jobs::new_id();
    // Every request the apply makes carries its job: the Freeze page lists its writes
    // apart from writes that got through the freeze otherwise.
    let bao = &bao.with_purpose(crate::bao::Purpose::Apply(job_id.clone()));
    let (version, taken_over_from) = lock::acquire(bao, token, actor, &job_id, req.force).await?;
    let checked = match checked_plan(bao, token, dir, &req.plan_hash).await {
        Ok(p) => keep(bao, token, &p).await.map(|()| p),
        Err(e) => Err(e),
    };
    let fresh = match checked {
        Ok(p) => p,
        Err(e) => {
            lock::release(bao, token).await?;
            return Err(e);
        }
    };
    let total = fresh.items.iter().filter(|i| !i.action.is_noop()).count() as u64;
    let job = jobs::start(&job_id, total);
    tokio::spawn(run::run(run::Runner {
        bao: bao.clone(),
        token: token.clone(),
        actor: actor.to_owned(),
        runbook_run,
        job,
        lock_version: version,
        plan: fresh,
    }));
    Ok(Started {
        job_id,
        taken_over_from,
    })
}

/// The plan made now, if it can run and hashes to `plan_hash`; otherwise the 409 that says
/// why, naming the first item that differs from the plan presented (when it is known).
async fn checked_plan(
    bao: &Bao,
    token: &SecretString,
    dir: Option<&Path>,
    plan_hash: &str,
) -> Result<Arc<Plan>, AppError> {
    let presented = item_list(bao, token, plan_hash).await.ok().flatten();
    let fresh = plan(bao, token, dir).await?;
    if fresh.hash != plan_hash {
        let first = presented.map(|old| first_difference(&old, &fresh.items));
        let mut message = "the plan changed since it was made (the store or the changesets \
                           moved); review the new plan and apply that one"
            .to_owned();
        if let Some(d) = &first {
            message.push_str(&format!(": {d}"));
        }
        return Err(AppError::ConflictDetails {
            code: "plan_changed",
            message,
            details: json!({ "plan_hash": fresh.hash, "first_difference": first }),
        });
    }
    if !fresh.view.blockers.is_empty() {
        return Err(AppError::ConflictDetails {
            code: "plan_blocked",
            message: format!("apply refused: {}", fresh.view.blockers.join("; ")),
            details: json!({ "blockers": fresh.view.blockers }),
        });
    }
    if let Some(w) = fresh
        .work
        .iter()
        .find(|w| !matches!(w.status, ChangesetState::Pending | ChangesetState::Failed))
    {
        return Err(AppError::Conflict(format!(
            "{} is {}; plan again",
            w.cs.id, w.status
        )));
    }
    Ok(fresh)
}

fn describe(it: &PlanItem) -> String {
    let version = match &it.target {
        crypter_api::ItemTarget::Credential { version, .. }
        | crypter_api::ItemTarget::Role { version, .. }
        | crypter_api::ItemTarget::Key { version, .. } => {
            version.map_or(" (absent)".into(), |v| format!(" (version {v})"))
        }
        crypter_api::ItemTarget::Environment { .. } => String::new(),
    };
    format!("{} {}{version}", it.action, it.target.label())
}

/// The first item in which two plans differ, in words.
fn first_difference(old: &[PlanItem], new: &[PlanItem]) -> String {
    let n = old
        .iter()
        .zip(new)
        .position(|(a, b)| a != b)
        .unwrap_or(old.len().min(new.len()));
    match (old.get(n), new.get(n)) {
        (Some(a), Some(b)) => format!(
            "item {} was planned as {}, and is now {}",
            n + 1,
            describe(a),
            describe(b)
        ),
        (Some(a), None) => format!("item {} ({}) is gone from the plan", n + 1, describe(a)),
        (None, Some(b)) => format!("item {} ({}) is new", n + 1, describe(b)),
        (None, None) => "the changesets differ".into(),
    }
}

pub fn job(id: &str) -> Option<JobProgress> {
    jobs::get(id)
}

/// Wait until the job ends (for the CLI and the runbooks); `None` for an unknown job.
pub async fn wait(id: &str) -> Option<JobProgress> {
    loop {
        let p = jobs::get(id)?;
        if p.state != JobState::Running {
            return Some(p);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
