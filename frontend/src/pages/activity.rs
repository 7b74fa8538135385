use crate::components::coming_soon::ComingSoon;
use leptos::prelude::*;

#[component]
pub fn Activity() -> impl IntoView {
    view! {
        <ComingSoon
            title="Activity"
            what="Every change and every reveal: who, what, when and the outcome."
        />
    }
}
