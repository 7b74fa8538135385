use crate::api;
use crate::components::credential_detail::CredentialDetailPanel;
use crate::components::credential_filters::{FilterValues, Filters};
use crate::components::credential_form::CredentialForm;
use crate::components::credential_rows::Rows;
use crate::components::error_box::ErrorBox;
use crate::components::lint_list::LintList;
use crate::components::loading::Loading;
use crate::components::virtual_list::{SkeletonRows, VirtualList};
use crypter_api::{ApiError, CredentialSummary, CredentialWritten, LintFinding};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use std::collections::BTreeMap;

/// Every row of an environment: the pages of one listing, in order.
async fn all_rows(env: String) -> Result<Rows, ApiError> {
    let mut page = api::credentials_page(env.clone(), None).await?;
    let mut items = std::mem::take(&mut page.items);
    while let Some(after) = page.next.take() {
        page = api::credentials_page(env.clone(), Some(after)).await?;
        items.append(&mut page.items);
    }
    Ok(Rows::new(items, true))
}

/// What the page changed since it listed the environment: rows and their findings.
#[derive(Clone, Copy)]
struct Changes {
    rows: RwSignal<BTreeMap<String, CredentialSummary>>,
    findings: RwSignal<BTreeMap<String, Vec<LintFinding>>>,
}

impl Changes {
    fn new() -> Self {
        Self {
            rows: RwSignal::new(BTreeMap::new()),
            findings: RwSignal::new(BTreeMap::new()),
        }
    }

    /// A credential changed: its row, and its findings asked of the lint for that one
    /// credential. Nothing else is read again.
    fn changed(self, env: String, row: CredentialSummary) {
        let path = row.path.clone();
        self.rows.update(|r| {
            r.insert(path.clone(), row);
        });
        spawn_local(async move {
            if let Ok(found) = api::lint_scoped(env, Some(path.clone())).await {
                // The environment's view may be gone by now: `try_update`.
                self.findings.try_update(|f| {
                    f.insert(path, found);
                });
            }
        });
    }
}

/// Credentials of one environment, picked explicitly: nothing is selected at first, unless
/// the link names one (`/credentials?env=staging`, and `&path=…` to open a credential).
#[component]
pub fn Credentials() -> impl IntoView {
    let envs = LocalResource::new(api::environment_names);
    let query = use_query_map();
    let env = Memo::new(move |_| query.with(|q| q.get("env")).unwrap_or_default());
    let filters = FilterValues {
        prefix: RwSignal::new(String::new()),
        class: RwSignal::new(String::new()),
        q: RwSignal::new(String::new()),
    };
    let selected: RwSignal<Option<String>> = RwSignal::new(query.with_untracked(|q| q.get("path")));
    let creating = RwSignal::new(false);
    let protected = Signal::derive(move || {
        let e = env.get();
        envs.with(|l| {
            l.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|l| l.iter().find(|x| x.name == e))
                .is_some_and(|x| x.protected)
        })
    });

    view! {
        <section class="page wide" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Credentials"</h1>
            </div>
            <Filters envs=envs env=env.into() filters=filters
                on_pick=Callback::new(move |_| {
                    selected.set(None);
                    creating.set(false);
                }) />
            // One view per environment: picking another drops this one (its listing, its
            // changes and its requests in flight) and starts afresh.
            {move || {
                let e = env.get();
                if e.is_empty() {
                    view! { <p class="muted" data-testid="pick-environment">"Pick an environment to list its credentials."</p> }.into_any()
                } else {
                    view! { <EnvCredentials env=e protected=protected filters=filters selected=selected creating=creating /> }.into_any()
                }
            }}
        </section>
    }
}

/// One environment's credentials. The first rows come at once (a quick page); every row
/// follows (the full listing), and only then can filters see all of them and the lint
/// run. A save changes its own row and findings, and lists nothing again.
#[component]
fn EnvCredentials(
    env: String,
    protected: Signal<bool>,
    filters: FilterValues,
    selected: RwSignal<Option<String>>,
    creating: RwSignal<bool>,
) -> impl IntoView {
    let changes = Changes::new();
    let Listing {
        first,
        rows,
        full_error,
    } = listing(env.clone(), changes);
    let shown = Memo::new(move |_| {
        let (p, c, text) = (
            filters.prefix.get(),
            filters.class.get(),
            filters.q.get().to_lowercase(),
        );
        rows.with(|r| r.filter(&p, &c, &text))
    });
    // A memo: it changes once, when every row is listed, not at every row a save patches
    // (each change would ask the lint for the whole environment again).
    let listed = Memo::new(move |_| rows.with(|r| r.complete));
    let env_signal: Signal<String> = Signal::stored(env.clone());
    let on_changed = Callback::new(move |row: CredentialSummary| {
        changes.changed(env_signal.get_untracked(), row);
    });
    let on_created = Callback::new(move |w: CredentialWritten| {
        creating.set(false);
        selected.set(Some(w.path.clone()));
        if let Some(row) = w.row {
            on_changed.run(row);
        }
    });

    view! {
        <div class="row">
            <span class="muted" data-testid="credential-count" role="status">
                {move || count_text(&rows.get(), shown.with(Vec::len), first.with(Option::is_none))}
            </span>
            <button type="button" class="primary" data-testid="new-credential"
                on:click=move |_| { selected.set(None); creating.set(true); }>"New credential"</button>
        </div>
        <ErrorBox error=full_error />
        <div class="split">
            <Loading fallback=|| view! { <SkeletonRows /> } load=move || async move {
                first.await?;
                Ok(view! { <ListOrEmpty rows=rows shown=shown selected=selected /> }.into_any())
            } />
            <div class="split-side">
                <Show when=move || creating.get()>
                    <CredentialForm env=env_signal existing=None on_saved=on_created
                        on_cancel=Callback::new(move |_| creating.set(false)) />
                </Show>
                {move || selected.get().map(|path| view! {
                    <CredentialDetailPanel env=env_signal protected=protected path=path
                        on_changed=on_changed />
                })}
            </div>
        </div>
        <Findings env=env ready=listed changes=changes />
    }
}

