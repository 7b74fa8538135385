use crate::components::coming_soon::ComingSoon;
use leptos::prelude::*;

#[component]
pub fn Environments() -> impl IntoView {
    view! {
        <ComingSoon
            title="Environments"
            what="Create, edit and delete environments, with credential counts, and compare two of them side by side."
        />
    }
}
