//! Taking over a step left `running` by an instance that died (its job no longer writes
//! its heartbeat): with a reason, recorded in the run's timeline. An apply resumes its job
//! from the saved cursor (or records the outcome of a job that had ended); any other step
//! runs again.

use super::run::{apply_context, apply_end, go, index, record};
use super::steps::Actor;
use super::{event, store, text};
use crate::bao::Bao;
use crate::changesets;
use crate::error::AppError;
use crate::jobs::{new_id, JobRecord};
use crypter_api::ErrorCode;
use crypter_api::StepState;
use crypter_api::{JobState, Runbook};
use secrecy::SecretString;

const APPLY: &str = "apply_changesets";

/// Take over step `step` of run `id`, with a reason.
pub async fn takeover(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    id: &str,
    step: &str,
    reason: Option<&str>,
) -> Result<Runbook, AppError> {
    let reason = text("reason for taking the step over", reason, 500)?;
    let (run, _) = store::load(bao, token, id).await?;
    let i = index(&run, step)?;
    if run.steps[i].state != StepState::Running {
        return Err(AppError::Conflict(
            ErrorCode::StepNotRunning,
            format!(
                "step {step:?} is {}: only a running step can be taken over",
                run.steps[i].state
            ),
        ));
    }
    let job = match &run.steps[i].job {
        Some(j) => match actor.jobs.get_for(j, token).await {
            Ok(found) => Some(found),
            Err(AppError::NotFound(..)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let progress = job.as_ref().map(|(r, _)| actor.jobs.progress_of(r));
    if let Some(p) = progress.as_ref().filter(|p| p.state == JobState::Running) {
        return Err(AppError::Conflict(
            ErrorCode::StepRunning,
            format!(
                "step {step:?} is still running on {} (heartbeat {} s ago); it can be taken over \
             once its job is interrupted",
                p.instance, p.heartbeat_age
            ),
        ));
    }
    let from = progress
        .as_ref()
        .map_or("an instance that left no job record".to_owned(), |p| {
            format!("{} (job {} {})", p.instance, p.id, p.state)
        });
    let message = format!(
        "taken over on {} from {from}: {reason}",
        actor.jobs.instance
    );
    let resumes = run.steps[i].step.kind == APPLY
        && progress.as_ref().is_some_and(|p| {
            matches!(
                p.state,
                JobState::Interrupted | JobState::Failed | JobState::Done
            )
        });
    let new_job = (!resumes).then(new_id);
    let run = store::update(bao, token, id, |run| {
        let s = &mut run.steps[i];
        if s.state != StepState::Running {
            let why = format!("step {step:?} changed meanwhile; reload");
            return Err(AppError::Conflict(ErrorCode::StaleVersion, why));
        }
        s.by = Some(actor.name.to_owned());
        if let Some(j) = &new_job {
            s.job = Some(j.clone());
        }
        event(
            run,
            actor.name,
            "step.takeover",
            Some(step),
            message.clone(),
        );
        Ok(())
    })
    .await?;
    match (job, new_job) {
        (_, Some(job_id)) => go(bao, token, actor, run, step, job_id).await,
        (Some((job, version)), None) => {
            resume_apply(bao, token, actor, run, i, job, version, message).await
        }
        (None, None) => Err(AppError::Internal(anyhow::anyhow!(
            "takeover without a job"
        ))),
    }
}

/// The apply step's job after a takeover: resumed if it stopped part-way; its outcome
/// recorded if it had ended.
#[allow(clippy::too_many_arguments)]
async fn resume_apply(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    run: Runbook,
    i: usize,
    job: JobRecord,
    version: u64,
    message: String,
) -> Result<Runbook, AppError> {
    let step = run.steps[i].step.id.clone();
    let plan_hash = job.plan_hash.clone().unwrap_or_default();
    let progress = actor.jobs.progress_of(&job);
    if progress.state == JobState::Done {
        let dir = actor.changesets_dir;
        let outcome =
            super::changes::apply_outcome(bao, token, dir, &run.id, &plan_hash, &progress).await;
        return record(bao, token, actor.name, &run.id, &step, outcome).await;
    }
    let cx = apply_context(bao, token, actor, &run, &step);
    let on_end = apply_end(bao, token, actor, &run, &step, &plan_hash);
    match changesets::resume(&cx, job, version, message, Some(on_end)).await {
        Ok(_) => Ok(run),
        Err(e) => {
            let outcome = super::changes::refused(&plan_hash, e);
            record(bao, token, actor.name, &run.id, &step, outcome).await
        }
    }
}
