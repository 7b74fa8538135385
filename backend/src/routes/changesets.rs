//! `/api/v1/changesets`: status, upload, plan, apply and the lock. The engine is
//! `crate::changesets`; the jobs an apply starts are followed under `/api/v1/jobs`.

use super::json::ApiJson;
use crate::changesets;
use crate::error::AppError;
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{
    ApplyRequest, ApplyStarted, ChangesetLock, ChangesetPlan, ChangesetStatus, ChangesetUpload,
    ItemAction, PlanItemPage,
};
use serde::Deserialize;

/// Every changeset (folder read afresh, plus uploads) with status, checksum, and for
/// `changed` the diff of the applied body against the current one.
#[utoipa::path(get, path = "/api/v1/changesets", tag = "changesets",
    responses((status = 200, body = Vec<ChangesetStatus>), (status = 401, body = crypter_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Vec<ChangesetStatus>>, AppError> {
    let dir = state.settings.changesets_dir.as_deref();
    Ok(Json(
        changesets::status(&state.bao, &session.token, dir).await?,
    ))
}

/// Upload one changeset (TOML). It must parse; uploading the same id again replaces it.
#[utoipa::path(post, path = "/api/v1/changesets", tag = "changesets", request_body = ChangesetUpload,
    responses((status = 201, body = ChangesetStatus),
        (status = 400, description = "Does not parse: file, line, what was expected", body = crypter_api::ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<ChangesetUpload>,
) -> Result<(StatusCode, Json<ChangesetStatus>), AppError> {
    let result = changesets::source::upload(&state.bao, &session.token, &req.toml).await;
    let cs = result?;
    let dir = state.settings.changesets_dir.as_deref();
    let all = changesets::status(&state.bao, &session.token, dir).await?;
    let found = all.into_iter().find(|s| s.id == cs.id).ok_or_else(|| {
        AppError::NotFound(
            ErrorCode::ChangesetNotFound,
            format!("changeset {} vanished", cs.id),
        )
    })?;
    Ok((StatusCode::CREATED, Json(found)))
}

/// A dry run against the live store: writes nothing. Counts per kind, warnings, blockers,
/// the `plan_hash` of the complete item list, and its first page of items.
#[utoipa::path(post, path = "/api/v1/changesets/plan", tag = "changesets",
    responses((status = 200, body = ChangesetPlan), (status = 401, body = crypter_api::ErrorBody)))]
pub async fn plan(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<ChangesetPlan>, AppError> {
    let dir = state.settings.changesets_dir.as_deref();
    let plan = changesets::plan(&state.bao, &session.token, dir).await?;
    Ok(Json(plan.view.clone()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ItemQuery {
    /// An action (`create`, `update`, `skip`, `delete_source`, …) or `refused`.
    pub kind: Option<String>,
    /// Only this changeset's items.
    pub changeset: Option<String>,
    /// The `next` of the previous page.
    pub after: Option<u64>,
    /// At most 1,000; 100 by default.
    pub limit: Option<usize>,
}

/// A plan's items, a page at a time, filtered by kind or changeset.
#[utoipa::path(get, path = "/api/v1/changesets/plans/{hash}/items", tag = "changesets",
    params(("hash" = String, Path, description = "The plan's hash"), ItemQuery),
    responses((status = 200, body = PlanItemPage), (status = 400, body = crypter_api::ErrorBody),
        (status = 404, description = "No such plan here: plan again", body = crypter_api::ErrorBody)))]
pub async fn plan_items(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(hash): Path<String>,
    Query(q): Query<ItemQuery>,
) -> Result<Json<PlanItemPage>, AppError> {
    let valid_hash = hash
        .strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if !valid_hash {
        return Err(AppError::bad_request(
            ErrorCode::InvalidPlanHash,
            "a plan hash looks like sha256:<64 hex digits>",
        ));
    }
    if let Some(k) = q.kind.as_deref() {
        if k != "refused" && ItemAction::parse(k).is_none() {
            let kinds: Vec<&str> = ItemAction::ALL.iter().map(|a| a.as_str()).collect();
            return Err(AppError::bad_request(
                ErrorCode::InvalidKind,
                format!("kind {k:?} is not one of refused, {}", kinds.join(", ")),
            ));
        }
    }
    let filter = changesets::Filter {
        kind: q.kind,
        changeset: q.changeset,
    };
    let limit = q.limit.unwrap_or(changesets::plan::view::FIRST_PAGE);
    if limit == 0 || limit > changesets::plan::view::MAX_PAGE {
        return Err(AppError::bad_request(
            ErrorCode::InvalidLimit,
            format!("limit must be 1-{}", changesets::plan::view::MAX_PAGE),
        ));
    }
    Ok(Json(
        changesets::items(&state.bao, &session.token, &hash, &filter, q.after, limit).await?,
    ))
}

/// Apply the plan that hashes to `plan_hash`. Returns a job id at once.
#[utoipa::path(post, path = "/api/v1/changesets/apply", tag = "changesets", request_body = ApplyRequest,
    responses((status = 202, body = ApplyStarted),
        (status = 400, description = "force without a reason", body = crypter_api::ErrorBody),
        (status = 409, description = "The plan changed, a changeset is changed or conflicts, or the lock is held (the holder is named)", body = crypter_api::ErrorBody)))]
pub async fn apply(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<ApplyRequest>,
) -> Result<(StatusCode, Json<ApplyStarted>), AppError> {
    let cx = changesets::ApplyContext::new(
        &state.bao,
        &state.jobs,
        &session.token,
        state.settings.changesets_dir.as_deref(),
        &session.username,
        session.entity_id.as_deref(),
    );
    let result = changesets::apply(&cx, &req, None).await;
    if let Ok(started) = &result {
        if let Some(old) = &started.taken_over_from {
            // OpenBao's audit log has the lock's rewrite and who made it; the reason
            // is in the request body, which it HMACs, so it is logged here too.
            tracing::warn!(
                by = %session.username,
                from = %old.holder,
                host = %old.host,
                reason = %req.reason.clone().unwrap_or_default(),
                "took the changesets lock over"
            );
        }
    }
    let started = result?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ApplyStarted {
            job_id: started.job_id,
        }),
    ))
}

