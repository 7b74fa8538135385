//! `/restore-points` and `/environments/{env}/restore-points`: the restore points made
//! before every apply and undo, and named ones of a whole environment, with "compare" and
//! "restore" (an inverse plan, applied with `POST /api/v1/changesets/apply`).

use super::json::ApiJson;
use crate::changesets;
use crate::error::AppError;
use crate::restore_points;
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{
    ChangesetPlan, EnvName, RestorePointComparison, RestorePointCreate, RestorePointSummary,
};

/// Every restore point: the changeset (or name), when it was made (before an apply, an
/// undo, or by name), by whom, and how many targets it holds. Newest first.
#[utoipa::path(get, path = "/api/v1/restore-points", tag = "restore-points",
    responses((status = 200, body = Vec<RestorePointSummary>), (status = 401, body = crypter_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Vec<RestorePointSummary>>, AppError> {
    Ok(Json(
        changesets::restore_points(&state.bao, &session.token).await?,
    ))
}

/// The named restore points of one environment, newest first.
#[utoipa::path(get, path = "/api/v1/environments/{env}/restore-points", tag = "restore-points",
    params(("env" = String, Path)),
    responses((status = 200, body = Vec<RestorePointSummary>), (status = 400, body = crypter_api::ErrorBody)))]
pub async fn of_environment(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(env): Path<String>,
) -> Result<Json<Vec<RestorePointSummary>>, AppError> {
    let env = EnvName::parse(&env)?;
    Ok(Json(
        restore_points::list(&state.bao, &session.token, &env).await?,
    ))
}

/// Make a named restore point of the whole environment now: every credential's current
/// version and metadata (never a value). The same name again replaces it.
#[utoipa::path(post, path = "/api/v1/environments/{env}/restore-points", tag = "restore-points",
    params(("env" = String, Path)), request_body = RestorePointCreate,
    responses((status = 201, body = RestorePointSummary),
        (status = 400, description = "Not a name or not an environment", body = crypter_api::ErrorBody),
        (status = 403, description = "OpenBao refused: restore points are operators' records", body = crypter_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(env): Path<String>,
    ApiJson(req): ApiJson<RestorePointCreate>,
) -> Result<(StatusCode, Json<RestorePointSummary>), AppError> {
    let env = EnvName::parse(&env)?;
    let made = restore_points::make(
        &state.bao,
        &session.token,
        &env,
        &req.name,
        &session.username,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// What differs now from a named restore point: each credential changed, created, deleted
/// or removed since, with its versions then and now.
#[utoipa::path(get, path = "/api/v1/environments/{env}/restore-points/{name}/compare", tag = "restore-points",
    params(("env" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = RestorePointComparison), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn compare(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((env, name)): Path<(String, String)>,
) -> Result<Json<RestorePointComparison>, AppError> {
    let env = EnvName::parse(&env)?;
    Ok(Json(
        restore_points::compare(&state.bao, &session.token, &env, &name).await?,
    ))
}

/// The inverse plan that puts the environment back as the restore point holds it (a
/// version put back or undeleted, metadata put back, what was created since deleted).
/// Apply it with `POST /api/v1/changesets/apply`; undo it like any applied changeset.
#[utoipa::path(post, path = "/api/v1/environments/{env}/restore-points/{name}/restore", tag = "restore-points",
    params(("env" = String, Path), ("name" = String, Path)), request_body = Object,
    responses((status = 200, body = ChangesetPlan), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((env, name)): Path<(String, String)>,
    ApiJson(body): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<ChangesetPlan>, AppError> {
    let env = EnvName::parse(&env)?;
    restore_points::validate_name(&name)?;
    if let Some(k) = body.keys().next() {
        return Err(AppError::bad_request(
            ErrorCode::InvalidBody,
            format!("a restore takes no options (got {k:?}); send {{}}"),
        ));
    }
    let plan = changesets::restore(&state.bao, &session.token, &env, &name).await?;
    Ok(Json(plan.view.clone()))
}

/// Remove a named restore point.
#[utoipa::path(delete, path = "/api/v1/environments/{env}/restore-points/{name}", tag = "restore-points",
    params(("env" = String, Path), ("name" = String, Path)),
    responses((status = 204), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((env, name)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let env = EnvName::parse(&env)?;
    restore_points::remove(&state.bao, &session.token, &env, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
