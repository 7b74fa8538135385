//! The login page's single sign-on: the "Sign in with …" button when OpenBao offers an
//! OIDC login, and why the last SSO login was refused (`?sso_error=<code>`).

use crate::api;
use crypter_api::{AuthMethodKind, ErrorCode};
use leptos::prelude::*;

/// What went wrong and what to do next, for each refusal the callback sends back.
fn refusal_message(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::SsoUnavailable => {
            "Single sign-on is not available: the identity provider does not answer, or SSO \
             is not set up for this address. Try again in a few minutes, or log in with a \
             username and password."
        }
        ErrorCode::SsoStateInvalid => {
            "That sign-in expired, was already used, or was started in another browser. \
             Start again with the single sign-on button below."
        }
        ErrorCode::SsoTokenExpired => {
            "The identity provider's answer had expired when it reached Crypter. Sign in \
             again; if this keeps happening, check the clocks of this server and the provider."
        }
        ErrorCode::SsoWrongAudience => {
            "The identity provider's answer was meant for another application. Ask an \
             administrator to check the SSO client id on the Roles page."
        }
        ErrorCode::SsoDenied => {
            "The identity provider did not sign you in: the sign-in was cancelled, or you may \
             not use Crypter. Try again, or ask your administrator for access."
        }
        ErrorCode::SsoBadCallback => {
            "The identity provider sent you back without a complete answer. Start again with \
             the single sign-on button below."
        }
        ErrorCode::SsoRejected => {
            "OpenBao refused this sign-in. Ask an administrator to check the SSO settings and \
             that your group is mapped to a role."
        }
        _ => "Single sign-on did not work. Try again, or log in with a username and password.",
    }
}

/// The SSO button (when offered) and the last refusal. Without the methods (their request
/// failed, or no OIDC login is set up) it shows nothing, and the password form stands alone.
#[component]
pub fn SsoLogin() -> impl IntoView {
    let methods = LocalResource::new(api::auth_methods);
    let refused = super::query_param("sso_error").map(|code| ErrorCode::parse(&code));
    let offered = move || {
        let methods = methods.get()?.ok()?.methods;
        let oidc = methods
            .into_iter()
            .find(|m| m.kind == AuthMethodKind::Oidc)?;
        let label = oidc.label.unwrap_or_else(|| "single sign-on".to_owned());
        Some((label, oidc.start?, oidc.end_session_url))
    };
    let signed_out = super::query_param("signed_out").is_some();
    view! {
        {refused.map(|code| view! {
            <div class="error" role="alert" data-testid="sso-error" data-code=code.as_str()>
                {refusal_message(code)}
            </div>
        })}
        {move || offered().map(|(label, start, end_session)| view! {
            {(signed_out).then_some(end_session).flatten().map(|url| view! {
                <p class="muted" data-testid="sso-signed-out">
                    "You are logged out of Crypter. "
                    <a href=url rel="external" data-testid="sso-signout">
                        {format!("Also sign out of {label}")}
                    </a>
                </p>
            })}
            // rel="external": a page load to the backend, never a route of the console.
            <a class="button primary sso-login" data-testid="sso-login" href=start rel="external">
                {format!("Sign in with {label}")}
            </a>
            <p class="login-or muted">"or log in with OpenBao"</p>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFUSALS: [ErrorCode; 7] = [
        ErrorCode::SsoUnavailable,
        ErrorCode::SsoStateInvalid,
        ErrorCode::SsoTokenExpired,
        ErrorCode::SsoWrongAudience,
        ErrorCode::SsoDenied,
        ErrorCode::SsoBadCallback,
        ErrorCode::SsoRejected,
    ];

    #[test]
    fn each_refusal_has_its_own_message() {
        let fallback = refusal_message(ErrorCode::Unknown);
        let mut seen = std::collections::BTreeSet::new();
        for code in REFUSALS {
            assert_eq!(ErrorCode::parse(code.as_str()), code);
            let message = refusal_message(code);
            assert_ne!(message, fallback, "{code:?}");
            assert!(seen.insert(message), "{code:?} shares its message");
        }
    }

    #[test]
    fn an_unknown_or_mangled_code_still_says_what_to_do() {
        for code in ["made_up_later", "", "sso_denied<script>"] {
            assert_eq!(ErrorCode::parse(code), ErrorCode::Unknown);
        }
        assert!(refusal_message(ErrorCode::Unknown).contains("username and password"));
    }
}
