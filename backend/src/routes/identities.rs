//! `/identities/check`: log every e2e identity in and probe its canaries and forbidden paths.

use crate::error::AppError;
use crate::roles::identity;
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use crypter_api::IdentityReport;

#[utoipa::path(post, path = "/api/v1/identities/check", tag = "identities",
    responses((status = 200, body = IdentityReport), (status = 403, body = crypter_api::ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<IdentityReport>, AppError> {
    Ok(Json(identity::check_all(&state.bao, &session.token).await?))
}
