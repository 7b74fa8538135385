//! `/roles`: roles and their grants, the derived policy and drift, check access, and
//! machine logins (secret-ids). The logic lives in `crate::roles`.

use super::json::ApiJson;
use crate::error::AppError;
use crate::roles::{self, access, machine, settings};
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{
    AccessCheck, AccessCheckRequest, IssuedSecretId, PolicyPreview, Role, RoleName, RolePolicy,
    RoleSummary, SecretIdInfo, SecretIdRequest,
};

fn role_name(name: &str) -> Result<RoleName, AppError> {
    Ok(RoleName::parse(name)?)
}

/// Every role, with class, grant count and drift.
#[utoipa::path(get, path = "/api/v1/roles", tag = "roles",
    responses((status = 200, body = [RoleSummary]), (status = 403, body = crypter_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Vec<RoleSummary>>, AppError> {
    let bao = &state.bao;
    let deprecated = settings::read(bao, &session.token)
        .await?
        .deprecated_methods;
    let roles = roles::list_with_drift(bao, &session.token).await?;
    Ok(Json(
        roles
            .iter()
            .map(|(role, drift)| roles::summary(role, *drift, &deprecated))
            .collect(),
    ))
}

/// Create a role: its record, its policy and (for machine classes) its AppRole.
#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", request_body = Role,
    responses((status = 201, body = Role),
        (status = 202, description = "It grants on a protected environment: a request", body = crypter_api::RequestOpened),
        (status = 400, body = crypter_api::ErrorBody), (status = 409, body = crypter_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(role): ApiJson<Role>,
) -> Result<axum::response::Response, AppError> {
    roles::validate_shape(&role)?;
    if let Some(asked) = super::approvals::ask_role(&state, &session, &role, true).await? {
        return Ok(asked);
    }
    roles::save(&state.bao, &session.token, &role, true).await?;
    Ok((StatusCode::CREATED, Json(role)).into_response())
}

#[utoipa::path(get, path = "/api/v1/roles/{name}", tag = "roles",
    params(("name" = String, Path)),
    responses((status = 200, body = Role), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(name): Path<String>,
) -> Result<Json<Role>, AppError> {
    let name = role_name(&name)?;
    Ok(Json(roles::get(&state.bao, &session.token, &name).await?))
}

/// Replace a role's class, description and grants; rewrites its policy.
#[utoipa::path(put, path = "/api/v1/roles/{name}", tag = "roles", request_body = Role,
    params(("name" = String, Path)),
    responses((status = 200, body = Role),
        (status = 202, description = "It changes the grants on a protected environment: a request", body = crypter_api::RequestOpened),
        (status = 400, body = crypter_api::ErrorBody), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(name): Path<String>,
    ApiJson(role): ApiJson<Role>,
) -> Result<axum::response::Response, AppError> {
    let name = role_name(&name)?;
    if role.name != name {
        return Err(AppError::bad_request(
            ErrorCode::NameMismatch,
            format!(
                "the body names role {} but the URL names {name}; roles cannot be renamed",
                role.name
            ),
        ));
    }
    roles::validate_shape(&role)?;
    if let Some(asked) = super::approvals::ask_role(&state, &session, &role, false).await? {
        return Ok(asked);
    }
    roles::save(&state.bao, &session.token, &role, false).await?;
    Ok(Json(role).into_response())
}

/// Delete a role with its policy, AppRole and kept e2e secret-id.
#[utoipa::path(delete, path = "/api/v1/roles/{name}", tag = "roles",
    params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(name): Path<String>,
) -> Result<StatusCode, AppError> {
    let name = role_name(&name)?;
    let result = roles::remove(&state.bao, &session.token, &name).await;
    result.map(|()| StatusCode::NO_CONTENT)
}

/// The derived policy, the live one, and whether they differ.
#[utoipa::path(get, path = "/api/v1/roles/{name}/policy", tag = "roles",
    params(("name" = String, Path)),
    responses((status = 200, body = RolePolicy), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn policy(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(name): Path<String>,
) -> Result<Json<RolePolicy>, AppError> {
    let name = role_name(&name)?;
    let role = roles::get(&state.bao, &session.token, &name).await?;
    let derived = roles::rules::derive_now(&state.bao, &session.token, &name, &role.grants).await?;
    let live = roles::live_policy(&state.bao, &session.token, &name).await?;
    Ok(Json(RolePolicy {
        name: roles::policy_name(&name),
        drift: live.as_deref() != Some(derived.as_str()),
        derived,
        live,
    }))
}

/// The policy a role would get, against the live one: the diff shown before saving.
#[utoipa::path(post, path = "/api/v1/roles/{name}/policy/preview", tag = "roles", request_body = Role,
    params(("name" = String, Path)),
    responses((status = 200, body = PolicyPreview), (status = 400, body = crypter_api::ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(name): Path<String>,
    ApiJson(role): ApiJson<Role>,
) -> Result<Json<PolicyPreview>, AppError> {
    if role.name != role_name(&name)? {
        return Err(AppError::bad_request(
            ErrorCode::NameMismatch,
            "the body and the URL name different roles",
        ));
    }
    roles::validate_shape(&role)?;
    let live = roles::live_policy(&state.bao, &session.token, &role.name).await?;
    Ok(Json(PolicyPreview {
        derived: roles::rules::derive_now(&state.bao, &session.token, &role.name, &role.grants)
            .await?,
        live,
    }))
}

/// What OpenBao's `sys/capabilities` says the role may do on one credential (`path`) or
/// one key (`key`).
#[utoipa::path(post, path = "/api/v1/roles/{name}/check", tag = "roles",
    params(("name" = String, Path)), request_body = AccessCheckRequest,
    responses((status = 200, body = AccessCheck), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<AccessCheckRequest>,
) -> Result<Json<AccessCheck>, AppError> {
    let name = role_name(&name)?;
    let answer = access::check(
        &state.bao,
        &session.token,
        &name,
        &req.environment,
        req.path.as_ref(),
        req.key.as_ref(),
    )
    .await?;
    Ok(Json(answer))
}

/// Issue a secret-id. Its value is in this answer only.
#[utoipa::path(post, path = "/api/v1/roles/{name}/secret-ids", tag = "roles",
    params(("name" = String, Path)), request_body = SecretIdRequest,
    responses((status = 201, body = IssuedSecretId), (status = 400, body = crypter_api::ErrorBody)))]
pub async fn issue_secret_id(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<SecretIdRequest>,
) -> Result<(StatusCode, Json<IssuedSecretId>), AppError> {
    let name = role_name(&name)?;
    let ttl = machine::parse_ttl(&req.ttl)?;
    let now = time::OffsetDateTime::now_utc();
    let issued = machine::issue(&state.bao, &session.token, &name, ttl, now).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

#[utoipa::path(get, path = "/api/v1/roles/{name}/secret-ids", tag = "roles",
    params(("name" = String, Path)),
    responses((status = 200, body = [SecretIdInfo]), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn list_secret_ids(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(name): Path<String>,
) -> Result<Json<Vec<SecretIdInfo>>, AppError> {
    let name = role_name(&name)?;
    Ok(Json(
        machine::list(&state.bao, &session.token, &name).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/roles/{name}/secret-ids/{accessor}", tag = "roles",
    params(("name" = String, Path), ("accessor" = String, Path)),
    responses((status = 204), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn revoke_secret_id(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((name, accessor)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let name = role_name(&name)?;
    let result = machine::revoke(&state.bao, &session.token, &name, &accessor).await;
    result.map(|()| StatusCode::NO_CONTENT)
}
