//! Apply one item, under the precondition it was planned with, and nothing else: a write
//! carries `cas` / `metadata_cas`, a version is checked before it is deleted. When the
//! precondition no longer holds the item stops the apply as a conflict; it never turns
//! into another action. An item marked `resumed` (an interrupted apply was running it) is
//! accepted as done when the store shows exactly its effect.

mod credentials;
mod keys;
mod provision;

use super::format::Operation;
use crate::bao::kv::{KvError, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use credentials::{delete, delete_source, metadata, restore, undelete, write};
use crypter_api::{EnvName, ItemAction, ItemTarget, PlanItem};
use provision::{create_role, delete_role, environment, update_role};
use secrecy::SecretString;
use std::collections::BTreeMap;

pub(super) type Data = BTreeMap<String, String>;

/// Why an item stopped the apply.
#[derive(Debug)]
pub enum Stop {
    /// Its precondition no longer holds: the store changed since the plan.
    Conflict(String),
    Error(AppError),
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        Self::Error(e)
    }
}

impl From<KvError> for Stop {
    fn from(e: KvError) -> Self {
        Self::Error(e.into())
    }
}

impl From<crypter_api::NameError> for Stop {
    fn from(e: crypter_api::NameError) -> Self {
        Self::Error(e.into())
    }
}

pub(super) fn conflict(why: impl Into<String>) -> Stop {
    Stop::Conflict(why.into())
}

/// What a copy leaves for the `delete_source` after it in the same unit: the source's
/// value as read, and the target's version and value as read back.
#[derive(Default)]
pub struct Carry {
    pub(super) source: Option<(String, String, Data)>,
    pub(super) target: Option<(String, u64, Data)>,
}

pub struct Exec<'a> {
    pub bao: &'a Bao,
    pub token: &'a SecretString,
    /// Values written and read back, by environment, for their digests (kept between
    /// batches); `None` when this process has no backend identity (the CLI).
    pub digests: Option<&'a DigestSink>,
}

/// See [`Exec::digests`].
pub type DigestSink = std::sync::Mutex<Vec<(String, crate::credentials::digests::Written)>>;

impl Exec<'_> {
    /// Note a value the apply wrote and read back, for its digest.
    pub(super) fn wrote(&self, environment: &str, path: &str, version: u64, value: &Data) {
        let Some(sink) = self.digests else {
            return;
        };
        let written = crate::credentials::digests::Written {
            path: path.to_owned(),
            version,
            value: crate::credentials::digests::canonical(value),
        };
        // A poisoned sink (a panic elsewhere) only costs digests: they become unknown.
        if let Ok(mut sink) = sink.lock() {
            sink.push((environment.to_owned(), written));
        }
    }
}

pub async fn item(
    x: &Exec<'_>,
    it: &PlanItem,
    op: &Operation,
    carry: &mut Carry,
) -> Result<(), Stop> {
    match (it.action, &it.target) {
        (ItemAction::Skip | ItemAction::Conflict, _) => Ok(()),
        (ItemAction::CreateEnvironment, ItemTarget::Environment { name }) => {
            environment(x, it, op, name).await
        }
        (ItemAction::CreateRole, ItemTarget::Role { name, .. }) => {
            create_role(x, it, op, name).await
        }
        (ItemAction::UpdateRole, ItemTarget::Role { name, .. }) => {
            update_role(x, it, op, name).await
        }
        (ItemAction::DeleteRole, ItemTarget::Role { name, .. }) => delete_role(x, it, name).await,
        (
            ItemAction::Create | ItemAction::Update,
            ItemTarget::Credential {
                environment, path, ..
            },
        ) => write(x, it, op, environment, path, carry).await,
        (
            ItemAction::Restore,
            ItemTarget::Credential {
                environment, path, ..
            },
        ) => restore(x, it, environment, path).await,
        (
            ItemAction::Undelete,
            ItemTarget::Credential {
                environment, path, ..
            },
        ) => undelete(x, it, environment, path).await,
        (
            ItemAction::Retag,
            ItemTarget::Credential {
                environment, path, ..
            },
        ) => {
            let mount = Mount::env(&EnvName::parse(environment)?);
            metadata(x, it, &mount, path).await
        }
        (
            ItemAction::Delete,
            ItemTarget::Credential {
                environment, path, ..
            },
        ) => delete(x, it, environment, path).await,
        (
            ItemAction::DeleteSource,
            ItemTarget::Credential {
                environment,
                path,
                version,
            },
        ) => delete_source(x, it, environment, path, version.unwrap_or(0), carry).await,
        (
            ItemAction::CreateKey,
            ItemTarget::Key {
                environment, name, ..
            },
        ) => keys::create_key(x, it, op, environment, name).await,
        (
            ItemAction::RotateKey,
            ItemTarget::Key {
                environment, name, ..
            },
        ) => keys::rotate_key(x, it, environment, name).await,
        (
            ItemAction::Rewrap,
            ItemTarget::Credential {
                environment, path, ..
            },
        ) => keys::rewrap(x, it, environment, path).await,
        _ => Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "item {} {} does not fit its action",
            it.action,
            it.target.label()
        )))),
    }
}
