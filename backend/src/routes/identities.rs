//! `/identities/check`: log every e2e identity in and probe its canaries and forbidden paths.

use crate::activity::{self, Outcome};
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
    let result = identity::check_all(&state.bao, &session.token).await;
    let detail = result.as_ref().ok().map(|r| {
        let failed = r
            .results
            .iter()
            .filter(|i| i.status != crypter_api::IdentityStatus::Ok);
        format!(
            "{} identities, {} failing, {} deprecated methods enabled",
            r.results.len(),
            failed.count(),
            r.deprecated_enabled.len()
        )
    });
    activity::record(
        &state.bao,
        &session,
        "identities.check",
        "identities",
        Outcome::of(&result),
        detail,
    )
    .await;
    result.map(Json)
}
