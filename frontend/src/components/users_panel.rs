//! Human users: userpass users and their roles. The password field is cleared as soon as
//! the user is created; it is never shown or stored in the browser afterwards.

use crate::api;
use crate::components::error_box::ErrorBox;
use crypter_api::{ApiError, NewUser, RoleName, User, UserRoles, Username};
use leptos::prelude::*;

fn parse_roles(text: &str) -> Result<Vec<RoleName>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| RoleName::parse(s).map_err(|e| e.message))
        .collect()
}

#[component]
pub fn UsersPanel() -> impl IntoView {
    let users = LocalResource::new(api::users);
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let roles = RwSignal::new(String::new());
    let invalid = RwSignal::new(None::<String>);
    let create = Action::new_local(move |u: &NewUser| {
        let call = api::create_user(u.clone());
        async move {
            call.await?;
            name.set(String::new());
            roles.set(String::new());
            users.refetch();
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| users.get().and_then(Result::err))
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = Username::parse(name.get_untracked().trim())
            .map_err(|e| e.message)
            .and_then(|n| parse_roles(&roles.get_untracked()).map(|r| (n, r)));
        match parsed {
            Ok((n, r)) => {
                invalid.set(None);
                create.dispatch(NewUser {
                    name: n,
                    password: password.get_untracked(),
                    roles: r,
                });
                password.set(String::new());
            }
            Err(e) => invalid.set(Some(e)),
        }
    };
    view! {
        <section class="card" data-testid="users">
            <h2>"Users"</h2>
            <p class="muted">"People log in with a username and password (OpenBao userpass). Their roles' policies become their token policies."</p>
            {move || users.get().and_then(Result::ok).map(|list| view! {
                <div class="table-wrap">
                    <table class="users-table" data-testid="users-table">
                        <thead><tr><th>"User"</th><th>"Roles"</th><th>"Other policies"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|u| view! { <UserRow user=u on_change=move |()| users.refetch() /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            <form class="subsection" data-testid="user-create" on:submit=submit>
                <h3>"New user"</h3>
                <div class="form-grid">
                    <div>
                        <label for="user-name">"Username"</label>
                        <input id="user-name" data-testid="user-name" autocomplete="off" bind:value=name />
                    </div>
                    <div>
                        <label for="user-password">"Password (12 characters or more)"</label>
                        <input id="user-password" type="password" autocomplete="new-password" data-testid="user-password" bind:value=password />
                    </div>
                </div>
                <label for="user-roles">"Roles (comma-separated)"</label>
                <input id="user-roles" data-testid="user-roles" bind:value=roles />
                {move || invalid.get().map(|e| view! { <p class="invalid">{e}</p> })}
                <ErrorBox error=error />
                <button type="submit" data-testid="user-create-submit" disabled=move || create.pending().get()>"Create user"</button>
            </form>
        </section>
    }
}

#[component]
fn UserRow(user: User, #[prop(into)] on_change: Callback<()>) -> impl IntoView {
    let name = user.name.clone();
    let roles_text = RwSignal::new(
        user.roles
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    );
    let invalid = RwSignal::new(None::<String>);
    let save = {
        let name = name.clone();
        Action::new_local(move |roles: &Vec<RoleName>| {
            let roles = UserRoles {
                roles: roles.clone(),
            };
            let call = api::set_user_roles(name.clone(), roles);
            async move {
                call.await?;
                on_change.try_run(());
                Ok::<(), ApiError>(())
            }
        })
    };
    let del = {
        let name = name.clone();
        Action::new_local(move |_: &()| {
            let call = api::delete_user(name.clone());
            async move {
                call.await?;
                on_change.try_run(());
                Ok::<(), ApiError>(())
            }
        })
    };
    let confirming = RwSignal::new(false);
    let error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(Result::err)
            .or_else(|| del.value().get().and_then(Result::err))
    });
    let id = format!("user-roles-{name}");
    // Every row's fields are named after its user: no two share a label.
    let roles_label = format!("Roles of {name}");
    view! {
        <tr data-testid=format!("user-row-{name}")>
            <td>
                {name.clone()}
                {(!user.deprecated_methods.is_empty()).then(|| view! {
                    " " <span class="badge warn" data-testid="user-deprecated">{format!("uses deprecated {}", user.deprecated_methods.join(", "))}</span>
                })}
            </td>
            <td>
                <label class="sr-only" for=id.clone()>{roles_label}</label>
                <input id=id.clone() data-testid=id bind:value=roles_text />
                {move || invalid.get().map(|e| view! { <div class="invalid">{e}</div> })}
                <ErrorBox error=error />
            </td>
            <td>{user.other_policies.join(", ")}</td>
            <td class="row-actions">
                <button type="button" data-testid=format!("user-save-{name}") on:click=move |_| {
                    match parse_roles(&roles_text.get_untracked()) {
                        Ok(r) => { invalid.set(None); save.dispatch(r); }
                        Err(e) => invalid.set(Some(e)),
                    }
                }>"Save roles"</button>
                <Show when=move || confirming.get() fallback=move || view! {
                    <button type="button" data-testid="user-delete" on:click=move |_| confirming.set(true)>"Delete…"</button>
                }>
                    <button type="button" class="danger" data-testid="user-delete-confirm" on:click=move |_| { del.dispatch(()); }>"Really delete"</button>
                </Show>
            </td>
        </tr>
    }
}
