//! The Changesets page: each changeset's status with its checksum (and the diff of an
//! edited one), an upload, the plan (counts per kind and every item, a page at a time),
//! and apply with a live progress bar fed by the job's server-sent events.

mod plan;

use crate::api;
use crate::components::error_box::ErrorBox;
use crypter_api::{ApiError, ChangesetPlan, ChangesetState, ChangesetStatus, JobProgress};
use leptos::prelude::*;
use plan::PlanPanel;

#[component]
pub fn Changesets() -> impl IntoView {
    let status = LocalResource::new(api::list_changesets);
    let lock = LocalResource::new(api::changesets_lock);
    let points = LocalResource::new(api::restore_points);
    let progress: RwSignal<Option<JobProgress>> = RwSignal::new(None);
    let plan: RwSignal<Option<ChangesetPlan>> = RwSignal::new(None);
    let refresh = move || {
        status.refetch();
        lock.refetch();
        points.refetch();
    };
    view! {
        <section class="page" data-testid="page">
            <h1 data-testid="page-title">"Changesets"</h1>
            <p class="muted">
                "Checksummed migrations of the store. An applied changeset that is edited shows as "
                <strong>"changed"</strong>" with its diff and blocks apply until its new checksum is "
                "added to valid_checksums with a reason."
            </p>
            <LockBanner lock=lock />
            <StatusTable status=status plan=plan />
            <RestorePoints points=points />
            <Upload on_done=Callback::new(move |_| { plan.set(None); refresh(); }) />
            <PlanPanel plan=plan progress=progress on_change=Callback::new(move |_| refresh()) />
        </section>
    }
}

