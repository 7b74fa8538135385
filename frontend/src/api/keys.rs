use super::{delete, empty_response, get, request};
use crypter_api::{
    ApiError, CiphertextCount, KeyCreate, KeyDetail, KeyOperation, KeyRequest, KeyResult,
    KeySummary, KeyUpdate, ScanRequest,
};
use gloo_net::http::Method;

fn key_path(env: &str, name: &str) -> String {
    format!("/environments/{env}/keys/{name}")
}

pub async fn list_keys(env: String) -> Result<Vec<KeySummary>, ApiError> {
    get(&format!("/environments/{env}/keys")).await
}

pub async fn create_key(env: String, req: KeyCreate) -> Result<KeyDetail, ApiError> {
    request(
        Method::POST,
        &format!("/environments/{env}/keys"),
        Some(&req),
    )
    .await?
    .ok_or_else(empty_response)
}

pub async fn get_key(env: String, name: String) -> Result<KeyDetail, ApiError> {
    get(&key_path(&env, &name)).await
}

pub async fn update_key(env: String, name: String, req: KeyUpdate) -> Result<KeyDetail, ApiError> {
    request(Method::PATCH, &key_path(&env, &name), Some(&req))
        .await?
        .ok_or_else(empty_response)
}

pub async fn delete_key(env: String, name: String) -> Result<(), ApiError> {
    delete(&key_path(&env, &name)).await
}

pub async fn rotate_key(env: String, name: String) -> Result<KeyDetail, ApiError> {
    let path = format!("{}/rotate", key_path(&env, &name));
    request::<(), KeyDetail>(Method::POST, &path, None)
        .await?
        .ok_or_else(empty_response)
}

pub async fn scan_key(
    env: String,
    name: String,
    req: ScanRequest,
) -> Result<CiphertextCount, ApiError> {
    let path = format!("{}/scan", key_path(&env, &name));
    request(Method::POST, &path, Some(&req))
        .await?
        .ok_or_else(empty_response)
}

/// Try the key: the value goes to OpenBao and back, and is kept nowhere.
pub async fn key_operation(
    env: String,
    name: String,
    op: KeyOperation,
    req: KeyRequest,
) -> Result<KeyResult, ApiError> {
    let path = format!("{}/{}", key_path(&env, &name), op.as_str());
    request(Method::POST, &path, Some(&req))
        .await?
        .ok_or_else(empty_response)
}
