//! `/api/v1`: one file per resource. Handlers validate their input, act with the caller's
//! own OpenBao token, and return wire types from `crypter-api`.

pub mod cluster;
pub mod console;
pub mod freeze;
pub mod activity;
pub mod compare;
pub mod console;
pub mod credentials;
pub mod environments;
pub mod health;
pub mod json;
pub mod lint;
pub mod openapi;
pub mod session;

use crate::error::AppError;
use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn api() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route(
            "/session",
            get(session::whoami)
                .post(session::login)
                .delete(session::logout),
        )
        .route(
            "/freeze",
            get(freeze::state).put(freeze::freeze).delete(freeze::thaw),
        )
        .route("/freeze/verify", post(freeze::verify))
        .route("/cluster", get(cluster::cluster))
        .route("/openapi.json", get(openapi::openapi_json))
        .route(
            "/environments",
            get(environments::list).post(environments::create),
        )
        .route(
            "/environments/{env}",
            get(environments::get)
                .patch(environments::update)
                .delete(environments::delete),
        )
        .route("/environments/{env}/credentials", get(credentials::list))
        .route(
            "/environments/{env}/credentials/{*path}",
            get(credentials::detail)
                .put(credentials::put)
                .delete(credentials::delete)
                .post(credentials::action),
        )
        .route("/compare", get(compare::compare))
        .route("/promote", post(compare::promote))
        .route("/lint", get(lint::lint))
        .route("/activity", get(activity::list))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> AppError {
    AppError::NotFound("no such API endpoint; see /api/v1/openapi.json for the list".into())
}

async fn method_not_allowed() -> AppError {
    AppError::bad_request(
        "method_not_allowed",
        "this endpoint does not take that method; see /api/v1/openapi.json",
    )
}
