use super::datacenter_banner::DatacenterBanner;
use super::error_box::ErrorBox;
use super::freeze_banner::{FreezeBanner, FreezeStatus};
use super::nav::Nav;
use super::theme_toggle::ThemeToggle;
use crate::api;
use crate::auth::Auth;
use crate::section::go;
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// The authenticated layout. It asks the backend who is logged in; without a session it
/// sends the visitor to the login page, remembering where they wanted to go.
#[component]
pub fn Shell() -> impl IntoView {
    let auth = Auth::get();
    FreezeStatus::provide();
    let location = use_location();
    let navigate = use_navigate();
    // Checking the session is one step with its consequences: the session is kept, or the
    // visitor is sent to log in.
    let check = Action::new_local(move |_: &()| async move {
        match api::whoami().await {
            Ok(info) => auth.session.set(Some(info)),
            Err(e) if e.code == crypter_api::ErrorCode::Unauthenticated => {
                auth.session.set(None);
                let (path, search) = (
                    location.pathname.get_untracked(),
                    location.search.get_untracked(),
                );
                let next = if search.is_empty() {
                    path
                } else {
                    format!("{path}?{search}")
                };
                to_login_page(&next);
            }
            Err(e) => return Err(e),
        }
        Ok(())
    });
    check.dispatch(());
    let check_error = Signal::derive(move || check.value().get().and_then(Result::err));
    view! {
        <ErrorBox error=check_error />
        <Show
            when=move || auth.session.with(Option::is_some)
            fallback=|| view! { <p class="loading" data-testid="session-loading">"Checking your session…"</p> }
        >
            <Layout navigate=navigate.clone() />
        </Show>
    }
}

/// The logged-in page: the top bar, the menu and the page itself.
#[component]
fn Layout(navigate: impl Fn(&str, NavigateOptions) + Clone + 'static) -> impl IntoView {
    let auth = Auth::get();
    let logout = Action::new_local(move |_: &()| {
        let navigate = navigate.clone();
        async move {
            // After an SSO session the login page offers the provider's own sign-out.
            let sso = auth
                .session
                .get_untracked()
                .is_some_and(|s| s.method == "oidc");
            api::logout().await?;
            auth.session.set(None);
            let to = if sso {
                "/login?signed_out=sso"
            } else {
                "/login"
            };
            go(to, &navigate);
            Ok::<(), crypter_api::ApiError>(())
        }
    });
    let logout_error = Signal::derive(move || logout.value().get().and_then(Result::err));
    let menu_open = RwSignal::new(false);
    let username = move || {
        auth.session
            .with(|s| s.as_ref().map(|s| s.username.clone()))
    };
    view! {
        <div class="shell">
            <header class="topbar">
                <button
                    type="button"
                    class="ghost menu-toggle"
                    data-testid="menu-toggle"
                    aria-label="Menu"
                    on:click=move |_| menu_open.update(|o| *o = !*o)
                >
                    "☰"
                </button>
                <a href="/" rel="external" class="brand" data-testid="brand">"Crypter"</a>
                <SearchBox />
                <span class="spacer"></span>
                <span class="user" data-testid="current-user">{username}</span>
                <ThemeToggle />
                <button type="button" data-testid="logout" on:click=move |_| { logout.dispatch(()); }>
                    "Log out"
                </button>
            </header>
            <Nav open=menu_open />
            <main class="content">
                <FreezeBanner />
                <DatacenterBanner />
                <ErrorBox error=logout_error />
                <Outlet />
            </main>
        </div>
    }
}

/// Send the visitor to the login page, which brings them back to `next`. The login page
/// is a bundle of its own: a page load, replacing this entry.
fn to_login_page(next: &str) {
    let target = format!("/login?next={}", crypter_api::url::encode_path(next));
    if let Some(w) = web_sys::window() {
        let _ = w.location().replace(&target);
    }
}

/// The search box of every page: it opens the search page (`/search?q=…`), which finds
/// credentials across every environment the user may list.
#[component]
fn SearchBox() -> impl IntoView {
    let navigate = use_navigate();
    let query = use_query_map();
    let text = RwSignal::new(query.with_untracked(|q| q.get("q")).unwrap_or_default());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = text.get_untracked();
        if !q.trim().is_empty() {
            go(
                &format!("/search?q={}", crate::api::encode(q.trim())),
                &navigate,
            );
        }
    };
    view! {
        <form class="search" role="search" aria-label="Credentials" on:submit=submit>
            <label for="global-search" class="sr-only">"Search credentials in every environment"</label>
            <input id="global-search" type="search" data-testid="global-search"
                placeholder="Search credentials…" bind:value=text />
        </form>
    }
}
