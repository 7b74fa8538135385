//! A session's record in OpenBao, and when a session ends. Every time here is the server's:
//! nothing in the cookie says when a session ends.

pub use crate::config::Lifetimes;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The record at `crypter/data/sessions/<hash>`. The token is sealed (transit ciphertext,
/// bound to the record's key); times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub username: String,
    pub method: String,
    pub policies: Vec<String>,
    #[serde(default)]
    pub entity_id: Option<String>,
    pub csrf_token: String,
    /// The user's OpenBao token, sealed with the backend's transit key.
    pub token: String,
    /// When the token itself expires; `None` for a token without a TTL.
    pub token_expires_at: Option<u64>,
    pub created_at: u64,
    /// The last request seen, as far as the record knows (instances write it back at most
    /// once a minute).
    pub last_seen: u64,
    #[serde(default)]
    pub keep_token: bool,
}

/// The record's key under `crypter/data/`: a hash of the session id, so the record's path
/// (visible in OpenBao's audit log) is no cookie.
pub fn key(session_id: &str) -> String {
    format!("sessions/{}", hash(session_id))
}

/// The hash alone: the transit context of the record's token.
pub fn hash(session_id: &str) -> String {
    hex::encode(Sha256::digest(session_id.as_bytes()))
}

/// How sessions read their lifetimes (the settings themselves are `config`'s).
impl Lifetimes {
    /// When the session ends at the latest: its absolute lifetime, or its token's expiry.
    pub fn hard_end(&self, r: &SessionRecord) -> u64 {
        let absolute = r.created_at.saturating_add(self.absolute.as_secs());
        r.token_expires_at.map_or(absolute, |t| t.min(absolute))
    }

    /// When the session ends if no request comes: the hard end, or `idle` after `last_seen`.
    pub fn end(&self, r: &SessionRecord, last_seen: u64) -> u64 {
        self.hard_end(r)
            .min(last_seen.saturating_add(self.idle.as_secs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn record(created_at: u64, token_expires_at: Option<u64>) -> SessionRecord {
        SessionRecord {
            username: "u".into(),
            method: "token".into(),
            policies: vec![],
            entity_id: None,
            csrf_token: "c".into(),
            token: "vault:v1:x".into(),
            token_expires_at,
            created_at,
            last_seen: created_at,
            keep_token: false,
        }
    }

    #[test]
    fn a_session_ends_at_the_first_of_idle_absolute_and_token_expiry() {
        let l = Lifetimes {
            idle: Duration::from_secs(1800),
            absolute: Duration::from_secs(43_200),
        };
        // A root token: no TTL, so only the absolute lifetime bounds it.
        let root = record(1_000, None);
        assert_eq!(l.hard_end(&root), 44_200);
        assert_eq!(l.end(&root, 1_000), 2_800, "idle first");
        assert_eq!(l.end(&root, 43_000), 44_200, "active, then absolute");
        // A token that expires before either.
        let short = record(1_000, Some(1_500));
        assert_eq!(l.end(&short, 1_000), 1_500);
    }

    #[test]
    fn record_keys_hash_the_session_id() {
        let k = key("abc");
        assert_eq!(k.len(), "sessions/".len() + 64);
        assert!(!k.contains("abc"));
        assert_eq!(k, key("abc"));
        assert_ne!(k, key("abd"));
    }
}
