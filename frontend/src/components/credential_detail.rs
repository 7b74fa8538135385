use super::confirm::TypedConfirm;
use super::credential_form::CredentialForm;
use super::error_box::ErrorBox;
use super::loading::Loading;
use crate::api;
use crypter_api::{
    ApiError, CredentialDetail, CredentialSummary, CredentialVersion, CredentialWritten,
    RevealedCredential,
};
use leptos::prelude::*;

fn copy_to_clipboard(text: &str) {
    if let Some(window) = web_sys::window() {
        // The promise is not awaited: a refused copy leaves the value on screen to copy by hand.
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// One credential: metadata, versions, reveal and copy, edit, rollback, delete, undelete,
/// destroy. Values appear only after an explicit reveal. Every change reports the
/// credential's new list row through `on_changed`, so the page updates that row alone.
#[component]
pub fn CredentialDetailPanel(
    #[prop(into)] env: Signal<String>,
    #[prop(into)] protected: Signal<bool>,
    path: String,
    on_changed: Callback<CredentialSummary>,
) -> impl IntoView {
    let path = StoredValue::new(path);
    let copied = RwSignal::new(false);
    let saved = RwSignal::new(0_u32);
    let editing = RwSignal::new(false);
    let reveal = Action::new_local(move |version: &u64| {
        copied.set(false);
        api::reveal(env.get_untracked(), path.get_value(), *version)
    });
    // `try_run`: the page may have moved on (another environment) while a change was in
    // flight.
    let report = move |written: &CredentialWritten| {
        if let Some(row) = &written.row {
            on_changed.try_run(row.clone());
        }
    };
    let change = Action::new_local(move |(action, version): &(&'static str, u64)| {
        let (action, version) = (*action, *version);
        async move {
            let written = if action == "delete" {
                api::delete_credential(env.get_untracked(), path.get_value()).await?
            } else {
                api::version_action(env.get_untracked(), path.get_value(), action, version).await?
            };
            report(&written);
            Ok::<_, ApiError>(())
        }
    });
    // The detail is read again after each change this panel makes, and only then.
    let detail = LocalResource::new(move || {
        change.version().get();
        saved.get();
        api::get_credential(env.get_untracked(), path.get_value())
    });
    let change_error = Signal::derive(move || change.value().get().and_then(Result::err));
    let on_saved = Callback::new(move |written: CredentialWritten| {
        editing.set(false);
        reveal.clear();
        report(&written);
        saved.update(|n| *n += 1);
    });

    view! {
        <section class="card detail" data-testid="credential-detail" aria-labelledby="detail-path">
            <div class="page-head">
                <h2 id="detail-path" data-testid="detail-path">{path.get_value()}</h2>
            </div>
            <ErrorBox error=change_error />
            <Loading keep=true fallback=|| view! { <p class="loading" data-testid="detail-loading">"Loading…"</p> }
                load=move || async move {
                    let d = detail.await?;
                    Ok(view! {
                        <DetailBody d=d env=env protected=protected editing=editing
                            reveal=reveal change=change copied=copied on_saved=on_saved />
                    }.into_any())
                } />
        </section>
    }
}

type ChangeAction = Action<(&'static str, u64), Result<(), ApiError>>;

#[component]
fn DetailBody(
    d: CredentialDetail,
    env: Signal<String>,
    protected: Signal<bool>,
    editing: RwSignal<bool>,
    reveal: Action<u64, Result<RevealedCredential, ApiError>>,
    change: ChangeAction,
    copied: RwSignal<bool>,
    on_saved: Callback<CredentialWritten>,
) -> impl IntoView {
    let current = d.current_version;
    let edit_from = d.clone();
    let reveal_error = Signal::derive(move || reveal.value().get().and_then(Result::err));
    view! {
        <Meta detail=d.clone() />
        <RevealBox reveal=reveal copied=copied />
        <ErrorBox error=reveal_error />
        <Show when=move || editing.get() fallback=move || view! {
            <div class="row">
                <button type="button" data-testid="edit-credential"
                    on:click=move |_| editing.set(true)>"Edit (new version)"</button>
                <TypedConfirm env=env protected=protected label="Delete" testid="delete-credential"
                    on_confirm=Callback::new(move |_| {
                        reveal.clear();
                        change.dispatch(("delete", current));
                    }) />
            </div>
        }>
            <CredentialForm env=env existing=Some(edit_from.clone()) on_saved=on_saved
                on_cancel=Callback::new(move |_| editing.set(false)) />
        </Show>
        <h3 id="versions-title">"Versions"</h3>
        <div class="table-wrap">
            <table class="versions" data-testid="versions" aria-labelledby="versions-title">
                <thead><tr><th>"Version"</th><th>"Written"</th><th>"State"</th><th>"Actions"</th></tr></thead>
                <tbody>
                    {d.versions.into_iter().map(|v| view! {
                        <VersionRow v=v current=current env=env protected=protected
                            reveal=reveal change=change />
                    }).collect_view()}
                </tbody>
            </table>
        </div>
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
            <dt>"Expires"</dt><dd data-testid="meta-expires">{or_dash(m.expires)}</dd>
            <dt>"Rotate after"</dt>
            <dd>
                {m.rotate_after_days.map(|d| format!("{d} days")).unwrap_or_else(|| "-".into())}
                {detail.rotation_due.then(|| view! { " " <span class="badge warn" data-testid="detail-rotation-due">"rotation due"</span> })}
            </dd>
        </dl>
    }
}

/// The revealed value: the reveal action's latest success, until hidden (the action is
/// cleared) or a later reveal fails.
#[component]
fn RevealBox(
    reveal: Action<u64, Result<RevealedCredential, ApiError>>,
    copied: RwSignal<bool>,
) -> impl IntoView {
    move || {
        match reveal.value().get().and_then(Result::ok) {
        None => view! {
            <p class="masked" data-testid="masked-value">"••••••••  (reveal a version to see its value; it is logged)"</p>
        }
        .into_any(),
        Some(r) => view! {
            <div class="revealed" data-testid="revealed" role="group" aria-label="Revealed value">
                <p class="muted">"Version "{r.version}</p>
                {r.data.into_iter().map(|(k, v)| {
                    let v2 = v.clone();
                    let label = format!("Copy {k}");
                    view! {
                        <div class="row">
                            <code>{k}</code>
                            <code class="value" data-testid="revealed-value">{v}</code>
                            <button type="button" data-testid="copy-value" aria-label=label on:click=move |_| {
                                copy_to_clipboard(&v2);
                                copied.set(true);
                            }>"Copy"</button>
                        </div>
                    }
                }).collect_view()}
                <p role="status" class="muted" data-testid="copied-status">
                    {move || copied.get().then(|| view! { <span data-testid="copied">"Copied."</span> })}
                </p>
                <button type="button" data-testid="hide-value" on:click=move |_| reveal.clear()>"Hide"</button>
            </div>
        }
        .into_any(),
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
    change: ChangeAction,
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
    // The visible text first, so the name holds what is on screen (WCAG 2.5.3).
    let named = |what: &str| format!("{what} (version {n})");
    view! {
        <tr data-testid="version-row" data-version=n.to_string()>
            <td>{n}</td>
            <td class="nowrap-narrow">{v.created_time.clone()}</td>
            <td data-testid="version-state">{state}</td>
            <td class="row">
                {readable.then(|| view! {
                    <button type="button" data-testid="reveal-version" aria-label=named("Reveal")
                        on:click=move |_| { reveal.dispatch(n); }>"Reveal"</button>
                })}
                {(readable && n != current).then(|| view! {
                    <button type="button" data-testid="rollback-version" aria-label=named("Roll back to this")
                        on:click=move |_| { reveal.clear(); change.dispatch(("rollback", n)); }>"Roll back to this"</button>
                })}
                {(deleted && !v.destroyed).then(|| view! {
                    <button type="button" data-testid="undelete-version" aria-label=named("Undelete")
                        on:click=move |_| { change.dispatch(("undelete", n)); }>"Undelete"</button>
                })}
                {(!v.destroyed).then(|| view! {
                    <TypedConfirm env=env protected=protected label="Destroy" testid="destroy-version"
                        on_confirm=Callback::new(move |_| { reveal.clear(); change.dispatch(("destroy", n)); }) />
                })}
            </td>
        </tr>
    }
}
