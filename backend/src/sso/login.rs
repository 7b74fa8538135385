//! The two legs of an SSO login, both answered by OpenBao's `auth/oidc` without a token:
//! the authorization URL (OpenBao keeps the state, nonce and PKCE verifier) and the
//! callback (OpenBao exchanges the code and checks the ID token). Crypter adds a
//! `client_nonce`, kept in the browser that started the login, so a callback carried to
//! another browser (a login CSRF) is refused by OpenBao.

use super::MOUNT;
use crate::bao::{strings, Bao, BaoError};
use crate::session::NewSession;
use crypter_api::ErrorCode;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};

/// Why a login did not happen: a stable code for the login page, and what to tell the
/// person. OpenBao's own wording (which may quote the provider) is logged, never shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The provider does not answer, or SSO is not configured for this address.
    Unavailable,
    /// The state is unknown, expired or used (a replayed or tampered callback), or the
    /// login was started in another browser.
    StateInvalid,
    /// The ID token had expired.
    TokenExpired,
    /// The ID token was meant for another application.
    WrongAudience,
    /// The provider refused (the person cancelled, or is not allowed).
    Denied,
    /// The callback lacks its state or code.
    BadCallback,
    /// OpenBao refused the login for another reason (claims, signature …).
    Rejected,
}

impl Refusal {
    pub const fn code(self) -> ErrorCode {
        match self {
            Self::Unavailable => ErrorCode::SsoUnavailable,
            Self::StateInvalid => ErrorCode::SsoStateInvalid,
            Self::TokenExpired => ErrorCode::SsoTokenExpired,
            Self::WrongAudience => ErrorCode::SsoWrongAudience,
            Self::Denied => ErrorCode::SsoDenied,
            Self::BadCallback => ErrorCode::SsoBadCallback,
            Self::Rejected => ErrorCode::SsoRejected,
        }
    }

    pub const fn message(self) -> &'static str {
        match self {
            Self::Unavailable => {
                "The identity provider does not answer. Try again later, or sign in with a \
                 password."
            }
            Self::StateInvalid => {
                "This sign-in has expired or was already used. Start again from this page."
            }
            Self::TokenExpired => {
                "The identity provider's answer had expired. Check the clocks, then try again."
            }
            Self::WrongAudience => {
                "The identity provider's answer was meant for another application."
            }
            Self::Denied => "The identity provider did not sign you in.",
            Self::BadCallback => "The identity provider's answer was incomplete. Start again.",
            Self::Rejected => {
                "OpenBao refused this sign-in. Ask an admin to check the SSO settings."
            }
        }
    }

    /// Every refusal, for the console's messages and the tests.
    pub const ALL: [Self; 7] = [
        Self::Unavailable,
        Self::StateInvalid,
        Self::TokenExpired,
        Self::WrongAudience,
        Self::Denied,
        Self::BadCallback,
        Self::Rejected,
    ];

    /// OpenBao's refusal of a callback, by its text (its only answer is a 400 with words).
    fn of_callback(message: &str) -> Self {
        let m = message.to_ascii_lowercase();
        if m.contains("expired or missing oauth state") || m.contains("client_nonce") {
            Self::StateInvalid
        } else if m.contains("token is expired") {
            Self::TokenExpired
        } else if m.contains("audience") {
            Self::WrongAudience
        } else {
            Self::Rejected
        }
    }
}

/// The provider's authorization URL for a login that will come back to `redirect_uri`.
/// OpenBao answers an empty URL when the provider does not answer or the redirect is not
/// one the login role allows.
pub async fn auth_url(
    bao: &Bao,
    redirect_uri: &str,
    client_nonce: &str,
) -> Result<String, Refusal> {
    let answer = bao
        .unauthenticated(
            Method::POST,
            &format!("auth/{MOUNT}/oidc/auth_url"),
            Some(&json!({ "redirect_uri": redirect_uri, "client_nonce": client_nonce })),
        )
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "SSO: OpenBao gave no authorization URL");
            Refusal::Unavailable
        })?
        .unwrap_or_default();
    answer
        .pointer("/data/auth_url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            tracing::warn!(redirect_uri, "SSO: OpenBao gave an empty authorization URL (provider down, or redirect not allowed)");
            Refusal::Unavailable
        })
}

