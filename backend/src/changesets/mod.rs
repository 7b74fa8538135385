//! Changesets: checksummed, planned, locked and resumable migrations of the store.
//!
//! The public API, used by the routes, the CLI and the runbooks:
//! - [`status`]: every changeset with its status;
//! - [`plan`]: a dry run that writes nothing: the complete item list and its hash;
//! - [`items`]: a plan's items, a page at a time;
//! - [`apply`]: takes the lock, checks that the plan made now is the one presented (same
//!   hash: the same items), keeps its item list and starts a job that runs exactly those
//!   items;
//! - [`resume`]: runs an interrupted or failed apply job again, from its saved cursor.

pub mod changelog;
pub mod checksum;
mod exec;
pub mod fault;
pub mod format;
pub mod lock;
pub mod plan;
mod plans;
pub mod restore;
mod run;
pub mod source;
pub mod store;
pub mod validate;

use crate::bao::Bao;
use crate::error::AppError;
use crate::jobs::{JobHandle, JobRecord, JobSpec, Jobs};
use crypter_api::ErrorCode;
use crypter_api::{
    ApplyRequest, ChangesetLock, ChangesetState, ChangesetStatus, JobKind, JobProgress, JobRunbook,
    PlanItem, PlanItemPage,
};
use futures_util::future::BoxFuture;
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
    pub job: JobHandle,
}

/// Called with the job's last progress when an apply job ends (done, failed or handed
/// over): a runbook's apply step records its outcome this way.
pub type OnEnd = Box<dyn FnOnce(JobProgress) -> BoxFuture<'static, ()> + Send>;

/// Who applies, where, and where the job is kept.
pub struct ApplyContext<'a> {
    pub bao: &'a Bao,
    pub jobs: &'a Jobs,
    pub token: &'a SecretString,
    pub dir: Option<&'a Path>,
    pub actor: &'a str,
    /// The caller's identity entity: the job's owner marker goes under it.
    pub entity_id: Option<&'a str>,
    pub runbook: Option<JobRunbook>,
    /// The job's id, when the caller chose it (a runbook step names its job first).
    pub job_id: Option<String>,
}

impl<'a> ApplyContext<'a> {
    /// An apply outside any runbook, under a job id of its own; a runbook's step sets
    /// `runbook` and `job_id` on what this returns.
    pub fn new(
        bao: &'a Bao,
        jobs: &'a Jobs,
        token: &'a SecretString,
        dir: Option<&'a Path>,
        actor: &'a str,
        entity_id: Option<&'a str>,
    ) -> Self {
        Self {
            bao,
            jobs,
            token,
            dir,
            actor,
            entity_id,
            runbook: None,
            job_id: None,
        }
    }
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
    // From the leader: a plan never sees data older than the latest acknowledged write.
    let bao = &bao.with_purpose(crate::bao::Purpose::Plan).from_leader();
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
        AppError::NotFound(
            ErrorCode::PlanNotFound,
            format!(
                "no plan {hash} is known here; make the plan again (plans are kept by the backend \
             that made them, and stored once applied)"
            ),
        )
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
    let undo_of = plan.view.undo_of.as_deref();
    store::save(
        bao,
        token,
        &plan.hash,
        &plan.changesets(),
        &plan.items,
        undo_of,
    )
    .await
}

/// The inverse plan of changeset `id` (its undo; for an undone changeset, its redo): a
/// dry run like [`plan`], kept in the store at once so that any instance can apply it.
pub async fn undo(bao: &Bao, token: &SecretString, id: &str) -> Result<Arc<Plan>, AppError> {
    undo_all(bao, token, &[id.to_owned()]).await
}

/// The inverse plan of several changesets, in the order given (the last applied first):
/// a runbook's roll back.
pub async fn undo_all(
    bao: &Bao,
    token: &SecretString,
    ids: &[String],
) -> Result<Arc<Plan>, AppError> {
    let bao = &bao.with_purpose(crate::bao::Purpose::Plan).from_leader();
    let plan = Arc::new(plan::undo::make(bao, token, ids).await?);
    plans::remember(plan.clone(), token);
    match keep(bao, token, &plan).await {
        // Kept in this instance's memory only: its items still page here.
        Ok(()) | Err(AppError::Forbidden(_)) => {}
        Err(e) => return Err(e),
    }
    Ok(plan)
}

/// The inverse plan that puts environment `env` back as its named restore point `name`
/// holds it; applied like an undo.
pub async fn restore(
    bao: &Bao,
    token: &SecretString,
    env: &crypter_api::EnvName,
    name: &str,
) -> Result<Arc<Plan>, AppError> {
    undo_all(bao, token, &[format!("@{env}.{name}")]).await
}

/// Every restore point, newest first.
pub async fn restore_points(
    bao: &Bao,
    token: &SecretString,
) -> Result<Vec<crypter_api::RestorePointSummary>, AppError> {
    restore::list(bao, token).await
}

