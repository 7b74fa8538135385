use crate::api;
use crate::components::error_box::ErrorBox;
use crypter_api::{ActivityEvent, ApiError};
use leptos::prelude::*;

/// The activity log, newest first, fifty at a time.
#[component]
pub fn Activity() -> impl IntoView {
    let events: RwSignal<Vec<ActivityEvent>> = RwSignal::new(Vec::new());
    let next: RwSignal<Option<String>> = RwSignal::new(None);
    let load = Action::new_local(|before: &Option<String>| api::activity(before.clone()));
    load.dispatch(None);
    Effect::new(move |_| {
        if let Some(Ok(page)) = load.value().get() {
            events.update(|e| e.extend(page.events));
            next.set(page.next);
        }
    });
    let error: Signal<Option<ApiError>> =
        Signal::derive(move || load.value().get().and_then(Result::err));
    view! {
        <section class="page" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Activity"</h1>
                <button type="button" data-testid="activity-refresh" on:click=move |_| {
                    events.set(Vec::new());
                    load.dispatch(None);
                }>"Refresh"</button>
            </div>
            <ErrorBox error=error />
            <div class="card">
                <ActivityTable events=events.into() />
                {move || next.with(Option::is_some).then(|| view! {
                    <button type="button" data-testid="activity-older"
                        on:click=move |_| { load.dispatch(next.get_untracked()); }>"Older"</button>
                })}
            </div>
        </section>
    }
}

#[component]
pub fn ActivityTable(events: Signal<Vec<ActivityEvent>>) -> impl IntoView {
    view! {
        <table class="activity" data-testid="activity-table">
            <thead><tr><th>"Time"</th><th>"Actor"</th><th>"Action"</th><th>"Target"</th><th>"Outcome"</th></tr></thead>
            <tbody>
                <For each=move || events.get() key=|e| e.id.clone() children=|e| {
                    let outcome_class = if e.outcome == "ok" { "badge ok" } else { "badge bad" };
                    view! {
                        <tr data-testid="activity-row" data-action=e.action.clone()>
                            <td>{e.time.clone()}</td>
                            <td>{e.actor.clone()}</td>
                            <td>{e.action.clone()}</td>
                            <td><code>{e.target.clone()}</code>{e.purpose.clone().map(|d| view! { " "<span class="muted">{d}</span> })}</td>
                            <td><span class=outcome_class>{e.outcome.clone()}</span></td>
                        </tr>
                    }
                } />
            </tbody>
        </table>
    }
}
