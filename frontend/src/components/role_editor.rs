//! Create or edit a role: class, description, a grants table, and for e2e roles the canary
//! and forbidden paths. Saving is possible only once the policy diff for exactly the
//! current form has been shown.

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::policy_diff::PolicyDiff;
use crypter_api::{
    ApiError, Capability, CredentialPath, Effect as GrantEffect, EnvName, Grant, GrantEnv,
    GrantTarget, ProbePath, Role, RoleClass, RoleName, Scope,
};
use leptos::prelude::*;

#[derive(Clone, Copy)]
struct GrantRow {
    id: usize,
    env: RwSignal<String>,
    scope: RwSignal<String>,
    /// Credentials or keys: which capabilities the row offers.
    target: RwSignal<GrantTarget>,
    /// One per capability of [`ALL_CAPS`]; only the target's count.
    caps: [RwSignal<bool>; 12],
    deny: RwSignal<bool>,
}

/// Every capability, credentials' first, then keys' (`read` is shared).
const ALL_CAPS: [Capability; 12] = [
    Capability::Read,
    Capability::List,
    Capability::Create,
    Capability::Update,
    Capability::Delete,
    Capability::Encrypt,
    Capability::Decrypt,
    Capability::Sign,
    Capability::Verify,
    Capability::Hmac,
    Capability::Rewrap,
    Capability::Rotate,
];

impl GrantRow {
    fn new(id: usize, grant: Option<&Grant>) -> Self {
        let has = |c: Capability| grant.is_some_and(|g| g.capabilities.contains(&c));
        Self {
            id,
            env: RwSignal::new(grant.map(|g| g.environment.to_string()).unwrap_or_default()),
            scope: RwSignal::new(grant.map(|g| g.scope.to_string()).unwrap_or_default()),
            target: RwSignal::new(grant.map(|g| g.target).unwrap_or_default()),
            caps: ALL_CAPS.map(|c| RwSignal::new(has(c))),
            deny: RwSignal::new(grant.is_some_and(|g| g.effect == GrantEffect::Deny)),
        }
    }

    /// The grant, or what is wrong with this row.
    fn build(&self) -> Result<Grant, String> {
        let env = self.env.get();
        if env.trim().is_empty() {
            return Err("pick an environment (or * for all); there is no default".into());
        }
        let environment = GrantEnv::parse(env.trim()).map_err(|e| e.message)?;
        let scope = Scope::parse(self.scope.get().trim()).map_err(|e| e.message)?;
        let target = self.target.get();
        let offered = Capability::of(target);
        let capabilities: Vec<Capability> = ALL_CAPS
            .iter()
            .zip(self.caps.iter())
            .filter(|(c, on)| offered.contains(c) && on.get())
            .map(|(c, _)| *c)
            .collect();
        if capabilities.is_empty() {
            return Err("tick at least one capability".into());
        }
        let grant = Grant {
            environment,
            target,
            scope,
            capabilities,
            effect: if self.deny.get() {
                GrantEffect::Deny
            } else {
                GrantEffect::Allow
            },
        };
        // The same rules the API applies (a key scope's form, `rotate` on one key or all).
        match grant.problem() {
            Some(p) => Err(p),
            None => Ok(grant),
        }
    }
}

fn probes_text(paths: &[ProbePath]) -> String {
    paths
        .iter()
        .map(|p| format!("{}/{}", p.environment, p.path))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One `environment/path` per line.
fn parse_probes(text: &str, what: &str) -> Result<Vec<ProbePath>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (env, path) = line
                .split_once('/')
                .ok_or_else(|| format!("{what} {line:?}: write environment/path"))?;
            Ok(ProbePath {
                environment: EnvName::parse(env).map_err(|e| e.message)?,
                path: CredentialPath::parse(path).map_err(|e| e.message)?,
            })
        })
        .collect()
}

fn class_from(s: &str) -> RoleClass {
    RoleClass::ALL
        .into_iter()
        .find(|c| c.as_str() == s)
        .unwrap_or(RoleClass::Human)
}

/// The role's own fields, filled from the role being edited.
#[derive(Clone, Copy)]
struct RoleFields {
    name: RwSignal<String>,
    class: RwSignal<RoleClass>,
    description: RwSignal<String>,
    canaries: RwSignal<String>,
    forbidden: RwSignal<String>,
}

impl RoleFields {
    fn new(initial: Option<&Role>) -> Self {
        let text = |f: fn(&Role) -> String| RwSignal::new(initial.map(f).unwrap_or_default());
        Self {
            name: text(|r| r.name.to_string()),
            class: RwSignal::new(initial.map_or(RoleClass::Service, |r| r.class)),
            description: text(|r| r.description.clone()),
            canaries: text(|r| probes_text(&r.canaries)),
            forbidden: text(|r| probes_text(&r.forbidden)),
        }
    }

