//! Early refusal: while frozen, the console's own frozen actions are answered with 423
//! and a message that says who froze the store and when. This is a courtesy that saves a
//! half-done change (a role whose policy was refused, say); the enforcement is the rewritten
//! policies in OpenBao.

use super::levels::Level;
use super::{load_record, FreezeRecord};
use crate::error::AppError;
use crate::session::{read_cookie, Session};
use crate::state::AppState;
use axum::extract::{OriginalUri, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a freeze record read from OpenBao is trusted before it is read again.
const FRESH_FOR: Duration = Duration::from_secs(3);

/// The last freeze record seen, shared by all requests.
#[derive(Clone, Default)]
pub struct FreezeCache {
    inner: Arc<RwLock<Option<(Instant, FreezeRecord)>>>,
}

impl FreezeCache {
    pub fn set(&self, record: FreezeRecord) {
        if let Ok(mut g) = self.inner.write() {
            *g = Some((Instant::now(), record));
        }
    }

    fn fresh(&self) -> Option<FreezeRecord> {
        let g = self.inner.read().ok()?;
        g.as_ref()
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
            .map(|(_, r)| r.clone())
    }

    /// The current record, read with the caller's token when the cached one is stale.
    /// `None` when the caller may not read it: then OpenBao alone decides.
    pub async fn current(&self, state: &AppState, session: &Session) -> Option<FreezeRecord> {
        if let Some(r) = self.fresh() {
            return Some(r);
        }
        let (record, _) = load_record(&state.bao, &session.token).await.ok()?;
        self.set(record.clone());
        Some(record)
    }
}

/// The lowest level at which the console action `method path` is frozen, if any.
/// `path` is below `/api/v1`.
pub fn frozen_at(method: &Method, path: &str) -> Option<Level> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        // Roles and their grants; checking access changes nothing.
        ["roles"] | ["roles", _] => Some(Level::Provisioning),
        ["roles", _, "check"] | ["roles", _, "policy", "preview"] => None,
        ["roles", _, "secret-ids", ..] => Some(Level::Full),
        ["roles", ..] => Some(Level::Provisioning),
        ["users", ..] => Some(Level::Provisioning),
        ["environments"] | ["environments", _] => Some(Level::Provisioning),
        // Keys: creating, configuring and deleting one is provisioning; rotating is frozen
        // at `full`; using one (encrypt, decrypt, …) and counting its ciphertexts are not
        // frozen.
        ["environments", _, "keys"] | ["environments", _, "keys", _] => Some(Level::Provisioning),
        ["environments", _, "keys", _, "rotate"] => Some(Level::Full),
        ["environments", _, "keys", ..] => None,
        // Revealing a credential is a read.
        ["environments", _, "credentials", .., "reveal"] => None,
        ["environments", _, "credentials", ..] => Some(Level::Full),
        ["promote"] => Some(Level::Full),
        _ => None,
    }
}

pub async fn refuse_frozen(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().path().to_owned(), |u| u.path().to_owned());
    let below_api = path.strip_prefix("/api/v1").unwrap_or(&path).to_owned();
    let Some(frozen_from) = frozen_at(req.method(), &below_api) else {
        return next.run(req).await;
    };
    let session = match req.extensions().get::<Session>().cloned() {
        Some(s) => Some(s),
        None => match read_cookie(req.headers()) {
            Some(id) => state.sessions.get(&id).await.ok().flatten(),
            None => None,
        },
    };
    let Some(session) = session else {
        return next.run(req).await;
    };
    let Some(record) = state.freeze.current(&state, &session).await else {
        return next.run(req).await;
    };
    if record.level.satisfies(frozen_from) {
        return AppError::Frozen(format!(
            "the store is frozen at level {} by {} since {}{}: this change is refused until it is thawed (Freeze page)",
            record.level.as_str(),
            record.by.as_deref().unwrap_or("someone"),
            record.since.as_deref().unwrap_or("an unknown time"),
            record.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default(),
        ))
        .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_actions_each_level_freezes() {
        let post = Method::POST;
        assert_eq!(frozen_at(&post, "/roles"), Some(Level::Provisioning));
        assert_eq!(
            frozen_at(&Method::PUT, "/roles/deployer"),
            Some(Level::Provisioning)
        );
        assert_eq!(frozen_at(&post, "/roles/deployer/check"), None);
        assert_eq!(frozen_at(&post, "/roles/deployer/policy/preview"), None);
        assert_eq!(
            frozen_at(&post, "/roles/deployer/secret-ids"),
            Some(Level::Full)
        );
        assert_eq!(
            frozen_at(&Method::DELETE, "/users/bob"),
            Some(Level::Provisioning)
        );
        assert_eq!(frozen_at(&post, "/environments"), Some(Level::Provisioning));
        assert_eq!(
            frozen_at(&Method::PUT, "/environments/staging/credentials/a/b"),
            Some(Level::Full)
        );
        assert_eq!(
            frozen_at(&post, "/environments/staging/credentials/a/b/reveal"),
            None
        );
        assert_eq!(frozen_at(&post, "/promote"), Some(Level::Full));
        assert_eq!(
            frozen_at(&post, "/environments/staging/keys"),
            Some(Level::Provisioning)
        );
        assert_eq!(
            frozen_at(&Method::PATCH, "/environments/staging/keys/cards"),
            Some(Level::Provisioning)
        );
        assert_eq!(
            frozen_at(&post, "/environments/staging/keys/cards/rotate"),
            Some(Level::Full)
        );
        assert_eq!(
            frozen_at(&post, "/environments/staging/keys/cards/encrypt"),
            None
        );
        assert_eq!(frozen_at(&Method::GET, "/roles"), None);
        assert_eq!(frozen_at(&Method::PUT, "/freeze"), None);
        assert_eq!(frozen_at(&post, "/session"), None);
    }
}
