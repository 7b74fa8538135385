use crate::names::Username;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/session`. The password or token is used once, to log in to OpenBao,
/// and is never stored or echoed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "method", rename_all = "lowercase", deny_unknown_fields)]
pub enum LoginRequest {
    Userpass {
        /// The same rule as for creating a user.
        username: Username,
        password: String,
    },
    Token {
        token: String,
        /// The token stays the caller's: ending the session (logout, idle timeout,
        /// lifetime) forgets it without revoking it. The CLI logs in this way.
        #[serde(default)]
        keep_token: bool,
    },
}

// Hand-written so that a stray `{:?}` can never print a password or a token.
impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Userpass { username, .. } => f
                .debug_struct("Userpass")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Self::Token { .. } => f
                .debug_struct("Token")
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

/// Who is logged in. Returned by login and by `GET /api/v1/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub username: String,
    /// `userpass` or `token`.
    pub method: String,
    /// The OpenBao policies attached to the session's token.
    pub policies: Vec<String>,
    /// Send this back in the `X-Crypter-Csrf` header on every mutating request.
    pub csrf_token: String,
    /// When the OpenBao token expires (RFC 3339); `None` if it never does.
    pub expires_at: Option<String>,
    /// When the session ends at the latest (its absolute lifetime, or the token's expiry),
    /// unless it sits idle longer than the server's idle timeout first (RFC 3339).
    #[serde(default)]
    pub ends_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_request_debug_hides_secrets() {
        let up = LoginRequest::Userpass {
            username: Username::parse("alice").unwrap(),
            password: "hunter2".into(),
        };
        let tok = LoginRequest::Token {
            token: "s.abcdef".into(),
            keep_token: false,
        };
        let text = format!("{up:?} {tok:?}");
        assert!(text.contains("alice"));
        assert!(!text.contains("hunter2"));
        assert!(!text.contains("s.abcdef"));
    }

    #[test]
    fn login_request_is_tagged_by_method() {
        let parsed: LoginRequest =
            serde_json::from_str(r#"{"method":"userpass","username":"a","password":"b"}"#).unwrap();
        assert!(matches!(parsed, LoginRequest::Userpass { .. }));
        let unknown = serde_json::from_str::<LoginRequest>(r#"{"method":"ldap","username":"a"}"#);
        assert!(unknown.is_err());
    }
}
