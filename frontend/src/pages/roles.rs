//! Roles: the list, the editor, one role's detail, human users and identity checks.

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::identity_checks::IdentityChecks;
use crate::components::role_detail::RoleDetail;
use crate::components::role_editor::RoleEditor;
use crate::components::sso_groups::SingleSignOn;
use crate::components::users_panel::UsersPanel;
use crypter_api::{Role, RoleSummary};
use leptos::prelude::*;

/// What the right-hand panel shows.
#[derive(Clone, PartialEq)]
enum Panel {
    None,
    New,
    View(String),
    Edit(Role),
}

#[component]
pub fn Roles() -> impl IntoView {
    let roles = LocalResource::new(api::roles);
    let panel = RwSignal::new(Panel::None);
    let selected = LocalResource::new(move || {
        let name = match panel.get() {
            Panel::View(n) => Some(n),
            _ => None,
        };
        Box::pin(async move {
            match name {
                Some(n) => api::role(n).await.map(Some),
                None => Ok(None),
            }
        }) as api::Call<Option<crypter_api::Role>>
    });
    let error = Signal::derive(move || {
        roles
            .get()
            .and_then(Result::err)
            .or_else(|| selected.get().and_then(Result::err))
    });
    let on_saved = Callback::new(move |name: String| {
        roles.refetch();
        panel.set(Panel::View(name));
    });
    view! {
        <section class="page" data-testid="page">
            <div class="page-head">
                <h1 data-testid="page-title">"Roles"</h1>
                <button type="button" class="primary" data-testid="role-new" on:click=move |_| panel.set(Panel::New)>"New role"</button>
            </div>
            <ErrorBox error=error />
            <div class="card">
                {move || match roles.get() {
                    None => view! { <p class="loading">"Loading roles…"</p> }.into_any(),
                    Some(Err(_)) => view! { <p class="muted">"Roles are unavailable."</p> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! { <p class="muted" data-testid="roles-empty">"No roles yet."</p> }.into_any(),
                    Some(Ok(list)) => view! { <RolesTable list=list panel=panel /> }.into_any(),
                }}
            </div>
            {move || match panel.get() {
                Panel::None => ().into_any(),
                Panel::New => view! {
                    <RoleEditor initial=None on_saved=on_saved on_cancel=move |()| panel.set(Panel::None) />
                }.into_any(),
                Panel::Edit(role) => {
                    let name = role.name.to_string();
                    view! {
                        <RoleEditor initial=Some(role) on_saved=on_saved
                            on_cancel=move |()| panel.set(Panel::View(name.clone())) />
                    }.into_any()
                }
                Panel::View(_) => match selected.get() {
                    Some(Ok(Some(role))) => {
                        let for_edit = role.clone();
                        view! {
                            <RoleDetail
                                role=role
                                on_edit=move |()| panel.set(Panel::Edit(for_edit.clone()))
                                on_deleted=move |()| { panel.set(Panel::None); roles.refetch(); }
                            />
                        }.into_any()
                    }
                    _ => view! { <p class="loading">"Loading the role…"</p> }.into_any(),
                },
            }}
            <UsersPanel />
            <IdentityChecks />
            <SingleSignOn roles=roles />
        </section>
    }
}

/// Every role, with its grant count, policy drift and deprecated login methods; a role's
/// name opens it in the panel.
#[component]
fn RolesTable(list: Vec<RoleSummary>, panel: RwSignal<Panel>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="roles-table" data-testid="roles-table">
                <thead><tr><th>"Role"</th><th>"Class"</th><th>"Grants"</th><th>"Policy"</th><th>"Description"</th></tr></thead>
                <tbody>
                    <For each=move || list.clone() key=|r| (r.name.clone(), r.grant_count, r.drift, r.class) let:r>
                        <tr data-testid=format!("role-row-{}", r.name)>
                            <td>
                                <button type="button" class="link" data-testid=format!("role-open-{}", r.name)
                                    on:click={let n = r.name.to_string(); move |_| panel.set(Panel::View(n.clone()))}>
                                    {r.name.to_string()}
                                </button>
                            </td>
                            <td data-testid="role-class-cell">{r.class.as_str()}</td>
                            <td data-testid="role-grant-count">{r.grant_count}</td>
                            <td>
                                {if r.drift {
                                    view! { <span class="badge bad" data-testid="role-row-drift">"drift"</span> }.into_any()
                                } else {
                                    view! { <span class="badge ok">"in sync"</span> }.into_any()
                                }}
                                {(!r.deprecated_methods.is_empty()).then(|| view! {
                                    " " <span class="badge warn" data-testid="role-row-deprecated">
                                        {format!("deprecated {}", r.deprecated_methods.join(", "))}
                                    </span>
                                })}
                            </td>
                            <td class="muted">{r.description.clone()}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </div>
    }
}
