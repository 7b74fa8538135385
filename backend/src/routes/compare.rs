//! `/compare` and `/promote`.

use super::json::ApiJson;
use crate::bao::Purpose;
use crate::credentials;
use crate::error::AppError;
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{Comparison, CredentialWritten, EnvName, PromoteRequest};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct CompareParams {
    /// Required: an environment is never implied.
    pub left: Option<String>,
    pub right: Option<String>,
    pub prefix: Option<String>,
}

fn required_env(value: Option<String>, side: &str) -> Result<EnvName, AppError> {
    match value.filter(|v| !v.is_empty()) {
        Some(v) => Ok(EnvName::parse(&v)?),
        None => Err(AppError::bad_request(
            ErrorCode::MissingEnvironment,
            format!("name the {side} environment: ?left=<env>&right=<env>"),
        )),
    }
}

/// Which paths each side holds and whether their values are equal (SHA-256 on the server).
#[utoipa::path(get, path = "/api/v1/compare", tag = "credentials", params(CompareParams),
    responses((status = 200, body = Comparison), (status = 400, body = crypter_api::ErrorBody),
        (status = 404, body = crypter_api::ErrorBody)))]
pub async fn compare(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Query(params): Query<CompareParams>,
) -> Result<Json<Comparison>, AppError> {
    let left = required_env(params.left, "left")?;
    let right = required_env(params.right, "right")?;
    let prefix = super::credentials::validate_prefix(params.prefix)?.unwrap_or_default();
    Ok(Json(
        credentials::compare(
            &state.bao.with_purpose(Purpose::Compare),
            &session.token,
            &left,
            &right,
            &prefix,
        )
        .await?,
    ))
}

/// Copy a credential's current version and metadata to another environment.
#[utoipa::path(post, path = "/api/v1/promote", tag = "credentials", request_body = PromoteRequest,
    responses((status = 200, body = CredentialWritten), (status = 202, description = "The target has an approval rule: the promote is a request", body = crypter_api::RequestOpened), (status = 400, body = crypter_api::ErrorBody),
        (status = 404, body = crypter_api::ErrorBody),
        (status = 409, description = "The target exists and overwrite is false", body = crypter_api::ErrorBody)))]
pub async fn promote(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<PromoteRequest>,
) -> Result<axum::response::Response, AppError> {
    let PromoteRequest {
        from,
        to,
        path,
        overwrite,
    } = req;
    // Promote reads the value to copy it; nobody sees it, so it is no reveal.
    let bao = state.bao.with_purpose(Purpose::Promote);
    if crate::approvals::rules::get(&state.records, &to)
        .await?
        .is_on()
    {
        let (data, meta, cas) =
            credentials::promotion(&bao, &session.token, &from, &to, &path, overwrite).await?;
        let write = crypter_api::CredentialWrite {
            data,
            class: meta
                .class
                .as_deref()
                .and_then(crypter_api::CredentialClass::parse),
            owner: meta.owner,
            description: meta.description,
            labels: meta.labels,
            rotate_after_days: meta.rotate_after_days,
            expires: meta.expires,
            cas: Some(cas),
        };
        let change = crypter_api::RequestedChange::CredentialWrite {
            path: path.to_string(),
            fields: crypter_api::ChangeFields::of(&write),
        };
        let asked = super::approvals::ask(
            &state,
            &session,
            &to,
            &path,
            change,
            Some(&write.data),
            write.cas,
        );
        if let Some(response) = asked.await? {
            return Ok(response);
        }
    }
    let result = credentials::promote(&bao, &session.token, &from, &to, &path, overwrite).await;
    if result.is_ok() {
        let records = &state.records;
        credentials::digests::refresh(records, &state.bao, &session.token, &to, &path).await;
    }
    let written = super::credentials::with_row(&state, &session, &to, &path, result).await?;
    Ok(Json(written).into_response())
}
