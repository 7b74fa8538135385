//! Thaw, with typed confirmation. On a refusal: the diffs of policies changed while frozen
//! and a forced thaw with a reason, or, for a damaged snapshot, its good versions and a
//! forced thaw from one of them.

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::freeze_banner::FreezeStatus;
use crate::components::snapshot_versions::SnapshotVersions;
use crypter_api::{ApiError, PolicyConflict, SnapshotVersion, ThawRequest, ThawResult};
use leptos::prelude::*;

/// Thaw with typed confirmation; on a conflict, the diffs and a forced thaw with a reason.
#[component]
pub fn ThawPanel() -> impl IntoView {
    let status = FreezeStatus::get();
    let confirm = RwSignal::new(String::new());
    // A thaw answers the new state: the banner shows it at once.
    let action = Action::new_local(move |req: &ThawRequest| {
        let call = api::thaw(req.clone());
        async move {
            let result = call.await;
            if let Ok(r) = &result {
                status.0.set(Some(r.state.clone()));
            }
            result
        }
    });
    let result: Signal<Option<Result<ThawResult, ApiError>>> = action.value().into();
    let conflicts = move || -> Vec<PolicyConflict> {
        result
            .get()
            .and_then(Result::err)
            .and_then(|e| e.details)
            .and_then(|d| serde_json::from_value(d.get("conflicts")?.clone()).ok())
            .unwrap_or_default()
    };
    // A damaged or missing snapshot: the versions OpenBao keeps, and which are good.
    let damaged = move || -> Option<(Vec<SnapshotVersion>, Option<u64>)> {
        let e = result.get().and_then(Result::err)?;
        let d = e
            .details
            .filter(|_| e.code == crypter_api::ErrorCode::SnapshotDamaged)?;
        let versions = serde_json::from_value(d.get("versions")?.clone()).ok()?;
        Some((
            versions,
            d.get("suggested_version").and_then(|v| v.as_u64()),
        ))
    };
    let on_thaw = Callback::new(move |req: ThawRequest| {
        action.dispatch(req);
    });
    let confirmed = Signal::derive(move || confirm.get() == "thaw");
    let error = Signal::derive(move || result.get().and_then(Result::err));
    view! {
        <div class="card" data-testid="thaw-panel">
            <h2>"Thaw"</h2>
            <p class="muted">"Restores every policy from the snapshot taken when the store was frozen, then checks each one's SHA-256."</p>
            <label for="thaw-confirm">"Type " <code>"thaw"</code> " to confirm"</label>
            <input id="thaw-confirm" data-testid="thaw-confirm" bind:value=confirm autocomplete="off" />
            <ErrorBox error=error />
            <button type="button" class="primary" data-testid="thaw-submit"
                disabled=move || confirm.get() != "thaw" || action.pending().get()
                on:click=move |_| { action.dispatch(ThawRequest::default()); }>
                "Thaw"
            </button>
            {move || damaged().map(|(versions, suggested)| view! {
                <SnapshotVersions versions=versions suggested=suggested on_thaw=on_thaw confirmed=confirmed />
            })}
            {move || {
                let conflicts = conflicts();
                (!conflicts.is_empty()).then(|| view! { <Conflicts conflicts confirm action /> })
            }}
        </div>
    }
}

/// Policies changed while frozen: their diffs, and a forced thaw that overwrites them.
#[component]
fn Conflicts(
    conflicts: Vec<PolicyConflict>,
    confirm: RwSignal<String>,
    action: Action<ThawRequest, Result<ThawResult, ApiError>>,
) -> impl IntoView {
    let force_reason = RwSignal::new(String::new());
    view! {
        <div class="conflicts" data-testid="thaw-conflicts">
            <h3>"Changed while frozen"</h3>
            {conflicts.into_iter().map(|c| view! {
                <div data-testid="thaw-conflict">
                    <h4><code>{c.policy}</code></h4>
                    <pre class="diff">{c.diff}</pre>
                </div>
            }).collect_view()}
            <label for="thaw-force-reason">"Reason for overwriting these edits"</label>
            <input id="thaw-force-reason" data-testid="thaw-force-reason" bind:value=force_reason />
            <button type="button" class="danger" data-testid="thaw-force"
                disabled=move || force_reason.get().trim().is_empty() || confirm.get() != "thaw"
                on:click=move |_| {
                    action.dispatch(ThawRequest {
                        force: true,
                        reason: Some(force_reason.get_untracked()),
                        snapshot_version: None,
                    });
                }>
                "Force thaw"
            </button>
        </div>
    }
}
