//! Paths sent to OpenBao: the one place where their segments are percent-encoded.
//!
//! Names reach OpenBao paths from users (validated, so harmless) and from OpenBao itself:
//! policy names, keys of legacy KV mounts (`team#1/db`, `50% off`). Unencoded, a `#` cuts
//! the path short (everything after it is a URL fragment) and a `%` or `?` changes it, so
//! a request could act on another path than the one meant. Every request goes through
//! [`encode`]; nothing else in Crypter encodes paths.

use reqwest::Method;

/// The path with every segment percent-encoded (`/` kept as the separator), by the
/// project's one encoder ([`crypter_api::url::encode_path`]).
pub fn encode(path: &str) -> String {
    crypter_api::url::encode_path(path.trim_start_matches('/'))
}

/// Requests that change nothing: a standby may answer them, and no freeze or partition
/// refuses them.
pub fn is_read(method: &Method) -> bool {
    matches!(method.as_str(), "GET" | "HEAD" | "LIST" | "SCAN")
}

/// Requests that may be sent twice with the same effect as once.
pub fn is_idempotent(method: &Method) -> bool {
    matches!(method.as_str(), "GET" | "HEAD" | "LIST" | "SCAN" | "DELETE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_and_slashes_kept() {
        assert_eq!(encode("env/qa/data/db/password"), "env/qa/data/db/password");
        assert_eq!(encode("legacy/team#1/db"), "legacy/team%231/db");
        assert_eq!(encode("kv/50% off?x=1"), "kv/50%25%20off%3Fx%3D1");
        assert_eq!(encode("/sys/policies/acl/a b"), "sys/policies/acl/a%20b");
        assert_eq!(encode("kv/é"), "kv/%C3%A9");
        assert_eq!(encode("env/+/x*"), "env/%2B/x%2A");
    }

    #[test]
    fn only_repeatable_methods_are_idempotent() {
        assert!(is_idempotent(&Method::GET));
        assert!(is_idempotent(&Method::DELETE));
        assert!(is_idempotent(&Method::from_bytes(b"SCAN").unwrap()));
        assert!(!is_idempotent(&Method::POST));
        assert!(!is_idempotent(&Method::PUT));
    }
}
