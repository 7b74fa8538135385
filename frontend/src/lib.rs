//! Crypter's console. Client-side rendered: the backend serves these files and `/api/v1`.
//!
//! The console ships as one small wasm bundle per *section* (see `section.rs`), each a
//! binary in `src/bin/` that routes only its own pages; this library holds everything
//! they share. Moving between sections is a plain page load of a cached bundle, so the
//! first load of any page carries only the code that page needs.

pub mod api;
pub mod auth;
pub mod components;
pub mod pages;
pub mod section;
pub mod theme;

/// Start the bundle `name`: install the panic hook, provide what every page shares (who
/// is logged in, the theme, which bundle this is), then mount its routes.
pub fn start<F, V>(name: &'static str, routes: F)
where
    F: FnOnce() -> V + 'static,
    V: leptos::IntoView + 'static,
{
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(move || {
        leptos::prelude::provide_context(section::CurrentBundle(name));
        auth::Auth::provide();
        theme::restore();
        routes()
    });
}
