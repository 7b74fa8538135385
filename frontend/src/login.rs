//! The login page, all of the `core` bundle: what a person downloads before the login form
//! works. It is written with the DOM itself rather than Leptos, whose runtime would be most
//! of that download; the console after login (`console.rs`) is where Leptos pays its way.
//! Logging in is a page load into the console, to where the visitor was going.

mod dom;
mod fetch;
mod sso;

use crypter_api::{ApiError, ErrorCode, LoginRequest, Username};
use dom::{el, find, on};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use web_sys::{Element, HtmlButtonElement, HtmlInputElement};

/// The form, fields of both methods included (the token's are set aside at once). Static, so
/// written as markup; what varies (errors, the SSO button) is built as elements with text.
/// Attributes are single-quoted, and no whitespace runs between tags: it would lay out as text
/// between the fields.
const FORM: &str = "\
<form class='card login' data-testid='login-form' aria-label='Log in'>\
  <h1>Crypter</h1>\
  <p class='muted'>Log in with your OpenBao identity.</p>\
  <div class='tabs' role='group' aria-label='Login method'>\
    <button type='button' data-testid='login-method-userpass' aria-pressed='true'>Username</button>\
    <button type='button' data-testid='login-method-token' aria-pressed='false'>Token</button>\
  </div>\
  <label for='login-username'>Username</label>\
  <input id='login-username' data-testid='login-username' autocomplete='username' required>\
  <label for='login-password'>Password</label>\
  <input id='login-password' type='password' data-testid='login-password' \
    autocomplete='current-password' required>\
  <label for='login-token'>OpenBao token</label>\
  <input id='login-token' type='password' data-testid='login-token' autocomplete='off' required>\
  <button class='primary' type='submit' data-testid='login-submit'>Log in</button>\
</form>";

/// Put the login page in the body and make it work.
pub fn mount() {
    let _ = try_mount();
}

/// The page's parts that change after it is drawn.
struct Page {
    username: HtmlInputElement,
    password: HtmlInputElement,
    token: HtmlInputElement,
    /// The fields of each method; the chosen method's are in the form, the other's aside
    /// (keeping what was typed in them).
    fields: [Vec<Element>; 2],
    tabs: [Element; 2],
    use_token: Cell<bool>,
    submit: HtmlButtonElement,
    /// The error box shown, if any.
    shown: RefCell<Option<Element>>,
    /// Why the last login was refused: shown again while the next one is on its way.
    refused: RefCell<Option<ApiError>>,
}

fn try_mount() -> Option<()> {
    let main = el("main", &[("class", "login-page")], "")?;
    main.set_inner_html(FORM);
    let form = main.first_element_child()?;
    let input = |id: &str| find::<HtmlInputElement>(&form, id);
    let label = |id: &str| form.query_selector(&format!("label[for={id}]")).ok()?;
    let (username, password, token) = (
        input("login-username")?,
        input("login-password")?,
        input("login-token")?,
    );
    let userpass_fields = vec![
        label("login-username")?,
        username.clone().into(),
        label("login-password")?,
        password.clone().into(),
    ];
    let token_fields = vec![label("login-token")?, token.clone().into()];
    for node in &token_fields {
        node.remove();
    }
    let page = Rc::new(Page {
        username,
        password,
        token,
        fields: [userpass_fields, token_fields],
        tabs: [
            find(&form, "login-method-userpass")?,
            find(&form, "login-method-token")?,
        ],
        use_token: Cell::new(false),
        submit: find(&form, "login-submit")?,
        shown: RefCell::new(None),
        refused: RefCell::new(None),
    });
    sso::show(&form, &page.tabs[0].parent_element()?);
    for (i, tab) in page.tabs.iter().enumerate() {
        let page = page.clone();
        on(tab, "click", move |_| page.choose(i == 1));
    }
    let submitting = page.clone();
    on(&form, "submit", move |ev| {
        ev.prevent_default();
        submitting.clone().submit();
    });
    dom::document()?.body()?.append_child(&main).ok()?;
    Some(())
}

impl Page {
    /// Show the fields of the token login, or of the username and password one.
    fn choose(&self, use_token: bool) {
        if self.use_token.replace(use_token) == use_token {
            return;
        }
        let [userpass, token] = &self.fields;
        let (shown, chosen) = if use_token {
            (userpass, token)
        } else {
            (token, userpass)
        };
        // The chosen fields take the place of the others: after them come the error and
        // the submit button.
        let after = shown.last().and_then(|n| n.next_sibling());
        if let Some(form) = shown.first().and_then(|n| n.parent_node()) {
            for node in shown {
                node.remove();
            }
            for node in chosen {
                let _ = form.insert_before(node, after.as_ref());
            }
        }
        for (tab, pressed) in self.tabs.iter().zip([!use_token, use_token]) {
            let _ = tab.set_attribute("aria-pressed", if pressed { "true" } else { "false" });
        }
    }

