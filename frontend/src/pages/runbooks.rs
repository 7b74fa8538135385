//! Runbooks: the list with "start from template", and the run page (checklist with the
//! current step, run / sign-off / skip / complete, evidence, incidents, the SVG timeline
//! and the rendered report with a download link).

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::job_progress::JobProgressBar;
use crate::components::markdown::Markdown;
use crate::components::runbook_timeline::{epoch, RunbookTimeline};
use crate::components::time::short_time;
use crypter_api::{ApiError, EnvName, IncidentStatus, RunStep, Runbook, RunbookStart, StepState};
use gloo_net::http::Method;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::{json, Value};

#[component]
pub fn Runbooks() -> impl IntoView {
    let runs = LocalResource::new(api::runbooks);
    let templates = LocalResource::new(api::runbook_templates);
    let (template, title, envs) = (
        RwSignal::new("store-migration".to_owned()),
        RwSignal::new(String::new()),
        // No environment is ever implied: the lead names it.
        RwSignal::new(String::new()),
    );
    let navigate = use_navigate();
    let invalid = RwSignal::new(None::<String>);
    let signoff = RwSignal::new(false);
    let start = Action::new_local(move |req: &RunbookStart| {
        let (call, navigate) = (api::start_runbook(req.clone()), navigate.clone());
        async move {
            let run = call.await?;
            navigate(&format!("/runbooks/{}", run.id), Default::default());
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || {
        start
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| runs.get().and_then(Result::err))
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let environments = envs
            .get()
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(EnvName::parse)
            .collect::<Result<Vec<_>, _>>();
        let environments = match environments {
            Ok(list) => {
                invalid.set(None);
                list
            }
            Err(e) => return invalid.set(Some(e.message)),
        };
        start.dispatch(RunbookStart {
            template: template.get(),
            title: title.get(),
            environments,
            signoff_by_approvers: signoff.get(),
        });
    };
    view! {
        <section class="page" data-testid="page">
            <h1 data-testid="page-title">"Runbooks"</h1>
            <form class="card form-row" on:submit=submit data-testid="runbook-start-form">
                <h2>"Start from template"</h2>
                <label for="rb-template">"Template"</label>
                <select id="rb-template" data-testid="runbook-template" on:change=move |ev| template.set(event_target_value(&ev))>
                    {move || templates.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| {
                        view! { <option value=t.name.clone()>{t.title}</option> }
                    }).collect_view()}
                </select>
                <label for="rb-title">"Title"</label>
                <input id="rb-title" data-testid="runbook-title" required bind:value=title />
                <label for="rb-envs">"Environments (comma-separated)"</label>
                <input id="rb-envs" data-testid="runbook-environments" bind:value=envs placeholder="e.g. production" required=true />
                <label class="check">
                    <input type="checkbox" data-testid="runbook-signoff-approvers" bind:checked=signoff />
                    "Go/no-go must be signed by the environments' approvers"
                </label>
                <button type="submit" data-testid="runbook-start" disabled=move || start.pending().get()>"Start run"</button>
            </form>
            <ErrorBox error=error />
            {move || invalid.get().map(|e| view! { <p class="invalid" data-testid="runbook-invalid">{e}</p> })}
            <RunList runs=runs />
        </section>
    }
}

/// Every run, newest first as the API lists them.
#[component]
fn RunList(
    runs: LocalResource<Result<Vec<crypter_api::RunbookSummary>, ApiError>>,
) -> impl IntoView {
    view! {
        <table data-testid="runbook-list">
            <thead><tr><th>"Run"</th><th>"Status"</th><th>"Progress"</th><th>"Lead"</th><th>"Started"</th></tr></thead>
            <tbody>
                <For each=move || runs.get().and_then(Result::ok).unwrap_or_default() key=|r| r.id.clone() let:r>
                    <tr data-testid="runbook-row">
                        <td><a href=format!("/runbooks/{}", r.id) data-testid="runbook-link">{r.title.clone()}</a></td>
                        <td><span class=format!("badge {}", r.status) data-testid="runbook-status">{r.status.as_str()}</span></td>
                        <td>{r.passed} " / " {r.total} " " {r.current_step.clone().unwrap_or_default()}</td>
                        <td>{r.lead.clone()}</td>
                        <td>{short_time(&r.started_at)}</td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}

type Act = Action<(Method, String, Value), Result<(), ApiError>>;

#[component]
pub fn RunbookRun() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let loaded = LocalResource::new(move || api::runbook(id()));
    // The run as last read: a failed read again shows its error beside it.
    let run = Memo::new(move |last: Option<&Option<Runbook>>| match loaded.get() {
        Some(Ok(r)) => Some(r),
        _ => last.cloned().flatten(),
    });
    let report = RwSignal::new(None::<Result<String, ApiError>>);
    // Every action answers the run as it now is; any report shown is then out of date.
    let act: Act = Action::new_local(move |(m, p, b): &(Method, String, Value)| {
        let call = api::runbook_action(m.clone(), p.clone(), b.clone());
        async move {
            loaded.set(Some(Ok(call.await?)));
            report.set(None);
            Ok(())
        }
    });
    let error = Signal::derive(move || {
        act.value()
            .get()
            .and_then(Result::err)
            .or_else(|| loaded.get().and_then(Result::err))
    });
    let reload = reload_until_settled(loaded, run);
    let show_report = move |_| {
        leptos::task::spawn_local(async move { report.set(Some(api::runbook_report(id()).await)) });
    };
    view! {
        <section class="page" data-testid="page">
            {move || run.get().map(|r| view! {
                <h1 data-testid="page-title">{r.title.clone()}</h1>
                <p class="muted">
                    <span class=format!("badge {}", r.status) data-testid="run-status">{r.status.as_str()}</span>
                    " lead " {r.lead.clone()} " · " {r.environments.join(", ")} " · " {short_time(&r.started_at)}
                </p>
            })}
            <ErrorBox error=error />
            <ol class="checklist" data-testid="checklist">
                {move || run.get().map(|r| {
                    let current = crypter_frontend_current(&r);
                    let steps = r.steps.clone();
                    r.steps.into_iter().enumerate().map(|(i, s)| {
                        // A gate signs the latest plan before it off: the plan, or the roll back's.
                        let plan = steps[..i].iter().rev()
                            .find(|p| matches!(p.step.kind.as_str(), "plan_changesets" | "plan_rollback"))
                            .filter(|p| p.state == StepState::Passed)
                            .and_then(|p| p.evidence.as_ref()?.get("plan_hash")?.as_str().map(str::to_owned));
                        let is_current = current.as_deref() == Some(s.step.id.as_str());
                        view! { <StepItem run_id=r.id.clone() step=s current=is_current plan=plan.clone() act=act reload=reload /> }
                    }).collect_view()
                })}
            </ol>
            <Incidents run=run act=act />
            <IncidentForm id=Signal::derive(id) act=act />
            <Timeline run=run />
            <div class="card">
                <h2>"Report"</h2>
                <button data-testid="report-show" on:click=show_report>"Show report"</button>
                " "
                <a class="button" data-testid="report-download" download href=move || format!("/api/v1/runbooks/{}/report.md", id())>"Download report.md"</a>
                {move || report.get().map(|r| match r {
                    Ok(md) => view! { <div data-testid="report"><Markdown text=md /></div> }.into_any(),
                    Err(e) => view! { <ErrorBox error=Signal::derive(move || Some(e.clone())) /> }.into_any(),
                })}
            </div>
        </section>
    }
}

/// When a step's job ends, read the run again (its outcome is recorded there). The job ends
/// a moment before the run records the step's outcome, so read it again a little later too,
/// while a step is still `running`.
fn reload_until_settled(
    loaded: LocalResource<Result<Runbook, ApiError>>,
    run: Memo<Option<Runbook>>,
) -> Callback<()> {
    Callback::new(move |()| {
        loaded.refetch();
        for ms in [500, 1_500, 3_500, 7_500] {
            let again = move || {
                let running = run.with_untracked(|r| {
                    r.as_ref()
                        .is_some_and(|r| r.steps.iter().any(|s| s.state == StepState::Running))
                });
                if running {
                    loaded.refetch();
                }
            };
            set_timeout(again, std::time::Duration::from_millis(ms));
        }
    })
}

/// The run's incidents; an open one can be marked resolved.
#[component]
fn Incidents(run: Memo<Option<Runbook>>, act: Act) -> impl IntoView {
    view! {
        <div class="card">
            <h2>"Incidents"</h2>
            <ul data-testid="incident-list">
                {move || run.get().map(|r| r.incidents.into_iter().map(|i| {
                    let path = format!("/runbooks/{}/incidents/{}", r.id, i.n);
                    let open = i.status != IncidentStatus::Resolved;
                    view! {
                        <li data-testid="incident">
                            <b>"#" {i.n} " " {i.title}</b> " (" {i.severity.as_str()} ", " <span data-testid="incident-state">{i.status.as_str()}</span> ") "
                            {i.user_impact} " · follow-up: " {i.follow_up} " · step " {i.step.unwrap_or_default()}
                            {open.then(|| view! {
                                " " <button class="secondary" data-testid="incident-resolve"
                                    on:click=move |_| { act.dispatch((Method::PATCH, path.clone(), json!({"status": IncidentStatus::Resolved}))); }>"Mark resolved"</button>
                            })}
                        </li>
                    }
                }).collect_view())}
            </ul>
        </div>
    }
}

/// The run's events: the SVG timeline, and the list behind a disclosure.
#[component]
fn Timeline(run: Memo<Option<Runbook>>) -> impl IntoView {
    view! {
        <div class="card">
            <h2>"Timeline"</h2>
            {move || run.get().map(|r| {
                let now = r.timeline.last().and_then(|e| epoch(&e.at)).unwrap_or(0);
                let rows = r.timeline.clone();
                view! {
                    <RunbookTimeline run=r now=now />
                    <details><summary>"Events (" {rows.len()} ")"</summary>
                        <ul data-testid="timeline-events">{rows.into_iter().map(|e| view! {
                            <li>{short_time(&e.at)} " " <b>{e.actor}</b> " " {e.kind} " " {e.message}</li>
                        }).collect_view()}</ul>
                    </details>
                }
            })}
        </div>
    }
}

/// The running step, else the first not passed or skipped.
fn crypter_frontend_current(r: &Runbook) -> Option<String> {
    let done = |s: &RunStep| s.state.is_done();
    r.steps
        .iter()
        .find(|s| s.state == StepState::Running)
        .or_else(|| r.steps.iter().find(|s| !done(s)))
        .map(|s| s.step.id.clone())
}

#[component]
fn StepItem(
    run_id: String,
    step: RunStep,
    current: bool,
    plan: Option<String>,
    act: Act,
    reload: Callback<()>,
) -> impl IntoView {
    let id = step.step.id.clone();
    let running = step.state == StepState::Running;
    let job = step.job.clone().filter(|_| running);
    let testid = format!("step-{id}");
    let text = RwSignal::new(String::new());
    let base = format!("/runbooks/{run_id}/steps/{id}");
    let send = move |action: &'static str, body: Value| {
        act.dispatch((Method::POST, format!("{base}/{action}"), body));
    };
    let manual = step.step.kind == "manual";
    let gate = step.step.gate;
    let evidence = step
        .evidence
        .as_ref()
        .map(|e| serde_json::to_string_pretty(e).unwrap_or_default());
    let plan_shown = plan.clone();
    let busy = move || act.pending().get();
    let send2 = send.clone();
    let send3 = send.clone();
    let send4 = send.clone();
    let send5 = send.clone();
    view! {
        <li class=if current { "step current" } else { "step" } data-testid=testid data-state=step.state.as_str()>
            <div class="step-head">
                <span class=format!("badge {}", step.state) data-testid="step-state">{step.state.as_str()}</span>
                <strong>{step.step.title.clone()}</strong>
                <code class="muted">{step.step.kind.clone()}</code>
            </div>
            <Markdown text=step.step.instructions.clone() />
            {step.summary.clone().map(|s| view! { <p data-testid="step-summary">{s}</p> })}
            {step.reason.clone().map(|s| view! { <p>"Skipped: " {s}</p> })}
            {step.signoff.clone().map(|s| view! {
                <p data-testid="step-signoff">"Signed off by " {s.by} " on plan " <code>{s.plan_hash.unwrap_or_else(|| "-".into())}</code></p>
            })}
            {(!step.voided.is_empty()).then(|| view! { <p class="error">"A sign-off was voided: the plan changed."</p> })}
            {evidence.map(|e| view! {
                <details data-testid="step-evidence"><summary>"Evidence"</summary><pre>{e}</pre></details>
            })}
            {job.map(|j| view! { <JobProgressBar job=j on_end=reload /> })}
            {current.then(move || view! {
                <div class="step-actions">
                    {gate.then(|| view! {
                        <p data-testid="signoff-plan">"Plan hash: " <code>{plan_shown.clone().unwrap_or_else(|| "no plan in this run".into())}</code></p>
                    })}
                    <label for=format!("note-{id}")>"Note / reason"</label>
                    <input id=format!("note-{id}") data-testid="step-note" bind:value=text />
                    {(!manual && !running).then(|| view! {
                        <button data-testid="step-run" disabled=busy on:click=move |_| send("run", json!({}))>"Run"</button>
                    })}
                    {running.then(|| view! {
                        <button data-testid="step-takeover" disabled=busy
                            on:click=move |_| send5("takeover", json!({"reason": text.get()}))>"Take over (give a reason)"</button>
                    })}
                    {(manual && !gate).then(|| view! {
                        <button data-testid="step-complete" disabled=busy on:click=move |_| send2("complete", json!({"note": text.get()}))>"Complete"</button>
                    })}
                    {gate.then(|| view! {
                        <button data-testid="step-signoff-button" disabled=busy
                            on:click=move |_| send3("signoff", json!({"plan_hash": plan, "note": text.get()}))>"Sign off (go)"</button>
                    })}
                    <button class="secondary" data-testid="step-skip" disabled=busy
                        on:click=move |_| send4("skip", json!({"reason": text.get()}))>"Skip"</button>
                </div>
            })}
        </li>
    }
}

