use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The Content-Security-Policy. trunk's `index.html` boots the wasm with one inline module
/// script; rather than allow inline scripts, the policy names that script by its SHA-256,
/// computed from the built file when the server starts.
pub struct ContentPolicy {
    header: HeaderValue,
}

impl ContentPolicy {
    /// The policy for every bundle of the console: each one's boot script is allowed.
    pub fn for_console(dist_dir: &Path) -> Self {
        let html: String = crate::routes::console::index_files(dist_dir)
            .into_iter()
            .filter_map(|(_, p)| std::fs::read_to_string(p).ok())
            .collect::<Vec<_>>()
            .join("\n");
        Self::from_index_html(&html)
    }

    pub fn from_index_html(html: &str) -> Self {
        let hashes: String = inline_scripts(html)
            .map(|body| {
                let digest = Sha256::digest(body.as_bytes());
                format!(
                    " 'sha256-{}'",
                    base64::engine::general_purpose::STANDARD.encode(digest)
                )
            })
            .collect();
        let policy = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        Self {
            header: HeaderValue::from_str(&policy)
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
        }
    }

    pub fn header(&self) -> &HeaderValue {
        &self.header
    }
}

/// The bodies of `<script>` elements that have no `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attrs, after) = rest.split_once('>')?;
        if attrs.contains("src=") {
            return None;
        }
        let (body, _) = after.split_once("</script>")?;
        Some(body)
    })
}

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, state.csp.header().clone());
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if is_api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_inline_scripts_only() {
        let html = r#"<html><head><script src="/a.js"></script>
<script type="module" nonce="x">import init from '/c.js';init();</script></head></html>"#;
        let policy = ContentPolicy::from_index_html(html);
        let text = policy.header().to_str().unwrap();
        let expected = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(b"import init from '/c.js';init();"));
        assert!(text.contains(&format!("'sha256-{expected}'")), "{text}");
        assert_eq!(text.matches("sha256-").count(), 1);
        assert!(text.contains("script-src 'self' 'wasm-unsafe-eval'"));
        assert!(text.contains("frame-ancestors 'none'"));
        assert!(!text.contains("unsafe-inline"));
    }
}
