//! `/environments/{env}/keys`, `/environments/{env}/keys/{name}` and
//! `/environments/{env}/keys/{name}/{action}`. The logic lives in `crate::keys`.

use super::json::ApiJson;
use crate::error::AppError;
use crate::keys;
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{
    CiphertextCount, EnvName, KeyCreate, KeyDetail, KeyName, KeyOperation, KeyRequest, KeyResult,
    KeySummary, KeyUpdate, ScanRequest,
};
use time::OffsetDateTime;

fn target(env: &str, name: &str) -> Result<(EnvName, KeyName), AppError> {
    Ok((EnvName::parse(env)?, KeyName::parse(name)?))
}

/// The environment's keys: type, latest version, last rotated and rotation due.
#[utoipa::path(get, path = "/api/v1/environments/{env}/keys", tag = "keys",
    params(("env" = String, Path)),
    responses((status = 200, body = Vec<KeySummary>),
        (status = 403, body = crypter_api::ErrorBody), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(env): Path<String>,
) -> Result<Json<Vec<KeySummary>>, AppError> {
    let env = EnvName::parse(&env)?;
    let now = OffsetDateTime::now_utc();
    Ok(Json(
        keys::list(&state.bao, &session.token, &env, now).await?,
    ))
}

/// Create a key in the environment's transit mount. Never exportable.
#[utoipa::path(post, path = "/api/v1/environments/{env}/keys", tag = "keys",
    params(("env" = String, Path)), request_body = KeyCreate,
    responses((status = 201, body = KeyDetail),
        (status = 400, body = crypter_api::ErrorBody), (status = 403, body = crypter_api::ErrorBody),
        (status = 409, description = "A key of that name exists", body = crypter_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(env): Path<String>,
    ApiJson(req): ApiJson<KeyCreate>,
) -> Result<(StatusCode, Json<KeyDetail>), AppError> {
    let env = EnvName::parse(&env)?;
    let made = keys::create(&state.bao, &session.token, &session.username, &env, &req).await;
    Ok((StatusCode::CREATED, Json(made?)))
}

/// The key: its versions, who turned deletion on, and the ciphertexts known of it.
#[utoipa::path(get, path = "/api/v1/environments/{env}/keys/{name}", tag = "keys",
    params(("env" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = KeyDetail), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((env, name)): Path<(String, String)>,
) -> Result<Json<KeyDetail>, AppError> {
    let (env, name) = target(&env, &name)?;
    let now = OffsetDateTime::now_utc();
    Ok(Json(
        keys::get(&state.bao, &session.token, &env, &name, now).await?,
    ))
}

/// Change the record (owner, description, labels, rotation period) and the key's
/// configuration (minimum versions, automatic rotation, deletion with a reason).
#[utoipa::path(patch, path = "/api/v1/environments/{env}/keys/{name}", tag = "keys",
    params(("env" = String, Path), ("name" = String, Path)), request_body = KeyUpdate,
    responses((status = 200, body = KeyDetail),
        (status = 202, description = "A configuration change on a protected environment: a request", body = crypter_api::RequestOpened),
        (status = 400, body = crypter_api::ErrorBody),
        (status = 403, description = "OpenBao refused (e.g. deletion by a non-operator)", body = crypter_api::ErrorBody),
        (status = 404, body = crypter_api::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((env, name)): Path<(String, String)>,
    ApiJson(req): ApiJson<KeyUpdate>,
) -> Result<Response, AppError> {
    let (env, name) = target(&env, &name)?;
    let asked = super::approvals::ask_key_configure(&state, &session, &env, &name, &req);
    if let Some(response) = asked.await? {
        return Ok(response);
    }
    let (bao, token) = (&state.bao, &session.token);
    let done = keys::update(bao, token, &session.username, &env, &name, &req).await;
    Ok(Json(done?).into_response())
}

/// Delete a key whose deletion an operator turned on (409 otherwise).
#[utoipa::path(delete, path = "/api/v1/environments/{env}/keys/{name}", tag = "keys",
    params(("env" = String, Path), ("name" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = crypter_api::ErrorBody),
        (status = 409, description = "Deletion is off for this key", body = crypter_api::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((env, name)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let (env, name) = target(&env, &name)?;
    keys::delete(&state.bao, &session.token, &env, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `rotate` (no body; answers the key), `scan` (`ScanRequest`; answers the counts), or one
/// of `encrypt`, `decrypt`, `rewrap`, `sign`, `verify`, `hmac` (`KeyRequest`; answers a
/// `KeyResult`). Values pass through to OpenBao and back, never logged or kept.
#[utoipa::path(post, path = "/api/v1/environments/{env}/keys/{name}/{action}", tag = "keys",
    params(("env" = String, Path), ("name" = String, Path),
        ("action" = String, Path, description = "rotate, scan, encrypt, decrypt, rewrap, sign, verify or hmac")),
    request_body = KeyRequest,
    responses((status = 200, description = "rotate: KeyDetail; scan: CiphertextCount; others: KeyResult", body = KeyResult),
        (status = 400, body = crypter_api::ErrorBody), (status = 403, body = crypter_api::ErrorBody),
        (status = 404, body = crypter_api::ErrorBody)))]
pub async fn action(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((env, name, action)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (env, name) = target(&env, &name)?;
    let (bao, token) = (&state.bao, &session.token);
    match action.as_str() {
        "rotate" => {
            if let Some(asked) = super::approvals::ask_rotate(&state, &session, &env, &name).await?
            {
                return Ok(asked);
            }
            let key = keys::rotate(bao, token, &env, &name).await;
            Ok(Json::<KeyDetail>(key?).into_response())
        }
        "scan" => {
            let ApiJson(req) = ApiJson::<ScanRequest>::from_bytes(&body)?;
            let counted = keys::scan::scan(bao, token, &session.username, &env, &name, &req).await;
            Ok(Json::<CiphertextCount>(counted?).into_response())
        }
        other => {
            let op = KeyOperation::parse(other).ok_or_else(|| {
                AppError::bad_request(
                    ErrorCode::InvalidAction,
                    format!(
                        "unknown key action {other:?}: use rotate, scan, encrypt, decrypt, \
                         rewrap, sign, verify or hmac"
                    ),
                )
            })?;
            let ApiJson(req) = ApiJson::<KeyRequest>::from_bytes(&body)?;
            let result = keys::ops::operate(bao, token, &env, &name, op, &req).await;
            Ok(Json::<KeyResult>(result?).into_response())
        }
    }
}
