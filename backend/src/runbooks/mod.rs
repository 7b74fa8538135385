//! Runbooks: a run follows a template's steps in order. Automated steps call the same
//! engines as the freeze, changesets, identities, lint and cluster endpoints and the store
//! snapshots, and pass only when their evidence says so; gates need a sign-off bound to
//! the plan hash shown.

pub mod audit;
mod changes;
pub mod report;
mod run;
mod snapshot;
mod steps;
pub mod store;
mod takeover;
pub mod templates;

use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{
    Incident, IncidentWrite, RunStep, Runbook, RunbookStart, RunbookSummary, Signoff,
    SignoffRequest, TimelineEvent,
};
use crypter_api::{IncidentSeverity, IncidentStatus, RunStatus, StepState};
use secrecy::SecretString;

pub use run::run_step;
pub use snapshot::SnapshotPlace;
pub use steps::Actor;
pub use takeover::takeover;

pub use crate::clock::now_rfc3339 as now;

fn event(run: &mut Runbook, actor: &str, kind: &str, step: Option<&str>, message: String) {
    run.timeline.push(TimelineEvent {
        at: now(),
        actor: actor.to_owned(),
        kind: kind.to_owned(),
        step: step.map(str::to_owned),
        message,
    });
}

/// Derived states: the gate that is next waits for its sign-off; a run whose steps are
/// all done has succeeded.
pub fn settle(run: &mut Runbook) {
    let mut earlier_done = true;
    for s in &mut run.steps {
        if s.step.gate && s.state == StepState::Pending && earlier_done {
            s.state = StepState::WaitingSignoff;
        }
        earlier_done &= s.state.is_done();
    }
    if run.status == RunStatus::InProgress && earlier_done {
        run.status = RunStatus::Succeeded;
        run.ended_at = Some(now());
        let lead = run.lead.clone();
        event(
            run,
            &lead,
            "run.end",
            None,
            "every step passed or was skipped".into(),
        );
    }
}

pub fn summary(run: &Runbook) -> RunbookSummary {
    RunbookSummary {
        id: run.id.clone(),
        title: run.title.clone(),
        template: run.template.clone(),
        lead: run.lead.clone(),
        environments: run.environments.clone(),
        status: run.status,
        started_at: run.started_at.clone(),
        current_step: current(run).map(|s| s.step.id.clone()),
        passed: run.steps.iter().filter(|s| s.state.is_done()).count(),
        total: run.steps.len(),
    }
}

/// The step being worked on: the running one, else the first not yet done.
pub fn current(run: &Runbook) -> Option<&RunStep> {
    run.steps
        .iter()
        .find(|s| s.state == StepState::Running)
        .or_else(|| run.steps.iter().find(|s| !s.state.is_done()))
}

fn text(field: &str, value: Option<&str>, max: usize) -> Result<String, AppError> {
    let v = value.unwrap_or_default().trim();
    if v.is_empty() || v.len() > max {
        return Err(AppError::bad_request(
            ErrorCode::InvalidField,
            format!("give a {field} (1-{max} characters)"),
        ));
    }
    Ok(v.to_owned())
}

pub async fn start(
    bao: &Bao,
    token: &SecretString,
    lead: &str,
    req: &RunbookStart,
) -> Result<Runbook, AppError> {
    let title = text("title", Some(&req.title), 200)?;
    if req.environments.is_empty() {
        return Err(AppError::bad_request(
            ErrorCode::InvalidEnvironments,
            "name the target environment(s) of the run",
        ));
    }
    let environments = req.environments.iter().map(ToString::to_string).collect();
    let template = templates::find(bao, token, &req.template).await?;
    let started_at = now();
    let stamp: String = started_at
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    let id = format!("rb-{stamp}-{:04x}", rand::random::<u16>());
    let mut run = Runbook {
        id,
        title,
        template: template.name.clone(),
        lead: lead.to_owned(),
        environments,
        signoff_by_approvers: req.signoff_by_approvers,
        status: RunStatus::InProgress,
        started_at,
        ended_at: None,
        steps: template
            .steps
            .into_iter()
            .map(|step| RunStep {
                step,
                state: StepState::Pending,
                started_at: None,
                ended_at: None,
                by: None,
                reason: None,
                note: None,
                summary: None,
                evidence: None,
                signoff: None,
                voided: Vec::new(),
                job: None,
            })
            .collect(),
        incidents: Vec::new(),
        timeline: Vec::new(),
    };
    let msg = format!(
        "run started from template {} for {}",
        run.template,
        run.environments.join(", ")
    );
    event(&mut run, lead, "run.start", None, msg);
    settle(&mut run);
    if !store::save(bao, token, &run, 0).await? {
        return Err(AppError::Conflict(
            ErrorCode::RunExists,
            "a run with this id exists; try again".into(),
        ));
    }
    Ok(run)
}

