//! Crypter's console. Client-side rendered: the backend serves these files and `/api/v1`.
//!
//! The console ships as two wasm bundles (see `section.rs`), each a binary in `src/bin/`:
//! `core`, the login page alone (`login.rs`), small so the login form works after little
//! download; and `console`, every page after login under one Leptos runtime, so a working
//! day loads the runtime once. This library holds both. The login page uses no Leptos, and
//! `core` is built without the `console` feature, so none of Leptos (nor the wasm exports
//! its dependencies carry, which would keep their code) reaches its wasm.

mod errors;
pub mod login;
pub mod theme;

#[cfg(feature = "console")]
pub mod api;
#[cfg(feature = "console")]
pub mod auth;
#[cfg(feature = "console")]
pub mod components;
#[cfg(feature = "console")]
pub mod pages;
#[cfg(feature = "console")]
pub mod section;

/// Start the bundle `name`: say on the page which bundle it is, restore the theme, then
/// `mount` the bundle's page.
pub fn start(name: &'static str, mount: impl FnOnce()) {
    // For people and tests looking at the page.
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-bundle", name);
    }
    theme::restore();
    mount();
}

/// Mount the console after login: install the panic hook, provide what every page shares
/// (who is logged in), then mount `routes`.
#[cfg(feature = "console")]
pub fn mount_console<F, V>(routes: F)
where
    F: FnOnce() -> V + 'static,
    V: leptos::IntoView + 'static,
{
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(move || {
        auth::Auth::provide();
        routes()
    });
}
