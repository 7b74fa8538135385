//! Early refusal: while frozen, the console's own frozen actions are answered with 423
//! and a message that says who froze the store and when. This is a courtesy that saves a
//! half-done change (a role whose policy was refused, say); the enforcement is the rewritten
//! policies in OpenBao.

use crate::error::AppError;
use crate::freeze::levels::Level;
use crate::routes::table::{self, PREFIX};
use crate::session::{read_cookie, Session};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::LazyLock;

/// A route's frozen level for each action it knows (`""`: every request).
type FrozenLevels = Vec<(&'static str, Option<Level>)>;

/// Each route's frozen levels by action, keyed `METHOD router-path`, worked out once from
/// the route table: a request only looks its route up.
static ROUTES: LazyLock<HashMap<String, FrozenLevels>> = LazyLock::new(|| {
    table::routes()
        .into_iter()
        .map(|r| {
            (
                key(r.http_method().as_str(), &r.router_path()),
                r.frozen_levels(),
            )
        })
        .collect()
});

fn key(method: &str, router_path: &str) -> String {
    format!("{} {router_path}", method.to_ascii_uppercase())
}

/// The lowest level at which the request `method` on the matched route `matched` (below
/// `/api/v1`), whose own path is `path`, is frozen: derived from what the route writes.
pub fn frozen_at(method: &Method, matched: &str, path: &str) -> Option<Level> {
    let levels = ROUTES.get(&key(method.as_str(), matched))?;
    let action = path.rsplit('/').next().unwrap_or_default();
    // An action the route does not know writes nothing; its handler refuses it.
    levels
        .iter()
        .find(|(a, _)| a.is_empty() || *a == action)
        .and_then(|(_, level)| *level)
}

pub async fn refuse_frozen(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(matched) = req.extensions().get::<MatchedPath>() else {
        return next.run(req).await;
    };
    let matched = matched.as_str();
    let matched = matched.strip_prefix(PREFIX).unwrap_or(matched);
    let Some(frozen_from) = frozen_at(req.method(), matched, req.uri().path()) else {
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
    let Some(record) = state.freeze.current(&state.bao, &session).await else {
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

    fn at(method: Method, matched: &str, path: &str) -> Option<Level> {
        frozen_at(&method, matched, path)
    }

    #[test]
    fn which_actions_each_level_freezes() {
        use Method as M;
        let p = Some(Level::Provisioning);
        let f = Some(Level::Full);
        assert_eq!(at(M::POST, "/roles", "/roles"), p);
        assert_eq!(at(M::PUT, "/roles/{name}", "/roles/deployer"), p);
        assert_eq!(at(M::POST, "/roles/{name}/check", "/roles/x/check"), None);
        assert_eq!(at(M::POST, "/roles/{name}/policy/preview", "/p"), None);
        assert_eq!(at(M::POST, "/roles/{name}/secret-ids", "/r"), f);
        // Revoking a secret-id narrows who can log in: OpenBao lets it through a freeze.
        let revoke = "/roles/{name}/secret-ids/{accessor}";
        assert_eq!(at(M::DELETE, revoke, "/r"), None);
        assert_eq!(at(M::DELETE, "/users/{name}", "/users/bob"), p);
        assert_eq!(at(M::PUT, "/settings/auth", "/settings/auth"), p);
        assert_eq!(at(M::POST, "/environments", "/environments"), p);
        assert_eq!(at(M::PATCH, "/environments/{env}", "/e"), p);
        let credential = "/environments/{env}/credentials/{*path}";
        assert_eq!(at(M::PUT, credential, "/environments/s/credentials/a/b"), f);
        assert_eq!(
            at(M::POST, credential, "/environments/s/credentials/a/reveal"),
            None
        );
        assert_eq!(
            at(
                M::POST,
                credential,
                "/environments/s/credentials/a/rollback"
            ),
            f
        );
        assert_eq!(at(M::POST, "/promote", "/promote"), f);
        assert_eq!(at(M::POST, "/environments/{env}/keys", "/k"), p);
        assert_eq!(at(M::PATCH, "/environments/{env}/keys/{name}", "/k"), p);
        let key_action = "/environments/{env}/keys/{name}/{action}";
        assert_eq!(at(M::POST, key_action, "/environments/s/keys/c/rotate"), f);
        assert_eq!(
            at(M::POST, key_action, "/environments/s/keys/c/encrypt"),
            None
        );
        assert_eq!(at(M::POST, key_action, "/environments/s/keys/c/scan"), None);
        assert_eq!(at(M::GET, "/roles", "/roles"), None);
        // The freeze's own machinery is the operators', whom no freeze binds.
        assert_eq!(at(M::PUT, "/freeze", "/freeze"), None);
        assert_eq!(at(M::DELETE, "/freeze", "/freeze"), None);
        assert_eq!(at(M::POST, "/changesets/apply", "/changesets/apply"), None);
        assert_eq!(at(M::POST, "/session", "/session"), None);
    }
}
