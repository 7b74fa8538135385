//! Single sign-on: the login methods, the two legs of an OIDC login, the SSO settings,
//! provider groups mapped to roles, and "why can I do this?". The login legs are browser
//! navigations (no session, no CSRF header): they answer with redirects, and a refused
//! login goes back to the login page with `?sso_error=<code>`.

use super::json::ApiJson;
use super::session::open;
use crate::error::AppError;
use crate::session::{over_tls, CurrentSession};
use crate::sso::login::{self, Callback, Refusal};
use crate::sso::{groups, settings, why, CALLBACK_PATH};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crypter_api::{
    AuthMethods, CredentialPath, EnvName, ErrorCode, GroupMapping, GroupMappingWrite,
    GroupMappings, SsoSettings, SsoSettingsView, WhyAnswer, WhyRequest,
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The cookie that binds a login to the browser that started it (OpenBao's `client_nonce`).
/// `SameSite=Lax`: the provider sends the browser back with a cross-site navigation.
const NONCE_COOKIE: &str = "crypter_sso";
const NONCE_MAX_AGE_SECS: u32 = 600;

/// How one can log in here; needs no session.
#[utoipa::path(get, path = "/api/v1/auth/methods", tag = "session",
    responses((status = 200, description = "The login methods the login page offers", body = AuthMethods)))]
pub async fn methods(State(state): State<AppState>) -> Result<Json<AuthMethods>, AppError> {
    Ok(Json(AuthMethods {
        methods: settings::methods(&state.records).await?,
    }))
}

/// Start an SSO login: off to the identity provider, with OpenBao's state, nonce and PKCE
/// challenge, and this browser's nonce in a cookie.
#[utoipa::path(get, path = "/api/v1/auth/oidc/start", tag = "session",
    responses((status = 303, description = "To the identity provider, or back to the login page with `sso_error`"),
        (status = 429, body = crypter_api::ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    connect: Option<axum::extract::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    limit(&state, connect.as_ref())?;
    let secure = state.settings.secure_cookies || over_tls(&headers);
    let redirect_uri = format!("{}{CALLBACK_PATH}", origin(&headers, secure));
    let nonce = crate::session::random_token();
    match login::auth_url(&state.bao, &redirect_uri, &nonce).await {
        Ok(url) => Ok(redirect(
            &url,
            Some(nonce_cookie(&nonce, NONCE_MAX_AGE_SECS, secure)),
        )),
        Err(refusal) => Ok(back_to_login(refusal, secure)),
    }
}

#[derive(serde::Deserialize)]
pub struct CallbackParams {
    #[serde(default)]
    state: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    error: Option<String>,
}

/// The provider sends the browser back here. OpenBao finishes the login; the session
/// cookie is set and the console opens.
#[utoipa::path(get, path = "/api/v1/auth/oidc/callback", tag = "session",
    params(("state" = String, Query), ("code" = String, Query)),
    responses((status = 303, description = "Logged in, to the console; or back to the login page with `sso_error`"),
        (status = 429, body = crypter_api::ErrorBody)))]
pub async fn callback(
    State(state): State<AppState>,
    connect: Option<axum::extract::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Result<Response, AppError> {
    limit(&state, connect.as_ref())?;
    let secure = state.settings.secure_cookies || over_tls(&headers);
    if params.error.is_some() {
        return Ok(back_to_login(Refusal::Denied, secure));
    }
    let nonce = read_nonce(&headers).unwrap_or_default();
    let finished = login::finish(
        &state.bao,
        &Callback {
            state: &params.state,
            code: &params.code,
            client_nonce: &nonce,
        },
    )
    .await;
    let new = match finished {
        Ok(new) => new,
        Err(refusal) => return Ok(back_to_login(refusal, secure)),
    };
    let (cookie, _) = open(&state, &headers, new).await?;
    let mut response = redirect("/", Some(cookie));
    response
        .headers_mut()
        .append(header::SET_COOKIE, nonce_cookie("", 0, secure));
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/settings/sso", tag = "users",
    responses((status = 200, body = SsoSettingsView)))]
