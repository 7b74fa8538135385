//! `/api/v1`: one file per resource. Handlers validate their input, act with the caller's
//! own OpenBao token, and return wire types from `crypter-api`.

pub mod activity;
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
pub mod openapi;
pub mod roles;
pub mod runbooks;
pub mod search;
pub mod session;
pub mod users;

use crate::error::AppError;
use crate::state::AppState;
use axum::routing::{delete, get, post, put};
use axum::Router;

#[allow(clippy::too_many_lines, reason = "replaced by the route table")]
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/health/ready", get(health::ready))
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
        .route("/freeze/writes", get(freeze::writes))
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
        .route(
            "/environments/{env}/keys",
            get(keys::list).post(keys::create),
        )
        .route(
            "/environments/{env}/keys/{name}",
            get(keys::get).patch(keys::update).delete(keys::delete),
        )
        .route(
            "/environments/{env}/keys/{name}/{action}",
            post(keys::action),
        )
        .route("/compare", get(compare::compare))
        .route("/promote", post(compare::promote))
        .route("/lint", get(lint::lint))
        .route("/search", get(search::search))
        .route("/activity", get(activity::list))
        .route("/audit/ingest", post(activity::ingest))
        .route("/roles", get(roles::list).post(roles::create))
        .route(
            "/roles/{name}",
            get(roles::get).put(roles::update).delete(roles::delete),
        )
        .route("/roles/{name}/policy", get(roles::policy))
        .route("/roles/{name}/policy/preview", post(roles::preview))
        .route("/roles/{name}/check", post(roles::check))
        .route(
            "/roles/{name}/secret-ids",
            get(roles::list_secret_ids).post(roles::issue_secret_id),
        )
        .route(
            "/roles/{name}/secret-ids/{accessor}",
            delete(roles::revoke_secret_id),
        )
        .route(
            "/runbook-templates",
            get(runbooks::list_templates).post(runbooks::upload_template),
        )
        .route("/runbooks", get(runbooks::list).post(runbooks::start))
        .route("/runbooks/{id}", get(runbooks::get))
        .route(
            "/runbooks/{id}/steps/{step}/{action}",
            post(runbooks::step_action),
        )
        .route("/runbooks/{id}/incidents", post(runbooks::open_incident))
        .route(
            "/runbooks/{id}/incidents/{n}",
            axum::routing::patch(runbooks::update_incident),
        )
        .route("/runbooks/{id}/notes", post(runbooks::note))
        .route("/runbooks/{id}/abort", post(runbooks::abort))
        .route("/runbooks/{id}/report.md", get(runbooks::report))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{name}", put(users::set_roles).delete(users::delete))
        .route(
            "/settings/auth",
            get(users::get_auth_settings).put(users::put_auth_settings),
        )
        .route("/identities/check", post(identities::check))
        .route(
            "/changesets",
            get(changesets::list).post(changesets::upload),
        )
        .route("/changesets/plan", post(changesets::plan))
        .route(
            "/changesets/plans/{hash}/items",
            get(changesets::plan_items),
        )
        .route("/changesets/apply", post(changesets::apply))
        .route(
            "/changesets/lock",
            get(changesets::get_lock).delete(changesets::break_lock),
        )
        .route("/jobs", get(jobs::list))
        .route("/jobs/{id}", get(jobs::job))
        .route("/jobs/{id}/events", get(jobs::events))
        .route("/jobs/{id}/resume", post(jobs::resume))
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
