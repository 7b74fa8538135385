//! The identity provider, as OpenBao holds it: the `auth/oidc` mount (its description is
//! the login button's label, and it is listed to unauthenticated callers), its
//! `config` (discovery URL, client id and secret, the default role) and the login role
//! (redirect URIs, claims, audience). Every read and write uses the caller's token.

use super::{CALLBACK_PATH, LOGIN_ROLE, MOUNT};
use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crate::records::Records;
use crypter_api::{AuthMethod, AuthMethodKind, ErrorCode, SsoSettings, SsoSettingsView};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The login methods offered, answered by OpenBao: userpass and tokens always; each OIDC
/// mount that OpenBao lists to unauthenticated callers (`sys/internal/ui/mounts`), with
/// its provider's sign-out page.
pub async fn methods(records: &Records) -> Result<Vec<AuthMethod>, AppError> {
    let bao = records.bao();
    let plain = |kind| AuthMethod {
        kind,
        label: None,
        start: None,
        mount: None,
        end_session_url: None,
    };
    let mut out = vec![
        plain(AuthMethodKind::Userpass),
        plain(AuthMethodKind::Token),
    ];
    let listed = bao
        .unauthenticated(Method::GET, "sys/internal/ui/mounts", None)
        .await?
        .unwrap_or_default();
    let auth = listed
        .pointer("/data/auth")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (path, mount) in auth {
        if mount.get("type").and_then(Value::as_str) != Some("oidc") {
            continue;
        }
        let mount_name = path.trim_end_matches('/').to_owned();
        // Crypter starts logins on its own mount only (the callback and role are its).
        if mount_name != MOUNT {
            continue;
        }
        let label = mount
            .get("description")
            .and_then(Value::as_str)
            .filter(|d| !d.trim().is_empty())
            .unwrap_or("single sign-on")
            .to_owned();
        out.push(AuthMethod {
            kind: AuthMethodKind::Oidc,
            label: Some(label),
            start: Some(super::START_PATH.to_owned()),
            mount: Some(mount_name),
            end_session_url: end_session_url(records).await,
        });
    }
    Ok(out)
}

/// The provider's `end_session_endpoint`, from its discovery document, found through the
/// configuration OpenBao holds (read as the backend). Kept five minutes; `None` when the
/// provider has none or does not answer (the login page then offers none).
async fn end_session_url(records: &Records) -> Option<String> {
    static KEPT: Mutex<Option<(String, Option<String>, Instant)>> = Mutex::new(None);
    let read = records
        .as_backend(|token| async move {
            Ok(records
                .bao()
                .read(&format!("auth/{MOUNT}/config"), &token)
                .await?)
        })
        .await;
    let discovery = match read {
        Ok(config) => text(&config?.get("data")?.clone(), "oidc_discovery_url"),
        Err(e) => {
            tracing::debug!(error = %e, "SSO: the provider's address was not read");
            return None;
        }
    };
    if let Ok(kept) = KEPT.lock() {
        if let Some((url, end, at)) = kept.as_ref() {
            if *url == discovery && at.elapsed() < Duration::from_secs(300) {
                return end.clone();
            }
        }
    }
    let document = format!(
        "{}/.well-known/openid-configuration",
        discovery.trim_end_matches('/')
    );
    let fetched = async {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .ok()?
            .get(&document)
            .send()
            .await
            .ok()?
            .json::<Value>()
            .await
            .ok()
    }
    .await?;
    let end = fetched
        .get("end_session_endpoint")
        .and_then(Value::as_str)
        .filter(|u| is_web_url(u))
        .map(str::to_owned);
    if let Ok(mut kept) = KEPT.lock() {
        *kept = Some((discovery, end.clone(), Instant::now()));
    }
    end
}

/// What OpenBao holds about the provider (never the client secret).
pub async fn read(bao: &Bao, token: &SecretString) -> Result<SsoSettingsView, AppError> {
    let mut view = SsoSettingsView {
        configured: false,
        label: String::new(),
        discovery_url: String::new(),
        client_id: String::new(),
        redirect_uris: Vec::new(),
    };
    let Some(mount) = mount_of(bao, token).await? else {
        return Ok(view);
    };
    view.label = text(&mount, "description");
    let config = bao
        .read(&format!("auth/{MOUNT}/config"), token)
        .await?
        .and_then(|v| v.get("data").cloned())
        .unwrap_or_default();
    view.discovery_url = text(&config, "oidc_discovery_url");
    view.client_id = text(&config, "oidc_client_id");
    view.configured = !view.client_id.is_empty() && !view.discovery_url.is_empty();
    let role = bao
        .read(&format!("auth/{MOUNT}/role/{LOGIN_ROLE}"), token)
        .await?
        .and_then(|v| v.get("data").cloned())
        .unwrap_or_default();
    view.redirect_uris = crate::bao::strings(role.get("allowed_redirect_uris"));
    Ok(view)
}