    /// The role the form describes, or what to fix first.
    fn build(self, rows: &[GrantRow]) -> Result<Role, String> {
        let name = RoleName::parse(self.name.get().trim()).map_err(|e| e.message)?;
        let grants = rows
            .iter()
            .enumerate()
            .map(|(i, r)| r.build().map_err(|e| format!("grant {}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let e2e = self.class.get() == RoleClass::E2e;
        Ok(Role {
            name,
            class: self.class.get(),
            description: self.description.get().trim().to_owned(),
            grants,
            canaries: if e2e {
                parse_probes(&self.canaries.get(), "canary")?
            } else {
                vec![]
            },
            forbidden: if e2e {
                parse_probes(&self.forbidden.get(), "forbidden path")?
            } else {
                vec![]
            },
        })
    }
}

/// A grant row with the next free id: ids stay unique when rows are removed.
fn new_row(next_id: StoredValue<usize>, g: Option<&Grant>) -> GrantRow {
    let id = next_id.get_value();
    next_id.set_value(id + 1);
    GrantRow::new(id, g)
}

#[component]
pub fn RoleEditor(
    initial: Option<Role>,
    #[prop(into)] on_saved: Callback<String>,
    #[prop(into)] on_cancel: Callback<()>,
) -> impl IntoView {
    let existing = initial.is_some();
    let fields = RoleFields::new(initial.as_ref());
    let next_id = StoredValue::new(0usize);
    let initial_rows: Vec<GrantRow> = match &initial {
        Some(r) if !r.grants.is_empty() => {
            r.grants.iter().map(|g| new_row(next_id, Some(g))).collect()
        }
        _ => vec![new_row(next_id, None)],
    };
    let rows = RwSignal::new(initial_rows);
    let built = Memo::new(move |_| -> Result<Role, String> { fields.build(&rows.get()) });

    let preview = Action::new_local(|role: &Role| {
        let role = role.clone();
        Box::pin(async move { api::preview_policy(role.clone()).await.map(|p| (role, p)) })
            as api::Call<(Role, crypter_api::PolicyPreview)>
    });
    let save = Action::new_local(move |role: &Role| {
        let call = api::save_role(role.clone(), existing);
        async move {
            on_saved.try_run(call.await?.name.to_string());
            Ok::<(), ApiError>(())
        }
    });
    // The diff shown is for exactly this form: any edit hides the save button again.
    let previewed_matches = move || {
        matches!((preview.value().get(), built.get()),
            (Some(Ok((shown, _))), Ok(current)) if shown == current)
    };
    let error = Signal::derive(move || -> Option<ApiError> {
        save.value()
            .get()
            .and_then(Result::err)
            .or_else(|| preview.value().get().and_then(Result::err))
    });

    view! {
        <form class="card role-editor" data-testid="role-editor" aria-labelledby="role-editor-title" on:submit=|ev| ev.prevent_default()>
            <h2 id="role-editor-title">{if existing { "Edit role" } else { "New role" }}</h2>
            <RoleIdentity fields=fields existing=existing />
            <GrantsTable rows=rows next_id=next_id />
            <ProbeFields fields=fields />

            {move || built.get().err().map(|e| view! { <p class="invalid" data-testid="role-invalid">{e}</p> })}
            <ErrorBox error=error />
            <div class="actions">
                <button type="button" data-testid="role-preview"
                    disabled=move || built.get().is_err() || preview.pending().get()
                    on:click=move |_| {
                        if let Ok(role) = built.get_untracked() {
                            preview.dispatch(role);
                        }
                    }>
                    "Show policy diff"
                </button>
                <Show when=previewed_matches>
                    <button type="button" class="primary" data-testid="role-save"
                        disabled=move || save.pending().get()
                        on:click=move |_| {
                            if let Ok(role) = built.get_untracked() {
                                save.dispatch(role);
                            }
                        }>
                        {if existing { "Save role" } else { "Create role" }}
                    </button>
                </Show>
                <button type="button" class="ghost" data-testid="role-cancel" on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
            {move || match preview.value().get() {
                Some(Ok((_, p))) if previewed_matches() => Some(view! {
                    <PolicyDiff live=p.live derived=p.derived />
                }),
                _ => None,
            }}
        </form>
    }
}

/// Name (fixed once the role exists), class and description.
#[component]
fn RoleIdentity(fields: RoleFields, existing: bool) -> impl IntoView {
    let RoleFields {
        name,
        class,
        description,
        ..
    } = fields;
    view! {
        <div class="form-grid">
            <div>
                <label for="role-name">"Name"</label>
                <input id="role-name" data-testid="role-name" bind:value=name disabled=existing
                    placeholder="e.g. payments-api" />
            </div>
            <div>
                <label for="role-class">"Class"</label>
                <select id="role-class" data-testid="role-class"
                    prop:value=move || class.get().as_str()
                    on:change=move |ev| class.set(class_from(&event_target_value(&ev)))>
                    {RoleClass::ALL.map(|c| view! { <option value=c.as_str()>{c.as_str()}</option> }).collect_view()}
                </select>
            </div>
        </div>
        <label for="role-description">"Description"</label>
        <input id="role-description" data-testid="role-description" bind:value=description />
    }
}

#[component]
fn GrantsTable(rows: RwSignal<Vec<GrantRow>>, next_id: StoredValue<usize>) -> impl IntoView {
    view! {
        <h3>"Grants"</h3>
        <div class="table-wrap">
            <table class="grants" data-testid="grants-table">
                <thead>
                    <tr>
                        <th>"Environment"</th>
                        <th>"Target"</th>
                        <th>"Scope"</th>
                        <th>"Capabilities"</th>
                        <th>"Deny"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|r| r.id let:row>
                        <GrantRowView row=row on_remove=move |id| rows.update(|rs| rs.retain(|r| r.id != id)) />
                    </For>
                </tbody>
            </table>
        </div>
        <button type="button" data-testid="grant-add" on:click=move |_| {
            let row = new_row(next_id, None);
            rows.update(|rs| rs.push(row));
        }>"Add grant"</button>
    }
}

/// An e2e role's canaries (must be readable) and forbidden paths (must be refused).
#[component]
fn ProbeFields(fields: RoleFields) -> impl IntoView {
    let RoleFields {
        class,
        canaries,
        forbidden,
        ..
    } = fields;
    view! {
        <Show when=move || class.get() == RoleClass::E2e>
            <div class="form-grid">
                <div>
                    <label for="role-canaries">"Canary paths (must be readable; one environment/path per line)"</label>
                    <textarea id="role-canaries" data-testid="role-canaries" rows="3" bind:value=canaries></textarea>
                </div>
                <div>
                    <label for="role-forbidden">"Forbidden paths (must be refused)"</label>
                    <textarea id="role-forbidden" data-testid="role-forbidden" rows="3" bind:value=forbidden></textarea>
                </div>
            </div>
        </Show>
    }
}

#[component]
fn GrantRowView(row: GrantRow, #[prop(into)] on_remove: Callback<usize>) -> impl IntoView {
    // Test ids use the row's stable id, so they survive the removal of other rows. Labels
    // name the grant too: no two fields of the table share a label.
    let n = row.id;
    let g = n + 1;
    let invalid = Memo::new(move |_| row.build().err());
    view! {
        <tr data-testid=format!("grant-row-{n}") class:invalid-row=move || invalid.get().is_some()>
            <td>
                <label class="sr-only" for=format!("grant-env-{n}")>{format!("Environment of grant {g}")}</label>
                <input id=format!("grant-env-{n}") data-testid=format!("grant-env-{n}")
                    placeholder="staging or *" bind:value=row.env />
            </td>
            <td>
                <label class="sr-only" for=format!("grant-target-{n}")>{format!("Target of grant {g}")}</label>
                <select id=format!("grant-target-{n}") data-testid=format!("grant-target-{n}")
                    prop:value=move || row.target.get().as_str()
                    on:change=move |ev| row.target.set(if event_target_value(&ev) == "keys" {
                        GrantTarget::Keys
                    } else {
                        GrantTarget::Credentials
                    })>
                    <option value="credentials">"credentials"</option>
                    <option value="keys">"keys"</option>
                </select>
            </td>
            <td>
                <label class="sr-only" for=format!("grant-scope-{n}")>{format!("Scope of grant {g}")}</label>
                <input id=format!("grant-scope-{n}") data-testid=format!("grant-scope-{n}")
                    placeholder=move || if row.target.get() == GrantTarget::Keys { "cards or pay-*" } else { "payments/*" }
                    bind:value=row.scope />
                {move || invalid.get().map(|e| view! { <div class="invalid" data-testid=format!("grant-error-{n}")>{e}</div> })}
            </td>
            <td class="caps">
                {move || {
                    let offered = Capability::of(row.target.get());
                    ALL_CAPS
                        .iter()
                        .zip(row.caps)
                        .filter(|(c, _)| offered.contains(c))
                        .map(|(c, on)| {
                            let id = format!("grant-{n}-{}", c.as_str());
                            let (for_id, testid) = (id.clone(), id.clone());
                            // The visible text is the capability; the accessible name also
                            // names the grant, so no two boxes of the table share a label.
                            let name = format!("{} (grant {g})", c.as_str());
                            view! {
                                <label class="check" for=for_id>
                                    <input type="checkbox" id=id data-testid=testid aria-label=name bind:checked=on />
                                    {c.as_str()}
                                </label>
                            }
                        })
                        .collect_view()
                }}
            </td>
            <td>
                <label class="sr-only" for=format!("grant-deny-{n}")>{format!("Deny (grant {g})")}</label>
                <input type="checkbox" id=format!("grant-deny-{n}") data-testid=format!("grant-deny-{n}") bind:checked=row.deny />
            </td>
            <td>
                <button type="button" class="ghost" data-testid=format!("grant-remove-{n}")
                    aria-label=format!("Remove grant {g}")
                    on:click=move |_| on_remove.run(row.id)>"Remove"</button>
            </td>
        </tr>
    }
}