/// The index of `step`, refusing when the run is over or an earlier step is not done.
fn actionable(run: &Runbook, step: &str) -> Result<usize, AppError> {
    let i = run
        .steps
        .iter()
        .position(|s| s.step.id == step)
        .ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::StepNotFound,
                format!("run {} has no step {step:?}", run.id),
            )
        })?;
    if run.status == RunStatus::Aborted {
        return Err(AppError::Conflict(
            ErrorCode::RunAborted,
            "the run was aborted".into(),
        ));
    }
    if let Some(before) = run.steps[..i].iter().find(|s| !s.state.is_done()) {
        return Err(AppError::ConflictDetails {
            code: ErrorCode::OutOfOrder,
            message: format!(
                "step {:?} comes first: it is {}; pass it or skip it with a reason",
                before.step.id, before.state
            ),
            details: serde_json::json!({ "blocking_step": before.step.id }),
        });
    }
    if run.steps[i].state == StepState::Running {
        return Err(AppError::Conflict(
            ErrorCode::StepRunning,
            format!("step {step:?} is running; wait for it to end"),
        ));
    }
    Ok(i)
}

/// The plan changed after the go/no-go: every sign-off before step `i` is void.
fn void_signoffs(run: &mut Runbook, i: usize, actor: &str) {
    let mut voided = Vec::new();
    for s in run.steps[..i].iter_mut().filter(|s| s.step.gate) {
        if let Some(signoff) = s.signoff.take() {
            s.voided.push(signoff);
            s.state = StepState::Pending;
            voided.push(s.step.id.clone());
        }
    }
    for g in voided {
        event(
            run,
            actor,
            "signoff.void",
            Some(&g),
            "the plan changed after the sign-off: re-plan and sign off again".into(),
        );
    }
}

/// The plan hash of the latest plan step before step `i` (a plan or a roll back's inverse
/// plan), if it passed.
pub fn current_plan_hash(run: &Runbook, i: usize) -> Option<String> {
    run.steps[..i]
        .iter()
        .rev()
        .find(|s| matches!(s.step.kind.as_str(), "plan_changesets" | "plan_rollback"))
        .filter(|s| s.state == StepState::Passed)
        .and_then(|s| s.evidence.as_ref())
        .and_then(|e| e.get("plan_hash"))
        .and_then(|h| h.as_str())
        .map(str::to_owned)
}

pub async fn signoff(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    id: &str,
    step: &str,
    req: &SignoffRequest,
) -> Result<Runbook, AppError> {
    let (run, _) = store::load(bao, token, id).await?;
    if run.signoff_by_approvers {
        crate::approvals::rules::must_approve_all(bao, token, &run.environments).await?;
    }
    store::update(bao, token, id, |run| {
        let i = actionable(run, step)?;
        if !run.steps[i].step.gate {
            return Err(AppError::bad_request(
                ErrorCode::NotAGate,
                format!("step {step:?} is not a go/no-go; complete it or run it instead"),
            ));
        }
        let plan_hash = current_plan_hash(run, i);
        if plan_hash.is_some() && req.plan_hash != plan_hash {
            return Err(AppError::ConflictDetails {
                code: ErrorCode::PlanChanged,
                message: "the plan you saw is not the run's current plan; reload and read it again"
                    .into(),
                details: serde_json::json!({ "plan_hash": plan_hash }),
            });
        }
        let s = &mut run.steps[i];
        s.signoff = Some(Signoff {
            by: actor.to_owned(),
            at: now(),
            plan_hash: plan_hash.clone(),
            note: req.note.as_deref().map(str::trim).map(str::to_owned),
        });
        s.state = StepState::Passed;
        s.started_at.get_or_insert_with(now);
        s.ended_at = Some(now());
        s.by = Some(actor.to_owned());
        let msg = match &plan_hash {
            Some(h) => format!("go: signed off on plan {h}"),
            None => "go: signed off".into(),
        };
        event(run, actor, "signoff", Some(step), msg);
        Ok(())
    })
    .await
}

pub async fn skip(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    id: &str,
    step: &str,
    reason: Option<&str>,
) -> Result<Runbook, AppError> {
    let reason = text("reason for skipping", reason, 500)?;
    store::update(bao, token, id, |run| {
        let i = actionable(run, step)?;
        let s = &mut run.steps[i];
        s.state = StepState::Skipped;
        s.reason = Some(reason.clone());
        s.started_at.get_or_insert_with(now);
        s.ended_at = Some(now());
        s.by = Some(actor.to_owned());
        event(
            run,
            actor,
            "step.skip",
            Some(step),
            format!("skipped: {reason}"),
        );
        Ok(())
    })
    .await
}