/// The inverse plan of an applied changeset: each target it touched goes back to its
/// restore point, under the precondition that it is still as the apply left it (a target
/// changed since is a `conflict`, left as it is; what cannot be undone is `refused`). For
/// an undone changeset, the redo. Apply it with the ordinary `POST /api/v1/changesets/apply`.
#[utoipa::path(post, path = "/api/v1/changesets/{id}/undo", tag = "changesets",
    params(("id" = String, Path, description = "The changeset's id")),
    request_body = Object,
    responses((status = 200, body = ChangesetPlan),
        (status = 400, description = "Not a changeset id, or a body that is not `{}`", body = crypter_api::ErrorBody),
        (status = 409, description = "Never applied, its apply unfinished, or its restore point missing or damaged", body = crypter_api::ErrorBody)))]
pub async fn undo(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<ChangesetPlan>, AppError> {
    if !changesets::format::valid_id(&id) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidChangesetId,
            format!("{id:?} is not a changeset id (1-100 of A-Z a-z 0-9 _ - .)"),
        ));
    }
    if let Some(k) = body.keys().next() {
        return Err(AppError::bad_request(
            ErrorCode::InvalidBody,
            format!("an undo takes no options (got {k:?}); send {{}}"),
        ));
    }
    let plan = changesets::undo(&state.bao, &session.token, &id).await?;
    Ok(Json(plan.view.clone()))
}

/// Who holds the apply lock (`null` when nobody does).
#[utoipa::path(get, path = "/api/v1/changesets/lock", tag = "changesets",
    responses((status = 200, body = Option<ChangesetLock>)))]
pub async fn get_lock(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Option<ChangesetLock>>, AppError> {
    let lock = changesets::lock::read(&state.bao, &session.token).await?;
    Ok(Json(lock.map(|(l, _)| l)))
}

#[derive(Debug, Deserialize)]
pub struct BreakLock {
    pub reason: Option<String>,
}

/// Break the apply lock (e.g. after a crash). Needs a reason, recorded in the activity log.
#[utoipa::path(delete, path = "/api/v1/changesets/lock", tag = "changesets",
    params(("reason" = String, Query, description = "Why the lock is broken")),
    responses((status = 204), (status = 400, body = crypter_api::ErrorBody)))]
pub async fn break_lock(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Query(q): Query<BreakLock>,
) -> Result<StatusCode, AppError> {
    let reason = q.reason.unwrap_or_default();
    if reason.trim().is_empty() || reason.len() > 500 {
        return Err(AppError::bad_request(
            ErrorCode::ReasonRequired,
            "give a reason (1-500 characters) for breaking the changesets lock; it is recorded",
        ));
    }
    let before = changesets::lock::read(&state.bao, &session.token).await?;
    let result = changesets::lock::release(&state.bao, &session.token).await;
    let holder = before
        .map(|(l, _)| format!("{} on {}", l.holder, l.host))
        .unwrap_or_else(|| "nobody".into());
    result?;
    tracing::warn!(by = %session.username, %holder, %reason, "broke the changesets lock");
    Ok(StatusCode::NO_CONTENT)
}
