//! The console's sections: which bundle serves which pages (the table is in
//! `crypter_api::console`, shared with the backend).

pub use crypter_api::console::{bundle_for, SECTIONS};

/// Which bundle this page was loaded from, set by each binary at start.
#[derive(Clone, Copy)]
pub struct CurrentBundle(pub &'static str);

/// Go to `path`: through the router when this bundle serves it, by a page load when
/// another bundle does.
pub fn go(path: &str, here: &str, navigate: &impl Fn(&str, leptos_router::NavigateOptions)) {
    if bundle_for(path.split('?').next().unwrap_or(path)) == here {
        navigate(path, Default::default());
    } else if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(path);
    }
}
