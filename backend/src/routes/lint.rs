//! `/lint`.

use crate::error::AppError;
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use crypter_api::LintFinding;

/// Every finding of the environment lint, worst first.
#[utoipa::path(get, path = "/api/v1/lint", tag = "lint",
    responses((status = 200, body = Vec<LintFinding>), (status = 403, body = crypter_api::ErrorBody)))]
pub async fn lint(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Vec<LintFinding>>, AppError> {
    Ok(Json(crate::lint::run(&state.bao, &session.token).await?))
}
