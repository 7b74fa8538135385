//! The Freeze page: the current freeze, freeze and thaw with typed confirmation, the live
//! verification as a table of probes, and the thaw conflict view with diffs.

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::freeze_banner::FreezeStatus;
use crate::components::frozen_writes::FrozenWritesPanel;
use crate::components::thaw_panel::ThawPanel;
use crate::components::time::short_time;
use crypter_api::{ApiError, FreezeState, Verification};
use leptos::prelude::*;

#[component]
pub fn Freeze() -> impl IntoView {
    let status = FreezeStatus::get();
    // Read the state now into the banner's status, which this page shows; a refusal shows
    // here (the banner's own reads keep quiet about theirs).
    let load = Action::new_local(move |_: &()| async move {
        status.0.set(Some(api::freeze_state().await?));
        Ok::<(), ApiError>(())
    });
    load.dispatch(());
    let load_error = Signal::derive(move || load.value().get().and_then(Result::err));
    let state = Signal::derive(move || status.0.get());
    let frozen = Signal::derive(move || state.get().is_some_and(|s| s.level != "none"));

    view! {
        <section class="page" data-testid="page">
            <h1 data-testid="page-title">"Freeze"</h1>
            <p class="muted">
                "A freeze makes the store read-only inside OpenBao: every policy but root's and the operators' "
                "loses its write capabilities on the frozen paths. Verify proves it with live write probes."
            </p>
            <ErrorBox error=load_error />
            <CurrentState state=state />
            <Show when=move || frozen.get() fallback=move || view! { <FreezeForm current=None /> }>
                <FreezeForm current=state.get_untracked() />
                <VerifyPanel />
                <FrozenWritesPanel />
                <ThawPanel />
            </Show>
        </section>
    }
}

#[component]
fn CurrentState(state: Signal<Option<FreezeState>>) -> impl IntoView {
    move || {
        state.get().map(|s| {
            let frozen = s.level != "none";
            let last_thaw = s.last_thaw.clone().map(|t| {
                let forced = if t.forced {
                    format!(
                        ", forced: {}{}",
                        t.reason.unwrap_or_default(),
                        if t.overwritten.is_empty() {
                            String::new()
                        } else {
                            format!(" (overwrote {})", t.overwritten.join(", "))
                        }
                    )
                } else {
                    String::new()
                };
                let from = t
                    .snapshot_version
                    .map(|v| format!(", from snapshot version {v}"))
                    .unwrap_or_default();
                format!("{} by {}{forced}{from}", short_time(&t.at), t.by)
            });
            let verification = s.verification.clone().map(|v| {
                format!(
                    "{} at {} by {} ({} probes, {} failed)",
                    if v.verified { "verified" } else { "NOT verified" },
                    short_time(&v.at), v.by, v.probes, v.failed
                )
            });
            view! {
                <div class="card" data-testid="freeze-state">
                    <h2>"Current state"</h2>
                    <dl class="facts">
                        <dt>"Level"</dt>
                        <dd>
                            <span class=if frozen { "badge bad" } else { "badge ok" } data-testid="freeze-level">
                                {s.level.as_str()}
                            </span>
                        </dd>
                        <dt>"Since"</dt>
                        <dd data-testid="freeze-since">{s.since.as_deref().map(short_time).unwrap_or_else(|| "-".into())}</dd>
                        <dt>"By"</dt>
                        <dd data-testid="freeze-by">{s.by.clone().unwrap_or_else(|| "-".into())}</dd>
                        <dt>"Reason"</dt>
                        <dd data-testid="freeze-reason">{s.reason.clone().unwrap_or_else(|| "-".into())}</dd>
                        <dt>"Policies rewritten"</dt>
                        <dd data-testid="freeze-policies">
                            {if s.policies.is_empty() { "-".to_owned() } else { s.policies.join(", ") }}
                        </dd>
                        <dt>"Exempt"</dt>
                        <dd data-testid="freeze-exempt">{s.exempt.join(", ")}</dd>
                        <dt>"Verification"</dt>
                        <dd data-testid="freeze-verification">{verification.unwrap_or_else(|| "never run".into())}</dd>
                        <dt>"Last thaw"</dt>
                        <dd data-testid="freeze-last-thaw">{last_thaw.unwrap_or_else(|| "-".into())}</dd>
                    </dl>
                    {frozen.then(|| view! {
                        <details>
                            <summary>"Frozen paths (" {s.frozen_paths.len()} ")"</summary>
                            <ul class="mono-list" data-testid="freeze-paths">
                                {s.frozen_paths.iter().map(|p| view! { <li><code>{p.clone()}</code></li> }).collect_view()}
                            </ul>
                        </details>
                    })}
                </div>
            }
        })
    }
}

