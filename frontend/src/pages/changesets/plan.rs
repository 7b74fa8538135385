//! The plan: counts per kind, each operation's counts, warnings and blockers, and every
//! item a page at a time (filtered by kind), then apply with a progress bar.

use super::badge_class;
use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::job_events::{watch_job, JobSink, Link, LinkStatus};
use crypter_api::{
    ApiError, ApplyRequest, ChangesetPlan, ChangesetState, ItemCounts, ItemSource, ItemTarget,
    JobKind, JobProgress, JobState, NumberedItem, PlanItemPage, PlannedChangeset,
};
use leptos::prelude::*;

#[component]
pub fn PlanPanel(
    plan: RwSignal<Option<ChangesetPlan>>,
    progress: RwSignal<Option<JobProgress>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let plan_action = Action::new_local(move |_: &()| async move {
        plan.set(Some(api::plan_changesets().await?));
        Ok::<(), ApiError>(())
    });
    let link = RwSignal::new(Link::Live);
    let sink = JobSink {
        progress,
        link,
        on_end: on_change,
    };
    pick_up_last_apply(sink);
    // Once started, the apply is followed to its end.
    let apply_action = Action::new_local(move |hash: &String| {
        let call = api::apply_changesets(ApplyRequest {
            plan_hash: hash.clone(),
            force: false,
            reason: None,
        });
        async move {
            let started = call.await?;
            on_change.try_run(());
            watch_job(&started.job_id, sink);
            Ok::<(), ApiError>(())
        }
    });
    let plan_error = Signal::derive(move || plan_action.value().get().and_then(Result::err));
    let apply_error = Signal::derive(move || apply_action.value().get().and_then(Result::err));
    let running = move || progress.get().is_some_and(|p| p.state == JobState::Running);
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
                        "Apply exactly these items"
                    </button>
                }
            })}
            <ProgressView sink=JobSink { progress, link, on_end: on_change } />
            <LinkStatus link=link />
        </div>
    }
}

