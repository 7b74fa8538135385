//! `/users`: human (userpass) users and their roles, and `/settings/auth`: deprecated
//! login methods. Passwords are passed to OpenBao and nowhere else.

use super::json::ApiJson;
use crate::error::AppError;
use crate::roles::{settings, users};
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{AuthSettings, NewUser, User, UserRoles};

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = [User]), (status = 403, body = crypter_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Vec<User>>, AppError> {
    Ok(Json(users::list(&state.bao, &session.token).await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), (status = 400, body = crypter_api::ErrorBody),
        (status = 409, body = crypter_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<User>), AppError> {
    let result = users::create(&state.bao, &session.token, &new).await;
    result.map(|u| (StatusCode::CREATED, Json(u)))
}

/// Set the user's roles (its token policies become those roles' policies).
#[utoipa::path(put, path = "/api/v1/users/{name}", tag = "users", request_body = UserRoles,
    params(("name" = String, Path)),
    responses((status = 200, body = User), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn set_roles(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<UserRoles>,
) -> Result<Json<User>, AppError> {
    Ok(Json(
        users::set_roles(&state.bao, &session.token, &name, &req.roles).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/users/{name}", tag = "users",
    params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = crypter_api::ErrorBody),
        (status = 409, description = "That is your own user", body = crypter_api::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(name): Path<String>,
) -> Result<StatusCode, AppError> {
    if is_self(&session, &name) {
        return Err(AppError::Conflict(
            ErrorCode::SelfDelete,
            "you cannot delete the user you are logged in as; ask another administrator".into(),
        ));
    }
    let result = users::remove(&state.bao, &session.token, &name).await;
    result.map(|()| StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/settings/auth", tag = "users",
    responses((status = 200, body = AuthSettings)))]
pub async fn get_auth_settings(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<AuthSettings>, AppError> {
    Ok(Json(settings::read(&state.bao, &session.token).await?))
}

/// Replace the list of deprecated login methods (auth mount paths such as `userpass/`).
#[utoipa::path(put, path = "/api/v1/settings/auth", tag = "users", request_body = AuthSettings,
    responses((status = 200, body = AuthSettings), (status = 400, body = crypter_api::ErrorBody)))]
pub async fn put_auth_settings(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<AuthSettings>,
) -> Result<Json<AuthSettings>, AppError> {
    let normalised = settings::normalise(req)?;
    let result = settings::write(&state.bao, &session.token, &normalised).await;
    result.map(|()| Json(normalised))
}

/// Whether `name` is the logged-in user's own userpass user. Userpass compares names
/// case-insensitively, so `ADMIN` is `admin`; a token session made from a userpass login
/// is named `userpass-<name>` by OpenBao.
fn is_self(session: &crate::session::Session, name: &str) -> bool {
    let me = session.username.to_lowercase();
    let me = me.strip_prefix("userpass-").unwrap_or(&me);
    name.to_lowercase() == me
}
