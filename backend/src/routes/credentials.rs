//! `/environments/{env}/credentials` and `/environments/{env}/credentials/{*path}`.
//!
//! GET, PUT and DELETE act on the credential at `{*path}`. POST never does: with POST the
//! last segment of `{*path}` is the action (`reveal`, `rollback`, `undelete`, `destroy`)
//! and the segments before it are the credential's path, so `POST …/db/password/reveal`
//! reveals `db/password`, and a credential may itself be named `reveal`.

use super::approvals::ask;
use super::json::ApiJson;
use crate::credentials::digests;
use crate::credentials::{self, Filter, Mode, DEFAULT_PAGE, MAX_PAGE};
use crate::error::AppError;
use crate::session::{CurrentSession, Session};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{
    ChangeFields, CredentialDetail, CredentialPage, CredentialPath, CredentialWrite,
    CredentialWritten, EnvName, RequestedChange, RevealedCredential, VersionRequest,
};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Only paths that start with this.
    pub prefix: Option<String>,
    /// Only this class.
    pub class: Option<String>,
    /// Case-insensitive text in the path, owner, description or labels.
    pub q: Option<String>,
    /// The `next` of the previous page.
    pub after: Option<String>,
    /// 1-10000, default 1000.
    pub limit: Option<String>,
    /// `true`: answer at once. Without the session's listing at hand, the page comes from
    /// a walk of OpenBao's paged LIST that stops after `limit` rows, and is `partial`.
    pub quick: Option<String>,
}

pub(super) fn parse_limit(
    limit: Option<&str>,
    default: usize,
    max: usize,
) -> Result<usize, AppError> {
    let Some(limit) = limit else {
        return Ok(default);
    };
    match limit.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(AppError::bad_request(
            ErrorCode::InvalidLimit,
            format!("limit must be a whole number from 1 to {max}"),
        )),
    }
}

pub use crate::credentials::validate_prefix;

