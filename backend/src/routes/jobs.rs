//! `/api/v1/jobs`: changeset applies and runbook steps, as any instance sees them (their
//! records are in OpenBao): list, progress (JSON and SSE), and resume. Only a job's owner
//! and operators may follow or resume it; OpenBao decides (see `crate::jobs`).

use super::json::ApiJson;
use crate::changesets;
use crate::error::AppError;
use crate::jobs::{valid_id, JobRecord};
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{ApplyStarted, JobKind, JobProgress, JobState, ResumeRequest};
use futures_util::stream::{self, Stream};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::watch;

/// How often a follower on another instance than the job's reads its record.
const REMOTE_POLL: Duration = Duration::from_secs(1);

fn checked(id: &str) -> Result<(), AppError> {
    if valid_id(id) {
        Ok(())
    } else {
        Err(AppError::bad_request(
            ErrorCode::InvalidJobId,
            "a job id looks like job-<16 hex digits>",
        ))
    }
}

/// The jobs the caller may follow, newest first (at most 50).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    responses((status = 200, body = Vec<JobProgress>), (status = 401, body = crypter_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Vec<JobProgress>>, AppError> {
    Ok(Json(state.jobs.list_for(&session.token).await?))
}

/// A job's progress, from whichever instance runs it.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "job-<16 hex digits>")),
    responses((status = 200, body = JobProgress), (status = 400, body = crypter_api::ErrorBody),
        (status = 403, description = "Neither its owner nor an operator", body = crypter_api::ErrorBody),
        (status = 404, body = crypter_api::ErrorBody)))]
pub async fn job(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<JobProgress>, AppError> {
    checked(&id)?;
    let (record, _) = state.jobs.get_for(&id, &session.token).await?;
    Ok(Json(state.jobs.progress_of(&record)))
}

/// The same progress as server-sent events (`progress`) until the job ends (done, failed
/// or interrupted). On the job's own instance every change is sent as it happens; on
/// another, its record is read once a second.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/events", tag = "jobs",
    params(("id" = String, Path, description = "job-<16 hex digits>")),
    responses((status = 200, description = "text/event-stream of JobProgress"),
        (status = 403, body = crypter_api::ErrorBody), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    checked(&id)?;
    let (record, _) = state.jobs.get_for(&id, &session.token).await?;
    let follow = match state.jobs.local(&id) {
        Some(job) => Follow::Local(job.subscribe()),
        None => Follow::Remote {
            state: Box::new(state.clone()),
            record: Box::new(record),
            first: true,
        },
    };
    let stream = stream::unfold(Some(follow), |follow| async move {
        let (progress, next) = follow?.next().await?;
        let event = Event::default()
            .event("progress")
            .json_data(&progress)
            .unwrap_or_default();
        let next = if progress.state.ended() { None } else { next };
        Some((Ok(event), next))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

enum Follow {
    Local(watch::Receiver<JobProgress>),
    Remote {
        state: Box<AppState>,
        record: Box<JobRecord>,
        first: bool,
    },
}

impl Follow {
    /// The next progress worth sending, and how to go on after it.
    async fn next(self) -> Option<(JobProgress, Option<Follow>)> {
        match self {
            Follow::Local(mut rx) => {
                let first = rx.borrow_and_update().clone();
                if first.state.ended() {
                    return Some((first, None));
                }
                // The job ends by sending its last progress; when it is gone, that one is
                // still there to read.
                let changed = rx.changed().await;
                let p = rx.borrow_and_update().clone();
                match changed {
                    Ok(()) => Some((p, Some(Follow::Local(rx)))),
                    Err(_) => Some((p, None)),
                }
            }
            Follow::Remote {
                state,
                record,
                first,
            } => remote(*state, *record, first).await,
        }
    }
}

async fn remote(
    state: AppState,
    record: JobRecord,
    first: bool,
) -> Option<(JobProgress, Option<Follow>)> {
    let seen = state.jobs.progress_of(&record);
    if first {
        let next = Follow::Remote {
            state: Box::new(state),
            record: Box::new(record),
            first: false,
        };
        return Some((seen, Some(next)));
    }
    loop {
        if state.draining() {
            return None;
        }
        tokio::time::sleep(REMOTE_POLL).await;
        let Ok(Some((now, _))) = state.jobs.read(&record.id).await else {
            continue;
        };
        let p = state.jobs.progress_of(&now);
        if p != seen || p.state.ended() {
            let next = Follow::Remote {
                state: Box::new(state),
                record: Box::new(now),
                first: false,
            };
            return Some((p, Some(next)));
        }
    }
}

/// Resume an interrupted (or failed) apply job on this instance, from its saved cursor.
/// The caller takes the apply lock with their own token, so OpenBao decides whether they
/// may; a runbook's job is taken over from its run instead (with a reason).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/resume", tag = "jobs", request_body = ResumeRequest,
    params(("id" = String, Path, description = "job-<16 hex digits>")),
    responses((status = 202, body = ApplyStarted),
        (status = 403, description = "Neither its owner nor an operator", body = crypter_api::ErrorBody),
        (status = 409, description = "Still running, ended, or the lock is held", body = crypter_api::ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ResumeRequest>,
) -> Result<(StatusCode, Json<ApplyStarted>), AppError> {
    checked(&id)?;
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.len() > 500) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidReason,
            "a reason is at most 500 characters",
        ));
    }
    let (record, version) = state.jobs.get_for(&id, &session.token).await?;
    let progress = state.jobs.progress_of(&record);
    resumable(&record, &progress)?;
    let message = format!(
        "resumed on {} from {} (was {}){}",
        state.jobs.instance,
        record.instance,
        progress.state,
        reason.map(|r| format!(": {r}")).unwrap_or_default()
    );
    let cx = changesets::ApplyContext::new(
        &state.bao,
        &state.jobs,
        &session.token,
        state.settings.changesets_dir.as_deref(),
        &session.username,
        session.entity_id.as_deref(),
    );
    let started = changesets::resume(&cx, record, version, message, None).await?;
    tracing::info!(job = %id, by = %session.username, "resumed a job");
    Ok((
        StatusCode::ACCEPTED,
        Json(ApplyStarted {
            job_id: started.job_id,
        }),
    ))
}

fn resumable(record: &JobRecord, progress: &JobProgress) -> Result<(), AppError> {
    if let Some(rb) = &record.runbook {
        return Err(AppError::Conflict(
            ErrorCode::JobInRunbook,
            format!(
                "job {} runs step {} of runbook {}: take the step over from the run (with a \
             reason) instead",
                record.id, rb.step, rb.run
            ),
        ));
    }
    if record.kind != JobKind::Apply {
        return Err(AppError::Conflict(
            ErrorCode::NotAnApply,
            format!("job {} is not an apply; only applies resume", record.id),
        ));
    }
    match progress.state {
        JobState::Interrupted | JobState::Failed => Ok(()),
        JobState::Running => Err(AppError::Conflict(
            ErrorCode::JobRunning,
            format!(
                "job {} is running on {} (heartbeat {} s ago); it can be resumed once it is \
             interrupted",
                record.id, progress.instance, progress.heartbeat_age
            ),
        )),
        JobState::Done => Err(AppError::Conflict(
            ErrorCode::JobDone,
            format!("job {} is done; there is nothing to resume", record.id),
        )),
    }
}