/// Configure the provider: mount `auth/oidc` if it is not, label and list it, write its
/// configuration (OpenBao fetches the discovery document at once, so the provider must
/// answer) and the login role. Without a client secret only the label and the redirect
/// URIs change, and only while the provider and client stay the same.
pub async fn write(
    bao: &Bao,
    token: &SecretString,
    settings: &SsoSettings,
) -> Result<SsoSettingsView, AppError> {
    validate(settings)?;
    let label = settings.label.trim();
    if mount_of(bao, token).await?.is_none() {
        bao.write(
            &format!("sys/auth/{MOUNT}"),
            token,
            &json!({ "type": "oidc", "description": label }),
        )
        .await?;
    }
    bao.write(
        &format!("sys/auth/{MOUNT}/tune"),
        token,
        &json!({ "description": label, "listing_visibility": "unauth" }),
    )
    .await?;
    let current = read(bao, token).await?;
    match &settings.client_secret {
        Some(secret) => write_config(bao, token, settings, secret).await?,
        None if current.discovery_url == settings.discovery_url
            && current.client_id == settings.client_id => {}
        None => {
            return Err(AppError::bad_request(
                ErrorCode::ClientSecretRequired,
                "give the client secret: the provider or the client id changes, and OpenBao \
                 never returns the secret it holds",
            ))
        }
    }
    bao.write(
        &format!("auth/{MOUNT}/role/{LOGIN_ROLE}"),
        token,
        &json!({
            "role_type": "oidc",
            "user_claim": "sub",
            "groups_claim": "groups",
            "oidc_scopes": ["profile", "groups"],
            "claim_mappings": { "preferred_username": "username" },
            "allowed_redirect_uris": settings.redirect_uris,
            "bound_audiences": [settings.client_id],
            "token_ttl": "8h",
            "token_max_ttl": "24h",
        }),
    )
    .await?;
    read(bao, token).await
}

async fn write_config(
    bao: &Bao,
    token: &SecretString,
    settings: &SsoSettings,
    secret: &str,
) -> Result<(), AppError> {
    let written = bao
        .write(
            &format!("auth/{MOUNT}/config"),
            token,
            &json!({
                "oidc_discovery_url": settings.discovery_url,
                "oidc_client_id": settings.client_id,
                "oidc_client_secret": secret,
                "default_role": LOGIN_ROLE,
            }),
        )
        .await;
    match written {
        Ok(_) => Ok(()),
        // OpenBao checks the discovery document as it takes the configuration.
        Err(BaoError::Rejected { status: 400, .. }) => Err(AppError::bad_request(
            ErrorCode::SsoProviderUnreachable,
            format!(
                "OpenBao could not read the provider's discovery document below {}; check \
                 the URL and that the provider answers",
                settings.discovery_url
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The `auth/oidc/` entry of `sys/auth`, if mounted.
async fn mount_of(bao: &Bao, token: &SecretString) -> Result<Option<Value>, AppError> {
    let auth = bao.read("sys/auth", token).await?.unwrap_or_default();
    let mounts = auth.get("data").filter(|d| d.is_object()).unwrap_or(&auth);
    Ok(mounts
        .get(format!("{MOUNT}/"))
        .filter(|m| m.get("type").and_then(Value::as_str) == Some("oidc"))
        .cloned())
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn validate(s: &SsoSettings) -> Result<(), AppError> {
    let label = s.label.trim();
    if label.is_empty() || label.chars().count() > 64 || label.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidSsoLabel,
            "give the provider a name of 1 to 64 characters, e.g. 'Example SSO'",
        ));
    }
    if !is_web_url(&s.discovery_url) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidDiscoveryUrl,
            "the discovery URL is the provider's issuer, an http(s) URL such as \
             https://login.example.com",
        ));
    }
    if s.client_id.trim().is_empty()
        || s.client_id.len() > 256
        || s.client_id.chars().any(char::is_whitespace)
    {
        return Err(AppError::bad_request(
            ErrorCode::InvalidClientId,
            "give the client id the provider registered for Crypter (no spaces)",
        ));
    }
    if s.client_secret
        .as_deref()
        .is_some_and(|c| c.trim().is_empty())
    {
        return Err(AppError::bad_request(
            ErrorCode::InvalidClientSecret,
            "the client secret is empty; leave it out to keep the one OpenBao holds",
        ));
    }
    if s.redirect_uris.is_empty()
        || s.redirect_uris.len() > 16
        || !s
            .redirect_uris
            .iter()
            .all(|u| is_web_url(u) && u.ends_with(CALLBACK_PATH))
    {
        return Err(AppError::bad_request(
            ErrorCode::InvalidRedirectUri,
            format!(
                "give 1 to 16 redirect URIs, each the console's address followed by \
                 {CALLBACK_PATH}"
            ),
        ));
    }
    Ok(())
}

fn is_web_url(s: &str) -> bool {
    reqwest::Url::parse(s)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> SsoSettings {
        SsoSettings {
            label: "Example SSO".into(),
            discovery_url: "https://login.example.com".into(),
            client_id: "crypter".into(),
            client_secret: Some("s3cret".into()),
            redirect_uris: vec![format!("https://crypter.example.com{CALLBACK_PATH}")],
        }
    }

    fn code_of(s: SsoSettings) -> ErrorCode {
        match validate(&s) {
            Err(AppError::BadRequest { code, .. }) => code,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn settings_are_checked_field_by_field() {
        assert!(validate(&good()).is_ok());
        assert_eq!(
            code_of(SsoSettings {
                label: " ".into(),
                ..good()
            }),
            ErrorCode::InvalidSsoLabel
        );
        let url = SsoSettings {
            discovery_url: "ftp://x".into(),
            ..good()
        };
        assert_eq!(code_of(url), ErrorCode::InvalidDiscoveryUrl);
        let id = SsoSettings {
            client_id: "a b".into(),
            ..good()
        };
        assert_eq!(code_of(id), ErrorCode::InvalidClientId);
        let secret = SsoSettings {
            client_secret: Some(String::new()),
            ..good()
        };
        assert_eq!(code_of(secret), ErrorCode::InvalidClientSecret);
        let elsewhere = SsoSettings {
            redirect_uris: vec!["https://evil.example.com/".into()],
            ..good()
        };
        assert_eq!(code_of(elsewhere), ErrorCode::InvalidRedirectUri);
        let none = SsoSettings {
            redirect_uris: vec![],
            ..good()
        };
        assert_eq!(code_of(none), ErrorCode::InvalidRedirectUri);
    }
}
