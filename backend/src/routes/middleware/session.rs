//! The session's two layers. [`carry_index`] carries the store index the session has seen
//! (see `session::index`). [`session_gone`]: a session ended on another instance is seen
//! here within the cache's revalidation time.
//! Within it, the ended session's token is already revoked, so OpenBao refuses it: when it
//! does, the record is read again at once, and a session that is gone answers 401 (log in
//! again) rather than 403 (ask for more rights).

use crate::bao::consistency::{RequestScope, StoreIndex};
use crate::bao::freshness::rfc3339;
use crate::error::StoreRefused;
use crate::session::{cookie_named, not_logged_in, over_tls, read_cookie, read_named};
use crate::session::{INDEX_COOKIE, INDEX_HEADER, STALE_HEADER, STORE_NODE_HEADER};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn session_gone(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = read_cookie(req.headers());
    let resp = next.run(req).await;
    let Some(id) = id else {
        return resp;
    };
    if resp.extensions().get::<StoreRefused>().is_none() {
        return resp;
    }
    match state.sessions.get_fresh(&id).await {
        Ok(None) => not_logged_in().into_response(),
        _ => resp,
    }
}

/// Run the request inside a [`RequestScope`] holding the session's index, then hand the
/// index back when the request moved it forward.
pub async fn carry_index(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !state.bao.is_cluster() {
        return next.run(req).await;
    }
    let headers = req.headers();
    let from_cookie = read_named(headers, INDEX_COOKIE).and_then(|v| StoreIndex::parse(&v));
    let from_header = headers
        .get(INDEX_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(StoreIndex::parse);
    let secure = state.settings.secure_cookies || over_tls(headers);
    let required = match (from_cookie, from_header) {
        (Some(a), Some(b)) if a.cluster == b.cluster => Some(a.max(b)),
        (a, b) => b.or(a),
    };
    let scope = RequestScope::new(required);
    let mut resp = scope.clone().run(next.run(req)).await;
    let nodes = scope.nodes();
    let stale = state.bao.stale_since();
    if !nodes.is_empty() {
        tracing::info!(store_nodes = %nodes, stale_since = ?stale.map(rfc3339), below_session = scope.below_session(), "answered by the store");
    }
    let h = resp.headers_mut();
    if let Some(index) = scope.advanced() {
        let max_age = i64::try_from(state.settings.lifetimes.absolute.as_secs()).unwrap_or(0);
        h.append(
            header::SET_COOKIE,
            cookie_named(INDEX_COOKIE, &index.header, max_age, secure),
        );
        if let Ok(v) = HeaderValue::from_str(&index.header) {
            h.insert(INDEX_HEADER, v);
        }
    }
    let stale = stale.or_else(|| scope.below_session().then(std::time::SystemTime::now));
    if let Some(since) = stale.and_then(|s| HeaderValue::from_str(&rfc3339(s)).ok()) {
        h.insert(STALE_HEADER, since);
    }
    if let Ok(v) = HeaderValue::from_str(&nodes) {
        if !nodes.is_empty() {
            h.insert(STORE_NODE_HEADER, v);
        }
    }
    resp
}
