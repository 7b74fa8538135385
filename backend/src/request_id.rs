//! Request ids: every response carries `X-Request-Id`, every error body its `request_id`,
//! and the log line of an error the same id with OpenBao's own reason, so a user can quote
//! the id and an operator find the cause.
//!
//! A caller's own id (a proxy's, a test's) is kept when it is short and plain; otherwise
//! Crypter makes one. The id is known for the whole handling of the request (a task-local),
//! so the error type reads it where it renders the response.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;

pub const HEADER: &str = "x-request-id";

/// The longest incoming id kept.
const MAX_LEN: usize = 64;

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being handled, if this runs within one.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Letters, digits and `-_.:` only, at most [`MAX_LEN`]: safe in a header, a log line
/// and a message.
fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn new_id() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The middleware: take or make the id, put it on the request (for the trace span) and the
/// response, and keep it current while the request is handled.
pub async fn assign(mut req: Request, next: Next) -> Response {
    let incoming = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v));
    let id = incoming.map_or_else(new_id, str::to_owned);
    // `acceptable` ids and hex are valid header values.
    let value = HeaderValue::from_str(&id).ok();
    if let Some(v) = &value {
        req.headers_mut().insert(HEADER, v.clone());
    }
    let mut resp = CURRENT.scope(id, next.run(req)).await;
    if let Some(v) = value {
        resp.headers_mut().insert(HEADER, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(acceptable("3f2a-b.c_d:1"));
        assert!(acceptable(&"a".repeat(64)));
        assert!(!acceptable(&"a".repeat(65)));
        assert!(!acceptable(""));
        for bad in ["a b", "a\nb", "<script>", "a/b", "é"] {
            assert!(!acceptable(bad), "{bad}");
        }
        let made = new_id();
        assert_eq!(made.len(), 24);
        assert!(acceptable(&made));
        assert_ne!(made, new_id());
    }
}
