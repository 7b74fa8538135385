//! The backend's AppRole login, kept and renewed: one login in flight at a time, a new one
//! at two-thirds of the token's TTL, or at once when OpenBao refuses the token.

use super::BackendCredentials;
use crate::bao::{Bao, BaoError};
use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub(super) struct Identity {
    bao: Bao,
    credentials: BackendCredentials,
    token: Mutex<Option<(SecretString, Instant)>>,
}

impl Identity {
    pub fn new(bao: Bao, credentials: BackendCredentials) -> Self {
        Self {
            bao,
            credentials,
            token: Mutex::new(None),
        }
    }

    /// A live token: the kept one, or a new login when it is due for renewal.
    pub async fn token(&self) -> Result<SecretString, BaoError> {
        let mut kept = self.token.lock().await;
        if let Some((token, renew_at)) = kept.as_ref() {
            if Instant::now() < *renew_at {
                return Ok(token.clone());
            }
        }
        let (token, ttl) = self.credentials.login_with_ttl(&self.bao).await?;
        let renew_in = Duration::from_secs(ttl.max(3) * 2 / 3);
        *kept = Some((token.clone(), Instant::now() + renew_in));
        Ok(token)
    }

    /// OpenBao refused `token`: log in again next time (unless another call already did).
    pub async fn forget(&self, token: &SecretString) {
        let mut kept = self.token.lock().await;
        if kept
            .as_ref()
            .is_some_and(|(t, _)| t.expose_secret() == token.expose_secret())
        {
            *kept = None;
        }
    }
}
