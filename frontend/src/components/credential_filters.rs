//! The Credentials page's environment picker and filters.

use crate::api;
use crate::components::error_box::ErrorBox;
use crypter_api::{ApiError, CredentialClass};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

/// The filters' values, shared with the list they filter.
#[derive(Clone, Copy)]
pub struct FilterValues {
    pub prefix: RwSignal<String>,
    pub class: RwSignal<String>,
    pub q: RwSignal<String>,
}

/// The environment picker and the filters, as one labelled group.
#[component]
pub fn Filters(
    envs: LocalResource<Result<Vec<crypter_api::Environment>, ApiError>>,
    env: Signal<String>,
    filters: FilterValues,
    on_pick: Callback<()>,
) -> impl IntoView {
    let FilterValues { prefix, class, q } = filters;
    let navigate = use_navigate();
    let envs_error = Signal::derive(move || envs.get().and_then(Result::err));
    let pick = move |name: String| {
        on_pick.run(());
        navigate(
            &format!("/credentials?env={}", api::encode(&name)),
            NavigateOptions::default(),
        );
    };
    view! {
        <div class="filters" role="group" aria-label="Environment and filters">
            <div>
                <label for="cred-env">"Environment"</label>
                <select id="cred-env" data-testid="env-picker"
                    prop:value=move || env.get()
                    on:change=move |ev| pick(event_target_value(&ev))>
                    <option value="" disabled=true>"Pick an environment"</option>
                    {move || envs.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|e| {
                        let label = if e.protected { format!("{} (protected)", e.name) } else { e.name.to_string() };
                        // `selected` on the option itself: the list arrives after the
                        // select's value is set, so a value alone would not stick.
                        let name = e.name.clone();
                        let is_picked = move || env.get() == name;
                        view! { <option value=e.name.to_string() selected=is_picked>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="filter-prefix">"Path prefix"</label>
                <input id="filter-prefix" data-testid="filter-prefix" placeholder="payments/" bind:value=prefix />
            </div>
            <div>
                <label for="filter-class">"Filter by class"</label>
                <select id="filter-class" data-testid="filter-class"
                    on:change=move |ev| class.set(event_target_value(&ev))>
                    <option value="">"Any class"</option>
                    {CredentialClass::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.as_str()}</option> }).collect_view()}
                </select>
            </div>
            <div>
                <label for="filter-q">"Text"</label>
                <input id="filter-q" data-testid="filter-q" type="search" placeholder="owner, description…" bind:value=q />
            </div>
        </div>
        <ErrorBox error=envs_error />
    }
}
