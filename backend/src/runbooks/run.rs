//! Running automated steps as jobs.
//!
//! Every automated step runs as a job kept in the store, so a step left `running` by a dead
//! instance shows as such (its job's heartbeat stops). The apply step starts its changeset
//! job and returns at once; the job records the step's outcome when it ends. The other
//! steps are short and run within their request.

use super::steps::{self, Actor, Outcome};
use super::{actionable, event, now, store, void_signoffs};
use crate::bao::Bao;
use crate::changesets::{self, ApplyContext, OnEnd};
use crate::error::AppError;
use crate::jobs::{new_id, JobSpec};
use crypter_api::ErrorCode;
use crypter_api::StepState;
use crypter_api::{ApplyRequest, JobKind, JobProgress, JobRunbook, JobState, Runbook};
use secrecy::SecretString;
use std::path::PathBuf;

const APPLY: &str = "apply_changesets";

pub(super) fn index(run: &Runbook, step: &str) -> Result<usize, AppError> {
    run.steps
        .iter()
        .position(|s| s.step.id == step)
        .ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::StepNotFound,
                format!("run {} has no step {step:?}", run.id),
            )
        })
}

/// Run an automated step. The apply step answers at once (the step is `running`, its job
/// named); the others answer with their outcome.
pub async fn run_step(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    id: &str,
    step: &str,
) -> Result<Runbook, AppError> {
    let job_id = new_id();
    let started = store::update(bao, token, id, |run| {
        let i = actionable(run, step)?;
        if run.steps[i].step.kind == "manual" {
            return Err(AppError::bad_request(
                ErrorCode::ManualStep,
                format!("step {step:?} is manual: complete it with a note, sign it off or skip it"),
            ));
        }
        let s = &mut run.steps[i];
        s.state = StepState::Running;
        s.started_at = Some(now());
        s.ended_at = None;
        s.by = Some(actor.name.to_owned());
        s.job = Some(job_id.clone());
        let msg = format!("{} started", s.step.title);
        event(run, actor.name, "step.start", Some(step), msg);
        Ok(())
    })
    .await?;
    go(bao, token, actor, started, step, job_id).await
}

/// Run the step now marked `running` with job `job_id`.
pub(super) async fn go(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    run: Runbook,
    step: &str,
    job_id: String,
) -> Result<Runbook, AppError> {
    let i = index(&run, step)?;
    if run.steps[i].step.kind == APPLY {
        return start_apply(bao, token, actor, run, i, job_id).await;
    }
    let spec = JobSpec {
        id: job_id,
        kind: JobKind::RunbookStep,
        owner: actor.name.to_owned(),
        entity_id: actor.entity_id.map(str::to_owned),
        total: 1,
        plan_hash: None,
        changesets: Vec::new(),
        runbook: Some(JobRunbook {
            run: run.id.clone(),
            step: step.to_owned(),
        }),
    };
    let job = actor.jobs.start(spec).await?;
    let outcome = steps::execute(bao, token, actor, &run, step).await;
    job.add_done(1);
    let result = if outcome.passed {
        Ok(())
    } else {
        Err(outcome.summary.clone())
    };
    job.finish(result).await;
    job.release();
    record(bao, token, actor.name, &run.id, step, outcome).await
}

/// The step's outcome, written once it is known.
pub(super) async fn record(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    id: &str,
    step: &str,
    outcome: Outcome,
) -> Result<Runbook, AppError> {
    store::update(bao, token, id, |run| {
        let Some(i) = run.steps.iter().position(|s| s.step.id == step) else {
            return Ok(());
        };
        let s = &mut run.steps[i];
        s.state = if outcome.passed {
            StepState::Passed
        } else {
            StepState::Failed
        };
        s.ended_at = Some(now());
        s.summary = Some(outcome.summary.clone());
        s.evidence = Some(outcome.evidence.clone());
        let (kind, verb) = if outcome.passed {
            ("step.pass", "passed")
        } else {
            ("step.fail", "failed")
        };
        let msg = format!("{} {verb}: {}", s.step.title, outcome.summary);
        event(run, actor, kind, Some(step), msg);
        if outcome.void_signoff {
            void_signoffs(run, i, actor);
        }
        Ok(())
    })
    .await
}

