use super::error_box::ErrorBox;
use crate::api;
use crypter_api::{
    ApiError, CredentialClass, CredentialDetail, CredentialMetadata, CredentialWrite,
    CredentialWritten,
};
use leptos::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Copy)]
struct Field {
    id: usize,
    key: RwSignal<String>,
    value: RwSignal<String>,
}

/// The credential's metadata as the form edits it.
#[derive(Clone, Copy)]
struct MetaFields {
    class: RwSignal<String>,
    owner: RwSignal<String>,
    description: RwSignal<String>,
    labels: RwSignal<String>,
    rotate: RwSignal<String>,
    expires: RwSignal<String>,
}

impl MetaFields {
    fn new(meta: &CredentialMetadata) -> Self {
        Self {
            class: RwSignal::new(meta.class.clone().unwrap_or_default()),
            owner: RwSignal::new(meta.owner.clone().unwrap_or_default()),
            description: RwSignal::new(meta.description.clone().unwrap_or_default()),
            labels: RwSignal::new(meta.labels.join(", ")),
            rotate: RwSignal::new(
                meta.rotate_after_days
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            expires: RwSignal::new(meta.expires.clone().unwrap_or_default()),
        }
    }

    /// The write of `data` with this metadata (read untracked: this runs on submit).
    fn write(self, data: BTreeMap<String, String>, cas: Option<u64>) -> CredentialWrite {
        let opt = |s: RwSignal<String>| {
            Some(s.get_untracked().trim().to_owned()).filter(|s| !s.is_empty())
        };
        CredentialWrite {
            data,
            class: opt(self.class).and_then(|c| CredentialClass::parse(&c)),
            owner: opt(self.owner),
            description: opt(self.description),
            labels: self
                .labels
                .get_untracked()
                .split(',')
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect(),
            rotate_after_days: opt(self.rotate).and_then(|d| d.parse().ok()),
            // Always sent: an emptied field removes the date.
            expires: Some(self.expires.get_untracked().trim().to_owned()),
            cas,
        }
    }
}

/// The value's fields with a key (a field without one is left out).
fn field_data(fields: &[Field]) -> BTreeMap<String, String> {
    fields
        .iter()
        .map(|f| {
            (
                f.key.get_untracked().trim().to_owned(),
                f.value.get_untracked(),
            )
        })
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// Create a credential, or (with `existing`) write a new version of one. The value is
/// never pre-filled: a new version takes a new value.
#[component]
pub fn CredentialForm(
    #[prop(into)] env: Signal<String>,
    existing: Option<CredentialDetail>,
    /// Called once the save succeeded, with what was written (and its new list row).
    on_saved: Callback<CredentialWritten>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let is_new = existing.is_none();
    let meta = MetaFields::new(
        &existing
            .as_ref()
            .map(|d| d.metadata.clone())
            .unwrap_or_default(),
    );
    let cas = existing.as_ref().map(|d| d.current_version);
    let path = RwSignal::new(
        existing
            .as_ref()
            .map(|d| d.path.clone())
            .unwrap_or_default(),
    );
    let fields = RwSignal::new(vec![Field {
        id: 0,
        key: RwSignal::new("value".to_owned()),
        value: RwSignal::new(String::new()),
    }]);

    // Where an approval rule applies, a save becomes a request: the button says so.
    let ruled = RwSignal::new(false);
    let env_now = env.get_untracked();
    leptos::task::spawn_local(async move { ruled.set(api::has_rule(env_now).await) });
    let save: SaveAction = Action::new_local(
        move |(env, path, req): &(String, String, CredentialWrite)| {
            let (env, path, req) = (env.clone(), path.clone(), req.clone());
            async move {
                match api::put_credential(env, path, req).await? {
                    // The form may be gone by now (the user moved on): `try_run`.
                    api::Saved::Written(written) => {
                        on_saved.try_run(written);
                        Ok::<Option<String>, ApiError>(None)
                    }
                    api::Saved::Sent(id) => Ok(Some(id)),
                }
            }
        },
    );
    // The latest save's error; a later successful save clears it.
    let error = Signal::derive(move || save.value().get().and_then(Result::err));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = meta.write(fields.with_untracked(|fs| field_data(fs)), cas);
        save.dispatch((
            env.get_untracked(),
            path.get_untracked().trim().to_owned(),
            req,
        ));
    };

    view! {
        <form class="card credential-form" data-testid="credential-form" on:submit=submit
            aria-labelledby="cred-form-title">
            <h2 id="cred-form-title">{if is_new { "New credential" } else { "New version" }}</h2>
            {is_new.then(|| view! {
                <label for="cred-path">"Path"</label>
                <input id="cred-path" data-testid="cred-path" required placeholder="service/db/password"
                    bind:value=path />
            })}
            <ClassSelect meta required=is_new />
            <ValueFields fields=fields />
            <MetaInputs meta />
            <ErrorBox error=error />
            <SaveRow save=save ruled=ruled on_cancel=on_cancel />
        </form>
    }
}

/// The credential's class; a new credential must have one.
#[component]
fn ClassSelect(meta: MetaFields, required: bool) -> impl IntoView {
    view! {
        <label for="cred-class">"Class"</label>
        <select id="cred-class" data-testid="cred-class" required=required
            prop:value=move || meta.class.get()
            on:change=move |ev| meta.class.set(event_target_value(&ev))>
            <option value="">"Pick a class"</option>
            {CredentialClass::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.as_str()}</option> }).collect_view()}
        </select>
    }
}

