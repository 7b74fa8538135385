use crate::error::AppError;
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use crypter_api::ClusterView;

/// The store's nodes by data center: leader, voters, health and last contact. Read with
/// the caller's own token (the `sys/` views need `crypter-admin` or an equivalent grant).
#[utoipa::path(get, path = "/api/v1/cluster", tag = "cluster",
    responses(
        (status = 200, description = "Nodes, merged from Raft, HA status, autopilot and health checks", body = ClusterView),
        (status = 401, description = "Not logged in", body = crypter_api::ErrorBody),
        (status = 403, description = "The caller's policy cannot read the cluster views", body = crypter_api::ErrorBody),
    ))]
pub async fn cluster(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<ClusterView>, AppError> {
    Ok(Json(
        crate::cluster::view(&state.bao, &session.token).await?,
    ))
}
