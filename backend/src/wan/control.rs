//! The relay's control API: `GET /` (its state), `POST /partition/{dc}`, `POST /heal/{dc}`.

use super::link::{Relay, RelayState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use crypter_api::ErrorCode;
use serde_json::{json, Value};

pub fn router(relay: Relay) -> Router {
    Router::new()
        .route("/", get(state))
        .route("/partition/{dc}", post(partition))
        .route("/heal/{dc}", post(heal))
        .with_state(relay)
}

async fn state(State(relay): State<Relay>) -> Json<RelayState> {
    Json(relay.state())
}

async fn partition(
    State(relay): State<Relay>,
    Path(dc): Path<String>,
) -> Result<Json<RelayState>, (StatusCode, Json<Value>)> {
    known(&relay, &dc)?;
    relay.partition(&dc);
    Ok(Json(relay.state()))
}

async fn heal(
    State(relay): State<Relay>,
    Path(dc): Path<String>,
) -> Result<Json<RelayState>, (StatusCode, Json<Value>)> {
    known(&relay, &dc)?;
    relay.heal(&dc);
    Ok(Json(relay.state()))
}

fn known(relay: &Relay, dc: &str) -> Result<(), (StatusCode, Json<Value>)> {
    if relay.knows(dc) {
        return Ok(());
    }
    let message = format!(
        "unknown data center {dc:?}; this relay joins {}",
        relay.datacenters().join(", ")
    );
    Err((
        StatusCode::NOT_FOUND,
        Json(json!({"error": {"code": ErrorCode::UnknownDatacenter, "message": message}})),
    ))
}
