//! Server-side sessions that any instance can serve. The browser holds only an opaque,
//! HttpOnly cookie. The session's record lives in OpenBao at `crypter/data/sessions/<hash of
//! the id>`, written and read with the backend's own identity; the user's OpenBao token in
//! it is sealed with a transit key only that identity may use. Each instance keeps a short
//! cache (see [`store::SessionStore`]); the record decides, so a logout on any instance ends
//! the session everywhere.

mod cookie;
mod extract;
mod index;
mod record;
mod store;
mod sweep;

pub use cookie::{clear_cookie, cookie_named, over_tls, read_cookie, read_named, session_cookie};
pub use extract::{not_logged_in, CurrentSession, HasSessions};
pub use index::{INDEX_COOKIE, INDEX_HEADER, STALE_HEADER, STORE_NODE_HEADER};
pub use record::{key as record_key, Lifetimes, SessionRecord};
pub use store::{NewSession, SessionStore};

use base64::Engine;
use rand::RngCore;
use secrecy::SecretString;
use time::OffsetDateTime;

/// One logged-in user, as a request sees it.
#[derive(Clone)]
pub struct Session {
    pub id: String,
    pub token: SecretString,
    pub csrf_token: String,
    pub username: String,
    pub method: String,
    pub policies: Vec<String>,
    /// When the OpenBao token expires; `None` for tokens without a TTL (e.g. root).
    pub expires_at: Option<OffsetDateTime>,
    /// When the session ends at the latest (absolute lifetime or token expiry), unless it
    /// sits idle first.
    pub ends_at: Option<OffsetDateTime>,
    /// The token's identity entity, when it has one (owner of the jobs it starts).
    pub entity_id: Option<String>,
    /// A token login that asked to keep its token: ending the session does not revoke it.
    pub keep_token: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("username", &self.username)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

impl Session {
    pub fn info(&self) -> crypter_api::SessionInfo {
        crypter_api::SessionInfo {
            username: self.username.clone(),
            method: self.method.clone(),
            policies: self.policies.clone(),
            csrf_token: self.csrf_token.clone(),
            expires_at: self.expires_at.and_then(rfc3339),
            ends_at: self.ends_at.and_then(rfc3339),
        }
    }
}

/// 32 random bytes, URL-safe base64: unguessable session ids and CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_are_unique_and_long() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
    }
}
