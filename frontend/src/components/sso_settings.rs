//! The identity provider single sign-on logs in through: OpenBao's `auth/oidc`, set up
//! from here. The client secret is write-only: OpenBao never gives it back, so its field
//! starts empty and an empty field keeps the secret OpenBao holds.

use crate::api;
use crate::components::error_box::ErrorBox;
use crypter_api::{ApiError, SsoSettings, SsoSettingsView};
use leptos::prelude::*;

/// Where the provider sends people back to: this console's own callback.
fn default_callback() -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!("{origin}/api/v1/auth/oidc/callback")
}

/// The settings as they are sent: fields trimmed, one redirect URI per non-empty line,
/// and no secret when the field is left empty.
fn settings_from(
    label: &str,
    discovery_url: &str,
    client_id: &str,
    secret: String,
    uris: &str,
) -> SsoSettings {
    SsoSettings {
        label: label.trim().to_owned(),
        discovery_url: discovery_url.trim().to_owned(),
        client_id: client_id.trim().to_owned(),
        client_secret: (!secret.is_empty()).then_some(secret),
        redirect_uris: uris
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// The provider's settings, loaded once; the form starts from what OpenBao holds.
#[component]
pub fn SsoSettingsPanel() -> impl IntoView {
    let current = LocalResource::new(api::sso_settings);
    view! {
        <div class="subsection">
            <h3>"Identity provider"</h3>
            {move || match current.get() {
                None => view! { <p class="loading">"Loading the SSO settings…"</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorBox error=Signal::stored(Some(e)) /> }.into_any(),
                Some(Ok(view)) => view! { <SsoSettingsForm current=view /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn SsoSettingsForm(current: SsoSettingsView) -> impl IntoView {
    let label = RwSignal::new(current.label);
    let discovery_url = RwSignal::new(current.discovery_url);
    let client_id = RwSignal::new(current.client_id);
    let secret = RwSignal::new(String::new());
    let uris = RwSignal::new(if current.redirect_uris.is_empty() {
        default_callback()
    } else {
        current.redirect_uris.join("\n")
    });
    // The secret field empties once OpenBao has it; on a refusal it stays, to be corrected.
    let save = Action::new_local(move |s: &SsoSettings| {
        let call = api::save_sso_settings(s.clone());
        async move {
            let saved = call.await?;
            secret.set(String::new());
            Ok::<_, ApiError>(saved)
        }
    });
    let configured = move || {
        save.value()
            .get()
            .and_then(Result::ok)
            .map_or(current.configured, |v| v.configured)
    };
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(settings_from(
            &label.get_untracked(),
            &discovery_url.get_untracked(),
            &client_id.get_untracked(),
            secret.get_untracked(),
            &uris.get_untracked(),
        ));
    };
    view! {
        <form data-testid="sso-settings-form" aria-label="Identity provider" on:submit=submit>
            <p data-testid="sso-configured">
                {move || if configured() {
                    view! { <span class="badge ok">"configured"</span> }.into_any()
                } else {
                    view! { <span class="badge warn">"not configured"</span> }.into_any()
                }}
            </p>
            <SsoSettingsFields label discovery_url client_id secret uris />
            <ErrorBox error=error />
            {move || matches!(save.value().get(), Some(Ok(_))).then(|| view! {
                <p class="muted" role="status" data-testid="sso-settings-saved">
                    "Saved. The login page offers “Sign in with " {label.get_untracked()} "”."
                </p>
            })}
            <button type="submit" class="primary" data-testid="sso-settings-save"
                disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Saving…" } else { "Save settings" }}
            </button>
        </form>
    }
}

#[component]
fn SsoSettingsFields(
    label: RwSignal<String>,
    discovery_url: RwSignal<String>,
    client_id: RwSignal<String>,
    secret: RwSignal<String>,
    uris: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="form-grid">
            <div>
                <label for="sso-label">"Provider name (the button says “Sign in with …”)"</label>
                <input id="sso-label" data-testid="sso-label" autocomplete="off" bind:value=label />
            </div>
            <div>
                <label for="sso-discovery-url">"Discovery URL (the provider's issuer)"</label>
                <input id="sso-discovery-url" data-testid="sso-discovery-url" type="url"
                    placeholder="https://id.example.com/realms/main" autocomplete="off"
                    bind:value=discovery_url />
            </div>
            <div>
                <label for="sso-client-id">"Client id"</label>
                <input id="sso-client-id" data-testid="sso-client-id" autocomplete="off"
                    bind:value=client_id />
            </div>
            <div>
                <label for="sso-client-secret">"Client secret"</label>
                <input id="sso-client-secret" data-testid="sso-client-secret" type="password"
                    placeholder="leave empty to keep" autocomplete="new-password" bind:value=secret />
            </div>
        </div>
        <label for="sso-redirect-uris">"Redirect URIs (one per line; register the same at the provider)"</label>
        <textarea id="sso-redirect-uris" data-testid="sso-redirect-uris" class="mono" rows="3"
            bind:value=uris></textarea>
    }
}

#[cfg(test)]
mod tests {
    use super::settings_from;

    #[test]
    fn an_empty_secret_is_not_sent_and_blank_lines_are_dropped() {
        let s = settings_from(
            " Example SSO ",
            "https://id.example.com ",
            "crypter",
            String::new(),
            "https://a.example/cb\n\n  https://b.example/cb  \n",
        );
        assert_eq!(s.label, "Example SSO");
        assert_eq!(s.discovery_url, "https://id.example.com");
        assert_eq!(s.client_secret, None);
        assert_eq!(
            s.redirect_uris,
            ["https://a.example/cb", "https://b.example/cb"]
        );
        let with = settings_from("x", "y", "z", " s3cret".into(), "");
        assert_eq!(with.client_secret.as_deref(), Some(" s3cret"));
        assert!(with.redirect_uris.is_empty());
    }
}
