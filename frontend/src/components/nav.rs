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
    ("/requests", "Approvals", "nav-approvals"),
];

/// How many of the requests the user may see are pending: counted in the raw answer
/// (compact JSON, where a nested string's quotes are escaped), because this code is in
/// every bundle and typed decoding of requests would weigh on each.
fn pending_count(json: &str) -> usize {
    json.matches(r#""state":"pending""#).count()
}

/// The main navigation. Plain links: the router turns their clicks into client-side
/// navigation. The current page is marked with `aria-current`.
#[component]
pub fn Nav(open: RwSignal<bool>) -> impl IntoView {
    let location = use_location();
    // Once per page load; nothing shows when it fails (the Approvals page says why).
    let pending = RwSignal::new(0_usize);
    leptos::task::spawn_local(async move {
        if let Ok(json) = crate::api::send_text("/requests").await {
            pending.set(pending_count(&json));
        }
    });
    let links = PAGES
        .iter()
        .map(|(href, label, testid)| {
            let href = *href;
            // Another bundle serves it: a page load, not client-side routing.
            let external = (!crate::section::routed(href)).then_some("external");
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
                        {(*testid == "nav-approvals").then_some(move || (pending.get() > 0).then(|| view! {
                            " " <span class="nav-count" data-testid="nav-approvals-count">{pending.get()}</span>
                            <span class="sr-only">" pending"</span>
                        }))}
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

#[cfg(test)]
mod tests {
    use super::pending_count;

    #[test]
    fn counts_pending_requests_not_escaped_text() {
        let json = r#"[{"id":"a","state":"pending","outcome":null},{"id":"b","state":"applied","outcome":"\"state\":\"pending\""},{"state":"pending"}]"#;
        assert_eq!(pending_count(json), 2);
        assert_eq!(pending_count("[]"), 0);
    }
}