pub async fn get_settings(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<SsoSettingsView>, AppError> {
    Ok(Json(settings::read(&state.bao, &session.token).await?))
}

/// Configure the identity provider in OpenBao (`auth/oidc`): its discovery URL, the client,
/// the console's callback URLs and the login button's label.
#[utoipa::path(put, path = "/api/v1/settings/sso", tag = "users", request_body = SsoSettings,
    responses((status = 200, body = SsoSettingsView), (status = 400, body = crypter_api::ErrorBody),
        (status = 403, body = crypter_api::ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<SsoSettings>,
) -> Result<Json<SsoSettingsView>, AppError> {
    Ok(Json(
        settings::write(&state.bao, &session.token, &req).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/sso/groups", tag = "roles",
    responses((status = 200, description = "Each provider group's roles, and how OpenBao's external group stands", body = GroupMappings)))]
pub async fn list_groups(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<GroupMappings>, AppError> {
    Ok(Json(GroupMappings {
        mappings: groups::list(&state.bao, &session.token).await?,
    }))
}

/// Map a provider group to roles (replacing its roles); OpenBao then holds an external
/// group with the roles' policies and an alias for the provider group. Also repairs drift.
#[utoipa::path(put, path = "/api/v1/sso/groups/{group}", tag = "roles", request_body = GroupMappingWrite,
    params(("group" = String, Path)),
    responses((status = 200, body = GroupMapping), (status = 400, body = crypter_api::ErrorBody),
        (status = 404, description = "A role does not exist", body = crypter_api::ErrorBody)))]
pub async fn put_group(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(group): Path<String>,
    ApiJson(req): ApiJson<GroupMappingWrite>,
) -> Result<Json<GroupMapping>, AppError> {
    Ok(Json(
        groups::put(&state.bao, &session.token, &group, &req.roles).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/sso/groups/{group}", tag = "roles",
    params(("group" = String, Path)),
    responses((status = 204), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn delete_group(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(group): Path<String>,
) -> Result<StatusCode, AppError> {
    groups::remove(&state.bao, &session.token, &group).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why someone (oneself by default) can or cannot do something on a credential: provider
/// group → OpenBao group → policy → grant → capability, each step answered by OpenBao.
/// A POST: OpenBao answers about roles through short-lived probe tokens it mints.
#[utoipa::path(post, path = "/api/v1/access/why", tag = "roles", request_body = WhyRequest,
    responses((status = 200, body = WhyAnswer), (status = 400, body = crypter_api::ErrorBody),
        (status = 403, description = "OpenBao does not let you read that person's identity", body = crypter_api::ErrorBody),
        (status = 404, body = crypter_api::ErrorBody)))]
pub async fn explain(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<WhyRequest>,
) -> Result<Json<WhyAnswer>, AppError> {
    let env = EnvName::parse(&req.env)
        .map_err(|e| AppError::bad_request(ErrorCode::InvalidEnvironment, e.to_string()))?;
    let path = CredentialPath::parse(&req.path)
        .map_err(|e| AppError::bad_request(ErrorCode::InvalidPath, e.to_string()))?;
    let subject = match &req.user {
        None => why::Subject::Myself {
            username: &session.username,
            entity_id: session.entity_id.as_deref(),
        },
        Some(name) => why::Subject::Person {
            method: req.method.as_deref().unwrap_or("userpass"),
            name,
        },
    };
    Ok(Json(
        why::explain(&state.bao, &session.token, subject, &env, &path).await?,
    ))
}

fn limit(
    state: &AppState,
    connect: Option<&axum::extract::Extension<ConnectInfo<SocketAddr>>>,
) -> Result<(), AppError> {
    let client: IpAddr = connect.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0 .0.ip());
    state
        .login_limiter
        .check(client)
        .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })
}

/// The console's origin as the browser sees it. OpenBao refuses a redirect URI the login
/// role does not list, so a forged `Host` gets no login.
fn origin(headers: &HeaderMap, secure: bool) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("{}://{host}", if secure { "https" } else { "http" })
}

fn redirect(to: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    if let Some(c) = cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

fn back_to_login(refusal: Refusal, secure: bool) -> Response {
    redirect(
        &format!("/login?sso_error={}", refusal.code().as_str()),
        Some(nonce_cookie("", 0, secure)),
    )
}

fn nonce_cookie(value: &str, max_age: u32, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{NONCE_COOKIE}={value}; Path=/api/v1/auth/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn read_nonce(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NONCE_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}
