//! Keys: an environment's encryption, signing and HMAC keys (OpenBao's transit engine), with
//! type, latest version, last rotated and "rotation due"; a key's detail; a new key.

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::key_detail::KeyDetailPanel;
use crate::components::time::short_time;
use crypter_api::{parse_period, ApiError, Environment, KeyCreate, KeyName, KeySummary, KeyType};
use leptos::prelude::*;

#[component]
pub fn Keys() -> impl IntoView {
    let envs = LocalResource::new(api::list_environments);
    // The environment picked, or the first one until one is.
    let chosen = RwSignal::new(None::<String>);
    let env = Memo::new(move |_| {
        chosen.get().unwrap_or_else(|| {
            envs.with(|l| match l {
                Some(Ok(list)) => list.first().map(|e| e.name.to_string()),
                _ => None,
            })
            .unwrap_or_default()
        })
    });
    let tick = RwSignal::new(0_u32);
    let keys = LocalResource::new(move || {
        tick.get();
        let e = env.get();
        async move {
            if e.is_empty() {
                Ok(Vec::new())
            } else {
                api::list_keys(e).await
            }
        }
    });
    let refresh = Callback::new(move |()| tick.update(|t| *t += 1));
    let selected: RwSignal<Option<String>> = RwSignal::new(None);
    let protected = Signal::derive(move || {
        let e = env.get();
        envs.get()
            .and_then(Result::ok)
            .is_some_and(|l: Vec<Environment>| l.iter().any(|x| x.name == e && x.protected))
    });
    let error = Signal::derive(move || {
        envs.get()
            .and_then(Result::err)
            .or_else(|| keys.get().and_then(Result::err))
    });
    let env_options = move || {
        envs.get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|e| view! { <option value=e.name.to_string()>{e.name.to_string()}</option> })
            .collect_view()
    };
    view! {
        <section class="page" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Keys"</h1>
                <div class="row">
                    <label for="keys-env">"Environment"</label>
                    <select id="keys-env" data-testid="keys-env" prop:value=move || env.get()
                        on:change=move |ev| { selected.set(None); chosen.set(Some(event_target_value(&ev))); }>
                        {env_options}
                    </select>
                    <button type="button" data-testid="keys-refresh" on:click=move |_| refresh.run(())>"Refresh"</button>
                </div>
            </div>
            <p class="muted">"Keys never leave OpenBao: Crypter sends data to the transit engine and back."</p>
            <ErrorBox error=error />
            <div class="card">
                {move || match keys.get() {
                    None => view! { <p class="loading">"Loading keys…"</p> }.into_any(),
                    Some(Err(_)) => view! { <p class="muted">"Keys are unavailable."</p> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! { <p class="muted" data-testid="keys-empty">"No keys in this environment yet."</p> }.into_any(),
                    Some(Ok(list)) => view! { <KeyTable list=list selected=selected /> }.into_any(),
                }}
            </div>
            {move || selected.get().map(|name| view! {
                <KeyDetailPanel env=env.get_untracked() name=name protected=protected refresh=tick
                    on_changed=refresh on_deleted=Callback::new(move |()| { selected.set(None); refresh.run(()); }) />
            })}
            <NewKey env=Signal::from(env) on_created=Callback::new(move |name: String| { refresh.run(()); selected.set(Some(name)); }) />
        </section>
    }
}

#[component]
fn KeyTable(list: Vec<KeySummary>, selected: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table data-testid="keys-table">
                <thead><tr><th>"Key"</th><th>"Type"</th><th>"Latest version"</th><th>"Last rotated"</th><th>"Rotation"</th><th>"Owner"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|k| {
                        let name = k.name.to_string();
                        let open = name.clone();
                        view! {
                            <tr data-testid=format!("key-row-{name}")>
                                <td><button type="button" class="link" data-testid=format!("key-open-{name}")
                                    on:click=move |_| selected.set(Some(open.clone()))>{name.clone()}</button></td>
                                <td data-testid="key-type">{k.key_type.as_str()}</td>
                                <td data-testid="key-latest">{format!("v{}", k.latest_version)}</td>
                                <td>{short_time(&k.last_rotated)}</td>
                                <td>{if k.rotation_due {
                                    view! { <span class="badge bad" data-testid="key-rotation-due">"rotation due"</span> }.into_any()
                                } else {
                                    view! { <span class="badge ok">"up to date"</span> }.into_any()
                                }}</td>
                                <td class="muted">{k.owner.clone().unwrap_or_default()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn NewKey(env: Signal<String>, on_created: Callback<String>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(KeyType::Aes256Gcm96);
    let owner = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let period = RwSignal::new(String::new());
    let invalid = RwSignal::new(None::<String>);
    let create = Action::new_local(move |(e, req): &(String, KeyCreate)| {
        let call = api::create_key(e.clone(), req.clone());
        async move {
            let created = call.await?.key.name.to_string();
            name.set(String::new());
            on_created.try_run(created);
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let rotation_period = match parse_period(&period.get_untracked()) {
            Ok(p) => p,
            Err(e) => return invalid.set(Some(format!("Rotation period: {e}"))),
        };
        let name = match KeyName::parse(name.get_untracked().trim()) {
            Ok(n) => n,
            Err(e) => return invalid.set(Some(e.message)),
        };
        invalid.set(None);
        let text = |s: RwSignal<String>| {
            Some(s.get_untracked().trim().to_owned()).filter(|s| !s.is_empty())
        };
        let req = KeyCreate {
            name,
            key_type: kind.get_untracked(),
            owner: text(owner),
            description: text(description),
            labels: Vec::new(),
            auto_rotate_period: None,
            rotation_period,
        };
        create.dispatch((env.get_untracked(), req));
    };
    view! {
        <form class="card" data-testid="key-create" on:submit=submit>
            <h2>{move || format!("New key in {}", env.get())}</h2>
            <KeyFields name kind owner period />
            <label for="key-description">"Description"</label>
            <input id="key-description" data-testid="key-description" bind:value=description />
            {move || invalid.get().map(|e| view! { <p class="invalid" data-testid="key-invalid">{e}</p> })}
            <ErrorBox error=error />
            <button type="submit" class="primary" data-testid="key-create-submit" disabled=move || create.pending().get()>"Create key"</button>
        </form>
    }
}

/// The new key's name, type, owner and rotation period.
#[component]
fn KeyFields(
    name: RwSignal<String>,
    kind: RwSignal<KeyType>,
    owner: RwSignal<String>,
    period: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="form-grid">
            <div>
                <label for="key-name">"Name"</label>
                <input id="key-name" data-testid="key-name" required placeholder="cards" bind:value=name />
            </div>
            <div>
                <label for="key-type">"Type"</label>
                <select id="key-type" data-testid="key-type-select" prop:value=move || kind.get().as_str()
                    on:change=move |ev| if let Some(k) = KeyType::parse(&event_target_value(&ev)) { kind.set(k) }>
                    {KeyType::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.as_str()}</option> }).collect_view()}
                </select>
            </div>
            <div>
                <label for="key-owner">"Owner"</label>
                <input id="key-owner" data-testid="key-owner" placeholder="payments" bind:value=owner />
            </div>
            <div>
                <label for="key-period">"Rotation period (e.g. 90d, 12h; empty: none)"</label>
                <input id="key-period" data-testid="key-period" bind:value=period />
            </div>
        </div>
    }
}
