//! `/activity` (the feed, read from OpenBao's audit log) and `/audit/ingest` (audit lines
//! posted by an operator's log shipper).

use crate::activity::{ingest, Cursor};
use crate::error::AppError;
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{ActivityAction, ActivityPage};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ActivityParams {
    /// The `next` of the previous page.
    pub before: Option<String>,
    /// 1-500, default 50.
    pub limit: Option<String>,
    /// `false` leaves out Crypter's own value reads (plan, compare, lint, …), which carry a
    /// purpose; default `true`.
    pub own_reads: Option<String>,
    /// Only events of this action (`credential.reveal`, `policy.write`, …: see
    /// `ActivityAction`); every action when left out.
    pub action: Option<String>,
    /// `true` includes the backend identity's own records (`approle:crypter-backend`:
    /// session and job records, digests); default `false`, so people's actions come first.
    pub backend_records: Option<String>,
}

/// `true`/`false` (absent: `default`), or a 400 naming the parameter.
fn flag(value: Option<&str>, name: &'static str, default: bool) -> Result<bool, AppError> {
    match value {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(AppError::bad_request(
            if name == "own_reads" {
                ErrorCode::InvalidOwnReads
            } else {
                ErrorCode::InvalidBackendRecords
            },
            format!("{name} is true or false"),
        )),
    }
}

/// The activity feed, newest first: every change and every reveal OpenBao audited,
/// including requests made outside Crypter. Needs `read` on `sys/audit`; events of an
/// environment show only to those who may list it.
#[utoipa::path(get, path = "/api/v1/activity", tag = "activity", params(ActivityParams),
    responses((status = 200, body = ActivityPage), (status = 400, body = crypter_api::ErrorBody),
        (status = 403, description = "The session may not read sys/audit", body = crypter_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Query(params): Query<ActivityParams>,
) -> Result<Json<ActivityPage>, AppError> {
    let limit = match params.limit.as_deref() {
        None => 50,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| {
                AppError::bad_request(
                    ErrorCode::InvalidLimit,
                    "limit must be a whole number from 1 to 500",
                )
            })?,
    };
    let before = match params.before.as_deref() {
        None => None,
        Some(b) => Some(Cursor::parse(b).ok_or_else(|| {
            AppError::bad_request(
                ErrorCode::InvalidBefore,
                "before must be the `next` of a previous page",
            )
        })?),
    };
    let feed = &state.activity;
    let own_reads = flag(params.own_reads.as_deref(), "own_reads", true)?;
    let backend = flag(params.backend_records.as_deref(), "backend_records", false)?;
    let backend_actor = format!("approle:{}", crate::bootstrap::BACKEND_ROLE);
    let action = match params.action.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(ActivityAction::parse(a).ok_or_else(|| unknown_action(a))?),
    };
    let keep = |e: &crypter_api::ActivityEvent| {
        (own_reads || !(e.purpose.is_some() && e.operation == "read"))
            && (backend || e.actor != backend_actor)
            && action.is_none_or(|a| e.action == a)
    };
    let page = feed
        .page(&state.bao, &session.token, before, limit, keep)
        .await?;
    Ok(Json(ActivityPage {
        events: page.events,
        next: page.next,
        feed: feed.status(),
    }))
}

fn unknown_action(text: &str) -> AppError {
    let names: Vec<&str> = ActivityAction::ALL.iter().map(|a| a.as_str()).collect();
    AppError::bad_request(
        ErrorCode::InvalidAction,
        format!("unknown action {text:?}; use one of {}", names.join(", ")),
    )
}

/// Append OpenBao audit lines (one JSON entry per line) posted by a log shipper. Takes an
/// OpenBao token in `X-Vault-Token` or `Authorization: Bearer`, which needs `update` on
/// `crypter/audit/ingest` (policy `crypter-audit-ingest`); no session, so no CSRF token.
#[utoipa::path(post, path = "/api/v1/audit/ingest", tag = "activity",
    request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, description = "`{accepted: n}`"),
        (status = 400, description = "A line is not an audit entry; nothing was kept", body = crypter_api::ErrorBody),
        (status = 401, body = crypter_api::ErrorBody), (status = 403, body = crypter_api::ErrorBody),
        (status = 404, description = "No --audit-ingest-file", body = crypter_api::ErrorBody)))]
pub async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Result<Json<Value>, AppError> {
    let token = bearer(&headers).ok_or_else(|| {
        AppError::Unauthenticated(
            "send the shipper's OpenBao token in X-Vault-Token or Authorization: Bearer".into(),
        )
    })?;
    let accepted = ingest::ingest(&state.activity, &state.bao, &token, &body).await?;
    Ok(Json(json!({ "accepted": accepted })))
}

fn bearer(headers: &HeaderMap) -> Option<SecretString> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    text("x-vault-token")
        .or_else(|| text("authorization").and_then(|a| a.strip_prefix("Bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| SecretString::from(t.to_owned()))
}