    fn submit(self: Rc<Self>) {
        let req = if self.use_token.get() {
            Ok(LoginRequest::Token {
                token: self.token.value(),
                keep_token: false,
            })
        } else {
            userpass(&self.username.value(), self.password.value())
        };
        let req = match req {
            Ok(req) => req,
            // A username that breaks the rule is refused here, with the API's message.
            Err(e) => return self.show_error(Some(&e)),
        };
        self.show_error(self.refused.borrow().as_ref());
        self.set_pending(true);
        let next = query_param("next").unwrap_or_default();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = login(&req).await;
            self.set_pending(false);
            self.show_error(answer.as_ref().err());
            match answer {
                Ok(()) => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().replace(safe_next(&next));
                    }
                }
                Err(e) => *self.refused.borrow_mut() = Some(e),
            }
        });
    }

    fn set_pending(&self, pending: bool) {
        self.submit.set_disabled(pending);
        self.submit
            .set_text_content(Some(if pending { "Logging in…" } else { "Log in" }));
    }

    /// Replace the error box (before the submit button) with one for `error`, or none.
    fn show_error(&self, error: Option<&ApiError>) {
        if let Some(old) = self.shown.take() {
            old.remove();
        }
        let Some(box_) = error.and_then(error_box) else {
            return;
        };
        if let Some(form) = self.submit.parent_node() {
            let _ = form.insert_before(&box_, Some(&self.submit));
            self.shown.replace(Some(box_));
        }
    }
}

/// An API error as the console's `ErrorBox` shows it: the message, a way back to login when
/// the session is gone, and the request id to quote.
fn error_box(e: &ApiError) -> Option<Element> {
    let attrs = [
        ("class", "error"),
        ("role", "alert"),
        ("data-testid", "error"),
        ("data-code", e.code.as_str()),
    ];
    let box_ = el("div", &attrs, &e.message)?;
    if e.code == ErrorCode::Unauthenticated {
        box_.append_with_str_1(" ").ok()?;
        let attrs = [
            ("href", "/login"),
            ("rel", "external"),
            ("data-testid", "error-login"),
        ];
        let link = el("a", &attrs, "Log in again")?;
        box_.append_child(&link).ok()?;
    }
    if let Some(id) = &e.request_id {
        box_.append_with_str_1(" ").ok()?;
        let attrs = [("class", "request-id"), ("data-testid", "error-request-id")];
        let small = el("small", &attrs, &format!("(request id {id})"))?;
        box_.append_child(&small).ok()?;
    }
    Some(box_)
}

/// Log in. The session is a cookie the answer sets: the console asks who is logged in when
/// it starts, so nothing of the answer needs keeping here.
async fn login(req: &LoginRequest) -> Result<(), ApiError> {
    let body = serde_json::to_string(req).map_err(crate::errors::network_error)?;
    fetch::send("POST", "/session", Some(body)).await.map(drop)
}

/// A username and password login, the username checked by the API's own rule.
fn userpass(username: &str, password: String) -> Result<LoginRequest, ApiError> {
    let name = Username::parse(username.trim())
        .map_err(|e| ApiError::new(ErrorCode::InvalidUsername, e.message))?;
    Ok(LoginRequest::Userpass {
        username: name,
        password,
    })
}

/// The page address's query parameter `name`, decoded.
fn query_param(name: &str) -> Option<String> {
    param(&web_sys::window()?.location().search().ok()?, name)
}

/// The parameter `name` of the query string `search` (`?a=1&b=2`), decoded.
fn param(search: &str, name: &str) -> Option<String> {
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| crypter_api::url::decode(value))
    })
}

/// Only same-site paths are followed after login, so a crafted link cannot send the user
/// elsewhere.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/login") {
        next
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(safe_next("/roles"), "/roles");
        assert_eq!(safe_next("/credentials?env=prod"), "/credentials?env=prod");
        for away in [
            "",
            "https://evil.example/",
            "//evil.example/",
            "/login",
            "/login?next=/x",
            "roles",
        ] {
            assert_eq!(safe_next(away), "/", "{away}");
        }
    }

    #[test]
    fn query_parameters_are_found_and_decoded() {
        let search = "?next=%2Factivity&signed_out&sso_error=sso_denied";
        assert_eq!(param(search, "next").as_deref(), Some("/activity"));
        assert_eq!(param(search, "signed_out").as_deref(), Some(""));
        assert_eq!(param(search, "sso_error").as_deref(), Some("sso_denied"));
        assert_eq!(param(search, "missing"), None);
        assert_eq!(param("", "next"), None);
    }
}
