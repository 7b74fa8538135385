//! Demo data for `crypter dev`: a few dozen credentials of every class in staging and
//! production, so the console has something to show, and three deliberate problems so the
//! lint has something to find:
//! - `staging/payments/copied-from-prod` says its environment is `production`;
//! - `legacy/smtp-password` holds the same value in staging and production;
//! - `signing/legacy-hmac` has `rotate_after_days = 0`, so its rotation is overdue.
//!
//! Values are generated at random on each start; nothing secret is in this file.

use crate::bao::Bao;
use crate::session::random_token;
use anyhow::Context;
use secrecy::SecretString;
use serde_json::json;

/// (path, class, owner, description); each is written to both environments.
const DEMO_CREDENTIALS: &[(&str, &str, &str, &str)] = &[
    (
        "payments/db",
        "service",
        "payments",
        "Payments database login",
    ),
    (
        "payments/ledger-db",
        "service",
        "payments",
        "Ledger database login",
    ),
    (
        "payments/stripe-key",
        "integration",
        "payments",
        "Card processor key",
    ),
    (
        "payments/webhook-secret",
        "integration",
        "payments",
        "Card processor webhook secret",
    ),
    (
        "search/elastic",
        "service",
        "search",
        "Search cluster login",
    ),
    (
        "search/indexer",
        "service",
        "search",
        "Indexer service account",
    ),
    (
        "mail/sendgrid",
        "integration",
        "platform",
        "Mail provider API key",
    ),
    (
        "mail/imap-bounce",
        "service",
        "platform",
        "Bounce mailbox login",
    ),
    ("signing/jwt", "key", "platform", "JWT signing key"),
    ("signing/cookie", "key", "platform", "Cookie encryption key"),
    (
        "signing/webhooks",
        "key",
        "platform",
        "Outgoing webhook signing key",
    ),
    ("users/alice", "user", "alice", "Alice's personal token"),
    ("users/bob", "user", "bob", "Bob's personal token"),
    (
        "ci/deployer",
        "service",
        "platform",
        "Deployment pipeline identity",
    ),
    (
        "ci/registry",
        "integration",
        "platform",
        "Container registry token",
    ),
    (
        "analytics/warehouse",
        "service",
        "data",
        "Warehouse loader login",
    ),
    (
        "analytics/segment",
        "integration",
        "data",
        "Event tracking write key",
    ),
];

/// (path, class, owner, description), staging only: test identities.
const STAGING_ONLY: &[(&str, &str, &str, &str)] = &[
    (
        "e2e/checkout-bot",
        "e2e",
        "qa",
        "End-to-end checkout identity",
    ),
    ("e2e/signup-bot", "e2e", "qa", "End-to-end signup identity"),
    ("e2e/admin-bot", "e2e", "qa", "End-to-end admin identity"),
    ("users/carol", "user", "carol", "Carol's personal token"),
];

const ENVIRONMENTS: &[&str] = &["staging", "production"];

struct Demo<'a> {
    env: &'a str,
    path: &'a str,
    class: &'a str,
    owner: &'a str,
    description: &'a str,
    rotate_after_days: &'a str,
    metadata_env: &'a str,
}

async fn write(bao: &Bao, root: &SecretString, d: &Demo<'_>, value: &str) -> anyhow::Result<bool> {
    let data_path = format!("env/{}/data/{}", d.env, d.path);
    if bao.read(&data_path, root).await?.is_some() {
        return Ok(false);
    }
    let body = json!({ "options": { "cas": 0 }, "data": { "value": value } });
    bao.write(&data_path, root, &body)
        .await
        .with_context(|| format!("writing demo credential {}/{}", d.env, d.path))?;
    let meta = json!({ "custom_metadata": {
        "class": d.class, "owner": d.owner, "description": d.description,
        "environment": d.metadata_env, "rotate_after_days": d.rotate_after_days,
        "created_by": "crypter-dev", "labels": "demo",
    }});
    bao.write(&format!("env/{}/metadata/{}", d.env, d.path), root, &meta)
        .await
        .with_context(|| format!("writing demo metadata {}/{}", d.env, d.path))?;
    Ok(true)
}

pub async fn load(bao: &Bao, root: &SecretString) -> anyhow::Result<usize> {
    let mut written = 0;
    let plain = |env,
                 &(path, class, owner, description): &(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    )| Demo {
        env,
        path,
        class,
        owner,
        description,
        rotate_after_days: "90",
        metadata_env: env,
    };
    for env in ENVIRONMENTS {
        for c in DEMO_CREDENTIALS {
            written += usize::from(write(bao, root, &plain(env, c), &random_token()).await?);
        }
    }
    for c in STAGING_ONLY {
        written += usize::from(write(bao, root, &plain("staging", c), &random_token()).await?);
    }
    let mismatch = Demo {
        metadata_env: "production",
        ..plain(
            "staging",
            &(
                "payments/copied-from-prod",
                "service",
                "payments",
                "Copied by hand from production",
            ),
        )
    };
    written += usize::from(write(bao, root, &mismatch, &random_token()).await?);
    let shared = random_token();
    for env in ENVIRONMENTS {
        let d = plain(
            env,
            &(
                "legacy/smtp-password",
                "service",
                "platform",
                "Old SMTP relay login",
            ),
        );
        written += usize::from(write(bao, root, &d, &shared).await?);
        let overdue = Demo {
            rotate_after_days: "0",
            ..plain(
                env,
                &(
                    "signing/legacy-hmac",
                    "key",
                    "platform",
                    "Legacy HMAC key, overdue for rotation",
                ),
            )
        };
        written += usize::from(write(bao, root, &overdue, &random_token()).await?);
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
            Err(crate::error::AppError::NotFound(..)) => {}
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
