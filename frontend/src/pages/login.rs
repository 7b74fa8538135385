use crate::api;
use crate::auth::Auth;
use crate::components::error_box::ErrorBox;
use crypter_api::{ApiError, LoginRequest, Username};
use leptos::prelude::*;

mod sso;
use sso::SsoLogin;

/// Log in with a username and password, or with an OpenBao token. The login page is a
/// bundle of its own (`core`): once logged in, a page load takes the visitor into the
/// console, to where they were going.
#[component]
pub fn Login() -> impl IntoView {
    let auth = Auth::get();
    let use_token = RwSignal::new(false);
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());

    // Logging in and going on are one step: the session is set and the page left as the
    // answer arrives, so the action's value only ever needs to carry an error.
    let action = Action::new_local(move |req: &LoginRequest| {
        let req = req.clone();
        let next = query_param("next").unwrap_or_default();
        async move {
            let info = api::login(req).await?;
            auth.session.set(Some(info));
            if let Some(w) = web_sys::window() {
                let _ = w.location().replace(safe_next(&next));
            }
            Ok::<(), ApiError>(())
        }
    });
    // A username that breaks the rule is refused here, with the same message the API gives.
    let invalid: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let error = Signal::derive(move || {
        invalid
            .get()
            .or_else(|| action.value().get().and_then(Result::err))
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = if use_token.get_untracked() {
            Ok(LoginRequest::Token {
                token: token.get_untracked(),
                keep_token: false,
            })
        } else {
            userpass(&username.get_untracked(), password.get_untracked())
        };
        match req {
            Ok(req) => {
                invalid.set(None);
                action.dispatch(req);
            }
            Err(e) => invalid.set(Some(e)),
        }
    };

    view! {
        <main class="login-page">
            <form class="card login" data-testid="login-form" aria-label="Log in" on:submit=submit>
                <h1>"Crypter"</h1>
                <p class="muted">"Log in with your OpenBao identity."</p>
                <SsoLogin />
                <MethodTabs use_token=use_token />
                <Credentials use_token username password token />
                <ErrorBox error=error />
                <button type="submit" class="primary" data-testid="login-submit"
                    disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Logging in…" } else { "Log in" }}
                </button>
            </form>
        </main>
    }
}

/// The fields of the chosen login method.
#[component]
fn Credentials(
    use_token: RwSignal<bool>,
    username: RwSignal<String>,
    password: RwSignal<String>,
    token: RwSignal<String>,
) -> impl IntoView {
    view! {
        <Show
            when=move || use_token.get()
            fallback=move || view! {
                <label for="login-username">"Username"</label>
                <input id="login-username" data-testid="login-username" autocomplete="username"
                    required bind:value=username />
                <label for="login-password">"Password"</label>
                <input id="login-password" type="password" data-testid="login-password"
                    autocomplete="current-password" required bind:value=password />
            }
        >
            <label for="login-token">"OpenBao token"</label>
            <input id="login-token" type="password" data-testid="login-token" autocomplete="off"
                required bind:value=token />
        </Show>
    }
}

/// A username and password login, the username checked by the API's own rule.
fn userpass(username: &str, password: String) -> Result<LoginRequest, ApiError> {
    let name = Username::parse(username.trim())
        .map_err(|e| ApiError::new(crypter_api::ErrorCode::InvalidUsername, e.message))?;
    Ok(LoginRequest::Userpass {
        username: name,
        password,
    })
}

/// Username or token: which way to log in.
#[component]
fn MethodTabs(use_token: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="tabs" role="group" aria-label="Login method">
            <button
                type="button"
                data-testid="login-method-userpass"
                aria-pressed=move || (!use_token.get()).to_string()
                on:click=move |_| use_token.set(false)
            >
                "Username"
            </button>
            <button
                type="button"
                data-testid="login-method-token"
                aria-pressed=move || use_token.get().to_string()
                on:click=move |_| use_token.set(true)
            >
                "Token"
            </button>
        </div>
    }
}

/// The page address's query parameter `name`, decoded.
pub(crate) fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
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
