//! Single sign-on on the Roles page: the identity provider's settings, and which Crypter
//! roles each provider group gives. Each mapping is an external group in OpenBao; where
//! OpenBao differs from the mapping it shows as drift, like a role's policy, and saving the
//! mapping again repairs it.

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::sso_settings::SsoSettingsPanel;
use crypter_api::{ApiError, GroupDrift, GroupMapping, GroupMappingWrite, RoleName, RoleSummary};
use leptos::prelude::*;

/// How each drift reads in the table.
fn drift_text(d: GroupDrift) -> &'static str {
    match d {
        GroupDrift::GroupMissing => "no group in OpenBao",
        GroupDrift::NotExternal => "OpenBao's group is not external",
        GroupDrift::PoliciesDiffer => "policies differ from the roles'",
        GroupDrift::AliasMissing => "no alias for the provider group",
        GroupDrift::NotMapped => "in OpenBao but not mapped",
    }
}

fn role_names(roles: Option<Result<Vec<RoleSummary>, ApiError>>) -> Vec<RoleName> {
    roles
        .and_then(Result::ok)
        .map(|list| list.into_iter().map(|r| r.name).collect())
        .unwrap_or_default()
}

/// The "Single sign-on" section. `roles`: the page's list of roles, offered per mapping.
#[component]
pub fn SingleSignOn(roles: LocalResource<Result<Vec<RoleSummary>, ApiError>>) -> impl IntoView {
    let available = Signal::derive(move || role_names(roles.get()));
    let mappings = LocalResource::new(api::sso_groups);
    let changed = Callback::new(move |()| mappings.refetch());
    let error = Signal::derive(move || mappings.get().and_then(Result::err));
    let list = move || {
        mappings
            .get()
            .and_then(Result::ok)
            .map(|m| m.mappings)
            .unwrap_or_default()
    };
    view! {
        <section class="card" data-testid="sso" aria-labelledby="sso-title">
            <h2 id="sso-title">"Single sign-on"</h2>
            <p class="muted">"People sign in through your identity provider; the groups it names in their login give them Crypter roles."</p>
            <SsoSettingsPanel />
            <div class="subsection">
                <h3>"Provider groups"</h3>
                <ErrorBox error=error />
                <div class="table-wrap">
                    <table data-testid="sso-groups-table">
                        <thead><tr><th>"Provider group"</th><th>"Roles"</th><th>"OpenBao group"</th><th>"OpenBao"</th><th></th></tr></thead>
                        <tbody>
                            // Drawn afresh from each answer: a row starts from what OpenBao holds now.
                            {move || list().into_iter().map(|mapping| view! {
                                <GroupRow mapping=mapping available=available on_change=changed />
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                {move || matches!(mappings.get(), Some(Ok(ref m)) if m.mappings.is_empty()).then(|| view! {
                    <p class="muted" data-testid="sso-groups-empty">"No provider group is mapped yet."</p>
                })}
                <NewMapping available=available on_added=changed />
            </div>
        </section>
    }
}

/// Check boxes for roles: the page's roles, and any the mapping names that no longer exist
/// (so saving never drops a role unseen).
#[component]
fn RolePicker(
    available: Signal<Vec<RoleName>>,
    chosen: RwSignal<Vec<RoleName>>,
    legend: String,
    #[prop(optional)] hide_legend: bool,
) -> impl IntoView {
    let initial = chosen.get_untracked();
    // Drawn again only when the page's roles change; each box reads `chosen` by itself.
    let boxes = move || {
        let mut names = available.get();
        let gone: Vec<RoleName> = initial
            .iter()
            .filter(|r| !names.contains(r))
            .cloned()
            .collect();
        names.extend(gone);
        if names.is_empty() {
            return view! { <p class="muted">"No roles yet: create one above."</p> }.into_any();
        }
        names
            .into_iter()
            .map(|role| view! { <RoleCheck role chosen /> })
            .collect_view()
            .into_any()
    };
    view! {
        <fieldset class="role-picker">
            <legend class:sr-only=hide_legend>{legend}</legend>
            <div class="check-grid">{boxes}</div>
        </fieldset>
    }
}

#[component]
fn RoleCheck(role: RoleName, chosen: RwSignal<Vec<RoleName>>) -> impl IntoView {
    let testid = format!("sso-role-{role}");
    let text = role.to_string();
    let mine = role.clone();
    let toggle = move |_| {
        chosen.update(|c| match c.iter().position(|x| *x == role) {
            Some(i) => {
                c.remove(i);
            }
            None => c.push(role.clone()),
        })
    };
    view! {
        <label class="check">
            <input type="checkbox" data-testid=testid
                prop:checked=move || chosen.with(|c| c.contains(&mine)) on:change=toggle />
            {text}
        </label>
    }
}

/// One provider group: its roles (editable), OpenBao's group and how it stands.
#[component]
fn GroupRow(
    mapping: GroupMapping,
    available: Signal<Vec<RoleName>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let GroupMapping {
        group,
        roles,
        openbao_group,
        openbao_policies,
        drift,
    } = mapping;
    let chosen = RwSignal::new(roles.clone());
    let save = Action::new_local({
        let group = group.clone();
        move |roles: &Vec<RoleName>| {
            let call = api::save_sso_group(
                group.clone(),
                GroupMappingWrite {
                    roles: roles.clone(),
                },
            );
            async move { call.await.map(|_| on_change.run(())) }
        }
    });
    let remove = Action::new_local({
        let group = group.clone();
        move |_: &()| {
            let call = api::delete_sso_group(group.clone());
            async move { call.await.map(|()| on_change.run(())) }
        }
    });
    let confirming = RwSignal::new(false);
    let error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(Result::err)
            .or_else(|| remove.value().get().and_then(Result::err))
    });
    // Unchanged roles with drift: the same PUT writes OpenBao's group again.
    let repair = !drift.is_empty();
    let edited = move || chosen.with(|c| *c != roles);
    view! {
        <tr data-testid="sso-group-row" data-group=group.clone()>
            <td>{group.clone()}</td>
            <td><RolePicker available chosen legend=format!("Roles of {group}") hide_legend=true /></td>
            <td><code>{openbao_group}</code><div class="muted">{openbao_policies.join(", ")}</div></td>
            <td>
                {if repair {
                    let text = drift.iter().map(|d| drift_text(*d)).collect::<Vec<_>>().join("; ");
                    view! { <span class="badge bad" data-testid="sso-group-drift">{format!("drift: {text}")}</span> }.into_any()
                } else {
                    view! { <span class="badge ok">"in sync"</span> }.into_any()
                }}
                <ErrorBox error=error />
            </td>
            <td class="row-actions">
                <button type="button" data-testid="sso-group-save" disabled=move || save.pending().get()
                    on:click=move |_| { save.dispatch(chosen.get_untracked()); }>
                    {move || if repair && !edited() { "Repair" } else { "Save" }}
                </button>
                " "
                <Show when=move || confirming.get() fallback=move || view! {
                    <button type="button" data-testid="sso-group-remove" on:click=move |_| confirming.set(true)>"Remove…"</button>
                }>
                    <button type="button" class="danger" data-testid="sso-group-remove-confirm"
                        disabled=move || remove.pending().get() on:click=move |_| { remove.dispatch(()); }>"Really remove"</button>
                    " "
                    <button type="button" data-testid="sso-group-remove-cancel" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </Show>
            </td>
        </tr>
    }
}

/// Map another provider group.
#[component]
fn NewMapping(available: Signal<Vec<RoleName>>, on_added: Callback<()>) -> impl IntoView {
    let group = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<RoleName>::new());
    let invalid = RwSignal::new(None::<&'static str>);
    let add = Action::new_local(move |(name, roles): &(String, Vec<RoleName>)| {
        let call = api::save_sso_group(
            name.clone(),
            GroupMappingWrite {
                roles: roles.clone(),
            },
        );
        async move {
            call.await?;
            group.set(String::new());
            chosen.set(Vec::new());
            on_added.run(());
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || add.value().get().and_then(Result::err));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = group.get_untracked().trim().to_owned();
        if name.is_empty() {
            invalid.set(Some(
                "Type the group's name as the provider sends it in the groups claim.",
            ));
        } else {
            invalid.set(None);
            add.dispatch((name, chosen.get_untracked()));
        }
    };
    view! {
        <form class="subsection" data-testid="sso-group-new" aria-label="Map a provider group" on:submit=submit>
            <h3>"Map a provider group"</h3>
            <label for="sso-group-name">"Provider group (as in the groups claim)"</label>
            <input id="sso-group-name" data-testid="sso-group-new-name" autocomplete="off" bind:value=group />
            <RolePicker available chosen legend="Roles it gives".to_owned() />
            {move || invalid.get().map(|e| view! { <p class="invalid">{e}</p> })}
            <ErrorBox error=error />
            <button type="submit" data-testid="sso-group-new-submit" disabled=move || add.pending().get()>"Add mapping"</button>
        </form>
    }
}
