//! Log in, who am I, log out. The OpenBao token never leaves this file's responses: the
//! browser gets an opaque session cookie and a CSRF token; the token goes, sealed, into
//! the session's record in OpenBao (see `crate::session`).

use super::json::ApiJson;
use crate::bao::BaoError;
use crate::error::AppError;
use crate::session::{clear_cookie, over_tls, session_cookie, CurrentSession, NewSession};
use crate::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{LoginRequest, SessionInfo};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Log in with userpass or a token. Rate-limited per client address.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = SessionInfo),
        (status = 400, description = "Malformed request", body = crypter_api::ErrorBody),
        (status = 401, description = "Wrong username, password or token", body = crypter_api::ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = crypter_api::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    connect: Option<axum::extract::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, AppError> {
    let client: IpAddr = connect
        .map(|c| c.0 .0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    state
        .login_limiter
        .check(client)
        .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;

    let new = match req {
        LoginRequest::Userpass { username, password } => {
            if password.is_empty() {
                return Err(AppError::bad_request(
                    ErrorCode::InvalidPassword,
                    "enter a password",
                ));
            }
            userpass_login(&state, username.as_str(), password).await?
        }
        LoginRequest::Token { token, keep_token } => {
            if token.trim().is_empty() {
                return Err(AppError::bad_request(
                    ErrorCode::InvalidToken,
                    "enter a token",
                ));
            }
            token_login(&state, SecretString::from(token), keep_token).await?
        }
    };
    let (cookie, info) = open(&state, &headers, new).await?;
    Ok(([(header::SET_COOKIE, cookie)], Json(info)).into_response())
}

/// Keep a new login's session (in OpenBao, so every instance knows it) and make its cookie.
pub(super) async fn open(
    state: &AppState,
    headers: &HeaderMap,
    new: NewSession,
) -> Result<(axum::http::HeaderValue, SessionInfo), AppError> {
    let session = state.sessions.create(new).await?;
    tracing::info!(user = %session.username, method = %session.method, "logged in");
    let now = state.sessions.now();
    let max_age = session.ends_at.map_or(0, |t| (t - now).whole_seconds());
    let secure = state.settings.secure_cookies || over_tls(headers);
    Ok((session_cookie(&session.id, max_age, secure), session.info()))
}

async fn userpass_login(
    state: &AppState,
    username: &str,
    password: String,
) -> Result<NewSession, AppError> {
    let resp = state
        .bao
        .request(
            reqwest::Method::POST,
            &format!("auth/userpass/login/{username}"),
            None,
            Some(&json!({ "password": password })),
        )
        .await
        .map_err(login_failure)?
        .unwrap_or_default();
    let auth = resp.get("auth").cloned().unwrap_or_default();
    let token = auth
        .get("client_token")
        .and_then(Value::as_str)
        .ok_or_else(|| AppError::Store(BaoError::Decode("login returned no token".into())))?;
    // Userpass compares names case-insensitively and keeps them in lower case: the session
    // carries the name as OpenBao knows it, not as it was typed.
    let canonical = auth
        .pointer("/metadata/username")
        .and_then(Value::as_str)
        .map_or_else(|| username.to_lowercase(), str::to_owned);
    Ok(NewSession {
        token: SecretString::from(token.to_owned()),
        username: canonical,
        method: "userpass".into(),
        policies: crate::bao::strings(auth.get("token_policies").or_else(|| auth.get("policies"))),
        entity_id: entity(auth.get("entity_id")),
        token_ttl_secs: auth
            .get("lease_duration")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        keep_token: false,
    })
}

async fn token_login(
    state: &AppState,
    token: SecretString,
    keep_token: bool,
) -> Result<NewSession, AppError> {
    let data = lookup_self(state, &token).await.map_err(login_failure)?;
    let username = data
        .get("display_name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("token")
        .to_owned();
    Ok(NewSession {
        token,
        username,
        method: "token".into(),
        policies: crate::bao::strings(data.get("policies")),
        entity_id: entity(data.get("entity_id")),
        token_ttl_secs: data.get("ttl").and_then(Value::as_i64).unwrap_or(0),
        keep_token,
    })
}

fn entity(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

async fn lookup_self(state: &AppState, token: &SecretString) -> Result<Value, BaoError> {
    let resp = state
        .bao
        .request(
            reqwest::Method::GET,
            "auth/token/lookup-self",
            Some(token),
            None,
        )
        .await?
        .unwrap_or_default();
    Ok(resp.get("data").cloned().unwrap_or_default())
}

/// OpenBao answers a bad password with 400 and a bad token with 403; both mean "wrong
/// credentials" to the person logging in. Anything else (store down, sealed) is passed on.
fn login_failure(e: BaoError) -> AppError {
    match e {
        BaoError::Forbidden { .. } | BaoError::Rejected { status: 400, .. } => {
            AppError::InvalidCredentials
        }
        other => AppError::Store(other),
    }
}

/// Who am I. Asks OpenBao whether the token still lives, so a token revoked or expired
/// behind Crypter's back ends the session here too.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses(
        (status = 200, description = "The current session, with its CSRF token", body = SessionInfo),
        (status = 401, description = "Not logged in, or the session has ended", body = crypter_api::ErrorBody)))]
pub async fn whoami(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<SessionInfo>, AppError> {
    match lookup_self(&state, &session.token).await {
        Ok(_) => Ok(Json(session.info())),
        Err(BaoError::Forbidden { .. }) => {
            state.sessions.forget(&session).await?;
            Err(crate::session::not_logged_in())
        }
        Err(e) => Err(e.into()),
    }
}

/// Log out on any instance: revoke the OpenBao token, remove the session's record (every
/// instance then refuses it), clear the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses(
        (status = 204, description = "Logged out; the token is revoked"),
        (status = 401, description = "Not logged in", body = crypter_api::ErrorBody),
        (status = 403, description = "Missing or wrong CSRF header", body = crypter_api::ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentSession(session): CurrentSession,
) -> Result<Response, AppError> {
    state.sessions.end(&session).await?;
    state.listings.forget_session(&session.id);
    tracing::info!(user = %session.username, "logged out");
    let secure = state.settings.secure_cookies || over_tls(&headers);
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_cookie(secure))],
    )
        .into_response())
}