pub async fn complete(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    id: &str,
    step: &str,
    note: Option<&str>,
) -> Result<Runbook, AppError> {
    let note = note
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if note.as_ref().is_some_and(|n| n.len() > 2000) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidField,
            "a note is at most 2000 characters",
        ));
    }
    store::update(bao, token, id, |run| {
        let i = actionable(run, step)?;
        let s = &mut run.steps[i];
        if s.step.kind != "manual" || s.step.gate {
            return Err(AppError::bad_request(
                ErrorCode::NotManual,
                format!("step {step:?} is not a plain manual step: run it or sign it off"),
            ));
        }
        s.state = StepState::Passed;
        s.note = note.clone();
        s.started_at.get_or_insert_with(now);
        s.ended_at = Some(now());
        s.by = Some(actor.to_owned());
        let msg = match &note {
            Some(n) => format!("done: {n}"),
            None => "done".into(),
        };
        event(run, actor, "step.complete", Some(step), msg);
        Ok(())
    })
    .await
}

pub async fn note(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    id: &str,
    note: Option<&str>,
) -> Result<Runbook, AppError> {
    let note = text("note", note, 2000)?;
    store::update(bao, token, id, |run| {
        let step = current(run).map(|s| s.step.id.clone());
        event(run, actor, "note", step.as_deref(), note.clone());
        Ok(())
    })
    .await
}

pub async fn abort(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    id: &str,
    reason: &str,
) -> Result<Runbook, AppError> {
    let reason = text("reason for aborting", Some(reason), 500)?;
    store::update(bao, token, id, |run| {
        if run.status != RunStatus::InProgress {
            return Err(AppError::Conflict(
                ErrorCode::RunEnded,
                format!("the run is already {}", run.status),
            ));
        }
        run.status = RunStatus::Aborted;
        run.ended_at = Some(now());
        event(run, actor, "run.end", None, format!("aborted: {reason}"));
        Ok(())
    })
    .await
}

/// An incident's severity, which opening one requires.
fn severity(v: Option<IncidentSeverity>) -> Result<IncidentSeverity, AppError> {
    v.ok_or_else(|| {
        let all: Vec<_> = IncidentSeverity::ALL.iter().map(|s| s.as_str()).collect();
        let why = format!("severity must be one of {}", all.join(", "));
        AppError::bad_request(ErrorCode::InvalidField, why)
    })
}

pub async fn open_incident(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    id: &str,
    req: &IncidentWrite,
) -> Result<Runbook, AppError> {
    let title = text("title", req.title.as_deref(), 200)?;
    let severity = severity(req.severity)?;
    let user_impact = text(
        "user impact (\"none\" if none)",
        req.user_impact.as_deref(),
        1000,
    )?;
    let status = req.status.unwrap_or(IncidentStatus::Open);
    let follow_up = req.follow_up.as_deref().unwrap_or("").trim().to_owned();
    store::update(bao, token, id, |run| {
        let n = run.incidents.iter().map(|i| i.n).max().unwrap_or(0) + 1;
        let step = current(run).map(|s| s.step.id.clone());
        run.incidents.push(Incident {
            n,
            title: title.clone(),
            severity,
            user_impact: user_impact.clone(),
            status,
            follow_up: follow_up.clone(),
            step: step.clone(),
            opened_at: now(),
            opened_by: actor.to_owned(),
            updated_at: now(),
        });
        let msg = format!("incident #{n} ({severity}): {title}");
        event(run, actor, "incident.open", step.as_deref(), msg);
        Ok(())
    })
    .await
}

pub async fn update_incident(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    id: &str,
    n: u32,
    req: &IncidentWrite,
) -> Result<Runbook, AppError> {
    let title = req
        .title
        .as_deref()
        .map(|t| text("title", Some(t), 200))
        .transpose()?;
    let severity = req.severity;
    let impact = req
        .user_impact
        .as_deref()
        .map(|t| text("user impact", Some(t), 1000))
        .transpose()?;
    let status = req.status;
    store::update(bao, token, id, |run| {
        let inc = run.incidents.iter_mut().find(|i| i.n == n).ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::IncidentNotFound,
                format!("run {id} has no incident #{n}"),
            )
        })?;
        let mut changed = Vec::new();
        if let Some(v) = &title {
            inc.title.clone_from(v);
            changed.push("title");
        }
        if let Some(v) = severity {
            inc.severity = v;
            changed.push("severity");
        }
        if let Some(v) = &impact {
            inc.user_impact.clone_from(v);
            changed.push("user impact");
        }
        if let Some(v) = status {
            inc.status = v;
            changed.push("status");
        }
        if let Some(v) = &req.follow_up {
            inc.follow_up = v.trim().to_owned();
            changed.push("follow-up");
        }
        inc.updated_at = now();
        let step = inc.step.clone();
        let msg = format!(
            "incident #{n} updated ({}): now {}",
            changed.join(", "),
            inc.status
        );
        event(run, actor, "incident.update", step.as_deref(), msg);
        Ok(())
    })
    .await
}
