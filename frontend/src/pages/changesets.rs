//! The Changesets page: each changeset's status with its checksum (and the diff of an
//! edited one), an upload, the plan with its warnings, and apply with a live progress bar
//! fed by the job's server-sent events.

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::job_events::{watch_job, JobSink, Link, LinkStatus};
use crypter_api::{
    ApiError, ApplyRequest, ChangesetPlan, ChangesetStatus, JobProgress, PlannedChangeset,
};
use leptos::prelude::*;

#[component]
pub fn Changesets() -> impl IntoView {
    let status = LocalResource::new(api::list_changesets);
    let lock = LocalResource::new(api::changesets_lock);
    let progress: RwSignal<Option<JobProgress>> = RwSignal::new(None);
    let plan: RwSignal<Option<ChangesetPlan>> = RwSignal::new(None);
    let refresh = move || {
        status.refetch();
        lock.refetch();
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
            <StatusTable status=status />
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
    let action = Action::new_local(|r: &String| api::break_changesets_lock(r.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            lock.refetch();
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

fn badge_class(status: &str) -> &'static str {
    match status {
        "applied" | "accepted" => "badge ok",
        "pending" | "running" => "badge",
        _ => "badge bad",
    }
}

fn short_sum(sum: &Option<String>) -> String {
    sum.as_deref()
        .map(|s| s.chars().take(19).collect::<String>() + "…")
        .unwrap_or_else(|| "-".into())
}

#[component]
fn StatusTable(status: LocalResource<Result<Vec<ChangesetStatus>, ApiError>>) -> impl IntoView {
    let error = Signal::derive(move || status.get().and_then(Result::err));
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
                    <thead><tr><th>"Id"</th><th>"Status"</th><th>"Checksum"</th><th>"Environment"</th><th>"Applied"</th></tr></thead>
                    <tbody>
                        <For each=rows key=|s| format!("{}|{}|{:?}", s.file, s.status, s.checksum) let:s>
                            <StatusRow s=s />
                        </For>
                    </tbody>
                </table>
            </div>
        </div>
    }
}

#[component]
fn StatusRow(s: ChangesetStatus) -> impl IntoView {
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
                    "Stopped at operation {}{}; apply again to resume",
                    c.operation + 1,
                    c.after.map(|a| format!(" after {a}")).unwrap_or_default()
                );
                view! { <p class="muted" data-testid="changeset-cursor">{text}</p> }.into_any()
            })
        });
    view! {
        <tr data-testid="changeset-row" data-id=s.id.clone() data-status=s.status.clone()>
            <td><code>{s.id.clone()}</code><div class="muted small">{s.description.clone().unwrap_or_default()}</div></td>
            <td><span class=badge_class(&s.status) data-testid="changeset-status">{s.status.clone()}</span></td>
            <td><code title=s.checksum.clone().unwrap_or_default() data-testid="changeset-checksum">{short_sum(&s.checksum)}</code></td>
            <td>{s.environment.clone().unwrap_or_default()}</td>
            <td class="small">{applied}</td>
        </tr>
        {detail.map(|d| view! { <tr class="changeset-detail"><td colspan="5">{d}</td></tr> })}
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
    let action = Action::new_local(|t: &String| api::upload_changeset(t.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            on_done.run(());
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
                <p class="muted" data-testid="changeset-uploaded">"Uploaded " <code>{s.id}</code> " (" {s.status} ")"</p>
            })}
        </form>
    }
}

