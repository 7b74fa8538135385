use crate::components::coming_soon::ComingSoon;
use leptos::prelude::*;

#[component]
pub fn Cluster() -> impl IntoView {
    view! {
        <ComingSoon
            title="Cluster"
            what="OpenBao nodes grouped by data center, with leader and health."
        />
    }
}
