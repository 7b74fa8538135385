use super::{read_cookie, Session, SessionStore};
use crate::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The caller's live session. Handlers that take this refuse anonymous requests with 401.
pub struct CurrentSession(pub Session);

/// A router state that holds the session store (the app's state does). The extractor asks
/// only for this, so sessions sit below the state that holds them.
pub trait HasSessions {
    fn sessions(&self) -> &SessionStore;
}

impl<S: HasSessions + Sync> FromRequestParts<S> for CurrentSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        if let Some(session) = parts.extensions.get::<Session>() {
            return Ok(Self(session.clone()));
        }
        let id = read_cookie(&parts.headers).ok_or_else(not_logged_in)?;
        let session = state.sessions().get(&id).await?.ok_or_else(not_logged_in)?;
        parts.extensions.insert(session.clone());
        Ok(Self(session))
    }
}

pub fn not_logged_in() -> AppError {
    AppError::Unauthenticated(
        "you are not logged in, or your session has ended; log in again".into(),
    )
}
