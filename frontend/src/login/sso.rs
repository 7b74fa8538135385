//! The login page's single sign-on: the "Sign in with …" button when OpenBao offers an
//! OIDC login, and why the last SSO login was refused (`?sso_error=<code>`).

use super::dom::el;
use super::fetch::{field, send, string};
use super::query_param;
use crypter_api::ErrorCode;
use js_sys::Array;
use web_sys::Element;

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

/// The last refusal, at once, then the SSO button when the methods say one is offered; both
/// go before `before` (the method tabs). Without the methods (their request failed, or no
/// OIDC login is set up) nothing more shows, and the password form stands alone.
pub fn show(form: &Element, before: &Element) {
    if let Some(code) = query_param("sso_error").map(|code| ErrorCode::parse(&code)) {
        let attrs = [
            ("class", "error"),
            ("role", "alert"),
            ("data-testid", "sso-error"),
            ("data-code", code.as_str()),
        ];
        if let Some(box_) = el("div", &attrs, refusal_message(code)) {
            let _ = form.insert_before(&box_, Some(before));
        }
    }
    let (form, before) = (form.clone(), before.clone());
    wasm_bindgen_futures::spawn_local(async move {
        for node in offered().await.into_iter().flatten() {
            let _ = form.insert_before(&node, Some(&before));
        }
    });
}

/// The OIDC login's elements: "also sign out" after a logout from an SSO session, the
/// button, and the "or" above the password form. The methods (`crypter_api::AuthMethods`)
/// are read with `JSON.parse`, not serde_json, which would weigh more than this whole page.
async fn offered() -> Option<Vec<Element>> {
    let answer = send("GET", "/auth/methods", None).await.ok()?;
    let methods = Array::from(&field(&answer, "methods")?);
    let oidc = methods
        .iter()
        .find(|m| string(m, "kind").as_deref() == Some("oidc"))?;
    let label = string(&oidc, "label").unwrap_or_else(|| "single sign-on".to_owned());
    let start = string(&oidc, "start")?;
    let mut nodes = Vec::new();
    let end_session = string(&oidc, "end_session_url");
    if let Some(url) = end_session.filter(|_| query_param("signed_out").is_some()) {
        let attrs = [("class", "muted"), ("data-testid", "sso-signed-out")];
        let p = el("p", &attrs, "You are logged out of Crypter. ")?;
        let attrs = [
            ("href", url.as_str()),
            ("rel", "external"),
            ("data-testid", "sso-signout"),
        ];
        let link = el("a", &attrs, &format!("Also sign out of {label}"))?;
        p.append_child(&link).ok()?;
        nodes.push(p);
    }
    let attrs = [
        ("class", "button primary sso-login"),
        ("data-testid", "sso-login"),
        ("href", start.as_str()),
        ("rel", "external"),
    ];
    nodes.push(el("a", &attrs, &format!("Sign in with {label}"))?);
    let or = [("class", "login-or muted")];
    nodes.push(el("p", &or, "or log in with OpenBao")?);
    Some(nodes)
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
