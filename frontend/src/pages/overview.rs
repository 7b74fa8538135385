use crate::api;
use crate::components::env_chart::EnvChart;
use crate::components::lint_list::LintList;
use crate::components::loading::Loading;
use crate::components::why_access::WhyAccess;
use crate::pages::{ActivityTable, NoFeed};
use crypter_api::Health;
use leptos::prelude::*;

/// The store at a glance. Each card loads, and fails, on its own.
#[component]
pub fn Overview() -> impl IntoView {
    let health = LocalResource::new(api::health);
    let envs = LocalResource::new(api::list_environments);
    let findings = LocalResource::new(api::lint);
    let recent = LocalResource::new(|| api::activity(None, false, None));
    let recent_events = Signal::derive(move || {
        recent
            .get()
            .and_then(Result::ok)
            .map(|p| p.events.into_iter().take(10).collect())
            .unwrap_or_default()
    });
    let loading =
        |what: &'static str| move || view! { <p class="loading" role="status">{what}</p> };
    // Whether the store's audit feed reaches Crypter at all; `None` while loading.
    let connected = move || recent.get().and_then(Result::ok).map(|p| p.feed.connected);
    let activity_error = move || recent.get().and_then(Result::err);
    view! {
        <section class="page" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Overview"</h1>
                <button type="button" data-testid="refresh-health" on:click=move |_| health.refetch()>
                    "Refresh"
                </button>
            </div>
            <section class="card" data-testid="store-health" aria-labelledby="health-title">
                <h2 id="health-title">"Store health"</h2>
                <Loading keep=true fallback=loading("Asking OpenBao…") load=move || async move {
                    let h = health.await?;
                    Ok(view! { <HealthTable health=h /> }.into_any())
                } />
            </section>
            <section class="card" data-testid="credentials-per-env" aria-labelledby="chart-title">
                <h2 id="chart-title">"Credentials per environment"</h2>
                <Loading keep=true fallback=loading("Counting…") load=move || async move {
                    let e = envs.await?;
                    Ok(view! { <EnvChart envs=e /> }.into_any())
                } />
            </section>
            <section class="card" data-testid="overview-lint" aria-labelledby="lint-title">
                <h2 id="lint-title">"Lint findings"</h2>
                <Loading keep=true fallback=loading("Checking every environment…") load=move || async move {
                    let f = findings.await?;
                    Ok(view! { <LintList findings=Signal::stored(f) /> }.into_any())
                } />
            </section>
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
            <WhyAccess />
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
