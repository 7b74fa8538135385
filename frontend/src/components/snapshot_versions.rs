//! A thaw refused because the freeze snapshot is damaged or missing: what is wrong, the
//! versions OpenBao still keeps and which are good, and a forced thaw from one of them,
//! with a reason.

use crate::components::time::short_time;
use crypter_api::{SnapshotVersion, ThawRequest};
use leptos::prelude::*;

#[component]
pub fn SnapshotVersions(
    versions: Vec<SnapshotVersion>,
    suggested: Option<u64>,
    /// The thaw to run.
    on_thaw: Callback<ThawRequest>,
    confirmed: Signal<bool>,
) -> impl IntoView {
    let chosen = RwSignal::new(suggested.map(|v| v.to_string()).unwrap_or_default());
    let reason = RwSignal::new(String::new());
    let any_good = versions.iter().any(|v| v.good);
    let version = move || chosen.get().trim().parse::<u64>().ok();
    let ready = move || confirmed.get() && !reason.get().trim().is_empty() && version().is_some();
    view! {
        <div class="conflicts" data-testid="snapshot-versions">
            <h3>"Snapshot versions kept by OpenBao"</h3>
            <div class="table-wrap">
                <table class="table">
                    <thead><tr><th>"Version"</th><th>"Written"</th><th>"State"</th></tr></thead>
                    <tbody>
                        {versions.into_iter().map(|v| view! {
                            <tr data-testid="snapshot-version" data-good=v.good.to_string()>
                                <td>{v.version}</td>
                                <td>{v.created_time.as_deref().map(short_time).unwrap_or_default()}</td>
                                <td>{if v.good {
                                    view! { <span class="badge ok">"good"</span> }.into_any()
                                } else {
                                    view! { <span class="badge bad">{v.problem.unwrap_or_default()}</span> }.into_any()
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {any_good.then(|| view! {
                <label for="thaw-version">"Restore from version"</label>
                <input id="thaw-version" data-testid="thaw-version" inputmode="numeric" bind:value=chosen />
                <label for="thaw-version-reason">"Reason for the forced thaw"</label>
                <input id="thaw-version-reason" data-testid="thaw-version-reason" bind:value=reason />
                <button type="button" class="danger" data-testid="thaw-from-version"
                    disabled=move || !ready()
                    on:click=move |_| {
                        on_thaw.run(ThawRequest {
                            force: true,
                            reason: Some(reason.get_untracked()),
                            snapshot_version: version(),
                        });
                    }>
                    {move || format!("Force thaw from version {}", chosen.get())}
                </button>
            })}
        </div>
    }
}
