//! `/activity`.

use crate::error::AppError;
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use crypter_api::ActivityPage;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ActivityParams {
    /// The `next` of the previous page.
    pub before: Option<String>,
    /// 1-500, default 50.
    pub limit: Option<String>,
}

/// The activity log, newest first.
#[utoipa::path(get, path = "/api/v1/activity", tag = "activity", params(ActivityParams),
    responses((status = 200, body = ActivityPage), (status = 400, body = crypter_api::ErrorBody),
        (status = 403, body = crypter_api::ErrorBody)))]
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
                    "invalid_limit",
                    "limit must be a whole number from 1 to 500",
                )
            })?,
    };
    if let Some(b) = params.before.as_deref() {
        if b.is_empty() || !b.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(AppError::bad_request(
                "invalid_before",
                "before must be the `next` of a previous page",
            ));
        }
    }
    Ok(Json(
        crate::activity::list(&state.bao, &session.token, params.before.as_deref(), limit).await?,
    ))
}