/// Freeze, or change the level. The button stays disabled until the level's name is typed.
#[component]
fn FreezeForm(current: Option<FreezeState>) -> impl IntoView {
    let status = FreezeStatus::get();
    let current_level = current.map(|c| c.level).unwrap_or_default();
    let level = RwSignal::new(
        if current_level == "provisioning" {
            "full"
        } else {
            "provisioning"
        }
        .to_owned(),
    );
    let reason = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let action = Action::new_local(move |(level, reason): &(String, String)| {
        let call = api::freeze(level.clone(), reason.clone());
        async move {
            status.0.set(Some(call.await?));
            confirm.set(String::new());
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let ready = move || {
        confirm.get() == level.get() && !reason.get().trim().is_empty() && !action.pending().get()
    };
    let title = if current_level == "none" {
        "Freeze the store"
    } else {
        "Change the level"
    };
    view! {
        <form class="card" data-testid="freeze-form" on:submit=move |ev| {
            ev.prevent_default();
            action.dispatch((level.get_untracked(), reason.get_untracked()));
        }>
            <h2>{title}</h2>
            <label for="freeze-level">"Level"</label>
            <select id="freeze-level" data-testid="freeze-level-select" bind:value=level>
                <option value="provisioning">"provisioning: roles, grants, policies, auth roles, users, environments, mounts"</option>
                <option value="full">"full: also every credential write, delete and destroy, and secret-ids"</option>
            </select>
            <label for="freeze-reason-input">"Reason (shown to everyone)"</label>
            <input id="freeze-reason-input" data-testid="freeze-reason-input" bind:value=reason
                placeholder="e.g. migration of the store to dc2" />
            <label for="freeze-confirm">"Type the level's name to confirm"</label>
            <input id="freeze-confirm" data-testid="freeze-confirm" bind:value=confirm autocomplete="off" />
            <ErrorBox error=error />
            <button type="submit" class="primary danger" data-testid="freeze-submit" disabled=move || !ready()>
                {move || if action.pending().get() { "Freezing…".to_owned() } else { format!("Freeze at {}", level.get()) }}
            </button>
        </form>
    }
}

#[component]
fn VerifyPanel() -> impl IntoView {
    let status = FreezeStatus::get();
    let action = Action::new_local(move |_: &()| async move {
        let verification = api::verify_freeze().await;
        if verification.is_ok() {
            status.refresh();
        }
        verification
    });
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <div class="card" data-testid="verify-panel">
            <div class="page-head">
                <h2>"Verification"</h2>
                <button type="button" class="primary" data-testid="freeze-verify"
                    disabled=move || action.pending().get()
                    on:click=move |_| { action.dispatch(()); }>
                    {move || if action.pending().get() { "Probing…" } else { "Verify with live probes" }}
                </button>
            </div>
            <ErrorBox error=error />
            {move || action.value().get().and_then(Result::ok).map(|v| view! { <ProbeTable verification=v /> })}
        </div>
    }
}

#[component]
fn ProbeTable(verification: Verification) -> impl IntoView {
    let failed = verification
        .probes
        .iter()
        .filter(|p| p.status != "pass")
        .count();
    let (text, class) = if verification.verified {
        (
            format!("Verified: all {} probes matched", verification.probes.len()),
            "badge ok",
        )
    } else {
        (
            format!(
                "Not verified: {failed} of {} probes did not match",
                verification.probes.len()
            ),
            "badge bad",
        )
    };
    view! {
        <p><span class=class data-testid="verify-result">{text}</span></p>
        <p class="muted" data-testid="verify-exemptions">
            "Exempt: "
            {verification.exemptions.iter().map(|e| format!("{} ({})", e.name, e.why)).collect::<Vec<_>>().join("; ")}
        </p>
        <div class="table-wrap">
            <table class="table" data-testid="probe-table">
                <thead>
                    <tr><th>"Policy"</th><th>"Operation"</th><th>"Path"</th><th>"Expected"</th><th>"Got"</th><th>"Status"</th></tr>
                </thead>
                <tbody>
                    {verification.probes.into_iter().map(|p| {
                        let pass = p.status == "pass";
                        let row_status = p.status.clone();
                        view! {
                            <tr class:fail=!pass data-testid="probe-row" data-status=row_status>
                                <td>{p.policy}</td>
                                <td>{p.operation}</td>
                                <td><code>{p.path}</code></td>
                                <td>{p.expected}</td>
                                <td>{p.got}</td>
                                <td><span class=if pass { "badge ok" } else { "badge bad" }>{p.status}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
