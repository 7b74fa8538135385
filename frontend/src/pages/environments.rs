use crate::api;
use crate::components::compare_view::CompareView;
use crate::components::confirm::TypedConfirm;
use crate::components::error_box::ErrorBox;
use crate::components::loading::Loading;
use crypter_api::{ApiError, EnvName, Environment, EnvironmentCreate, EnvironmentUpdate};
use leptos::prelude::*;

/// Environments with their credential counts: create, edit, delete, and compare.
#[component]
pub fn Environments() -> impl IntoView {
    let tick = RwSignal::new(0_u32);
    let remove = Action::new_local(|name: &String| api::delete_environment(name.clone()));
    // Listed again after each change: a delete (the action's version counts its successes)
    // or a save.
    let envs = LocalResource::new(move || {
        tick.get();
        remove.version().get();
        api::list_environments()
    });
    let refresh = move || tick.update(|t| *t += 1);
    let editing: RwSignal<Option<Environment>> = RwSignal::new(None);
    let remove_error = Signal::derive(move || remove.value().get().and_then(Result::err));
    let list = Signal::derive(move || envs.get().and_then(Result::ok).unwrap_or_default());

    view! {
        <section class="page" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Environments"</h1>
            </div>
            <ErrorBox error=remove_error />
            <div class="card table-wrap">
                <Loading keep=true fallback=|| view! { <p class="loading" role="status">"Loading environments…"</p> }
                    load=move || async move {
                        let list = envs.await?;
                        Ok(view! { <EnvTable list=list editing=editing remove=remove /> }.into_any())
                    } />
            </div>
            {move || editing.get().map(|e| view! {
                <EnvForm existing=Some(e) on_done=Callback::new(move |_| { editing.set(None); refresh(); }) />
            })}
            <Show when=move || editing.with(Option::is_none)>
                <EnvForm existing=None on_done=Callback::new(move |_| refresh()) />
            </Show>
            <CompareView envs=list />
            <super::restore_points::RestorePoints envs=list />
        </section>
    }
}

#[component]
fn EnvTable(
    list: Vec<Environment>,
    editing: RwSignal<Option<Environment>>,
    remove: Action<String, Result<(), ApiError>>,
) -> impl IntoView {
    view! {
        <table class="env-table" data-testid="env-table">
            <caption class="sr-only">"Environments"</caption>
            <thead><tr><th>"Name"</th><th>"Description"</th><th>"Credentials"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>
                {list.into_iter().map(|e: Environment| {
                    let name = e.name.to_string();
                    let edit = e.clone();
                    let edit_label = format!("Edit {}", e.name);
                    view! {
                        <tr data-testid="env-row" data-env=e.name.to_string()>
                            <td>
                                <span class="swatch" style:background-color=e.color.clone()></span>" "<strong>{e.name.to_string()}</strong>
                                {e.protected.then(|| view! { " " <span class="badge bad" data-testid="protected-badge">"protected"</span> })}
                            </td>
                            <td>{e.description.clone()}</td>
                            <td data-testid="env-count">{e.credential_count.map(|c| c.to_string()).unwrap_or_else(|| "?".into())}</td>
                            <td class="row-actions">
                                <button type="button" data-testid="edit-env" aria-label=edit_label
                                    on:click=move |_| editing.set(Some(edit.clone()))>"Edit"</button>
                                <TypedConfirm env=e.name.to_string() protected=e.protected label="Delete" testid="delete-env"
                                    on_confirm=Callback::new(move |_| { remove.dispatch(name.clone()); }) />
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// What the environment form edits, starting from the environment edited (if any).
#[derive(Clone, Copy)]
struct EnvFields {
    name: RwSignal<String>,
    description: RwSignal<String>,
    color: RwSignal<String>,
    protected: RwSignal<bool>,
}

impl EnvFields {
    fn new(existing: Option<&Environment>) -> Self {
        let text = |f: fn(&Environment) -> String| existing.map(f).unwrap_or_default();
        Self {
            name: RwSignal::new(text(|e| e.name.to_string())),
            description: RwSignal::new(text(|e| e.description.clone())),
            color: RwSignal::new(
                existing.map_or_else(|| "#2f80ed".to_owned(), |e| e.color.clone()),
            ),
            protected: RwSignal::new(existing.is_some_and(|e| e.protected)),
        }
    }
}

/// Create an environment, or edit one's description, colour and protection.
#[component]
fn EnvForm(existing: Option<Environment>, on_done: Callback<()>) -> impl IntoView {
    let is_new = existing.is_none();
    let title = existing.as_ref().map_or_else(
        || "New environment".to_owned(),
        |e| format!("Edit {}", e.name),
    );
    let fields = EnvFields::new(existing.as_ref());
    let EnvFields {
        name,
        description,
        color,
        protected,
    } = fields;
    let save = Action::new_local(move |_: &()| {
        let (n, d, c, p) = (
            name.get_untracked(),
            description.get_untracked(),
            color.get_untracked(),
            protected.get_untracked(),
        );
        async move {
            if is_new {
                // Checked here too, so the rule's message shows before any request.
                let name = EnvName::parse(n.trim()).map_err(|e| {
                    ApiError::new(crypter_api::ErrorCode::InvalidEnvironment, e.message)
                })?;
                api::create_environment(EnvironmentCreate {
                    name,
                    description: d,
                    color: Some(c),
                    protected: p,
                })
                .await?;
            } else {
                api::update_environment(
                    n,
                    EnvironmentUpdate {
                        description: Some(d),
                        color: Some(c),
                        protected: Some(p),
                    },
                )
                .await?;
            }
            if is_new {
                name.set(String::new());
                description.set(String::new());
                protected.set(false);
            }
            on_done.run(());
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <form class="card" data-testid=if is_new { "env-create" } else { "env-edit" }
            aria-labelledby=if is_new { "env-create-title" } else { "env-edit-title" }
            on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
            <h2 id=if is_new { "env-create-title" } else { "env-edit-title" }>{title}</h2>
            <EnvInputs fields is_new />
            <ErrorBox error=error />
            <div class="row">
                <button type="submit" class="primary" data-testid="env-save" disabled=move || save.pending().get()>
                    {if is_new { "Create" } else { "Save" }}
                </button>
                {(!is_new).then(|| view! { <button type="button" data-testid="env-cancel" on:click=move |_| on_done.run(())>"Cancel"</button> })}
            </div>
        </form>
    }
}

/// The form's inputs: the name only for a new environment.
#[component]
fn EnvInputs(fields: EnvFields, is_new: bool) -> impl IntoView {
    view! {
        {is_new.then(|| view! {
            <label for="env-name">"Name"</label>
            <input id="env-name" data-testid="env-name" required placeholder="qa" bind:value=fields.name />
        })}
        <label for="env-description">"Description"</label>
        <input id="env-description" data-testid="env-description" bind:value=fields.description />
        <label for="env-color">"Colour"</label>
        <input id="env-color" data-testid="env-color" type="color" bind:value=fields.color />
        <label for="env-protected" class="check">
            <input id="env-protected" data-testid="env-protected" type="checkbox" bind:checked=fields.protected />
            " Protected (destructive actions need the name typed)"
        </label>
    }
}