/// What came back to the callback.
pub struct Callback<'a> {
    pub state: &'a str,
    pub code: &'a str,
    pub client_nonce: &'a str,
}

/// Finish the login: OpenBao exchanges the code (with its PKCE verifier), checks the ID
/// token, sets the person's external groups from the `groups` claim and issues the token.
pub async fn finish(bao: &Bao, cb: &Callback<'_>) -> Result<NewSession, Refusal> {
    if cb.state.is_empty() || cb.code.is_empty() {
        return Err(Refusal::BadCallback);
    }
    let query = query_string(&[
        ("state", cb.state),
        ("code", cb.code),
        ("client_nonce", cb.client_nonce),
    ]);
    let answer = bao
        .request_query(
            Method::GET,
            &format!("auth/{MOUNT}/oidc/callback"),
            &query,
            None,
        )
        .await;
    let answer = match answer {
        Ok(a) => a.unwrap_or_default(),
        Err(BaoError::Rejected { message, .. }) => {
            let refusal = Refusal::of_callback(&message);
            tracing::info!(code = refusal.code().as_str(), reason = %message, "SSO: OpenBao refused a login");
            return Err(refusal);
        }
        Err(e) => {
            tracing::warn!(error = %e, "SSO: the callback did not reach OpenBao");
            return Err(Refusal::Unavailable);
        }
    };
    session_of(&answer).ok_or(Refusal::Rejected)
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The session an OIDC login's `auth` block makes: the person's name from the provider's
/// `preferred_username` (kept by the role's claim mapping), else OpenBao's display name.
fn session_of(answer: &Value) -> Option<NewSession> {
    let auth = answer.get("auth")?;
    let token = auth.get("client_token")?.as_str()?;
    let name = auth
        .pointer("/metadata/username")
        .and_then(Value::as_str)
        .or_else(|| auth.get("display_name").and_then(Value::as_str))
        .unwrap_or("sso")
        .trim_start_matches(&format!("{MOUNT}-"))
        .to_owned();
    let mut policies = strings(auth.get("policies"));
    policies.extend(strings(auth.get("identity_policies")));
    policies.sort();
    policies.dedup();
    Some(NewSession {
        token: SecretString::from(token.to_owned()),
        username: name,
        method: "oidc".into(),
        policies,
        entity_id: auth
            .get("entity_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        token_ttl_secs: auth
            .get("lease_duration")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        keep_token: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openbao_refusals_map_to_codes() {
        let cases = [
            (
                "OpenBao login failed. Expired or missing OAuth state.",
                Refusal::StateInvalid,
            ),
            ("invalid client_nonce", Refusal::StateInvalid),
            (
                "... oidc: token is expired (Token Expiry: …)",
                Refusal::TokenExpired,
            ),
            (
                "invalid id_token audiences: invalid audience",
                Refusal::WrongAudience,
            ),
            (
                "error validating claims: claim \"groups\" is missing",
                Refusal::Rejected,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Refusal::of_callback(text), want, "{text}");
        }
        let codes: std::collections::BTreeSet<_> = Refusal::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(
            codes.len(),
            Refusal::ALL.len(),
            "each refusal has its own code"
        );
    }

    #[test]
    fn a_login_answer_makes_a_session_with_every_policy() {
        let answer = json!({"auth": {
            "client_token": "t", "display_name": "oidc-alice",
            "metadata": {"role": "crypter", "username": "alice"},
            "policies": ["default", "crypter-role-pay"], "identity_policies": ["crypter-role-pay"],
            "entity_id": "e1", "lease_duration": 3600
        }});
        let s = session_of(&answer).unwrap();
        assert_eq!((s.username.as_str(), s.method.as_str()), ("alice", "oidc"));
        assert_eq!(s.policies, ["crypter-role-pay", "default"]);
        assert_eq!(s.entity_id.as_deref(), Some("e1"));
        assert!(session_of(&json!({"auth": null})).is_none());
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(urlencode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
