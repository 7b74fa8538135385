//! `crypter dev --sso`: the local identity provider configured as the store's SSO, and
//! its group `payments-admins` mapped to a role, as an admin would do it in the console.

use super::{groups, settings, CALLBACK_PATH};
use crate::bao::Bao;
use crate::embedded::idp::LocalIdp;
use crypter_api::{Role, RoleName, SsoSettings};
use secrecy::SecretString;
use serde_json::json;

/// The provider group mapped at start, and the role it gives.
pub const DEMO_GROUP: &str = "payments-admins";
pub const DEMO_ROLE: &str = "payments-admin";

/// The console's callback on each of these origins (`http://127.0.0.1:8080` …).
pub fn callbacks(origins: &[String]) -> Vec<String> {
    origins
        .iter()
        .map(|o| format!("{}{CALLBACK_PATH}", o.trim_end_matches('/')))
        .collect()
}

/// Start the provider, configure `auth/oidc` with it, and map `payments-admins` to the
/// role `payments-admin` (made if missing: read and write on `payments/*` everywhere).
pub async fn start(bao: &Bao, root: &SecretString, origins: &[String]) -> anyhow::Result<LocalIdp> {
    let redirect_uris = callbacks(origins);
    let idp = LocalIdp::start(&redirect_uris).await?;
    settings::write(
        bao,
        root,
        &SsoSettings {
            label: "Local SSO".into(),
            discovery_url: idp.issuer.clone(),
            client_id: idp.client_id.clone(),
            client_secret: Some(idp.client_secret.clone()),
            redirect_uris,
        },
    )
    .await?;
    let role = RoleName::parse(DEMO_ROLE)?;
    if crate::roles::get(bao, root, &role).await.is_err() {
        let demo: Role = serde_json::from_value(json!({
            "name": DEMO_ROLE, "class": "human",
            "description": "People in the identity provider's payments-admins group",
            "grants": [{"environment": "*", "scope": "payments/*",
                "capabilities": ["read", "list", "create", "update", "delete"], "effect": "allow"}],
        }))?;
        crate::roles::save(bao, root, &demo, true).await?;
    }
    groups::put(bao, root, DEMO_GROUP, &[role]).await?;
    Ok(idp)
}
