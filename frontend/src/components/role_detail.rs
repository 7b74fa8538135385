//! One role: its drift, check access, its secret-ids (machine roles) and deletion.

use crate::api;
use crate::components::copy_button::CopyButton;
use crate::components::error_box::ErrorBox;
use crate::components::policy_diff::PolicyDiff;
use crypter_api::{
    AccessAnswer, AccessCheckRequest, ApiError, CredentialPath, EnvName, IssuedSecretId, KeyName,
    Role, SecretIdInfo,
};
use leptos::prelude::*;

#[component]
pub fn RoleDetail(
    role: Role,
    #[prop(into)] on_edit: Callback<()>,
    #[prop(into)] on_deleted: Callback<()>,
) -> impl IntoView {
    let name = role.name.to_string();
    let machine = role.class.is_machine();
    let policy = {
        let name = name.clone();
        LocalResource::new(move || api::role_policy(name.clone()))
    };
    let show_policy = RwSignal::new(false);
    view! {
        <section class="card role-detail" data-testid="role-detail" aria-labelledby="role-detail-name">
            <div class="page-head">
                <h2 id="role-detail-name" data-testid="role-detail-name">{name.clone()}</h2>
                <button type="button" data-testid="role-edit" on:click=move |_| on_edit.run(())>"Edit"</button>
            </div>
            <p class="muted">{role.class.as_str()} " · " {role.description.clone()}</p>
            {move || policy.get().map(|r| match r {
                Ok(p) => {
                    let drift = p.drift;
                    view! {
                        <p>
                            "Policy " <code>{p.name.clone()}</code> " "
                            {if drift {
                                view! { <span class="badge bad" data-testid="role-drift">"drift: edited in OpenBao"</span> }.into_any()
                            } else {
                                view! { <span class="badge ok" data-testid="role-in-sync">"in sync"</span> }.into_any()
                            }}
                            " "
                            <button type="button" class="ghost" data-testid="role-policy-toggle"
                                on:click=move |_| show_policy.update(|s| *s = !*s)>
                                {move || if show_policy.get() { "Hide policy" } else { "Show policy" }}
                            </button>
                        </p>
                        <Show when=move || show_policy.get()>
                            <PolicyDiff live=p.live.clone() derived=p.derived.clone() />
                        </Show>
                    }.into_any()
                }
                Err(e) => view! { <ErrorBox error=Signal::derive(move || Some(e.clone())) /> }.into_any(),
            })}
            <CheckAccess name=name.clone() />
            {machine.then(|| view! { <SecretIds name=name.clone() /> })}
            <DeleteRole name=name.clone() on_deleted=on_deleted />
        </section>
    }
}

#[component]
fn CheckAccess(name: String) -> impl IntoView {
    let env = RwSignal::new(String::new());
    let path = RwSignal::new(String::new());
    // A credential path, or a key's name.
    let on_key = RwSignal::new(false);
    let invalid = RwSignal::new(None::<String>);
    let check = Action::new_local(move |req: &AccessCheckRequest| {
        api::check_access(name.clone(), req.clone())
    });
    let error = Signal::derive(move || check.value().get().and_then(Result::err));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let what = path.get_untracked();
        let what = what.trim();
        let parsed = EnvName::parse(env.get_untracked().trim()).and_then(|environment| {
            if on_key.get_untracked() {
                KeyName::parse(what).map(|key| AccessCheckRequest {
                    environment,
                    path: None,
                    key: Some(key),
                })
            } else {
                CredentialPath::parse(what).map(|path| AccessCheckRequest {
                    environment,
                    path: Some(path),
                    key: None,
                })
            }
        });
        match parsed {
            Ok(req) => {
                invalid.set(None);
                check.dispatch(req);
            }
            Err(e) => invalid.set(Some(e.message)),
        }
    };
    view! {
        <form class="subsection" data-testid="check-access" aria-labelledby="check-access-title" on:submit=submit>
            <h3 id="check-access-title">"Check access"</h3>
            <p class="muted">"OpenBao answers, with a token that carries only this role's policy."</p>
            <div class="form-grid">
                <div>
                    <label for="check-env">"Environment"</label>
                    <input id="check-env" data-testid="check-env" bind:value=env placeholder="staging" />
                </div>
                <div>
                    <label for="check-kind">"Check"</label>
                    <select id="check-kind" data-testid="check-kind"
                        on:change=move |ev| on_key.set(event_target_value(&ev) == "key")>
                        <option value="credential">"a credential"</option>
                        <option value="key">"a key"</option>
                    </select>
                </div>
                <div>
                    <label for="check-path">{move || if on_key.get() { "Key name" } else { "Credential path" }}</label>
                    <input id="check-path" data-testid="check-path" bind:value=path
                        placeholder=move || if on_key.get() { "cards" } else { "payments/db" } />
                </div>
            </div>
            {move || invalid.get().map(|e| view! { <p class="invalid" data-testid="check-invalid">{e}</p> })}
            <ErrorBox error=error />
            <button type="submit" data-testid="check-submit" disabled=move || check.pending().get()>"Check"</button>
            {move || check.value().get().and_then(Result::ok).map(|c| view! { <AccessAnswers answers=c.answers /> })}
        </form>
    }
}

