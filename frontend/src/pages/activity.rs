//! The Activity page: OpenBao's own audit log as Crypter reads it (every change and every
//! reveal, made through Crypter or not), newest first, fifty at a time.

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::time::short_time;
use crypter_api::{ActivityAction, ActivityEvent, ActivityPage, ApiError, AuditFeedStatus};
use leptos::prelude::*;

#[component]
pub fn Activity() -> impl IntoView {
    let events: RwSignal<Vec<ActivityEvent>> = RwSignal::new(Vec::new());
    let next: RwSignal<Option<String>> = RwSignal::new(None);
    let feed: RwSignal<Option<AuditFeedStatus>> = RwSignal::new(None);
    let own_reads = RwSignal::new(false);
    let action: RwSignal<Option<ActivityAction>> = RwSignal::new(None);
    // A first page replaces the list, a later one extends it. Only the page last asked for
    // is shown: two reloads in a row (a checkbox toggled twice) never show a row twice.
    let asked = StoredValue::new(0_u32);
    let load = Action::new_local(move |before: &Option<String>| {
        let first = before.is_none();
        let n = asked.try_update_value(|n| {
            *n += 1;
            *n
        });
        let page = api::activity(
            before.clone(),
            own_reads.get_untracked(),
            action.get_untracked(),
        );
        async move {
            let ActivityPage {
                events: more,
                next: after,
                feed: status,
            } = page.await?;
            if n.is_some() && asked.try_get_value() == n {
                if first {
                    events.set(more);
                } else {
                    events.update(|e| e.extend(more));
                }
                next.set(after);
                feed.set(Some(status));
            }
            Ok(())
        }
    });
    let reload = move || {
        events.set(Vec::new());
        load.dispatch(None);
    };
    load.dispatch(None);
    let error: Signal<Option<ApiError>> =
        Signal::derive(move || load.value().get().and_then(Result::err));
    view! {
        <section class="page" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Activity"</h1>
                <button type="button" data-testid="activity-refresh" on:click=move |_| reload()>"Refresh"</button>
            </div>
            <p class="muted">
                "Read from OpenBao's own audit log: every change and every reveal, including "
                "requests made directly against OpenBao. Values stay HMAC'd; none is shown."
            </p>
            <ErrorBox error=error />
            {move || feed.get().map(|f| view! { <FeedStatus feed=f /> })}
            <ActivityFilters own_reads action reload=Callback::new(move |()| reload()) />
            <div class="card">
                <ActivityTable events=events.into() />
                {move || next.with(Option::is_some).then(|| view! {
                    <button type="button" data-testid="activity-older"
                        disabled=move || load.pending().get()
                        on:click=move |_| { load.dispatch(next.get_untracked()); }>"Older"</button>
                })}
            </div>
        </section>
    }
}

/// Which actions to show, and whether Crypter's own records and reads are among them.
#[component]
fn ActivityFilters(
    own_reads: RwSignal<bool>,
    action: RwSignal<Option<ActivityAction>>,
    reload: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="filters" role="group" aria-label="Activity filters">
            <div>
                <label for="activity-action">"Action"</label>
                <select id="activity-action" data-testid="activity-action"
                    on:change=move |ev| {
                        action.set(ActivityAction::parse(&event_target_value(&ev)));
                        reload.run(());
                    }>
                    <option value="">"Every action"</option>
                    {ActivityAction::ALL.iter().map(|a| view! { <option value=a.as_str()>{a.as_str()}</option> }).collect_view()}
                </select>
            </div>
            <label class="check">
                <input type="checkbox" data-testid="activity-own-reads" bind:checked=own_reads
                    on:change=move |_| reload.run(()) />
                "Include Crypter's own records (its sessions, jobs and digests) and value reads (plan, compare, lint, apply)"
            </label>
        </div>
    }
}

/// Where the feed comes from, or that there is none.
#[component]
pub fn FeedStatus(feed: AuditFeedStatus) -> impl IntoView {
    if !feed.connected {
        return view! { <NoFeed /> }.into_any();
    }
    let broken: Vec<String> = feed
        .sources
        .iter()
        .filter_map(|s| s.error.clone())
        .collect();
    view! {
        <p class="muted" data-testid="activity-feed">
            {format!("Audit feed: {} source(s) read.", feed.sources.len())}
        </p>
        {(!broken.is_empty()).then(|| view! {
            <p class="banner warn" data-testid="activity-feed-errors">{broken.join("; ")}</p>
        })}
    }
    .into_any()
}

/// What to do when Crypter reads no audit log.
#[component]
pub fn NoFeed() -> impl IntoView {
    view! {
        <p class="banner warn" data-testid="no-audit-feed">
            "No audit feed is connected, so no activity can be shown. Declare a file audit "
            "device in each OpenBao node's configuration and start Crypter with --audit-log "
            "(or post the lines to /api/v1/audit/ingest); the README has the stanza."
        </p>
    }
}

fn purpose_text(purpose: &str) -> String {
    match purpose.split_once(':') {
        Some(("apply", job)) => format!("by apply {job}"),
        _ => format!("for {purpose}"),
    }
}

#[component]
pub fn ActivityTable(events: Signal<Vec<ActivityEvent>>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="activity" data-testid="activity-table">
                <thead><tr><th>"Time"</th><th>"Actor"</th><th>"Action"</th><th>"Target"</th><th>"Outcome"</th></tr></thead>
                <tbody>
                    <For each=move || events.get() key=|e| e.id.clone() children=|e| {
                        let outcome_class = if e.outcome == "ok" { "badge ok" } else { "badge bad" };
                        view! {
                            <tr data-testid="activity-row" data-action=e.action.as_str()>
                                <td>{short_time(&e.time)}</td>
                                <td data-testid="activity-actor">{e.actor.clone()}</td>
                                <td>
                                    {e.action.as_str()}
                                    {e.purpose.as_deref().map(|p| view! { " "<span class="muted">{purpose_text(p)}</span> })}
                                </td>
                                <td><code>{e.target.clone()}</code></td>
                                <td><span class=outcome_class>{e.outcome.clone()}</span></td>
                            </tr>
                        }
                    } />
                </tbody>
            </table>
        </div>
    }
}