#[component]
fn LockBanner(
    lock: LocalResource<Result<Option<crypter_api::ChangesetLock>, ApiError>>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let action = Action::new_local(move |r: &String| {
        let call = api::break_changesets_lock(r.clone());
        async move {
            call.await?;
            lock.refetch();
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    move || {
        lock.get().and_then(Result::ok).flatten().map(|l| {
            let text = format!(
                "Apply in progress: lock held by {} on {}{}",
                l.holder,
                l.host,
                if l.stale {
                    " (stale: no heartbeat for 60 s)"
                } else {
                    ""
                }
            );
            view! {
                <div class="card warn-card" data-testid="changesets-lock">
                    <p data-testid="changesets-lock-holder">{text}</p>
                    <details>
                        <summary>"Break the lock"</summary>
                        <label for="lock-reason">"Reason (recorded in the activity log)"</label>
                        <input id="lock-reason" data-testid="lock-reason" bind:value=reason />
                        <ErrorBox error=error />
                        <button type="button" class="danger" data-testid="lock-break"
                            disabled=move || reason.get().trim().is_empty()
                            on:click=move |_| { action.dispatch(reason.get_untracked()); }>
                            "Break the lock"
                        </button>
                    </details>
                </div>
            }
        })
    }
}

fn badge_class(status: ChangesetState) -> &'static str {
    match status {
        ChangesetState::Applied | ChangesetState::Accepted => "badge ok",
        ChangesetState::Pending | ChangesetState::Running | ChangesetState::Undone => "badge",
        _ => "badge bad",
    }
}

fn short_sum(sum: &Option<String>) -> String {
    sum.as_deref()
        .map(|s| s.chars().take(19).collect::<String>() + "…")
        .unwrap_or_else(|| "-".into())
}

#[component]
fn StatusTable(
    status: LocalResource<Result<Vec<ChangesetStatus>, ApiError>>,
    plan: RwSignal<Option<ChangesetPlan>>,
) -> impl IntoView {
    let undo_error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    // The inverse plan goes to the plan panel, where it is reviewed and applied.
    let on_undo = Callback::new(move |id: String| {
        leptos::task::spawn_local(async move {
            match api::undo_changeset(id).await {
                Ok(p) => {
                    undo_error.set(None);
                    plan.set(Some(p));
                }
                Err(e) => undo_error.set(Some(e)),
            }
        });
    });
    let error = Signal::derive(move || status.get().and_then(Result::err).or(undo_error.get()));
    let rows = move || status.get().and_then(Result::ok).unwrap_or_default();
    view! {
        <div class="card">
            <div class="page-head">
                <h2>"Status"</h2>
                <button type="button" data-testid="changesets-refresh" on:click=move |_| status.refetch()>"Refresh"</button>
            </div>
            <ErrorBox error=error />
            <div class="table-wrap">
                <table class="changesets-table" data-testid="changesets-table">
                    <thead><tr><th>"Id"</th><th>"Status"</th><th>"Checksum"</th><th>"Environment"</th><th>"Applied"</th><th>"Way back"</th></tr></thead>
                    <tbody>
                        <For each=rows key=|s| format!("{}|{}|{:?}", s.file, s.status, s.checksum) let:s>
                            <StatusRow s=s on_undo=on_undo />
                        </For>
                    </tbody>
                </table>
            </div>
        </div>
    }
}

#[component]
fn StatusRow(s: ChangesetStatus, on_undo: Callback<String>) -> impl IntoView {
    let undo = matches!(s.status, ChangesetState::Applied | ChangesetState::Undone).then(|| {
        let id = s.id.clone();
        let label = if s.status == ChangesetState::Undone { "Plan redo" } else { "Plan undo" };
        view! {
            <button type="button" data-testid="changeset-undo" on:click=move |_| on_undo.run(id.clone())>{label}</button>
        }
    });
    let applied = match (&s.applied_by, &s.applied_at) {
        (Some(by), Some(at)) => format!("{by}, {at}"),
        _ => "-".into(),
    };
    let detail = s
        .diff
        .clone()
        .map(|d| view! { <DiffView diff=d /> }.into_any())
        .or_else(|| {
            s.accepted_reason.clone().map(|r| {
                view! { <p class="muted" data-testid="changeset-reason">"Accepted: " {r}</p> }
                    .into_any()
            })
        })
        .or_else(|| {
            s.error.clone().map(|e| {
                view! { <p class="error" data-testid="changeset-error">{e}</p> }.into_any()
            })
        })
        .or_else(|| {
            s.cursor.clone().map(|c| {
                let text = format!(
                    "Stopped after {} of {} items; plan and apply again to run the rest of the \
                     same list",
                    c.done, c.total
                );
                view! { <p class="muted" data-testid="changeset-cursor">{text}</p> }.into_any()
            })
        });
    view! {
        <tr data-testid="changeset-row" data-id=s.id.clone() data-status=s.status.as_str()>
            <td><code>{s.id.clone()}</code><div class="muted small">{s.description.clone().unwrap_or_default()}</div></td>
            <td><span class=badge_class(s.status) data-testid="changeset-status">{s.status.as_str()}</span></td>
            <td><code title=s.checksum.clone().unwrap_or_default() data-testid="changeset-checksum">{short_sum(&s.checksum)}</code></td>
            <td>{s.environment.clone().unwrap_or_default()}</td>
            <td class="small">{applied}</td>
            <td>{undo}</td>
        </tr>
        {detail.map(|d| view! { <tr class="changeset-detail"><td colspan="6">{d}</td></tr> })}
    }
}

/// What each apply and undo was made from: the restore points, newest first.
#[component]
fn RestorePoints(
    points: LocalResource<Result<Vec<crypter_api::RestorePointSummary>, ApiError>>,
) -> impl IntoView {
    let error = Signal::derive(move || points.get().and_then(Result::err));
    // Named restore points of environments are on the Environments page.
    let rows = move || {
        let mut all = points.get().and_then(Result::ok).unwrap_or_default();
        all.retain(|p| p.environment.is_none());
        all
    };
    view! {
        <div class="card" data-testid="restore-points">
            <h2>"Restore points"</h2>
            <p class="muted">"Made before every apply and every undo: the versions, role definitions and key versions each item touched. An undo is planned from them."</p>
            <ErrorBox error=error />
            <div class="table-wrap">
                <table>
                    <thead><tr><th>"Changeset"</th><th>"Made"</th><th>"By"</th><th>"When"</th><th>"Targets"</th></tr></thead>
                    <tbody>
                        <For each=rows key=|p| format!("{}|{}|{}", p.changeset, p.kind, p.at) let:p>
                            <tr data-testid="restore-point" data-changeset=p.changeset.clone()>
                                <td><code>{p.changeset.clone()}</code></td>
                                <td>{p.kind.as_str().replace('_', " ")}</td>
                                <td>{p.by.clone()}</td>
                                <td class="small">{p.at.clone()}</td>
                                <td>{p.entries}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
        </div>
    }
}

#[component]
fn DiffView(diff: String) -> impl IntoView {
    let lines = diff
        .lines()
        .map(|l| {
            let class = if l.starts_with('+') && !l.starts_with("+++") {
                "added"
            } else if l.starts_with('-') && !l.starts_with("---") {
                "removed"
            } else {
                "same"
            };
            view! { <span class=class>{l.to_owned()}</span> }
        })
        .collect_view();
    view! {
        <div class="policy-diff" data-testid="changeset-diff">
            <pre>{lines}</pre>
        </div>
    }
}

#[component]
fn Upload(on_done: Callback<()>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let action = Action::new_local(move |t: &String| {
        let call = api::upload_changeset(t.clone());
        async move {
            let uploaded = call.await;
            if uploaded.is_ok() {
                on_done.try_run(());
            }
            uploaded
        }
    });
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <form class="card" data-testid="changeset-upload" on:submit=move |ev| {
            ev.prevent_default();
            action.dispatch(text.get_untracked());
        }>
            <h2>"Upload a changeset"</h2>
            <label for="changeset-toml">"TOML (one changeset; uploading the same id again replaces it)"</label>
            <textarea id="changeset-toml" data-testid="changeset-toml" rows="10" class="mono"
                bind:value=text placeholder="id = \"2026-02-01-example\"\nauthor = \"you\"\ndescription = \"…\"\nenvironment = \"staging\"\n\n[[operations]]\nop = \"put_credential\"\n…"></textarea>
            <ErrorBox error=error />
            <button type="submit" class="primary" data-testid="changeset-upload-submit"
                disabled=move || action.pending().get() || text.get().trim().is_empty()>
                {move || if action.pending().get() { "Uploading…" } else { "Upload" }}
            </button>
            {move || action.value().get().and_then(Result::ok).map(|s| view! {
                <p class="muted" data-testid="changeset-uploaded">"Uploaded " <code>{s.id}</code> " (" {s.status.as_str()} ")"</p>
            })}
        </form>
    }
}