/// Who owns the credential, what it is, its labels, rotation and expiry.
#[component]
fn MetaInputs(meta: MetaFields) -> impl IntoView {
    view! {
        <label for="cred-owner">"Owner"</label>
        <input id="cred-owner" data-testid="cred-owner" bind:value=meta.owner />
        <label for="cred-description">"Description"</label>
        <input id="cred-description" data-testid="cred-description" bind:value=meta.description />
        <label for="cred-labels">"Labels (comma-separated)"</label>
        <input id="cred-labels" data-testid="cred-labels" bind:value=meta.labels />
        <label for="cred-rotate">"Rotate after (days)"</label>
        <input id="cred-rotate" data-testid="cred-rotate" type="number" min="0" max="3650" bind:value=meta.rotate />
        <label for="cred-expires">"Expires"</label>
        <input id="cred-expires" data-testid="cred-expires" type="date" bind:value=meta.expires />
    }
}

/// A save: `Some(id)` when it became the request `id` rather than a new version.
type SaveAction = Action<(String, String, CredentialWrite), Result<Option<String>, ApiError>>;

/// The form's buttons, and a link to the request a save became.
#[component]
fn SaveRow(save: SaveAction, ruled: RwSignal<bool>, on_cancel: Callback<()>) -> impl IntoView {
    let sent = move || save.value().get().and_then(Result::ok).flatten();
    view! {
        {move || sent().map(|id| view! {
            <p role="status" data-testid="cred-sent">"Sent for approval. "
                <a href=format!("/requests/{id}") rel="external" data-testid="cred-request-link">"See the request"</a></p>
        })}
        <div class="row">
            <button type="submit" class="primary" data-testid="cred-save"
                disabled=move || save.pending().get()>
                {move || if ruled.get() { "Request change" } else { "Save" }}</button>
            <button type="button" data-testid="cred-cancel" on:click=move |_| on_cancel.run(())>"Cancel"</button>
        </div>
    }
}

/// The value's key/value fields, and a button that adds one.
#[component]
fn ValueFields(fields: RwSignal<Vec<Field>>) -> impl IntoView {
    // Ids stay unique when fields are added: the first field is 0.
    let next_id = StoredValue::new(1_usize);
    view! {
        <fieldset class="fields">
            <legend>"Value"</legend>
            <For each=move || fields.get() key=|f| f.id children=move |f: Field| {
                let kid = format!("cred-key-{}", f.id);
                let vid = format!("cred-value-{}", f.id);
                // Each field's labels are numbered: no two inputs share a label.
                let n = f.id + 1;
                view! {
                    <div class="field-row">
                        <label for=kid.clone() class="sr-only">"Key "{n}</label>
                        <input id=kid data-testid="cred-key" placeholder="key" bind:value=f.key />
                        <label for=vid.clone() class="sr-only">"Value "{n}</label>
                        <input id=vid type="password" data-testid="cred-value" autocomplete="off"
                            placeholder="value" bind:value=f.value />
                    </div>
                }
            } />
            <button type="button" data-testid="cred-add-field" on:click=move |_| {
                let id = next_id.get_value();
                next_id.set_value(id + 1);
                fields.update(|fs| fs.push(Field { id, key: RwSignal::new(String::new()), value: RwSignal::new(String::new()) }));
            }>"Add a field"</button>
        </fieldset>
    }
}
