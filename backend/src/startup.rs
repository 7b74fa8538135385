use crate::error::BODY_LIMIT;
use crate::routes::middleware::{
    carry_index, refuse_frozen, require_csrf, security_headers, session_gone,
};
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// From SIGTERM to exit, at most.
pub const DRAIN: Duration = Duration::from_secs(10);
use tower_http::trace::TraceLayer;

/// The whole HTTP surface: `/api/v1` and the console. Tests call this directly.
pub fn app(state: AppState) -> Router {
    // Layers run outside-in: the CSRF check first, then the early refusal of frozen actions.
    let api = crate::routes::api()
        .layer(from_fn_with_state(state.clone(), refuse_frozen))
        .layer(from_fn_with_state(state.clone(), require_csrf))
        .layer(from_fn_with_state(state.clone(), session_gone))
        // Outermost of the API's layers: every store call of the request, the session's
        // own lookup included, is answered at least as fresh as the session has seen.
        .layer(from_fn_with_state(state.clone(), carry_index))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    Router::new()
        .nest("/api/v1", api)
        .with_state(state.clone())
        .merge(crate::routes::console::service(&state.settings.dist_dir))
        .layer(from_fn_with_state(state, security_headers))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        // Outermost: the id exists before the trace span opens and is on every response.
        .layer(from_fn(crate::request_id::assign))
}

/// Every log line of a request carries its id (never its query string: it may hold a
/// search term).
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req
        .headers()
        .get(crate::request_id::HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}

/// Serve `app` on `listener` until `shutdown` resolves, then finish in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Serve until `signal`, then drain: readiness answers 503, no new connection is taken,
/// requests in flight finish, and running jobs stop at their next batch and are handed
/// over (`interrupted`, their cursor saved, the apply lock released) for another
/// instance to resume. Returns within [`DRAIN`] of the signal, whatever is left.
pub async fn serve_and_drain(
    listener: TcpListener,
    state: AppState,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let draining = Arc::new(Notify::new());
    let shutdown = {
        let (state, draining) = (state.clone(), draining.clone());
        async move {
            signal.await;
            state.start_draining();
            draining.notify_one();
        }
    };
    let server = serve(listener, state.clone(), shutdown);
    tokio::pin!(server);
    // Once the signal came, the server may finish at once (no open connection): the jobs
    // must still be handed over before the process exits.
    tokio::select! {
        biased;
        () = draining.notified() => {}
        served = &mut server => {
            if state.draining() {
                hand_over_jobs(&state).await;
            }
            return served;
        }
    }
    let drained = async {
        let (served, ()) = tokio::join!(&mut server, hand_over_jobs(&state));
        served
    };
    match tokio::time::timeout(DRAIN, drained).await {
        Ok(served) => served,
        Err(_) => {
            tracing::warn!("requests still open after {DRAIN:?}; exiting anyway");
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// Ask the jobs running here to stop and hand over, waiting at most until the drain ends.
async fn hand_over_jobs(state: &AppState) {
    let why = format!("instance {} shut down", state.jobs.instance);
    let left = state
        .jobs
        .hand_over_all(&why, DRAIN - Duration::from_secs(1))
        .await;
    if left > 0 {
        tracing::warn!(
            jobs = left,
            "jobs did not stop in time; their heartbeat will go stale"
        );
    }
}