/// The credentials of one environment, without values: one SCAN, filtered and paged here.
/// A SCAN already in flight for the same token is shared; when OpenBao is too busy to
/// answer in time, 503 `store_busy` with `Retry-After`.
#[utoipa::path(get, path = "/api/v1/environments/{env}/credentials", tag = "credentials",
    params(("env" = String, Path), ListParams),
    responses((status = 200, body = CredentialPage),
        (status = 400, body = crypter_api::ErrorBody), (status = 403, body = crypter_api::ErrorBody),
        (status = 404, body = crypter_api::ErrorBody), (status = 503, body = crypter_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(env): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Json<CredentialPage>, AppError> {
    let env = EnvName::parse(&env)?;
    let limit = parse_limit(params.limit.as_deref(), DEFAULT_PAGE, MAX_PAGE)?;
    if let Some(class) = params.class.as_deref().filter(|c| !c.is_empty()) {
        credentials::parse_class(class)?;
    }
    let mode = match params.quick.as_deref() {
        None | Some("" | "false") => Mode::Full,
        Some("true") => Mode::Quick,
        Some(_) => {
            return Err(AppError::bad_request(
                ErrorCode::InvalidQuick,
                "quick is true or false",
            ))
        }
    };
    let filter = Filter {
        prefix: validate_prefix(params.prefix)?,
        class: params.class.filter(|c| !c.is_empty()),
        q: params.q.filter(|q| !q.is_empty()),
    };
    let page = credentials::list(
        &state.listings,
        &state.bao,
        &session,
        &env,
        &filter,
        params.after.as_deref().filter(|a| !a.is_empty()),
        limit,
        mode,
    )
    .await?;
    Ok(Json(page))
}

fn parse_target(env: &str, path: &str) -> Result<(EnvName, CredentialPath), AppError> {
    Ok((EnvName::parse(env)?, CredentialPath::parse(path)?))
}

/// The detail: metadata and every version, never the value.
#[utoipa::path(get, path = "/api/v1/environments/{env}/credentials/{path}", tag = "credentials",
    params(("env" = String, Path), ("path" = String, Path, description = "1-8 segments, '/'-separated")),
    responses((status = 200, body = CredentialDetail),
        (status = 400, body = crypter_api::ErrorBody), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((env, path)): Path<(String, String)>,
) -> Result<Json<CredentialDetail>, AppError> {
    let (env, path) = parse_target(&env, &path)?;
    Ok(Json(
        credentials::detail(&state.bao, &session.token, &env, &path).await?,
    ))
}

/// Write a new version. `class` is required on create; `cas` makes it check-and-set.
#[utoipa::path(put, path = "/api/v1/environments/{env}/credentials/{path}", tag = "credentials",
    params(("env" = String, Path), ("path" = String, Path)), request_body = CredentialWrite,
    responses((status = 200, body = CredentialWritten),
        (status = 202, description = "The environment has an approval rule: the change is a request", body = crypter_api::RequestOpened),
        (status = 400, body = crypter_api::ErrorBody), (status = 403, body = crypter_api::ErrorBody),
        (status = 409, description = "check-and-set failed", body = crypter_api::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((env, path)): Path<(String, String)>,
    ApiJson(req): ApiJson<CredentialWrite>,
) -> Result<Response, AppError> {
    let (env, path) = parse_target(&env, &path)?;
    credentials::validate_write(&req)?;
    let change = RequestedChange::CredentialWrite {
        path: path.to_string(),
        fields: ChangeFields::of(&req),
    };
    if let Some(asked) = ask(
        &state,
        &session,
        &env,
        &path,
        change,
        Some(&req.data),
        req.cas,
    )
    .await?
    {
        return Ok(asked);
    }
    let keep_digest = |version| {
        let kept = digests::Written {
            path: path.to_string(),
            version,
            value: digests::canonical(&req.data),
        };
        digests::keep_or_log(&state.records, &env, vec![kept])
    };
    let result = credentials::put(
        &state.bao,
        &session.token,
        &session.username,
        &env,
        &path,
        &req,
        keep_digest,
    )
    .await;
    Ok(Json(with_row(&state, &session, &env, &path, result).await?).into_response())
}

/// Soft-delete the current version (undelete brings it back).
#[utoipa::path(delete, path = "/api/v1/environments/{env}/credentials/{path}", tag = "credentials",
    params(("env" = String, Path), ("path" = String, Path)),
    responses((status = 200, body = CredentialWritten),
        (status = 202, description = "The environment has an approval rule: the change is a request", body = crypter_api::RequestOpened),
        (status = 404, body = crypter_api::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((env, path)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (env, path) = parse_target(&env, &path)?;
    let change = RequestedChange::CredentialDelete {
        path: path.to_string(),
    };
    if let Some(asked) = ask(&state, &session, &env, &path, change, None, None).await? {
        return Ok(asked);
    }
    let result = credentials::soft_delete(&state.bao, &session.token, &env, &path).await;
    Ok(Json(with_row(&state, &session, &env, &path, result).await?).into_response())
}

/// After a change, the credential's new row goes into the answer and into the session's
/// listing, so neither the console nor the next page or search needs a new SCAN.
pub(super) async fn with_row(
    state: &AppState,
    session: &Session,
    env: &EnvName,
    path: &CredentialPath,
    result: Result<CredentialWritten, AppError>,
) -> Result<CredentialWritten, AppError> {
    let mut written = result?;
    if let Ok(row) = credentials::summary_of(&state.bao, &session.token, env, path).await {
        state.listings.put_row(session, env, row.clone());
        written.row = Some(row);
    }
    Ok(written)
}

/// `POST …/{path}/{action}`: `reveal` (body `{version?}`, the only way a value leaves),
/// `rollback` (`{version}`), `undelete` and `destroy` (`{versions?}`, default the current one).
#[utoipa::path(post, path = "/api/v1/environments/{env}/credentials/{path}/{action}", tag = "credentials",
    params(("env" = String, Path), ("path" = String, Path),
        ("action" = String, Path, description = "reveal, rollback, undelete or destroy")),
    request_body = VersionRequest,
    responses((status = 200, description = "reveal: RevealedCredential; others: CredentialWritten", body = RevealedCredential),
        (status = 400, body = crypter_api::ErrorBody), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn action(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((env, rest)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let Some((path, action)) = rest.rsplit_once('/') else {
        return Err(AppError::bad_request(
            ErrorCode::InvalidAction,
            "POST to …/credentials/<path>/<action>, where action is reveal, rollback, undelete or destroy",
        ));
    };
    let (env, path) = parse_target(&env, path)?;
    let req: VersionRequest = if body.iter().all(u8::is_ascii_whitespace) {
        VersionRequest::default()
    } else {
        let ApiJson(req) = ApiJson::<VersionRequest>::from_bytes(&body)?;
        req
    };
    let (bao, token) = (&state.bao, &session.token);
    match action {
        "reveal" => {
            let result = credentials::reveal(bao, token, &env, &path, req.version).await;
            Ok(Json::<RevealedCredential>(result?).into_response())
        }
        "rollback" => {
            let version = req.version.ok_or_else(|| {
                AppError::bad_request(
                    ErrorCode::InvalidVersion,
                    "give the version to roll back to: {\"version\": N}",
                )
            })?;
            let change = RequestedChange::CredentialRollback {
                path: path.to_string(),
                version,
            };
            if let Some(asked) = ask(&state, &session, &env, &path, change, None, None).await? {
                return Ok(asked);
            }
            let result = credentials::rollback(bao, token, &env, &path, version).await;
            if result.is_ok() {
                digests::refresh(&state.records, bao, token, &env, &path).await;
            }
            let written = with_row(&state, &session, &env, &path, result).await?;
            Ok(Json(written).into_response())
        }
        "undelete" | "destroy" => {
            if action == "destroy" {
                let change = RequestedChange::CredentialDestroy {
                    path: path.to_string(),
                    versions: req.versions.clone(),
                };
                if let Some(asked) = ask(&state, &session, &env, &path, change, None, None).await? {
                    return Ok(asked);
                }
            }
            let result = if action == "undelete" {
                credentials::undelete(bao, token, &env, &path, &req.versions).await
            } else {
                credentials::destroy(bao, token, &env, &path, &req.versions).await
            };
            let written = with_row(&state, &session, &env, &path, result).await?;
            Ok(Json(written).into_response())
        }
        other => Err(AppError::bad_request(
            ErrorCode::InvalidAction,
            format!("unknown action {other:?}: use reveal, rollback, undelete or destroy"),
        )),
    }
}
