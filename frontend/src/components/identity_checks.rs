//! Identity checks: log every e2e identity in and probe its canaries and forbidden paths;
//! plus the list of deprecated login methods.

use crate::api;
use crate::components::error_box::ErrorBox;
use crypter_api::{ApiError, AuthSettings, IdentityStatus};
use leptos::prelude::*;

fn status_text(s: IdentityStatus) -> (&'static str, &'static str) {
    match s {
        IdentityStatus::Ok => ("ok", "badge ok"),
        IdentityStatus::LoginFailed => ("login_failed", "badge bad"),
        IdentityStatus::CanaryFailed => ("canary_failed", "badge bad"),
        IdentityStatus::ForbiddenReadable => ("forbidden_readable", "badge bad"),
    }
}

#[component]
pub fn IdentityChecks() -> impl IntoView {
    let run = Action::new_local(|_: &()| api::check_identities());
    let error = Signal::derive(move || run.value().get().and_then(Result::err));
    view! {
        <section class="card" data-testid="identity-checks" aria-labelledby="identity-checks-title">
            <div class="page-head">
                <h2 id="identity-checks-title">"Identity checks"</h2>
                <button type="button" class="primary" data-testid="identities-run"
                    disabled=move || run.pending().get() on:click=move |_| { run.dispatch(()); }>
                    {move || if run.pending().get() { "Checking…" } else { "Run identity checks" }}
                </button>
            </div>
            <p class="muted">"Each e2e identity logs in through AppRole, reads its canaries (expects 200) and its forbidden paths (expects 403)."</p>
            <ErrorBox error=error />
            {move || run.value().get().and_then(Result::ok).map(|report| view! {
                <p data-testid="identities-overall">
                    {if report.ok {
                        view! { <span class="badge ok">"all identities pass"</span> }.into_any()
                    } else {
                        view! { <span class="badge bad">"problems found"</span> }.into_any()
                    }}
                </p>
                {(!report.deprecated_enabled.is_empty()).then(|| view! {
                    <p class="warn-box" data-testid="identities-deprecated">
                        "Deprecated login methods still enabled: " {report.deprecated_enabled.join(", ")}
                    </p>
                })}
                {report.results.is_empty().then(|| view! { <p class="muted" data-testid="identities-none">"No e2e roles."</p> })}
                <div class="table-wrap">
                    <table data-testid="identities-table">
                        <thead><tr><th>"Identity"</th><th>"Result"</th><th>"Details"</th><th>"Probes"</th></tr></thead>
                        <tbody>
                            {report.results.into_iter().map(|r| {
                                let (text, class) = status_text(r.status);
                                let probes = r.probes.iter().map(|p| format!(
                                    "{} {}: expected {}, got {}", p.kind, p.target, p.expected, p.got
                                )).collect::<Vec<_>>().join("; ");
                                view! {
                                    <tr data-testid=format!("identity-{}", r.role)>
                                        <td>{r.role.to_string()}</td>
                                        <td><span class=class data-testid="identity-status">{text}</span></td>
                                        <td>{r.details}</td>
                                        <td class="muted">{probes}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            <DeprecatedMethods />
        </section>
    }
}

/// The deprecated login methods (auth mount paths), as stored in the auth settings.
#[component]
fn DeprecatedMethods() -> impl IntoView {
    let settings = LocalResource::new(api::auth_settings);
    let save = Action::new_local(move |s: &AuthSettings| {
        let call = api::save_auth_settings(s.clone());
        async move {
            call.await?;
            settings.refetch();
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(Result::err)
            .or_else(|| settings.get().and_then(Result::err))
    });
    // The form starts from the settings as read (read again after each save).
    move || {
        settings.get().map(|read| {
            let text = read
                .map(|s| s.deprecated_methods.join(", "))
                .unwrap_or_default();
            view! { <DeprecatedForm text save error /> }
        })
    }
}

/// The deprecated methods' form, filled with `text` as read.
#[component]
fn DeprecatedForm(
    text: String,
    save: Action<AuthSettings, Result<(), ApiError>>,
    error: Signal<Option<ApiError>>,
) -> impl IntoView {
    let text = RwSignal::new(text);
    view! {
        <form class="subsection" data-testid="deprecated-methods" on:submit=move |ev| {
            ev.prevent_default();
            let methods = text.get_untracked().split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
            save.dispatch(AuthSettings { deprecated_methods: methods });
        }>
            <label for="deprecated-input">"Deprecated login methods (auth mount paths, comma-separated, e.g. userpass/)"</label>
            <input id="deprecated-input" data-testid="deprecated-input" bind:value=text />
            <ErrorBox error=error />
            <button type="submit" data-testid="deprecated-save" disabled=move || save.pending().get()>"Save"</button>
        </form>
    }
}
