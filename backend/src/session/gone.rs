//! A session ended on another instance is seen here within the cache's revalidation time.
//! Within it, the ended session's token is already revoked, so OpenBao refuses it: when it
//! does, the record is read again at once, and a session that is gone answers 401 (log in
//! again) rather than 403 (ask for more rights).

use super::{not_logged_in, read_cookie};
use crate::error::StoreRefused;
use crate::state::AppState;
use axum::extract::{Request, State};
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