/// An environment's rows as loaded (the quick first page, then the full listing) with
/// the session's own changes applied.
struct Listing {
    first: LocalResource<Result<Rows, ApiError>>,
    rows: Memo<Rows>,
    /// The full listing's error: the first rows stay shown.
    full_error: Signal<Option<ApiError>>,
}

fn listing(env: String, changes: Changes) -> Listing {
    let (e1, e2) = (env.clone(), env.clone());
    let first = LocalResource::new(move || {
        let e = e1.clone();
        async move {
            let page = api::first_credentials(e).await?;
            let complete = !page.partial && page.next.is_none();
            Ok::<_, ApiError>(Rows::new(page.items, complete))
        }
    });
    // Every row is asked for once the first rows are there: the quick walk then never
    // competes with the SCAN behind the full listing.
    let first_done = Memo::new(move |_| first.with(Option::is_some));
    let full = LocalResource::new(move || {
        let (e, go) = (e2.clone(), first_done.get());
        async move {
            if go {
                Some(all_rows(e).await)
            } else {
                None
            }
        }
    });
    let rows = Memo::new(move |_| {
        let base = full
            .get()
            .flatten()
            .and_then(Result::ok)
            .or_else(|| first.get().and_then(Result::ok))
            .unwrap_or_default();
        changes.rows.with(|c| base.patched(c))
    });
    let full_error = Signal::derive(move || full.get().flatten().and_then(Result::err));
    Listing {
        first,
        rows,
        full_error,
    }
}

fn count_text(rows: &Rows, shown: usize, loading: bool) -> String {
    if loading {
        "Listing…".to_owned()
    } else if rows.complete {
        format!("{shown} shown of {}", rows.items.len())
    } else {
        format!(
            "{shown} shown of the first {}; listing the rest…",
            rows.items.len()
        )
    }
}

#[component]
fn ListOrEmpty(
    rows: Memo<Rows>,
    shown: Memo<Vec<u32>>,
    selected: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <Show when=move || shown.with(|s| !s.is_empty())
            fallback=move || view! {
                <p class="muted vlist-empty" data-testid="credential-list-empty">
                    {move || if rows.with(|r| r.items.is_empty()) { "No credentials in this environment yet." } else { "No credential matches these filters." }}
                </p>
            }>
            <VirtualList rows=rows shown=shown selected=selected />
        </Show>
    }
}

/// The environment's findings, once every row is listed (the lint would otherwise compete
/// with the listing for OpenBao); a changed credential's findings replace its old ones.
#[component]
fn Findings(env: String, ready: Memo<bool>, changes: Changes) -> impl IntoView {
    let own = env.clone();
    let env = Signal::stored(env);
    let base = LocalResource::new(move || {
        let (e, ready) = (own.clone(), ready.get());
        async move {
            if !ready {
                Ok(None)
            } else {
                api::lint_scoped(e, None).await.map(Some)
            }
        }
    });
    view! {
        <section class="card" aria-labelledby="env-findings-title">
            <h2 id="env-findings-title">"Lint findings in this environment"</h2>
            <Loading keep=true fallback=|| view! { <p class="loading">"Checking…"</p> } load=move || async move {
                        let Some(base) = base.await? else {
                            return Ok(view! {
                                <p class="muted" data-testid="lint-waiting">"Findings follow once every credential is listed."</p>
                            }.into_any());
                        };
                        let merged = Signal::derive(move || {
                            changes.findings.with(|patched| {
                                base.iter()
                                    .filter(|f| f.path.as_ref().is_none_or(|p| !patched.contains_key(p)))
                                    .cloned()
                                    .chain(patched.values().flatten().cloned())
                                    .collect::<Vec<_>>()
                            })
                        });
                        Ok(view! { <LintList findings=merged env=env /> }.into_any())
            } />
        </section>
    }
}