/// OpenBao's answer per capability: allowed or denied.
#[component]
fn AccessAnswers(answers: Vec<AccessAnswer>) -> impl IntoView {
    view! {
        <table class="answers" data-testid="check-result">
            <tbody>
                {answers.into_iter().map(|a| {
                    let cap = a.capability.as_str();
                    view! {
                        <tr>
                            <th>{cap}</th>
                            <td data-testid=format!("check-{cap}")>
                                {if a.allowed {
                                    view! { <span class="badge ok">"allowed"</span> }.into_any()
                                } else {
                                    view! { <span class="badge bad">"denied"</span> }.into_any()
                                }}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn SecretIds(name: String) -> impl IntoView {
    let list = {
        let name = name.clone();
        LocalResource::new(move || api::secret_ids(name.clone()))
    };
    let ttl = RwSignal::new("24h".to_owned());
    // Shown once: the issued pair lives in this signal until the user dismisses it.
    let issued = RwSignal::new(None::<IssuedSecretId>);
    let issue = {
        let name = name.clone();
        Action::new_local(move |ttl: &String| {
            let call = api::issue_secret_id(name.clone(), ttl.clone());
            async move {
                issued.set(Some(call.await?));
                list.refetch();
                Ok::<(), ApiError>(())
            }
        })
    };
    let revoke = Action::new_local(move |accessor: &String| {
        let call = api::revoke_secret_id(name.clone(), accessor.clone());
        async move {
            call.await?;
            list.refetch();
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || {
        issue
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| revoke.value().get().and_then(Result::err))
            .or_else(|| list.get().and_then(Result::err))
    });
    view! {
        <section class="subsection" data-testid="secret-ids" aria-labelledby="secret-ids-title">
            <h3 id="secret-ids-title">"Machine logins (secret-ids)"</h3>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                issued.set(None);
                issue.dispatch(ttl.get_untracked());
            }>
                <label for="secret-id-ttl">"Lifetime"</label>
                <input id="secret-id-ttl" data-testid="secret-id-ttl" bind:value=ttl />
                <button type="submit" data-testid="secret-id-issue" disabled=move || issue.pending().get()>"Issue secret-id"</button>
            </form>
            <ErrorBox error=error />
            {move || issued.get().map(|i| view! { <IssuedPair issued=i dismiss=Callback::new(move |()| issued.set(None)) /> })}
            {move || list.get().and_then(Result::ok).map(|ids| view! { <SecretIdTable ids=ids revoke=revoke /> })}
        </section>
    }
}

/// A secret-id just issued, with its role_id: shown until dismissed, never again.
#[component]
fn IssuedPair(issued: IssuedSecretId, dismiss: Callback<()>) -> impl IntoView {
    let i = issued;
    view! {
        <div class="issued" data-testid="secret-id-issued" role="status">
            <p><strong>"Copy these now: the secret-id is not shown again."</strong></p>
            <dl class="facts">
                <dt>"role_id"</dt>
                <dd><code data-testid="issued-role-id">{i.role_id.clone()}</code> " " <CopyButton text=i.role_id.clone() testid="copy-role-id" /></dd>
                <dt>"secret_id"</dt>
                <dd><code data-testid="issued-secret-id">{i.secret_id.clone()}</code> " " <CopyButton text=i.secret_id.clone() testid="copy-secret-id" /></dd>
                <dt>"expires"</dt>
                <dd data-testid="issued-expires">{i.expires_at.clone().unwrap_or_else(|| "never".into())}</dd>
            </dl>
            <button type="button" data-testid="secret-id-dismiss" on:click=move |_| dismiss.run(())>"Done"</button>
        </div>
    }
}

/// The role's secret-ids (accessors only), each with its revoke button.
#[component]
fn SecretIdTable(
    ids: Vec<SecretIdInfo>,
    revoke: Action<String, Result<(), ApiError>>,
) -> impl IntoView {
    if ids.is_empty() {
        return view! { <p class="muted" data-testid="secret-ids-empty">"No secret-ids."</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap">
            <table data-testid="secret-ids-table">
                <thead><tr><th>"Accessor"</th><th>"Created"</th><th>"Expires"</th><th>"Last updated"</th><th></th></tr></thead>
                <tbody>
                    {ids.into_iter().map(|s| {
                        let accessor = s.accessor.clone();
                        view! {
                            <tr data-testid="secret-id-row">
                                <td><code>{s.accessor.clone()}</code></td>
                                <td>{s.created_at.unwrap_or_default()}</td>
                                <td>{s.expires_at.unwrap_or_else(|| "never".into())}</td>
                                <td>{s.last_updated_at.unwrap_or_default()}</td>
                                <td>
                                    <button type="button" data-testid=format!("secret-id-revoke-{}", s.accessor)
                                        on:click=move |_| { revoke.dispatch(accessor.clone()); }>"Revoke"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

#[component]
fn DeleteRole(name: String, #[prop(into)] on_deleted: Callback<()>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let del = {
        let name = name.clone();
        Action::new_local(move |_: &()| {
            let call = api::delete_role(name.clone());
            async move {
                call.await?;
                on_deleted.try_run(());
                Ok::<(), ApiError>(())
            }
        })
    };
    let error = Signal::derive(move || del.value().get().and_then(Result::err));
    let matches = {
        let name = name.clone();
        move || typed.get() == name
    };
    view! {
        <div class="subsection danger" data-testid="role-delete-zone">
            <Show when=move || confirming.get() fallback=move || view! {
                <button type="button" data-testid="role-delete" on:click=move |_| confirming.set(true)>"Delete role…"</button>
            }>
                <label for="role-delete-confirm">{format!("Type {} to delete the role, its policy and its machine logins", name)}</label>
                <input id="role-delete-confirm" data-testid="role-delete-confirm" bind:value=typed />
                <div class="actions">
                    <button type="button" class="danger" data-testid="role-delete-submit"
                        disabled={let m = matches.clone(); move || !m() || del.pending().get()}
                        on:click=move |_| { del.dispatch(()); }>"Delete"</button>
                    <button type="button" data-testid="role-delete-cancel" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </Show>
            <ErrorBox error=error />
        </div>
    }
}
