use crate::components::coming_soon::ComingSoon;
use leptos::prelude::*;

#[component]
pub fn Freeze() -> impl IntoView {
    view! {
        <ComingSoon
            title="Freeze"
            what="Freeze the store read-only, prove it with live write probes, and thaw it."
        />
    }
}
