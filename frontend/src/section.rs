//! The console's bundles: which serves which pages (the table is in
//! `crypter_api::console`, shared with the backend). The router runs in the console's own
//! bundle; the login page is the other one.

pub use crypter_api::console::{bundle_for, CONSOLE};

/// Whether the console's router serves `path` (else it is a page load, to the login page).
pub fn routed(path: &str) -> bool {
    bundle_for(path.split('?').next().unwrap_or(path)) == CONSOLE
}

/// Go to `path`: through the router when the console serves it, by a page load when
/// the login page's bundle does.
pub fn go(path: &str, navigate: &impl Fn(&str, leptos_router::NavigateOptions)) {
    if routed(path) {
        navigate(path, Default::default());
    } else if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(path);
    }
}
