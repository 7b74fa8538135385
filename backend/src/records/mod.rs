//! The backend's own records: sessions and jobs, written and read with the backend's own
//! identity (the AppRole `crypter-backend`), never with a user's token. This is the one
//! place that identity's token is used; its policy reaches these records and the transit
//! key that seals session tokens, nothing that holds secrets or grants rights.

mod credentials;
pub mod events;
mod identity;
mod transit;

pub use credentials::{AppRoleCredentials, BackendCredentials};
pub use events::ProductEvent;
pub use transit::{DIGEST_KEY, TRANSIT_KEY, TRANSIT_MOUNT};

use crate::bao::kv::{self, KvError, Mount};
use crate::bao::{Bao, BaoError};
use identity::Identity;
use secrecy::SecretString;
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

/// A handle on Crypter's own records in `crypter/`. Cheap to clone.
#[derive(Clone)]
pub struct Records {
    bao: Bao,
    identity: Arc<Identity>,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records").finish_non_exhaustive()
    }
}

fn crypter() -> Mount {
    Mount::v2("crypter")
}

/// A refusal that a fresh login may cure: the cached token expired or was revoked.
trait Refused {
    fn refused(&self) -> bool;
}

impl Refused for BaoError {
    fn refused(&self) -> bool {
        matches!(self, BaoError::Forbidden { .. })
    }
}

impl Refused for KvError {
    fn refused(&self) -> bool {
        matches!(self, KvError::Forbidden { .. })
    }
}

impl Records {
    pub fn new(bao: Bao, credentials: BackendCredentials) -> Self {
        Self {
            identity: Arc::new(Identity::new(bao.clone(), credentials)),
            bao,
        }
    }

    pub fn bao(&self) -> &Bao {
        &self.bao
    }

    /// Run `call` with the backend's token; once more with a fresh login if OpenBao
    /// refused the cached one (it expired, or an operator revoked it).
    async fn with_token<T, E, F, Fut>(&self, call: F) -> Result<T, E>
    where
        E: Refused + From<BaoError>,
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let token = self.identity.token().await?;
        match call(token.clone()).await {
            Err(e) if e.refused() => {
                self.identity.forget(&token).await;
                call(self.identity.token().await?).await
            }
            other => other,
        }
    }

    /// Run `call` with the backend's own token (once more with a fresh login when OpenBao
    /// refused the cached one). For the few jobs the backend does as itself beyond its
    /// records, each within its policy: scheduled restore points.
    pub async fn as_backend<T, F, Fut>(&self, call: F) -> Result<T, crate::error::AppError>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, crate::error::AppError>>,
    {
        let token = self.identity.token().await?;
        match call(token.clone()).await {
            Err(crate::error::AppError::Forbidden(_)) => {
                self.identity.forget(&token).await;
                call(self.identity.token().await?).await
            }
            other => other,
        }
    }

    /// `crypter/data/<key>`: its data and version, `None` when there is none.
    pub async fn read(&self, key: &str) -> Result<Option<(Value, u64)>, KvError> {
        let (bao, mount) = (&self.bao, &crypter());
        self.with_token(|t| async move { kv::read_json(bao, &t, mount, key).await })
            .await
    }

    /// Write `crypter/data/<key>`; `cas` as in KV v2 (0: must not exist). The new version.
    pub async fn write(&self, key: &str, data: &Value, cas: Option<u64>) -> Result<u64, KvError> {
        let (bao, mount) = (&self.bao, &crypter());
        self.with_token(|t| async move { kv::write_json(bao, &t, mount, key, data, cas).await })
            .await
    }

    /// Remove `crypter/data/<key>` with every version (gone already is fine).
    pub async fn remove(&self, key: &str) -> Result<(), KvError> {
        let (bao, mount) = (&self.bao, &crypter());
        let result = self
            .with_token(|t| async move { kv::remove(bao, &t, mount, key).await })
            .await;
        match result {
            Err(KvError::NotFound { .. }) => Ok(()),
            other => other,
        }
    }

    /// The keys directly under `crypter/metadata/<prefix>/`.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, BaoError> {
        let (bao, path) = (&self.bao, &format!("crypter/metadata/{prefix}/"));
        self.with_token(|t| async move { bao.list(path, &t).await })
            .await
    }

    /// Seal `plaintext` with the backend's transit key, bound to `context` (the record it
    /// belongs to: a ciphertext moved to another record does not open).
    pub async fn seal(&self, context: &str, plaintext: &[u8]) -> Result<String, BaoError> {
        let bao = &self.bao;
        self.with_token(|t| async move { transit::encrypt(bao, &t, context, plaintext).await })
            .await
    }

    pub async fn open(&self, context: &str, ciphertext: &str) -> Result<Vec<u8>, BaoError> {
        let bao = &self.bao;
        self.with_token(|t| async move { transit::decrypt(bao, &t, context, ciphertext).await })
            .await
    }

    /// Keyed digests (HMAC with the backend's digest key) of `inputs`, in order.
    pub async fn digests(&self, inputs: &[Vec<u8>]) -> Result<Vec<String>, BaoError> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let bao = &self.bao;
        self.with_token(|t| async move { transit::hmac_batch(bao, &t, inputs).await })
            .await
    }
}
