//! `/api/v1/freeze`: state, freeze, thaw, verify, and the writes that got through. The
//! engine is `crate::freeze`.

use super::json::ApiJson;
use crate::activity::frozen::{self, Window};
use crate::error::AppError;
use crate::freeze::ThawOptions;
use crate::session::{CurrentSession, Session};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{
    FreezeRequest, FreezeState, FrozenWrites, ThawRequest, ThawResult, Verification,
};

/// The current freeze: level, since, by whom, reason, and whether it was verified.
#[utoipa::path(get, path = "/api/v1/freeze", tag = "freeze",
    responses((status = 200, body = FreezeState), (status = 401, body = crypter_api::ErrorBody)))]
pub async fn state(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<FreezeState>, AppError> {
    let (record, _) = crate::freeze::load_record(&state.bao, &session.token).await?;
    state.freeze.set(record.clone());
    Ok(Json(record.to_state()))
}

/// Freeze the store at `provisioning` or `full` (or change the level). Idempotent.
#[utoipa::path(put, path = "/api/v1/freeze", tag = "freeze", request_body = FreezeRequest,
    responses(
        (status = 200, description = "Frozen", body = FreezeState),
        (status = 400, description = "Unknown level or no reason", body = crypter_api::ErrorBody),
        (status = 403, description = "OpenBao refused (no right to rewrite policies)", body = crypter_api::ErrorBody),
        (status = 409, description = "A policy cannot be parsed, a write failed (rolled back), or policies changed while frozen", body = crypter_api::ErrorBody)))]
pub async fn freeze(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<FreezeRequest>,
) -> Result<Json<FreezeState>, AppError> {
    let reason = req.reason.trim();
    if reason.is_empty() || reason.len() > 500 {
        return Err(AppError::bad_request(
            ErrorCode::InvalidReason,
            "give a reason for the freeze (1-500 characters); it is shown to everyone",
        ));
    }
    let actor = crate::freeze::Actor {
        name: &session.username,
        policies: &session.policies,
    };
    let result = crate::freeze::freeze(&state.bao, &session.token, &actor, req.level, reason).await;
    refresh_cache(&state, &session).await;
    Ok(Json(result?))
}

/// Thaw: restore every policy from the snapshot. 409 with diffs if a policy changed while
/// frozen, unless `force` with a `reason`; 409 naming the good versions when the snapshot
/// is damaged or missing, from which a forced thaw may restore (`snapshot_version`).
#[utoipa::path(delete, path = "/api/v1/freeze", tag = "freeze", request_body(content = ThawRequest, description = "Optional"),
    responses(
        (status = 200, description = "Thawed; each restored policy checked against the snapshot", body = ThawResult),
        (status = 400, description = "A forced thaw without a reason", body = crypter_api::ErrorBody),
        (status = 409, description = "Policies changed while frozen (error.details.conflicts has the diffs), or the snapshot is damaged (error.details.versions)", body = crypter_api::ErrorBody)))]
pub async fn thaw(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    body: Bytes,
) -> Result<Json<ThawResult>, AppError> {
    let req: ThawRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ThawRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            AppError::bad_request(
                ErrorCode::InvalidJson,
                format!("the body does not match what thaw takes: {e}"),
            )
        })?
    };
    let opts = ThawOptions {
        force: req.force,
        reason: req.reason.as_deref(),
        snapshot_version: req.snapshot_version,
    };
    let result = crate::freeze::thaw(&state.bao, &session.token, &session.username, opts).await;
    refresh_cache(&state, &session).await;
    Ok(Json(result?))
}

/// Prove the freeze with live write probes; `verified` only when every probe matched. The
/// answer also lists the writes that got through the freeze so far (audit feed).
#[utoipa::path(post, path = "/api/v1/freeze/verify", tag = "freeze",
    responses(
        (status = 200, description = "Every probe, expected against got", body = Verification),
        (status = 409, description = "The store is not frozen", body = crypter_api::ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Verification>, AppError> {
    let result = crate::freeze::verify::verify(&state.bao, &session.token, &session.username).await;
    refresh_cache(&state, &session).await;
    let mut verification = result?;
    verification.writes_through_freeze = writes_through(&state, &session).await.ok();
    Ok(Json(verification))
}

/// While frozen: every audited, successful write to a frozen path since the freeze,
/// whoever made it (root included); an apply job's writes are listed apart, per job.
#[utoipa::path(get, path = "/api/v1/freeze/writes", tag = "freeze",
    responses((status = 200, body = FrozenWrites),
        (status = 403, description = "The session may not see the activity feed", body = crypter_api::ErrorBody)))]
pub async fn writes(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<FrozenWrites>, AppError> {
    Ok(Json(writes_through(&state, &session).await?))
}

pub async fn writes_through(state: &AppState, session: &Session) -> Result<FrozenWrites, AppError> {
    let (record, _) = crate::freeze::load_record(&state.bao, &session.token).await?;
    let patterns = record.patterns();
    let window = Window {
        level: record.level.as_str(),
        patterns: &patterns,
        since: record.since.as_deref(),
        until: None,
    };
    frozen::list(&state.activity, &state.bao, &session.token, &window).await
}

async fn refresh_cache(state: &AppState, session: &Session) {
    if let Ok((record, _)) = crate::freeze::load_record(&state.bao, &session.token).await {
        state.freeze.set(record);
    }
}
