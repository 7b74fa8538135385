use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The pages in the main navigation: (path, label, test id).
pub const PAGES: &[(&str, &str, &str)] = &[
    ("/", "Overview", "nav-overview"),
    ("/environments", "Environments", "nav-environments"),
    ("/credentials", "Credentials", "nav-credentials"),
    ("/roles", "Roles", "nav-roles"),
    ("/keys", "Keys", "nav-keys"),
    ("/freeze", "Freeze", "nav-freeze"),
    ("/changesets", "Changesets", "nav-changesets"),
    ("/runbooks", "Runbooks", "nav-runbooks"),
    ("/cluster", "Cluster", "nav-cluster"),
    ("/activity", "Activity", "nav-activity"),
    ("/notifications", "Notifications", "nav-notifications"),
];

/// The main navigation. Plain links: the router turns their clicks into client-side
/// navigation. The current page is marked with `aria-current`.
#[component]
pub fn Nav(open: RwSignal<bool>) -> impl IntoView {
    let location = use_location();
    let here = use_context::<crate::section::CurrentBundle>().map_or("core", |b| b.0);
    let links = PAGES
        .iter()
        .map(|(href, label, testid)| {
            let href = *href;
            // Another bundle serves it: a page load, not client-side routing.
            let external = (crate::section::bundle_for(href) != here).then_some("external");
            let current = move || {
                let path = location.pathname.get();
                let here = if href == "/" {
                    path == "/"
                } else {
                    path.starts_with(href)
                };
                here.then_some("page")
            };
            view! {
                <li>
                    <a href=href data-testid=*testid aria-current=current rel=external on:click=move |_| open.set(false)>
                        {*label}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <nav class="sidenav" class:open=move || open.get() aria-label="Main" data-testid="nav">
            <ul>{links}</ul>
        </nav>
    }
}
