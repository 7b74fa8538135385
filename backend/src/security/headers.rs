use axum::http::HeaderValue;
use base64::Engine;
use crypter_api::console::{BUNDLES, CONSOLE};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The Content-Security-Policy. trunk's `index.html` boots the wasm with one inline module
/// script; rather than allow inline scripts, the policy names that script by its SHA-256,
/// computed from the built file when the server starts.
pub struct ContentPolicy {
    header: HeaderValue,
}

impl ContentPolicy {
    /// The policy for every bundle of the console: each one's boot script is allowed.
    pub fn for_console(dist_dir: &Path) -> Self {
        let html: String = index_files(dist_dir)
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

/// Every `index.html` the console has, by bundle (`console` for a single-bundle build).
pub fn index_files(dist_dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let per_bundle: Vec<(&'static str, PathBuf)> = BUNDLES
        .iter()
        .map(|b| (*b, dist_dir.join(b).join("index.html")))
        .filter(|(_, p)| p.is_file())
        .collect();
    if !per_bundle.is_empty() {
        per_bundle
    } else {
        let single = dist_dir.join("index.html");
        if single.is_file() {
            vec![(CONSOLE, single)]
        } else {
            Vec::new()
        }
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
