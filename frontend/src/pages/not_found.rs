use crate::section::routed;
use leptos::prelude::*;

/// A path no route of this bundle serves. If another bundle serves it (a link from one
/// section to another), load that bundle; otherwise say the page does not exist.
#[component]
pub fn NotFound() -> impl IntoView {
    // The router's path: on a client-side navigation the address bar may not show it yet.
    let location = leptos_router::hooks::use_location();
    let path = location.pathname.get_untracked();
    if !routed(&path) {
        let search = location.search.get_untracked();
        let target = if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        };
        if let Some(w) = web_sys::window() {
            let _ = w.location().set_href(&target);
        }
        return view! { <p class="loading" data-testid="loading-section">"Loading…"</p> }
            .into_any();
    }
    view! {
        <main class="page narrow" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. " <a href="/" data-testid="go-home">"Go to the overview"</a></p>
        </main>
    }
    .into_any()
}