/// What an apply job needs once it ends, owned (it ends after the request is gone).
struct ApplyEnd {
    bao: Bao,
    token: SecretString,
    actor: String,
    dir: Option<PathBuf>,
    run: String,
    step: String,
    plan_hash: String,
}

impl ApplyEnd {
    fn into_on_end(self) -> OnEnd {
        Box::new(move |progress: JobProgress| Box::pin(async move { self.ended(progress).await }))
    }

    async fn ended(self, progress: JobProgress) {
        let result = if progress.state == JobState::Interrupted {
            // Handed over (the instance shut down): the step stays running, for a takeover.
            let msg = format!(
                "job {} interrupted: {}",
                progress.id,
                progress.error.clone().unwrap_or_default()
            );
            store::update(&self.bao, &self.token, &self.run, |run| {
                event(
                    run,
                    &self.actor,
                    "step.interrupted",
                    Some(&self.step),
                    msg.clone(),
                );
                Ok(())
            })
            .await
        } else {
            let dir = self.dir.as_deref();
            let outcome = super::changes::apply_outcome(
                &self.bao,
                &self.token,
                dir,
                &self.run,
                &self.plan_hash,
                &progress,
            )
            .await;
            record(
                &self.bao,
                &self.token,
                &self.actor,
                &self.run,
                &self.step,
                outcome,
            )
            .await
        };
        if let Err(e) = result {
            tracing::warn!(run = %self.run, step = %self.step, error = %e.cause_chain(),
                "could not record the apply step's outcome; take the step over to settle it");
        }
    }
}

pub(super) fn apply_context<'a>(
    bao: &'a Bao,
    token: &'a SecretString,
    actor: &'a Actor<'a>,
    run: &Runbook,
    step: &str,
) -> ApplyContext<'a> {
    let mut cx = ApplyContext::new(
        bao,
        actor.jobs,
        token,
        actor.changesets_dir,
        actor.name,
        actor.entity_id,
    );
    cx.runbook = Some(JobRunbook {
        run: run.id.clone(),
        step: step.to_owned(),
    });
    cx
}

pub(super) fn apply_end(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    run: &Runbook,
    step: &str,
    plan_hash: &str,
) -> OnEnd {
    ApplyEnd {
        bao: bao.clone(),
        token: token.clone(),
        actor: actor.name.to_owned(),
        dir: actor.changesets_dir.map(PathBuf::from),
        run: run.id.clone(),
        step: step.to_owned(),
        plan_hash: plan_hash.to_owned(),
    }
    .into_on_end()
}

/// Start the apply of the signed-off plan as job `job_id` and answer at once.
async fn start_apply(
    bao: &Bao,
    token: &SecretString,
    actor: &Actor<'_>,
    run: Runbook,
    i: usize,
    job_id: String,
) -> Result<Runbook, AppError> {
    let step = run.steps[i].step.id.clone();
    let Some(plan_hash) = super::changes::signed_plan(&run, i) else {
        let outcome = Outcome::new(
            false,
            "no signed-off plan: sign off the go/no-go on a plan first".into(),
            serde_json::json!({ "error": "no signed-off plan_hash" }),
        );
        return record(bao, token, actor.name, &run.id, &step, outcome).await;
    };
    let req = ApplyRequest {
        plan_hash: plan_hash.clone(),
        force: false,
        reason: None,
    };
    let mut cx = apply_context(bao, token, actor, &run, &step);
    cx.job_id = Some(job_id);
    let on_end = apply_end(bao, token, actor, &run, &step, &plan_hash);
    match changesets::apply(&cx, &req, Some(on_end)).await {
        Ok(_) => Ok(run),
        Err(e) => {
            let outcome = super::changes::refused(&plan_hash, e);
            record(bao, token, actor.name, &run.id, &step, outcome).await
        }
    }
}
