//! `/api/v1`: one file per resource. Handlers validate their input, act with the caller's
//! own OpenBao token, and return wire types from `crypter-api`.

pub mod activity;
pub mod approvals;
pub mod changesets;
pub mod cluster;
pub mod compare;
pub mod console;
pub mod credentials;
pub mod environments;
pub mod freeze;
pub mod health;
pub mod identities;
pub mod jobs;
pub mod json;
pub mod keys;
pub mod lint;
pub mod middleware;
pub mod notifications;
pub mod openapi;
pub mod restore_points;
pub mod roles;
pub mod runbooks;
pub mod search;
pub mod session;
pub mod sso;
pub mod table;
pub mod users;

use crate::error::AppError;
use crate::state::AppState;
use axum::Router;
use crypter_api::ErrorCode;

/// `/api/v1`, built from the one route table (`table.rs`).
pub fn api() -> Router<AppState> {
    table::routes()
        .iter()
        .fold(Router::new(), |router, route| {
            router.route(&route.router_path(), route.method_router())
        })
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> AppError {
    AppError::NotFound(
        ErrorCode::EndpointNotFound,
        "no such API endpoint; see /api/v1/openapi.json for the list".into(),
    )
}

async fn method_not_allowed() -> AppError {
    AppError::bad_request(
        ErrorCode::MethodNotAllowed,
        "this endpoint does not take that method; see /api/v1/openapi.json",
    )
}