/// `create 3 · skip 2`.
fn counts_text(counts: &ItemCounts) -> String {
    if counts.is_empty() {
        return "nothing to do".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[component]
fn PlanView(plan: ChangesetPlan) -> impl IntoView {
    let empty = plan.changesets.is_empty();
    let total: u64 = plan.counts.values().sum();
    let undo = plan.undo_of.clone().map(|id| {
        view! { <p class="warn" data-testid="plan-undo-of">"Inverse plan: the way back from " <code>{id}</code> ". Conflicts are left as they are and listed."</p> }
    });
    view! {
        <div data-testid="plan">
            {undo}
            {empty.then(|| view! { <p class="muted" data-testid="plan-empty">"Nothing to apply: every changeset is applied."</p> })}
            <ul class="plan-counts" aria-label="Items per kind">
                {plan.counts.iter().map(|(kind, n)| {
                    let class = if kind == "conflict" || kind == "refused" { "badge bad" } else { "badge" };
                    view! { <li class=class data-testid="plan-count" data-kind=kind.clone()>{format!("{kind} {n}")}</li> }
                }).collect_view()}
            </ul>
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
            <ItemsView hash=plan.plan_hash.clone() first=plan.items counts=plan.counts total=total />
            <p class="muted small">"Plan hash (of every item) " <code data-testid="plan-hash">{plan.plan_hash}</code></p>
        </div>
    }
}

#[component]
fn PlannedView(c: PlannedChangeset) -> impl IntoView {
    let resumed = (c.status == ChangesetState::Failed).then(|| {
        view! { <span class=badge_class(c.status)>"resumes its interrupted apply"</span> }
    });
    view! {
        <h3><code>{c.id.clone()}</code> " → " {c.environment.clone()} " " {resumed}</h3>
        <div class="table-wrap">
            <table class="plan-table" data-testid="plan-changeset" data-id=c.id>
                <thead><tr><th>"#"</th><th>"Operation"</th><th>"Items"</th></tr></thead>
                <tbody>
                    {c.operations.into_iter().map(|o| {
                        let bad = o.counts.contains_key("conflict") || o.counts.contains_key("refused");
                        view! {
                            <tr data-testid="plan-operation">
                                <td>{o.index + 1}</td>
                                <td>{o.summary}</td>
                                <td class={if bad { "bad" } else { "" }}>{counts_text(&o.counts)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn version(v: Option<u64>) -> String {
    v.map_or("absent".into(), |v| format!("v{v}"))
}

fn source_text(s: &Option<ItemSource>) -> String {
    match s {
        Some(s) => match (&s.environment, s.version) {
            (Some(e), v) => format!("{e}/{} ({})", s.path, version(v)),
            (None, Some(v)) => format!("{}/{} (v{v})", s.mount, s.path),
            (None, None) => format!("{}/{} (KV v1)", s.mount, s.path),
        },
        None => "—".into(),
    }
}

fn target_text(t: &ItemTarget) -> String {
    match t {
        ItemTarget::Credential { version: v, .. }
        | ItemTarget::Role { version: v, .. }
        | ItemTarget::Key { version: v, .. } => {
            format!("{} ({})", t.label(), version(*v))
        }
        ItemTarget::Environment { .. } => t.label(),
    }
}

/// Every item, 100 at a time; the first page came with the plan.
#[component]
fn ItemsView(hash: String, first: PlanItemPage, counts: ItemCounts, total: u64) -> impl IntoView {
    let kind = RwSignal::new(String::new());
    let after: RwSignal<Option<u64>> = RwSignal::new(None);
    let history: RwSignal<Vec<Option<u64>>> = RwSignal::new(Vec::new());
    let page = LocalResource::new(move || {
        let (k, a, hash, first) = (kind.get(), after.get(), hash.clone(), first.clone());
        async move {
            if k.is_empty() && a.is_none() {
                Ok(first)
            } else {
                api::plan_items(&hash, (!k.is_empty()).then_some(k), a).await
            }
        }
    });
    let error = Signal::derive(move || page.get().and_then(Result::err));
    let current = move || page.get().and_then(Result::ok);
    let next = move || current().and_then(|p| p.next);
    view! {
        <div class="plan-items" data-testid="plan-items">
            <div class="page-head">
                <h3>"Items"</h3>
                <label for="plan-kind">"Show"</label>
                <select id="plan-kind" data-testid="plan-kind"
                    on:change=move |ev| {
                        kind.set(event_target_value(&ev));
                        history.set(Vec::new());
                        after.set(None);
                    }>
                    <option value="">{format!("every item ({total})")}</option>
                    {counts.iter().map(|(k, n)| view! { <option value=k.clone()>{format!("{k} ({n})")}</option> }).collect_view()}
                </select>
            </div>
            <ErrorBox error=error />
            // The page shown stays until the next one has arrived (no Suspense: its code
            // would cost this section's bundle more than its budget allows).
            <div class="table-wrap">
                    <table class="plan-table" data-testid="plan-item-table">
                        <thead><tr><th>"#"</th><th>"Action"</th><th>"Target"</th><th>"Source"</th><th>"Value"</th><th>"Why"</th></tr></thead>
                        <tbody>
                            <For each=move || current().map(|p| p.items).unwrap_or_default() key=|i| i.n let:i>
                                <ItemRow i=i />
                            </For>
                        </tbody>
                    </table>
                </div>
                <p class="muted small" data-testid="plan-items-shown">
                    {move || current().map(|p| {
                        let from = p.items.first().map_or(0, |i| i.n + 1);
                        let to = p.items.last().map_or(0, |i| i.n + 1);
                        format!("items {from}–{to}; {} match", p.total)
                    })}
                </p>
            <div class="pager">
                <button type="button" data-testid="plan-items-previous"
                    disabled=move || history.get().is_empty()
                    on:click=move |_| {
                        let mut h = history.get_untracked();
                        after.set(h.pop().flatten());
                        history.set(h);
                    }>"Previous"</button>
                <button type="button" data-testid="plan-items-next"
                    disabled=move || next().is_none()
                    on:click=move |_| {
                        if let Some(n) = next() {
                            history.update(|h| h.push(after.get_untracked()));
                            after.set(Some(n));
                        }
                    }>"Next"</button>
            </div>
        </div>
    }
}

#[component]
fn ItemRow(i: NumberedItem) -> impl IntoView {
    let it = i.item;
    let kind = it.kind();
    let class = match kind {
        "conflict" | "refused" => "badge bad",
        "skip" => "badge",
        _ => "badge ok",
    };
    let why = it.refused.clone().or(it.reason.clone()).unwrap_or_default();
    let why = if it.resumed {
        format!("may be done by the interrupted apply. {why}")
    } else {
        why
    };
    view! {
        <tr data-testid="plan-item" data-kind=kind>
            <td>{i.n + 1}</td>
            <td><span class=class>{kind}</span></td>
            <td><code>{target_text(&it.target)}</code></td>
            <td><code>{source_text(&it.source)}</code></td>
            <td>{it.value.map(|v| v.as_str()).unwrap_or("")}</td>
            <td class="small">{why}</td>
        </tr>
    }
}

#[component]
fn ProgressView(sink: JobSink) -> impl IntoView {
    let progress = sink.progress;
    let resume = Action::new_local(move |id: &String| {
        let call = api::resume_job(id.clone());
        async move {
            let started = call.await?;
            sink.on_end.try_run(());
            watch_job(&started.job_id, sink);
            Ok::<(), ApiError>(())
        }
    });
    let resume_error = Signal::derive(move || resume.value().get().and_then(Result::err));
    move || {
        progress.get().map(|p| {
            let text = format!(
                "{} / {} ({} per second) {}",
                p.done, p.total, p.rate, p.current
            );
            let max = p.total.max(1).to_string();
            let badge = match p.state {
                JobState::Done => ChangesetState::Applied,
                JobState::Running => ChangesetState::Pending,
                JobState::Failed | JobState::Interrupted => ChangesetState::Failed,
            };
            let resumable = p.state == JobState::Interrupted && p.runbook.is_none();
            let id = p.id.clone();
            view! {
                <div class="job-progress" data-testid="job-progress" data-state=p.state.as_str()>
                    <progress data-testid="job-progress-bar" value=p.done.to_string() max=max></progress>
                    <span data-testid="job-progress-text">{text}</span>
                    <span class=badge_class(badge) data-testid="job-state">{p.state.as_str()}</span>
                    {p.error.map(|e| view! { <p class="error" data-testid="job-error">{e}</p> })}
                    {resumable.then(|| view! {
                        <ErrorBox error=resume_error />
                        <button type="button" class="primary" data-testid="job-resume"
                            disabled=move || resume.pending().get()
                            on:click=move |_| { resume.dispatch(id.clone()); }>
                            "Resume from its saved cursor"
                        </button>
                    })}
                </div>
            }
        })
    }
}

/// The newest apply job the caller may follow, if it is running or interrupted: shown on
/// arrival (after a reload, or on another instance), followed while it runs.
fn pick_up_last_apply(sink: JobSink) {
    let progress = sink.progress;
    leptos::task::spawn_local(async move {
        let Ok(jobs) = api::jobs().await else {
            return;
        };
        let Some(last) = jobs
            .into_iter()
            .find(|j| j.kind == JobKind::Apply && j.runbook.is_none())
        else {
            return;
        };
        match last.state {
            JobState::Running => {
                let id = last.id.clone();
                progress.set(Some(last));
                watch_job(&id, sink);
            }
            JobState::Interrupted => progress.set(Some(last)),
            JobState::Done | JobState::Failed => {}
        }
    });
}