/// The changesets that plan `hash` undoes, when it is an inverse plan.
async fn undo_of(
    bao: &Bao,
    token: &SecretString,
    hash: &str,
) -> Result<Option<Vec<String>>, AppError> {
    let ids = match plans::get(hash, token) {
        Some(p) => p.view.undo_of.clone(),
        None => store::load(bao, token, hash).await?.and_then(|s| s.undo_of),
    };
    Ok(ids.map(|ids| ids.split(',').map(str::to_owned).collect()))
}

/// Before a run, what its changesets' items touch, as it is: kept as their restore points.
/// A resumed run keeps the restore point its first run made.
async fn keep_restore_points(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    plan: &Plan,
) -> Result<(), AppError> {
    for w in plan
        .work
        .iter()
        .filter(|w| w.status != ChangesetState::Failed)
    {
        let kind = match w.direction {
            changelog::Direction::Undo => crypter_api::RestorePointKind::BeforeUndo,
            _ => crypter_api::RestorePointKind::BeforeApply,
        };
        let rp = restore::RestorePoint {
            changeset: w.cs.id.clone(),
            kind,
            at: crate::clock::now_rfc3339(),
            by: actor.to_owned(),
            plan_hash: plan.hash.clone(),
            entries: w.restore.clone(),
            environment: None,
        };
        restore::save(bao, token, &rp).await?;
    }
    Ok(())
}

/// Keep the item list of plan `hash` if this process made it with this token; whether it
/// was kept. A failure here is only a lost head start: the fresh plan's list is kept (or
/// refused) after.
async fn keep_presented(bao: &Bao, token: &SecretString, hash: &str) -> bool {
    let Some(p) = plans::get(hash, token) else {
        return false;
    };
    match keep(bao, token, &p).await {
        Ok(()) => true,
        Err(e) => {
            let error = e.cause_chain();
            tracing::debug!(%error, "the presented plan's item list was not kept early");
            false
        }
    }
}

/// Apply the plan that hashes to `req.plan_hash`: takes the lock (409 naming the holder);
/// 409 when the plan made now differs or cannot run; returns at once with the job's id.
pub async fn apply(
    cx: &ApplyContext<'_>,
    req: &ApplyRequest,
    on_end: Option<OnEnd>,
) -> Result<Started, AppError> {
    if req.force && req.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(AppError::bad_request(
            ErrorCode::ReasonRequired,
            "taking the changesets lock over by force needs a reason; it is recorded",
        ));
    }
    let token = cx.token;
    // The lock first, then the plan: nothing else can apply between the check and the run.
    let job_id = cx.job_id.clone().unwrap_or_else(crate::jobs::new_id);
    // Every request the apply makes carries its job: the Freeze page lists its writes
    // apart from writes that got through the freeze otherwise.
    let bao = &cx
        .bao
        .with_purpose(crate::bao::Purpose::Apply(job_id.clone()))
        .from_leader();
    let stale_after = cx.jobs.timing.stale_after.as_secs();
    let (version, taken_over_from) =
        lock::acquire(bao, token, cx.actor, &job_id, req.force, stale_after).await?;
    // The item list and the restore points are both kept before the first write (a resume
    // needs the one, an undo the other). The list is stored under its plan's hash, which
    // covers every item: the presented plan's list, when this process made it, is kept
    // while the plan is made again (the hashes match only if the lists do), so the check
    // does not wait for it, and the fresh plan's list, the same, is not written again. The
    // restore points describe the fresh plan: kept after it.
    let (checked, kept) = futures_util::future::join(
        checked_plan(bao, token, cx.dir, &req.plan_hash),
        keep_presented(bao, token, &req.plan_hash),
    )
    .await;
    let checked = match checked {
        Ok(p) => futures_util::future::try_join(
            async {
                if kept {
                    Ok(())
                } else {
                    keep(bao, token, &p).await
                }
            },
            keep_restore_points(bao, token, cx.actor, &p),
        )
        .await
        .map(|_| p),
        Err(e) => Err(e),
    };
    let fresh = match checked {
        Ok(p) => p,
        Err(e) => {
            lock::release(bao, token).await?;
            return Err(e);
        }
    };
    let spec = JobSpec {
        id: job_id.clone(),
        kind: JobKind::Apply,
        owner: cx.actor.to_owned(),
        entity_id: cx.entity_id.map(str::to_owned),
        total: run::runnable(&fresh.items),
        plan_hash: Some(fresh.hash.clone()),
        changesets: fresh.work.iter().map(|w| w.cs.id.clone()).collect(),
        runbook: cx.runbook.clone(),
    };
    let job = match cx.jobs.start(spec).await {
        Ok(j) => j,
        Err(e) => {
            lock::release(bao, token).await?;
            return Err(e);
        }
    };
    spawn_run(cx, bao, job.clone(), version, fresh, on_end);
    Ok(Started {
        job_id,
        taken_over_from,
        job,
    })
}

