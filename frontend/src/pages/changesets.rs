use crate::components::coming_soon::ComingSoon;
use leptos::prelude::*;

#[component]
pub fn Changesets() -> impl IntoView {
    view! {
        <ComingSoon
            title="Changesets"
            what="Checksummed changesets: status, diff, plan and apply with live progress."
        />
    }
}
