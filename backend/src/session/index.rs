//! The session carries the store index it has seen, so that any instance, in any data
//! center, answers its next request at least as fresh (read-your-writes and monotonic
//! reads per session; see `bao::consistency`). Browsers carry it in an HttpOnly cookie
//! beside the session's; scripts may echo the `X-Crypter-Index` response header instead.
//!
//! Every API answer also says how fresh it is: `X-Crypter-Stale-Since` when this
//! instance cannot prove its reads include every write acknowledged in the last few
//! seconds (its data center is cut off, or its node lags), and `X-Crypter-Store-Node`,
//! the node(s) that answered, which the request's log line names too.

use super::cookie::{cookie_named, over_tls, read_named};
use crate::bao::consistency::{RequestScope, StoreIndex};
use crate::bao::freshness::rfc3339;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

pub const INDEX_COOKIE: &str = "crypter_index";
pub const INDEX_HEADER: &str = "x-crypter-index";
pub const STALE_HEADER: &str = "x-crypter-stale-since";
pub const STORE_NODE_HEADER: &str = "x-crypter-store-node";

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
