use crate::components::coming_soon::ComingSoon;
use leptos::prelude::*;

#[component]
pub fn Roles() -> impl IntoView {
    view! {
        <ComingSoon
            title="Roles"
            what="Roles and their grants, the derived policies and their drift, access checks and machine logins."
        />
    }
}
