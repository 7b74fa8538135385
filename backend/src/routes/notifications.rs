//! `/notifications/subscriptions`: who is told of which events, "send test", and the dead
//! letters with "retry". Subscriptions are written and read with the caller's own token,
//! so OpenBao decides who manages them; sending (a test, a retry) needs `update` on the
//! subscription's record, asked of OpenBao with the caller's token too.

use super::json::ApiJson;
use crate::activity::visibility::capabilities_self;
use crate::error::AppError;
use crate::notifications::{send, state, subscriptions};
use crate::session::{CurrentSession, Session};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{
    ActivityAction, ActivityEvent, DeadLetter, DeliveryResult, Subscription, SubscriptionCreate,
    SubscriptionCreated,
};
use std::time::Duration;

/// A test or a retry waits at most this long for the receiver.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Make a subscription. Answers with its signing secret, shown this once. Nothing is sent
/// now: only events after its creation are delivered.
#[utoipa::path(post, path = "/api/v1/notifications/subscriptions", tag = "notifications",
    request_body = SubscriptionCreate,
    responses((status = 201, body = SubscriptionCreated),
        (status = 400, description = "Not https, the store itself, an unknown action, a filter too large", body = crypter_api::ErrorBody),
        (status = 403, description = "OpenBao refused: subscriptions are admins' and operators' records", body = crypter_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<SubscriptionCreate>,
) -> Result<(StatusCode, Json<SubscriptionCreated>), AppError> {
    let made = subscriptions::create(
        &state.bao,
        &state.records,
        &session.token,
        &session.username,
        &req,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Every subscription, oldest first (never a secret).
#[utoipa::path(get, path = "/api/v1/notifications/subscriptions", tag = "notifications",
    responses((status = 200, body = Vec<Subscription>), (status = 403, body = crypter_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Vec<Subscription>>, AppError> {
    Ok(Json(subscriptions::list(&state.bao, &session.token).await?))
}

#[utoipa::path(get, path = "/api/v1/notifications/subscriptions/{id}", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = Subscription), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<Subscription>, AppError> {
    Ok(Json(
        subscriptions::get(&state.bao, &session.token, &id).await?,
    ))
}

/// Remove a subscription, with its cursor, lease and dead letters.
#[utoipa::path(delete, path = "/api/v1/notifications/subscriptions/{id}", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    subscriptions::delete(&state.bao, &state.records, &session.token, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The subscription, once OpenBao says the caller may change it (`update` on its record).
async fn changeable(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<subscriptions::Stored, AppError> {
    subscriptions::get(&state.bao, &session.token, id).await?;
    let path = subscriptions::data_path(id);
    let caps = capabilities_self(&state.bao, &session.token, std::slice::from_ref(&path)).await?;
    if !caps
        .get(&path)
        .is_some_and(|c| c.iter().any(|c| c == "update" || c == "root"))
    {
        return Err(AppError::Forbidden(
            "sending needs `update` on the subscription's record (admins and operators have it)"
                .into(),
        ));
    }
    subscriptions::all_as_backend(&state.records)
        .await?
        .into_iter()
        .find(|s| s.subscription.id == id)
        .ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::SubscriptionNotFound,
                format!("no subscription {id:?}"),
            )
        })
}

/// A sample event in the real payload shape (marked `"test": true`), signed with the
/// subscription's secret; answers with the receiver's status and the start of its answer.
#[utoipa::path(post, path = "/api/v1/notifications/subscriptions/{id}/test", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = DeliveryResult), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn test(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<DeliveryResult>, AppError> {
    let stored = changeable(&state, &session, &id).await?;
    let sub = &stored.subscription;
    let env = sub
        .environments
        .first()
        .cloned()
        .unwrap_or_else(|| "staging".into());
    let sample = ActivityEvent {
        id: format!("test-{}", crate::session::random_token()),
        time: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        actor: session.username.clone(),
        entity_id: None,
        action: sub
            .actions
            .first()
            .copied()
            .unwrap_or(ActivityAction::CredentialWrite),
        target: format!("{env}/{}example", sub.path_prefix),
        environment: Some(env),
        path: String::new(),
        operation: "update".into(),
        outcome: "ok".into(),
        purpose: None,
        detail: None,
    };
    let mut payload = send::payload(&sample, &sub.id);
    payload.test = true;
    let secret = subscriptions::open_secret(&state.records, &stored).await?;
    let body = send::body(sub.target.kind, &payload);
    Ok(Json(
        send::post(&send::client(SEND_TIMEOUT), &sub.target.url, &secret, body).await,
    ))
}

/// Events whose every delivery attempt failed, oldest failure first.
#[utoipa::path(get, path = "/api/v1/notifications/subscriptions/{id}/dead-letters", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<DeadLetter>), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn dead_letters(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<Vec<DeadLetter>>, AppError> {
    subscriptions::get(&state.bao, &session.token, &id).await?;
    Ok(Json(state::dead_letters(&state.records, &id).await?))
}

/// Send a dead letter again, now; delivered, it leaves the list.
#[utoipa::path(post, path = "/api/v1/notifications/subscriptions/{id}/dead-letters/{event}/retry", tag = "notifications",
    params(("id" = String, Path), ("event" = String, Path)),
    responses((status = 200, body = DeliveryResult), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((id, event)): Path<(String, String)>,
) -> Result<Json<DeliveryResult>, AppError> {
    if event.is_empty()
        || event.len() > 128
        || !event
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(AppError::NotFound(
            ErrorCode::DeadLetterNotFound,
            format!("no dead letter {event:?}"),
        ));
    }
    let stored = changeable(&state, &session, &id).await?;
    let letter = state::dead_letter(&state.records, &id, &event).await?;
    let secret = subscriptions::open_secret(&state.records, &stored).await?;
    let body = send::body(stored.subscription.target.kind, &letter.payload);
    let result = send::post(
        &send::client(SEND_TIMEOUT),
        &stored.subscription.target.url,
        &secret,
        body,
    )
    .await;
    if result.delivered {
        state::remove_dead_letter(&state.records, &id, &event).await?;
    }
    Ok(Json(result))
}
