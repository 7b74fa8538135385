use crate::api;
use crate::components::env_chart::EnvChart;
use crate::components::error_box::ErrorBox;
use crate::components::lint_list::LintList;
use crate::pages::{ActivityTable, NoFeed};
use crypter_api::Health;
use leptos::prelude::*;

/// The store at a glance. More panels (credentials per environment, findings, activity)
/// join as their features land.
#[component]
pub fn Overview() -> impl IntoView {
    let health = LocalResource::new(api::health);
    let envs = LocalResource::new(api::list_environments);
    let findings = LocalResource::new(api::lint);
    let recent = LocalResource::new(|| api::activity(None, false));
    let findings_list =
        Signal::derive(move || findings.get().and_then(Result::ok).unwrap_or_default());
    let recent_events = Signal::derive(move || {
        recent
            .get()
            .and_then(Result::ok)
            .map(|p| p.events.into_iter().take(10).collect())
            .unwrap_or_default()
    });
    // Whether the store's audit feed reaches Crypter at all; `None` while loading.
    let connected = move || recent.get().and_then(Result::ok).map(|p| p.feed.connected);
    let activity_error = move || recent.get().and_then(Result::err);
    let error = Signal::derive(move || {
        health
            .get()
            .and_then(Result::err)
            .or_else(|| envs.get().and_then(Result::err))
            .or_else(|| findings.get().and_then(Result::err))
    });
    view! {
        <section class="page" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Overview"</h1>
                <button type="button" data-testid="refresh-health" on:click=move |_| health.refetch()>
                    "Refresh"
                </button>
            </div>
            <ErrorBox error=error />
            <div class="card" data-testid="store-health">
                <h2>"Store health"</h2>
                {move || match health.get() {
                    None => view! { <p class="loading" data-testid="health-loading">"Asking OpenBao…"</p> }.into_any(),
                    Some(Ok(h)) => view! { <HealthTable health=h /> }.into_any(),
                    Some(Err(_)) => view! { <p class="muted">"Health is unknown."</p> }.into_any(),
                }}
            </div>
            <div class="card" data-testid="credentials-per-env">
                <h2>"Credentials per environment"</h2>
                {move || envs.get().and_then(Result::ok).map(|e| view! { <EnvChart envs=e /> })}
            </div>
            <div class="card" data-testid="overview-lint">
                <h2>"Lint findings"</h2>
                <LintList findings=findings_list />
            </div>
            <div class="card" data-testid="overview-activity">
                <h2>"Recent activity"</h2>
                {move || match (connected(), activity_error()) {
                    (_, Some(e)) => view! {
                        <p class="muted" data-testid="overview-activity-hidden">{e.message}</p>
                    }.into_any(),
                    (Some(false), _) => view! { <NoFeed /> }.into_any(),
                    _ => view! { <ActivityTable events=recent_events /> }.into_any(),
                }}
            </div>
        </section>
    }
}

#[component]
fn HealthTable(health: Health) -> impl IntoView {
    let s = health.store;
    let status_class = if health.status == "ok" {
        "badge ok"
    } else {
        "badge bad"
    };
    let sealed = if !s.reachable {
        "unknown"
    } else if s.sealed {
        "sealed"
    } else {
        "unsealed"
    };
    view! {
        <dl class="facts">
            <dt>"Status"</dt>
            <dd><span class=status_class data-testid="store-status">{health.status}</span></dd>
            <dt>"Reachable"</dt>
            <dd data-testid="store-reachable">{if s.reachable { "yes" } else { "no" }}</dd>
            <dt>"Version"</dt>
            <dd data-testid="store-version">{s.version.unwrap_or_else(|| "unknown".into())}</dd>
            <dt>"Seal"</dt>
            <dd data-testid="store-sealed">{sealed}</dd>
            <dt>"HA mode"</dt>
            <dd data-testid="store-ha-mode">{s.ha_mode.unwrap_or_else(|| "unknown".into())}</dd>
            <dt>"Cluster"</dt>
            <dd data-testid="store-cluster">{s.cluster_name.unwrap_or_else(|| "-".into())}</dd>
            <dt>"Nodes"</dt>
            <dd data-testid="store-nodes">{format!("{} of {} up", s.nodes_total.saturating_sub(s.nodes_down), s.nodes_total)}</dd>
        </dl>
        {(s.nodes_down > 0).then(|| view! {
            <p class="banner warn" data-testid="store-degraded">
                {format!("Degraded: {} OpenBao node(s) down. ", s.nodes_down)}
                <a href="/cluster" rel="external" data-testid="store-degraded-link">"See the cluster"</a>
            </p>
        })}
        {s.error.map(|e| view! { <p class="error" data-testid="store-error">{e}</p> })}
    }
}
