//! Server-side sessions. The browser holds only an opaque, HttpOnly cookie; the OpenBao
//! token it stands for stays here, in memory, wrapped in `SecretString`.

mod cookie;
mod extract;

pub use cookie::{clear_cookie, over_tls, read_cookie, session_cookie};
pub use extract::{not_logged_in, CurrentSession};

use base64::Engine;
use rand::RngCore;
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use time::OffsetDateTime;

/// One logged-in user.
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
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("username", &self.username)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    pub fn info(&self) -> crypter_api::SessionInfo {
        crypter_api::SessionInfo {
            username: self.username.clone(),
            method: self.method.clone(),
            policies: self.policies.clone(),
            csrf_token: self.csrf_token.clone(),
            expires_at: self.expires_at.and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
        }
    }
}

/// 32 random bytes, URL-safe base64: unguessable session ids and CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Clone, Default)]
pub struct SessionStore {
    inner: Arc<RwLock<HashMap<String, Session>>>,
}

impl SessionStore {
    pub fn insert(&self, session: Session, now: OffsetDateTime) {
        let mut map = self.inner.write().unwrap_or_else(|p| p.into_inner());
        // Sweep expired sessions on each login, so memory stays bounded by live sessions.
        map.retain(|_, s| !s.is_expired(now));
        map.insert(session.id.clone(), session);
    }

    /// The live session for `id`; an expired one is removed and not returned.
    pub fn get(&self, id: &str, now: OffsetDateTime) -> Option<Session> {
        let found = {
            let map = self.inner.read().unwrap_or_else(|p| p.into_inner());
            map.get(id).cloned()
        };
        match found {
            Some(s) if s.is_expired(now) => {
                self.remove(id);
                None
            }
            other => other,
        }
    }

    pub fn update_expiry(&self, id: &str, expires_at: Option<OffsetDateTime>) {
        let mut map = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = map.get_mut(id) {
            s.expires_at = expires_at;
        }
    }

    pub fn remove(&self, id: &str) -> Option<Session> {
        let mut map = self.inner.write().unwrap_or_else(|p| p.into_inner());
        map.remove(id)
    }

    pub fn len(&self) -> usize {
        self.inner.read().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn session(id: &str, expires_at: Option<OffsetDateTime>) -> Session {
        Session {
            id: id.into(),
            token: SecretString::from("t".to_owned()),
            csrf_token: random_token(),
            username: "u".into(),
            method: "token".into(),
            policies: vec![],
            expires_at,
        }
    }

    #[test]
    fn expired_sessions_are_not_returned_and_are_swept() {
        let now = OffsetDateTime::now_utc();
        let store = SessionStore::default();
        store.insert(session("old", Some(now + Duration::seconds(5))), now);
        store.insert(session("forever", None), now);
        assert!(store.get("old", now).is_some());
        let later = now + Duration::seconds(10);
        assert!(store.get("old", later).is_none());
        assert!(store.get("forever", later).is_some());
        store.insert(session("new", Some(later + Duration::hours(1))), later);
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn random_tokens_are_unique_and_long() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
    }
}