#[component]
fn PlanPanel(
    plan: RwSignal<Option<ChangesetPlan>>,
    progress: RwSignal<Option<JobProgress>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let plan_action = Action::new_local(|_: &()| api::plan_changesets());
    Effect::new(move |_| {
        if let Some(Ok(p)) = plan_action.value().get() {
            plan.set(Some(p));
        }
    });
    let apply_action = Action::new_local(|hash: &String| {
        api::apply_changesets(ApplyRequest {
            plan_hash: hash.clone(),
            force: false,
            reason: None,
        })
    });
    let link = RwSignal::new(Link::Live);
    Effect::new(move |_| {
        if let Some(Ok(started)) = apply_action.value().get() {
            on_change.run(());
            let sink = JobSink {
                progress,
                link,
                on_end: on_change,
            };
            watch_job(&started.job_id, sink);
        }
    });
    let plan_error = Signal::derive(move || plan_action.value().get().and_then(Result::err));
    let apply_error = Signal::derive(move || apply_action.value().get().and_then(Result::err));
    let running = move || progress.get().is_some_and(|p| p.state == "running");
    view! {
        <div class="card" data-testid="plan-panel">
            <div class="page-head">
                <h2>"Plan and apply"</h2>
                <button type="button" class="primary" data-testid="plan-button"
                    disabled=move || plan_action.pending().get() || running()
                    on:click=move |_| { plan_action.dispatch(()); }>
                    {move || if plan_action.pending().get() { "Planning…" } else { "Plan (dry run)" }}
                </button>
            </div>
            <ErrorBox error=plan_error />
            {move || plan.get().map(|p| {
                let hash = p.plan_hash.clone();
                let blocked = !p.blockers.is_empty();
                view! {
                    <PlanView plan=p />
                    <ErrorBox error=apply_error />
                    <button type="button" class="primary danger" data-testid="apply-button"
                        disabled=move || blocked || apply_action.pending().get() || running()
                        on:click=move |_| { apply_action.dispatch(hash.clone()); }>
                        "Apply this plan"
                    </button>
                }
            })}
            <ProgressView progress=progress />
            <LinkStatus link=link />
        </div>
    }
}

#[component]
fn PlanView(plan: ChangesetPlan) -> impl IntoView {
    let empty = plan.changesets.is_empty();
    view! {
        <div data-testid="plan">
            {empty.then(|| view! { <p class="muted" data-testid="plan-empty">"Nothing to apply: every changeset is applied."</p> })}
            {plan.changesets.into_iter().map(|c| view! { <PlannedView c=c /> }).collect_view()}
            <ul class="plan-warnings">
                {plan.warnings.into_iter().map(|w| {
                    let text = format!("{}: {}", w.changeset, w.message);
                    view! { <li class="warn" data-testid="plan-warning" data-code=w.code>{text}</li> }
                }).collect_view()}
                {plan.blockers.into_iter().map(|b| view! {
                    <li class="error" data-testid="plan-blocker">"Blocked: " {b}</li>
                }).collect_view()}
            </ul>
            <p class="muted small">"Plan hash " <code data-testid="plan-hash">{plan.plan_hash}</code></p>
        </div>
    }
}

#[component]
fn PlannedView(c: PlannedChangeset) -> impl IntoView {
    view! {
        <h3><code>{c.id.clone()}</code> " → " {c.environment.clone()}</h3>
        <div class="table-wrap">
            <table class="plan-table" data-testid="plan-changeset" data-id=c.id>
                <thead><tr><th>"#"</th><th>"Operation"</th><th>"Create"</th><th>"Update"</th><th>"Skip"</th><th>"Conflict"</th></tr></thead>
                <tbody>
                    {c.operations.into_iter().map(|o| view! {
                        <tr data-testid="plan-operation">
                            <td>{o.index + 1}</td>
                            <td>{o.summary}<div class="muted small">{o.examples.join(", ")}</div></td>
                            <td>{o.create}</td><td>{o.update}</td><td>{o.skip}</td>
                            <td class={if o.conflict > 0 { "bad" } else { "" }}>{o.conflict}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn ProgressView(progress: RwSignal<Option<JobProgress>>) -> impl IntoView {
    move || {
        progress.get().map(|p| {
            let text = format!(
                "{} / {} ({} per second) {}",
                p.done, p.total, p.rate, p.current
            );
            let max = p.total.max(1).to_string();
            view! {
                <div class="job-progress" data-testid="job-progress" data-state=p.state.clone()>
                    <progress data-testid="job-progress-bar" value=p.done.to_string() max=max></progress>
                    <span data-testid="job-progress-text">{text}</span>
                    <span class=badge_class(if p.state == "done" { "applied" } else if p.state == "running" { "pending" } else { "failed" })
                        data-testid="job-state">{p.state.clone()}</span>
                    {p.error.map(|e| view! { <p class="error" data-testid="job-error">{e}</p> })}
                </div>
            }
        })
    }
}
