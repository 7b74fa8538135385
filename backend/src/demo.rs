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
