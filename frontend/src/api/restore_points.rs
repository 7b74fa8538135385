use super::{delete, empty_response, get, request};
use crypter_api::{
    ApiError, ApplyRequest, ApplyStarted, ChangesetPlan, RestorePointComparison,
    RestorePointCreate, RestorePointSummary,
};
use gloo_net::http::Method;

fn base(env: &str) -> String {
    format!("/environments/{env}/restore-points")
}

pub async fn env_restore_points(env: String) -> Result<Vec<RestorePointSummary>, ApiError> {
    get(&base(&env)).await
}

pub async fn make_restore_point(
    env: String,
    name: String,
) -> Result<RestorePointSummary, ApiError> {
    request(
        Method::POST,
        &base(&env),
        Some(&RestorePointCreate { name }),
    )
    .await?
    .ok_or_else(empty_response)
}

pub async fn compare_restore_point(
    env: String,
    name: String,
) -> Result<RestorePointComparison, ApiError> {
    get(&format!("{}/{name}/compare", base(&env))).await
}

/// The inverse plan that puts the environment back, then (`apply`) its apply.
pub async fn restore_plan(env: String, name: String) -> Result<ChangesetPlan, ApiError> {
    let body = serde_json::Map::new();
    request(
        Method::POST,
        &format!("{}/{name}/restore", base(&env)),
        Some(&body),
    )
    .await?
    .ok_or_else(empty_response)
}

pub async fn apply_plan(plan_hash: String) -> Result<ApplyStarted, ApiError> {
    let req = ApplyRequest {
        plan_hash,
        force: false,
        reason: None,
    };
    request(Method::POST, "/changesets/apply", Some(&req))
        .await?
        .ok_or_else(empty_response)
}

pub async fn delete_restore_point(env: String, name: String) -> Result<(), ApiError> {
    delete(&format!("{}/{name}", base(&env))).await
}
