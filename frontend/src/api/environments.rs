use super::{delete, empty_response, get, request};
use crypter_api::{ApiError, Environment, EnvironmentCreate, EnvironmentUpdate};
use gloo_net::http::Method;

pub async fn list_environments() -> Result<Vec<Environment>, ApiError> {
    get("/environments").await
}

/// The environments without their credential counts (each count is a SCAN): for pickers.
pub async fn environment_names() -> Result<Vec<Environment>, ApiError> {
    get("/environments?counts=false").await
}

pub async fn create_environment(req: EnvironmentCreate) -> Result<Environment, ApiError> {
    request(Method::POST, "/environments", Some(&req))
        .await?
        .ok_or_else(empty_response)
}

pub async fn update_environment(
    name: String,
    req: EnvironmentUpdate,
) -> Result<Environment, ApiError> {
    request(Method::PATCH, &format!("/environments/{name}"), Some(&req))
        .await?
        .ok_or_else(empty_response)
}

pub async fn delete_environment(name: String) -> Result<(), ApiError> {
    delete(&format!("/environments/{name}")).await
}