fn spawn_run(
    cx: &ApplyContext<'_>,
    bao: &Bao,
    job: JobHandle,
    lock_version: u64,
    plan: Arc<Plan>,
    on_end: Option<OnEnd>,
) {
    let runner = run::Runner {
        bao: bao.clone(),
        token: cx.token.clone(),
        actor: cx.actor.to_owned(),
        runbook_run: cx.runbook.as_ref().map(|r| r.run.clone()),
        job,
        lock_version,
        heartbeat: cx.jobs.timing.heartbeat,
        plan,
        records: cx.jobs.records().cloned(),
    };
    tokio::spawn(async move {
        let job = runner.job.clone();
        run::run(runner).await;
        if let Some(on_end) = on_end {
            on_end(job.progress()).await;
        }
        job.release();
    });
}

/// Run an interrupted or failed apply job again on this instance, from its saved cursor:
/// take the lock (a live holder is refused), plan the rest of the job's changesets (the
/// rest of each interrupted item list, exactly as planned) and run it under the same job.
pub async fn resume(
    cx: &ApplyContext<'_>,
    record: JobRecord,
    version: u64,
    message: String,
    on_end: Option<OnEnd>,
) -> Result<Started, AppError> {
    let token = cx.token;
    let bao = &cx
        .bao
        .with_purpose(crate::bao::Purpose::Apply(record.id.clone()))
        .from_leader();
    let stale_after = cx.jobs.timing.stale_after.as_secs();
    let (lock_version, _) =
        lock::acquire(bao, token, cx.actor, &record.id, false, stale_after).await?;
    let fresh = match resumable_plan(bao, token, cx.dir, &record).await {
        Ok(p) => p,
        Err(e) => {
            lock::release(bao, token).await?;
            return Err(e);
        }
    };
    let mut record = record;
    record.done = record.total.saturating_sub(run::runnable(&fresh.items));
    let job = match cx
        .jobs
        .adopt(record, version, cx.actor, "resume", message)
        .await
    {
        Ok(j) => j,
        Err(e) => {
            lock::release(bao, token).await?;
            return Err(e);
        }
    };
    let job_id = job.id().to_owned();
    spawn_run(cx, bao, job.clone(), lock_version, fresh, on_end);
    Ok(Started {
        job_id,
        taken_over_from: None,
        job,
    })
}

/// The plan that finishes `record`'s job: only its own changesets, nothing blocking.
async fn resumable_plan(
    bao: &Bao,
    token: &SecretString,
    dir: Option<&Path>,
    record: &JobRecord,
) -> Result<Arc<Plan>, AppError> {
    let undoing = match &record.plan_hash {
        Some(h) => undo_of(bao, token, h).await?,
        None => None,
    };
    let fresh = match undoing {
        Some(ids) => undo_all(bao, token, &ids).await?,
        None => plan(bao, token, dir).await?,
    };
    if let Some(w) = fresh
        .work
        .iter()
        .find(|w| !record.changesets.contains(&w.cs.id))
    {
        return Err(AppError::Conflict(
            ErrorCode::NotInJob,
            format!(
                "changeset {} is pending but was not part of job {}; resume runs only the job's \
             changesets ({}): apply {} on its own afterwards",
                w.cs.id,
                record.id,
                record.changesets.join(", "),
                w.cs.id
            ),
        ));
    }
    if !fresh.view.blockers.is_empty() {
        return Err(AppError::ConflictDetails {
            code: ErrorCode::PlanBlocked,
            message: format!("resume refused: {}", fresh.view.blockers.join("; ")),
            details: json!({ "blockers": fresh.view.blockers }),
        });
    }
    keep(bao, token, &fresh).await?;
    Ok(fresh)
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
    let fresh = match undo_of(bao, token, plan_hash).await? {
        Some(ids) => undo_all(bao, token, &ids).await?,
        None => plan(bao, token, dir).await?,
    };
    if fresh.hash != plan_hash {
        let first = presented.map(|old| first_difference(&old, &fresh.items));
        let mut message = "the plan changed since it was made (the store or the changesets \
                           moved); review the new plan and apply that one"
            .to_owned();
        if let Some(d) = &first {
            message.push_str(&format!(": {d}"));
        }
        return Err(AppError::ConflictDetails {
            code: ErrorCode::PlanChanged,
            message,
            details: json!({ "plan_hash": fresh.hash, "first_difference": first }),
        });
    }
    if !fresh.view.blockers.is_empty() {
        return Err(AppError::ConflictDetails {
            code: ErrorCode::PlanBlocked,
            message: format!("apply refused: {}", fresh.view.blockers.join("; ")),
            details: json!({ "blockers": fresh.view.blockers }),
        });
    }
    if let Some(w) = fresh.work.iter().find(|w| {
        w.direction == changelog::Direction::Apply
            && !matches!(w.status, ChangesetState::Pending | ChangesetState::Failed)
    }) {
        return Err(AppError::Conflict(
            ErrorCode::ChangesetNotPending,
            format!("{} is {}; plan again", w.cs.id, w.status),
        ));
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

/// Wait until the job ends (for the CLI): its last progress.
pub async fn wait(job: &JobHandle) -> JobProgress {
    let mut rx = job.subscribe();
    loop {
        let p = rx.borrow_and_update().clone();
        if p.state.ended() {
            return p;
        }
        if rx.changed().await.is_err() {
            return job.progress();
        }
    }
}
