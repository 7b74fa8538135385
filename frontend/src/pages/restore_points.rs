//! Named restore points of an environment, on the Environments page: make one now,
//! compare one with now, and restore it through an inverse plan (reviewed here, applied
//! like any plan; its job shows on the Changesets page, where it can be undone).

use crate::api;
use crate::components::error_box::ErrorBox;
use crypter_api::{
    ApiError, ChangesetPlan, Environment, RestorePointComparison, RestorePointSummary,
};
use leptos::prelude::*;

/// What the card shows under its list.
#[derive(Clone)]
enum Shown {
    Compare(RestorePointComparison),
    Plan(String, ChangesetPlan),
    Started(String),
}

#[component]
pub fn RestorePoints(envs: Signal<Vec<Environment>>) -> impl IntoView {
    let env = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let shown: RwSignal<Option<Shown>> = RwSignal::new(None);
    let make = Action::new_local(move |_: &()| {
        api::make_restore_point(env.get_untracked(), name.get_untracked())
    });
    let tick = RwSignal::new(0_u32);
    let points = LocalResource::new(move || {
        let e = env.get();
        // Listed again after each restore point made, and after each action.
        make.version().track();
        tick.track();
        async move {
            if e.is_empty() {
                Ok(Vec::new())
            } else {
                api::env_restore_points(e).await
            }
        }
    });
    let make_error = Signal::derive(move || make.value().get().and_then(Result::err));
    let list_error = Signal::derive(move || points.get().and_then(Result::err).or(error.get()));
    let act = Callback::new(move |(verb, rp): (&'static str, String)| {
        let e = env.get_untracked();
        leptos::task::spawn_local(async move {
            let done = match verb {
                "compare" => api::compare_restore_point(e, rp)
                    .await
                    .map(Shown::Compare)
                    .map(Some),
                "restore" => api::restore_plan(e, rp.clone())
                    .await
                    .map(|p| Some(Shown::Plan(rp, p))),
                _ => api::delete_restore_point(e, rp).await.map(|()| None),
            };
            match done {
                Ok(s) => {
                    error.set(None);
                    shown.set(s);
                    tick.update(|t| *t += 1);
                }
                Err(err) => error.set(Some(err)),
            }
        });
    });
    view! {
        <div class="card" data-testid="restore-points-card">
            <h2>"Restore points"</h2>
            <p class="muted">"An environment's credentials as they were (versions and metadata, never values). A restore is an inverse plan: reviewed, then applied like any plan."</p>
            <label for="rp-env">"Environment"</label>
            <select id="rp-env" data-testid="rp-env" on:change=move |ev| { shown.set(None); env.set(event_target_value(&ev)); }>
                <option value="">"Choose…"</option>
                {move || envs.get().into_iter().map(|e| view! { <option value=e.name.to_string()>{e.name.to_string()}</option> }).collect_view()}
            </select>
            <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); make.dispatch(()); }>
                <label for="rp-name">"Name"</label>
                <input id="rp-name" data-testid="rp-name" bind:value=name placeholder="before-q4" />
                <button type="submit" data-testid="rp-make" disabled=move || env.get().is_empty() || name.get().trim().is_empty()>"Make a restore point"</button>
            </form>
            <ErrorBox error=make_error />
            <ErrorBox error=list_error />
            <PointList points=Signal::derive(move || points.get().and_then(Result::ok).unwrap_or_default()) act=act />
            {move || shown.get().map(|s| view! { <ShownView s=s shown=shown error=error /> })}
        </div>
    }
}

#[component]
fn PointList(
    points: Signal<Vec<RestorePointSummary>>,
    act: Callback<(&'static str, String)>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table data-testid="rp-table">
                <thead><tr><th>"Name"</th><th>"Made"</th><th>"By"</th><th>"Credentials"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    <For each=move || points.get() key=|p| format!("{}|{}", p.changeset, p.at) let:p>
                        {
                            let (a, b, c) = (p.changeset.clone(), p.changeset.clone(), p.changeset.clone());
                            view! {
                                <tr data-testid="rp-row" data-name=p.changeset.clone()>
                                    <td><code>{p.changeset.clone()}</code></td>
                                    <td class="small">{p.at.clone()}</td>
                                    <td>{p.by.clone()}</td>
                                    <td>{p.entries}</td>
                                    <td class="row-actions">
                                        <button type="button" data-testid="rp-compare" on:click=move |_| act.run(("compare", a.clone()))>"Compare"</button>
                                        <button type="button" data-testid="rp-restore" on:click=move |_| act.run(("restore", b.clone()))>"Plan restore"</button>
                                        <button type="button" class="danger" data-testid="rp-delete" on:click=move |_| act.run(("delete", c.clone()))>"Delete"</button>
                                    </td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn ShownView(
    s: Shown,
    shown: RwSignal<Option<Shown>>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    match s {
        Shown::Compare(c) => {
            let counts = c.counts.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
            view! {
                <div data-testid="rp-comparison">
                    <h3>{format!("Now against {} ({})", c.name, c.at)}</h3>
                    <p data-testid="rp-counts">{counts}</p>
                    <ul>
                        {c.lines.into_iter().map(|l| {
                            let text = format!("{}: {} (version {} then, {} now)", l.path, l.drift.as_str(),
                                l.then.map_or("-".into(), |v| v.to_string()), l.now.map_or("-".into(), |v| v.to_string()));
                            view! { <li data-testid="rp-drift" data-drift=l.drift.as_str()>{text}</li> }
                        }).collect_view()}
                    </ul>
                </div>
            }.into_any()
        }
        Shown::Plan(name, p) => {
            let counts = p.counts.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
            let blocked = !p.blockers.is_empty();
            let hash = p.plan_hash.clone();
            let apply = move |_| {
                let hash = hash.clone();
                leptos::task::spawn_local(async move {
                    match api::apply_plan(hash).await {
                        Ok(s) => shown.set(Some(Shown::Started(s.job_id))),
                        Err(e) => error.set(Some(e)),
                    }
                });
            };
            view! {
                <div data-testid="rp-plan">
                    <h3>{format!("Restore {name}: the inverse plan")}</h3>
                    <p data-testid="rp-plan-counts">{if counts.is_empty() { "Nothing differs: nothing to restore.".to_owned() } else { counts }}</p>
                    <ul>{p.blockers.into_iter().map(|b| view! { <li class="error">"Blocked: " {b}</li> }).collect_view()}</ul>
                    <p class="muted small">"Plan hash " <code>{p.plan_hash.clone()}</code></p>
                    <button type="button" class="primary danger" data-testid="rp-apply" disabled=blocked on:click=apply>"Apply exactly these items"</button>
                </div>
            }.into_any()
        }
        Shown::Started(job) => view! {
            <p data-testid="rp-started">"Restoring: job " <code>{job}</code> ". Follow it, or undo it later, on the " <a href="/changesets" rel="external">"Changesets"</a> " page."</p>
        }.into_any(),
    }
}
