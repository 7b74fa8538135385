use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use crypter_api::{Health, Readiness, StoreHealth};

/// Liveness and store reachability. No authentication: it reveals only what OpenBao's own
/// unauthenticated `sys/health` and `sys/leader` reveal.
#[utoipa::path(get, path = "/api/v1/health", tag = "health",
    responses((status = 200, description = "The backend is up; `status` tells whether the store is usable", body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let (health, leader) = tokio::join!(state.bao.health(), state.bao.leader());
    let store = match health {
        Ok(h) => StoreHealth {
            reachable: true,
            initialized: h.initialized,
            sealed: h.sealed,
            standby: h.standby,
            version: h.version,
            cluster_name: h.cluster_name,
            ha_mode: leader.ok().map(|l| {
                match (l.ha_enabled, l.is_self) {
                    (false, _) => "disabled",
                    (true, true) => "active",
                    (true, false) => "standby",
                }
                .to_owned()
            }),
            error: None,
            ..StoreHealth::default()
        },
        Err(e) => StoreHealth {
            error: Some(e.to_string()),
            ..StoreHealth::default()
        },
    };
    let mut store = store;
    let nodes = state.bao.node_statuses();
    store.nodes_total = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
    store.nodes_down = u32::try_from(
        nodes
            .iter()
            .filter(|(_, s)| s.checked && !s.healthy())
            .count(),
    )
    .unwrap_or(u32::MAX);
    let usable = store.reachable && store.initialized && !store.sealed && store.nodes_down == 0;
    Json(Health {
        status: if usable { "ok" } else { "degraded" }.to_owned(),
        store,
        consistency: state
            .bao
            .is_cluster()
            .then(|| crate::cluster::consistency(&state.bao)),
    })
}

/// Readiness for a load balancer: 200 while this instance can reach an unsealed active
/// OpenBao node; 503 while it cannot, and from the moment it starts shutting down.
#[utoipa::path(get, path = "/api/v1/health/ready", tag = "health",
    responses((status = 200, description = "Send this instance requests", body = Readiness),
        (status = 503, description = "Do not: it is shutting down, or no active node answers", body = Readiness)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let reason = if state.draining() {
        Some("this instance is shutting down".to_owned())
    } else {
        state.bao.check_nodes().await;
        let active = state
            .bao
            .node_statuses()
            .iter()
            .any(|(_, s)| s.healthy() && !s.standby);
        (!active).then(|| {
            "no unsealed active OpenBao node answers (sealed, unreachable, or electing a leader)"
                .to_owned()
        })
    };
    let status = if reason.is_some() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (
        status,
        Json(Readiness {
            ready: reason.is_none(),
            reason,
        }),
    )
}
