use crate::components::coming_soon::ComingSoon;
use leptos::prelude::*;

#[component]
pub fn Credentials() -> impl IntoView {
    view! {
        <ComingSoon
            title="Credentials"
            what="Browse credentials per environment, with versions, reveal, edit, rollback and promote."
        />
    }
}
