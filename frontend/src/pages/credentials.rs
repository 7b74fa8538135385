use crate::api;
use crate::components::credential_detail::CredentialDetailPanel;
use crate::components::credential_form::CredentialForm;
use crate::components::error_box::ErrorBox;
use crate::components::lint_list::LintList;
use crate::components::virtual_list::VirtualList;
use crypter_api::{CredentialSummary, CREDENTIAL_CLASSES};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The same filters as the API's, applied in the browser so a keystroke never waits for
/// the network.
fn matches(c: &CredentialSummary, prefix: &str, class: &str, q: &str) -> bool {
    if !c.path.starts_with(prefix) {
        return false;
    }
    if !class.is_empty() && c.metadata.class.as_deref() != Some(class) {
        return false;
    }
    if q.is_empty() {
        return true;
    }
    let m = &c.metadata;
    [Some(&c.path), m.owner.as_ref(), m.description.as_ref()]
        .into_iter()
        .flatten()
        .chain(m.labels.iter())
        .any(|s| s.to_lowercase().contains(q))
}

/// Credentials of one environment, picked explicitly: nothing is selected at first, unless
/// the link names one (`/credentials?env=staging`).
#[component]
pub fn Credentials() -> impl IntoView {
    let envs = LocalResource::new(api::list_environments);
    let query = use_query_map();
    let env = RwSignal::new(query.with_untracked(|q| q.get("env")).unwrap_or_default());
    let prefix = RwSignal::new(String::new());
    let class = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let tick = RwSignal::new(0_u32);
    let selected: RwSignal<Option<String>> = RwSignal::new(None);
    let creating = RwSignal::new(false);

    let list = LocalResource::new(move || {
        let e = env.get();
        tick.get();
        async move {
            if e.is_empty() {
                Ok(None)
            } else {
                api::list_credentials(e, String::new(), String::new(), String::new())
                    .await
                    .map(Some)
            }
        }
    });
    // The lint reads every value of every environment; it waits for the list, so it never
    // competes with it for OpenBao.
    let findings = LocalResource::new(move || {
        tick.get();
        let listed = list.with(|l| matches!(l, Some(Ok(Some(_)))));
        async move {
            if listed {
                api::lint().await
            } else {
                Ok(Vec::new())
            }
        }
    });
    let rows = Memo::new(move |_| {
        let (p, c, text) = (prefix.get(), class.get(), q.get().to_lowercase());
        list.with(|l| match l {
            Some(Ok(Some(page))) => page
                .items
                .iter()
                .filter(|item| matches(item, &p, &c, &text))
                .cloned()
                .collect(),
            _ => Vec::new(),
        })
    });
    let protected = Signal::derive(move || {
        let e = env.get();
        envs.with(|l| {
            l.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|l| l.iter().find(|x| x.name == e))
                .is_some_and(|x| x.protected)
        })
    });
    let error = Signal::derive(move || {
        list.get()
            .and_then(Result::err)
            .or_else(|| envs.get().and_then(Result::err))
    });
    let total = move || {
        list.with(|l| {
            l.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|p| p.as_ref())
                .map(|p| p.total)
        })
    };
    let refresh = Callback::new(move |_| tick.update(|t| *t += 1));
    let env_signal: Signal<String> = env.into();
    let findings_signal =
        Signal::derive(move || findings.get().and_then(Result::ok).unwrap_or_default());

    view! {
        <section class="page wide" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Credentials"</h1>
            </div>
            <div class="filters">
                <div>
                    <label for="cred-env">"Environment"</label>
                    <select id="cred-env" data-testid="env-picker"
                        prop:value=move || env.get()
                        on:change=move |ev| {
                            selected.set(None);
                            creating.set(false);
                            env.set(event_target_value(&ev));
                        }>
                        <option value="" disabled=true>"Pick an environment"</option>
                        {move || envs.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|e| {
                            let label = if e.protected { format!("{} (protected)", e.name) } else { e.name.clone() };
                            // `selected` on the option itself: the list arrives after the
                            // select's value is set, so a value alone would not stick.
                            let name = e.name.clone();
                            let is_picked = move || env.get() == name;
                            view! { <option value=e.name.clone() selected=is_picked>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="filter-prefix">"Prefix"</label>
                    <input id="filter-prefix" data-testid="filter-prefix" placeholder="payments/" bind:value=prefix />
                </div>
                <div>
                    <label for="filter-class">"Class"</label>
                    <select id="filter-class" data-testid="filter-class"
                        on:change=move |ev| class.set(event_target_value(&ev))>
                        <option value="">"Any class"</option>
                        {CREDENTIAL_CLASSES.iter().map(|c| view! { <option value=*c>{*c}</option> }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="filter-q">"Text"</label>
                    <input id="filter-q" data-testid="filter-q" placeholder="owner, description…" bind:value=q />
                </div>
            </div>
            <ErrorBox error=error />
            <Show when=move || !env.get().is_empty()
                fallback=|| view! { <p class="muted" data-testid="pick-environment">"Pick an environment to list its credentials."</p> }>
                <div class="row">
                    <span class="muted" data-testid="credential-count">
                        {move || format!("{} shown of {}", rows.with(Vec::len), total().unwrap_or(0))}
                    </span>
                    <button type="button" class="primary" data-testid="new-credential"
                        on:click=move |_| { selected.set(None); creating.set(true); }>"New credential"</button>
                </div>
                <div class="split">
                    <VirtualList rows=rows selected=selected />
                    <div class="split-side">
                        <Show when=move || creating.get()>
                            <CredentialForm env=env_signal existing=None
                                on_saved=Callback::new(move |path| {
                                    creating.set(false);
                                    tick.update(|t| *t += 1);
                                    selected.set(Some(path));
                                })
                                on_cancel=Callback::new(move |_| creating.set(false)) />
                        </Show>
                        {move || selected.get().map(|path| view! {
                            <CredentialDetailPanel env=env_signal protected=protected path=path on_changed=refresh />
                        })}
                    </div>
                </div>
                <div class="card">
                    <h2>"Lint findings in this environment"</h2>
                    <LintList findings=findings_signal env=env_signal />
                </div>
            </Show>
        </section>
    }
}
