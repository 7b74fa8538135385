use crate::error::AppError;
use crate::session::{not_logged_in, read_cookie};
use crate::state::AppState;
use axum::extract::{OriginalUri, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use crypter_api::CSRF_HEADER;

/// Every mutating request must come from a live session and carry that session's CSRF
/// token in `X-Crypter-Csrf`. Two exceptions have no session: logging in
/// (`POST /api/v1/session`), and a log shipper posting audit lines
/// (`POST /api/v1/audit/ingest`), which authenticates with an OpenBao token in a header
/// that a browser never sends on its own, so it cannot be forged across sites.
pub async fn require_csrf(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Nesting strips `/api/v1` from `uri()`; the original URI still has it.
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().path().to_owned(), |u| u.path().to_owned());
    let no_session = req.method() == Method::POST
        && (path == "/api/v1/session" || path == "/api/v1/audit/ingest");
    if safe || no_session {
        return next.run(req).await;
    }
    let Some(id) = read_cookie(req.headers()) else {
        return not_logged_in().into_response();
    };
    // The session's record, wherever it was made: the CSRF token is in it, so any instance
    // checks it.
    let session = match state.sessions.get(&id).await {
        Ok(Some(s)) => s,
        Ok(None) => return not_logged_in().into_response(),
        Err(e) => return e.into_response(),
    };
    let sent = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
        let why = if sent.is_empty() {
            "is missing"
        } else {
            "does not match your session"
        };
        return AppError::Forbidden(format!(
            "the {CSRF_HEADER} header {why}; reload the console and try again"
        ))
        .into_response();
    }
    req.extensions_mut().insert(session);
    next.run(req).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_compares() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"ab"));
    }
}
