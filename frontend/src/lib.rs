//! Crypter's console. Client-side rendered: the backend serves these files and `/api/v1`.
//!
//! The console ships as two wasm bundles (see `section.rs`), each a binary in `src/bin/`:
//! `core`, the login page alone, small so the login form works after little download; and
//! `console`, every page after login under one Leptos runtime, so a working day loads the
//! runtime once. This library holds both; each binary links only what it uses.

pub mod api;
pub mod auth;
pub mod components;
pub mod pages;
pub mod section;
pub mod theme;

/// Start the bundle `name`: install the panic hook, provide what every page shares (who
/// is logged in, the theme), then mount its view.
pub fn start<F, V>(name: &'static str, routes: F)
where
    F: FnOnce() -> V + 'static,
    V: leptos::IntoView + 'static,
{
    console_error_panic_hook::set_once();
    // Which bundle this page runs, for people and tests looking at the page.
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-bundle", name);
    }
    leptos::mount::mount_to_body(move || {
        auth::Auth::provide();
        theme::restore();
        routes()
    });
}
