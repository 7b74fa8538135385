//! Demo data for `crypter dev`: a handful of credentials so the console has something to
//! show. Values are generated at random on each start; nothing secret is in this file.

use crate::bao::Bao;
use crate::bootstrap::retry_upgrading;
use crate::session::random_token;
use anyhow::Context;
use secrecy::SecretString;
use serde_json::json;

/// (environment, path, class, owner, description)
const DEMO_CREDENTIALS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "staging",
        "payments/db",
        "service",
        "payments",
        "Payments database login",
    ),
    (
        "staging",
        "payments/stripe-key",
        "integration",
        "payments",
        "Card processor test key",
    ),
    (
        "staging",
        "e2e/checkout-bot",
        "e2e",
        "qa",
        "End-to-end test identity",
    ),
    (
        "staging",
        "users/alice",
        "user",
        "alice",
        "Alice's personal token",
    ),
    (
        "staging",
        "signing/jwt",
        "key",
        "platform",
        "JWT signing key",
    ),
    (
        "production",
        "payments/db",
        "service",
        "payments",
        "Payments database login",
    ),
    (
        "production",
        "payments/stripe-key",
        "integration",
        "payments",
        "Card processor live key",
    ),
    (
        "production",
        "signing/jwt",
        "key",
        "platform",
        "JWT signing key",
    ),
];

pub async fn load(bao: &Bao, root: &SecretString) -> anyhow::Result<usize> {
    let mut written = 0;
    for (env, path, class, owner, description) in DEMO_CREDENTIALS {
        let data_path = format!("env/{env}/data/{path}");
        if bao.read(&data_path, root).await?.is_some() {
            continue;
        }
        let body = json!({ "options": { "cas": 0 }, "data": { "value": random_token() } });
        retry_upgrading(|| bao.write(&data_path, root, &body))
            .await
            .with_context(|| format!("writing demo credential {env}/{path}"))?;
        let meta = json!({ "custom_metadata": {
            "class": class, "owner": owner, "description": description,
            "environment": env, "rotate_after_days": "90", "created_by": "crypter-dev",
            "labels": "demo",
        }});
        bao.write(&format!("env/{env}/metadata/{path}"), root, &meta)
            .await
            .with_context(|| format!("writing demo metadata {env}/{path}"))?;
        written += 1;
    }
    Ok(written)
}

/// Demo roles: a service role, and an e2e identity whose checks pass (its canary is the
/// demo credential `staging/e2e/checkout-bot`; its forbidden paths are the payments
/// database logins). Idempotent: a role that already exists is left alone. Call after
/// [`load`], which writes the credentials the identity reads.
pub async fn load_roles(bao: &Bao, root: &SecretString) -> anyhow::Result<usize> {
    use crate::roles;
    use crypter_api::Role;
    let demo: Vec<Role> = serde_json::from_value(json!([
        {
            "name": "payments-api", "class": "service",
            "description": "The payments service reads its own credentials",
            "grants": [
                {"environment": "*", "scope": "payments/*", "capabilities": ["read", "list"], "effect": "allow"},
                {"environment": "production", "scope": "payments/stripe-key", "capabilities": ["read"], "effect": "deny"},
            ],
        },
        {
            "name": "checkout-bot", "class": "e2e",
            "description": "Checkout end-to-end suite",
            "grants": [
                {"environment": "staging", "scope": "e2e/*", "capabilities": ["read"], "effect": "allow"},
            ],
            "canaries": [{"environment": "staging", "path": "e2e/checkout-bot"}],
            "forbidden": [
                {"environment": "staging", "path": "payments/db"},
                {"environment": "production", "path": "payments/db"},
            ],
        },
    ]))?;
    let mut written = 0;
    for role in demo {
        match roles::get(bao, root, &role.name).await {
            Ok(_) => continue,
            Err(crate::error::AppError::NotFound(_)) => {}
            Err(e) => return Err(e).with_context(|| format!("reading demo role {}", role.name)),
        }
        roles::save(bao, root, &role, true)
            .await
            .with_context(|| format!("writing demo role {}", role.name))?;
        if role.class == crypter_api::RoleClass::E2e {
            let ttl = 30 * 24 * 3600;
            roles::machine::issue(bao, root, &role.name, ttl, time::OffsetDateTime::now_utc())
                .await
                .with_context(|| format!("issuing the demo secret-id of {}", role.name))?;
        }
        written += 1;
    }
    Ok(written)
}
