use crate::components::coming_soon::ComingSoon;
use leptos::prelude::*;

#[component]
pub fn Runbooks() -> impl IntoView {
    view! {
        <ComingSoon
            title="Runbooks"
            what="Migration checklists with sign-offs, incidents, a timeline and a report."
        />
    }
}