#[component]
fn IncidentForm(id: Signal<String>, act: Act) -> impl IntoView {
    let f: [RwSignal<String>; 5] = std::array::from_fn(|_| RwSignal::new(String::new()));
    f[1].set("medium".into());
    f[3].set("open".into());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({"title": f[0].get(), "severity": f[1].get(), "user_impact": f[2].get(), "status": f[3].get(), "follow_up": f[4].get()});
        act.dispatch((
            Method::POST,
            format!("/runbooks/{}/incidents", id.get()),
            body,
        ));
    };
    let field = |i: usize, name: &'static str, label: &'static str| {
        view! {
            <label for=format!("inc-{name}")>{label}</label>
            <input id=format!("inc-{name}") data-testid=format!("incident-{name}") bind:value=f[i] />
        }
    };
    view! {
        <form class="card form-row" on:submit=submit data-testid="incident-form">
            <h2>"Report an incident"</h2>
            {field(0, "title", "Title")}
            <label for="inc-severity">"Severity"</label>
            <select id="inc-severity" data-testid="incident-severity" on:change=move |ev| f[1].set(event_target_value(&ev))>
                {["low", "medium", "high", "critical"].map(|s| view! { <option value=s selected=s == "medium">{s}</option> })}
            </select>
            {field(2, "impact", "User impact")}
            {field(3, "status", "Status (open, mitigated, resolved)")}
            {field(4, "follow-up", "Follow-up")}
            <button type="submit" data-testid="incident-submit">"Add incident"</button>
        </form>
    }
}
