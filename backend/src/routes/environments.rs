//! `/environments` and `/environments/{env}`.

use super::json::ApiJson;
use crate::environments;
use crate::error::AppError;
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{EnvName, Environment, EnvironmentCreate, EnvironmentUpdate};

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// `false`: leave out the credential counts (each is a SCAN of the environment, about
    /// half a second per 100,000 keys), e.g. for an environment picker.
    pub counts: Option<String>,
}

/// Every environment the store has, with its credential count.
#[utoipa::path(get, path = "/api/v1/environments", tag = "environments", params(ListParams),
    responses((status = 200, body = Vec<Environment>),
        (status = 400, body = crypter_api::ErrorBody),
        (status = 403, description = "OpenBao refused", body = crypter_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<Environment>>, AppError> {
    let envs = match params.counts.as_deref() {
        None | Some("" | "true") => environments::list(&state.bao, &session.token).await?,
        Some("false") => environments::records(&state.bao, &session.token).await?,
        Some(_) => {
            return Err(AppError::bad_request(
                ErrorCode::InvalidCounts,
                "counts is true or false",
            ))
        }
    };
    Ok(Json(envs))
}

/// Create an environment: mounts KV v2 at `env/<name>/` and writes its record.
#[utoipa::path(post, path = "/api/v1/environments", tag = "environments",
    request_body = EnvironmentCreate,
    responses((status = 201, body = Environment),
        (status = 400, description = "Invalid name, colour or description", body = crypter_api::ErrorBody),
        (status = 409, description = "It exists already", body = crypter_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<EnvironmentCreate>,
) -> Result<(StatusCode, Json<Environment>), AppError> {
    let result = environments::create(&state.bao, &session.token, &req).await;
    Ok((StatusCode::CREATED, Json(result?)))
}

#[utoipa::path(get, path = "/api/v1/environments/{env}", tag = "environments",
    params(("env" = String, Path)),
    responses((status = 200, body = Environment),
        (status = 404, body = crypter_api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(env): Path<String>,
) -> Result<Json<Environment>, AppError> {
    let env = EnvName::parse(&env)?;
    Ok(Json(
        environments::get(&state.bao, &session.token, &env).await?,
    ))
}

/// Change the description, colour or protection.
#[utoipa::path(patch, path = "/api/v1/environments/{env}", tag = "environments",
    params(("env" = String, Path)), request_body = EnvironmentUpdate,
    responses((status = 200, body = Environment),
        (status = 400, body = crypter_api::ErrorBody), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(env): Path<String>,
    ApiJson(req): ApiJson<EnvironmentUpdate>,
) -> Result<Json<Environment>, AppError> {
    let env = EnvName::parse(&env)?;
    let result = environments::update(&state.bao, &session.token, &env, &req).await;
    Ok(Json(result?))
}

/// Delete an empty environment (409 with the count while credentials remain).
#[utoipa::path(delete, path = "/api/v1/environments/{env}", tag = "environments",
    params(("env" = String, Path)),
    responses((status = 204, description = "Deleted"),
        (status = 404, body = crypter_api::ErrorBody),
        (status = 409, description = "Credentials remain", body = crypter_api::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(env): Path<String>,
) -> Result<StatusCode, AppError> {
    let env = EnvName::parse(&env)?;
    let result = environments::delete(&state.bao, &session.token, &env).await;
    result?;
    // A new environment of the same name starts at version 1: it must not inherit digests.
    if let Err(e) = crate::credentials::digests::forget(&state.records, &env).await {
        tracing::warn!(environment = %env, error = %e, "could not drop the environment's value digests");
    }
    Ok(StatusCode::NO_CONTENT)
}
