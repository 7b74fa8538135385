use super::confirm::TypedConfirm;
use super::credential_form::CredentialForm;
use super::error_box::ErrorBox;
use crate::api;
use crypter_api::{ApiError, CredentialDetail, CredentialVersion, RevealedCredential};
use leptos::prelude::*;

fn copy_to_clipboard(text: &str) {
    if let Some(window) = web_sys::window() {
        // The promise is not awaited: a refused copy leaves the value on screen to copy by hand.
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// One credential: metadata, versions, reveal and copy, edit, rollback, delete, undelete,
/// destroy. Values appear only after an explicit reveal.
#[component]
pub fn CredentialDetailPanel(
    #[prop(into)] env: Signal<String>,
    #[prop(into)] protected: Signal<bool>,
    path: String,
    on_changed: Callback<()>,
) -> impl IntoView {
    let tick = RwSignal::new(0_u32);
    let path = StoredValue::new(path);
    let detail = LocalResource::new(move || {
        tick.get();
        api::get_credential(env.get_untracked(), path.get_value())
    });
    let revealed: RwSignal<Option<RevealedCredential>> = RwSignal::new(None);
    let editing = RwSignal::new(false);
    let copied = RwSignal::new(false);

    let reveal = Action::new_local(move |version: &u64| {
        api::reveal(env.get_untracked(), path.get_value(), *version)
    });
    Effect::new(move |_| {
        if let Some(Ok(r)) = reveal.value().get() {
            copied.set(false);
            revealed.set(Some(r));
        }
    });
    let change = Action::new_local(move |(action, version): &(&'static str, u64)| {
        let (action, version) = (*action, *version);
        async move {
            if action == "delete" {
                api::delete_credential(env.get_untracked(), path.get_value()).await
            } else {
                api::version_action(env.get_untracked(), path.get_value(), action, version)
                    .await
                    .map(|_| ())
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            revealed.set(None);
            tick.update(|t| *t += 1);
            on_changed.run(());
        }
    });
    let error = Signal::derive(move || {
        let from_reveal = reveal.value().get().and_then(Result::err);
        let from_change = change.value().get().and_then(Result::err);
        let from_load = detail.get().and_then(Result::err);
        from_change.or(from_reveal).or(from_load)
    });

    view! {
        <section class="card detail" data-testid="credential-detail">
            <div class="page-head">
                <h2 data-testid="detail-path">{path.get_value()}</h2>
            </div>
            <ErrorBox error=error />
            {move || detail.get().and_then(Result::ok).map(|d: CredentialDetail| {
                let current = d.current_version;
                let edit_from = d.clone();
                view! {
                    <Meta detail=d.clone() />
                    <RevealBox revealed=revealed copied=copied />
                    <Show when=move || editing.get() fallback=move || view! {
                        <div class="row">
                            <button type="button" data-testid="edit-credential"
                                on:click=move |_| editing.set(true)>"Edit (new version)"</button>
                            <TypedConfirm env=env protected=protected label="Delete" testid="delete-credential"
                                on_confirm=Callback::new(move |_| { change.dispatch(("delete", current)); }) />
                        </div>
                    }>
                        <CredentialForm env=env existing=Some(edit_from.clone())
                            on_saved=Callback::new(move |_| {
                                editing.set(false);
                                revealed.set(None);
                                tick.update(|t| *t += 1);
                                on_changed.run(());
                            })
                            on_cancel=Callback::new(move |_| editing.set(false)) />
                    </Show>
                    <h3>"Versions"</h3>
                    <table class="versions" data-testid="versions">
                        <thead><tr><th>"Version"</th><th>"Written"</th><th>"State"</th><th>"Actions"</th></tr></thead>
                        <tbody>
                            {d.versions.into_iter().map(|v| view! {
                                <VersionRow v=v current=current env=env protected=protected
                                    reveal=reveal change=change />
                            }).collect_view()}
                        </tbody>
                    </table>
                }
            })}
        </section>
    }
}

#[component]
fn Meta(detail: CredentialDetail) -> impl IntoView {
    let m = detail.metadata;
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    view! {
        <dl class="facts" data-testid="credential-meta">
            <dt>"Class"</dt><dd data-testid="meta-class">{or_dash(m.class)}</dd>
            <dt>"Owner"</dt><dd data-testid="meta-owner">{or_dash(m.owner)}</dd>
            <dt>"Description"</dt><dd data-testid="meta-description">{or_dash(m.description)}</dd>
            <dt>"Labels"</dt><dd>{m.labels.join(", ")}</dd>
            <dt>"Environment"</dt><dd data-testid="meta-environment">{or_dash(m.environment)}</dd>
            <dt>"Created by"</dt><dd>{or_dash(m.created_by)}</dd>
            <dt>"Rotate after"</dt>
            <dd>
                {m.rotate_after_days.map(|d| format!("{d} days")).unwrap_or_else(|| "-".into())}
                {detail.rotation_due.then(|| view! { " " <span class="badge warn" data-testid="detail-rotation-due">"rotation due"</span> })}
            </dd>
        </dl>
    }
}

#[component]
fn RevealBox(
    revealed: RwSignal<Option<RevealedCredential>>,
    copied: RwSignal<bool>,
) -> impl IntoView {
    move || {
        match revealed.get() {
        None => view! {
            <p class="masked" data-testid="masked-value">"••••••••  (reveal a version to see its value; it is logged)"</p>
        }.into_any(),
        Some(r) => view! {
            <div class="revealed" data-testid="revealed">
                <p class="muted">"Version "{r.version}</p>
                {r.data.into_iter().map(|(k, v)| {
                    let v2 = v.clone();
                    view! {
                        <div class="row">
                            <code>{k}</code>
                            <code class="value" data-testid="revealed-value">{v}</code>
                            <button type="button" data-testid="copy-value" on:click=move |_| {
                                copy_to_clipboard(&v2);
                                copied.set(true);
                            }>"Copy"</button>
                        </div>
                    }
                }).collect_view()}
                {move || copied.get().then(|| view! { <span class="muted" data-testid="copied">"Copied."</span> })}
                <button type="button" data-testid="hide-value" on:click=move |_| revealed.set(None)>"Hide"</button>
            </div>
        }.into_any(),
    }
    }
}

#[component]
fn VersionRow(
    v: CredentialVersion,
    current: u64,
    env: Signal<String>,
    protected: Signal<bool>,
    reveal: Action<u64, Result<RevealedCredential, ApiError>>,
    change: Action<(&'static str, u64), Result<(), ApiError>>,
) -> impl IntoView {
    let n = v.version;
    let deleted = v.deletion_time.is_some();
    let readable = !deleted && !v.destroyed;
    let state = if v.destroyed {
        "destroyed"
    } else if deleted {
        "deleted"
    } else if n == current {
        "current"
    } else {
        "kept"
    };
    view! {
        <tr data-testid="version-row" data-version=n.to_string()>
            <td>{n}</td>
            <td>{v.created_time.clone()}</td>
            <td data-testid="version-state">{state}</td>
            <td class="row">
                {readable.then(|| view! {
                    <button type="button" data-testid="reveal-version" on:click=move |_| { reveal.dispatch(n); }>"Reveal"</button>
                })}
                {(readable && n != current).then(|| view! {
                    <button type="button" data-testid="rollback-version"
                        on:click=move |_| { change.dispatch(("rollback", n)); }>"Roll back to this"</button>
                })}
                {(deleted && !v.destroyed).then(|| view! {
                    <button type="button" data-testid="undelete-version"
                        on:click=move |_| { change.dispatch(("undelete", n)); }>"Undelete"</button>
                })}
                {(!v.destroyed).then(|| view! {
                    <TypedConfirm env=env protected=protected label="Destroy" testid="destroy-version"
                        on_confirm=Callback::new(move |_| { change.dispatch(("destroy", n)); }) />
                })}
            </td>
        </tr>
    }
}
