//! The Freeze page's list of writes that got through the freeze: every audited, successful
//! write to a frozen path since the store was frozen, by whom and when (root included),
//! with an apply job's writes listed apart under the job.

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::pages::{ActivityTable, NoFeed};
use crypter_api::FrozenWrites;
use leptos::prelude::*;

#[component]
pub fn FrozenWritesPanel() -> impl IntoView {
    let writes = LocalResource::new(api::freeze_writes);
    let error = Signal::derive(move || writes.get().and_then(Result::err));
    view! {
        <div class="card" data-testid="freeze-writes">
            <div class="page-head">
                <h2>"Writes that got through the freeze"</h2>
                <button type="button" data-testid="freeze-writes-refresh" on:click=move |_| writes.refetch()>
                    "Refresh"
                </button>
            </div>
            <p class="muted">
                "From OpenBao's audit log: successful writes to frozen paths since the freeze, "
                "whoever made them. The freeze's and the runbook's own records are left out."
            </p>
            <ErrorBox error=error />
            {move || writes.get().and_then(Result::ok).map(|w| view! { <WritesLists writes=w /> })}
        </div>
    }
}

#[component]
fn WritesLists(writes: FrozenWrites) -> impl IntoView {
    if !writes.feed.connected {
        return view! { <NoFeed /> }.into_any();
    }
    let outside = writes.writes;
    let count = outside.len();
    view! {
        {if outside.is_empty() {
            view! { <p data-testid="freeze-writes-none">"None: no write reached a frozen path outside an apply."</p> }.into_any()
        } else {
            view! {
                <p><span class="badge bad" data-testid="freeze-writes-count">{format!("{count} write(s) got through")}</span></p>
                <ActivityTable events=Signal::stored(outside) />
            }.into_any()
        }}
        {writes.applies.into_iter().map(|group| view! {
            <h3 data-testid="freeze-writes-job">{format!("By apply job {}", group.job)}</h3>
            <ActivityTable events=Signal::stored(group.writes) />
        }).collect_view()}
    }
    .into_any()
}
