//! Subscriptions are records at `crypter/data/notifications/subscriptions/<id>`, written,
//! read and removed with the caller's own token: OpenBao decides who manages them (admins
//! and operators, see `bootstrap/policies.rs`), as it does for every record Crypter keeps.
//! Each holds its signing secret sealed with the backend's transit key, bound to the
//! record: an admin can read the ciphertext, only the backend can open it.

use super::{validate, SUBSCRIPTIONS};
use crate::bao::kv::{self, KvError, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use crate::records::Records;
use crate::session::random_token;
use crypter_api::ErrorCode;
use crypter_api::{Subscription, SubscriptionCreate, SubscriptionCreated};
use rand::RngCore;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The record as kept: the subscription, and its secret sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    #[serde(flatten)]
    pub subscription: Subscription,
    pub secret_sealed: String,
}

fn crypter() -> Mount {
    Mount::v2("crypter")
}

pub fn key(id: &str) -> String {
    format!("{SUBSCRIPTIONS}/{id}")
}

/// The OpenBao path of a subscription's record, for capability checks.
pub fn data_path(id: &str) -> String {
    format!("crypter/data/{}", key(id))
}

/// Ids are ours: 16 hex digits.
pub fn check_id(id: &str) -> Result<(), AppError> {
    if id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(AppError::NotFound(
            ErrorCode::SubscriptionNotFound,
            format!("no subscription {id:?}"),
        ))
    }
}

fn new_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Make a subscription as `token`'s holder. The secret is returned here only.
pub async fn create(
    bao: &Bao,
    records: &Records,
    token: &SecretString,
    username: &str,
    req: &SubscriptionCreate,
) -> Result<SubscriptionCreated, AppError> {
    let store: Vec<String> = bao
        .node_statuses()
        .into_iter()
        .map(|(spec, _)| spec.url)
        .collect();
    let valid = validate::check(req, &store)?;
    let id = new_id();
    let secret = format!("whsec_{}", random_token());
    let secret_sealed = records.seal(&key(&id), secret.as_bytes()).await?;
    let subscription = Subscription {
        id: id.clone(),
        name: req.name.trim().to_owned(),
        target: req.target.clone(),
        environments: valid.environments,
        path_prefix: req.path_prefix.clone(),
        actions: valid.actions,
        created_at: OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default(),
        created_by: username.to_owned(),
    };
    let stored = Stored {
        subscription: subscription.clone(),
        secret_sealed,
    };
    let data = serde_json::to_value(&stored).map_err(anyhow::Error::from)?;
    kv::write_json(bao, token, &crypter(), &key(&id), &data, Some(0)).await?;
    Ok(SubscriptionCreated {
        subscription,
        secret,
    })
}

fn decode(data: serde_json::Value) -> Option<Stored> {
    serde_json::from_value(data).ok()
}

/// One subscription as `token`'s holder may read it.
pub async fn get(bao: &Bao, token: &SecretString, id: &str) -> Result<Subscription, AppError> {
    check_id(id)?;
    kv::read_json(bao, token, &crypter(), &key(id))
        .await?
        .and_then(|(data, _)| decode(data))
        .map(|s| s.subscription)
        .ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::SubscriptionNotFound,
                format!("no subscription {id:?}"),
            )
        })
}

/// Every subscription `token`'s holder may list, oldest first.
pub async fn list(bao: &Bao, token: &SecretString) -> Result<Vec<Subscription>, AppError> {
    let ids = bao
        .list(&format!("crypter/metadata/{SUBSCRIPTIONS}/"), token)
        .await?;
    let mut out = Vec::new();
    for id in ids.iter().filter(|id| check_id(id).is_ok()) {
        match get(bao, token, id).await {
            Ok(s) => out.push(s),
            Err(AppError::NotFound(..)) => {}
            Err(e) => return Err(e),
        }
    }
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Remove a subscription as `token`'s holder; its delivery state goes with it.
pub async fn delete(
    bao: &Bao,
    records: &Records,
    token: &SecretString,
    id: &str,
) -> Result<(), AppError> {
    get(bao, token, id).await?;
    match kv::remove(bao, token, &crypter(), &key(id)).await {
        Ok(()) | Err(KvError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    super::state::forget(records, id).await;
    Ok(())
}

/// Every subscription with its secret, as the backend reads them to deliver.
pub async fn all_as_backend(records: &Records) -> Result<Vec<Stored>, AppError> {
    let ids = records.list(SUBSCRIPTIONS).await?;
    let mut out = Vec::new();
    for id in ids.iter().filter(|id| check_id(id).is_ok()) {
        if let Some(stored) = records.read(&key(id)).await?.and_then(|(d, _)| decode(d)) {
            out.push(stored);
        }
    }
    Ok(out)
}

/// The secret of `stored`, opened by the backend.
pub async fn open_secret(records: &Records, stored: &Stored) -> Result<String, AppError> {
    let bytes = records
        .open(&key(&stored.subscription.id), &stored.secret_sealed)
        .await?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(anyhow::anyhow!("sealed secret: {e}")))
}
