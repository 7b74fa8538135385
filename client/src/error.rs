use std::time::{Duration, SystemTime};

/// Everything `crypter-client` can fail with. Messages never hold a token, a secret-id or a
/// credential's value.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration cannot work (bad address, bad environment name or path).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The store refused the AppRole credentials: the secret-id was revoked, expired or used
    /// up, or the role-id is wrong. Retrying will not help; issue a new secret-id.
    #[error("AppRole login refused ({status}): {message}. Issue a new secret-id for this service")]
    LoginRefused { status: u16, message: String },
    /// The store could not be reached, or answered that it cannot serve (sealed, no leader).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The service's policy does not allow reading this credential.
    #[error("the store denied reading {env}/{path}: the service's role has no read grant there")]
    Forbidden { env: String, path: String },
    /// The credential does not exist (or its latest version is deleted).
    #[error("no credential at {env}/{path}")]
    NotFound { env: String, path: String },
    /// The service's policy does not grant this operation on the key.
    #[error(
        "the store denied {op} with key {env}/{key}: the service's role has no {op} grant on it"
    )]
    KeyForbidden {
        env: String,
        key: String,
        op: crate::KeyOp,
    },
    /// No such key in the environment.
    #[error("no key {env}/{key}: create it in Crypter first")]
    KeyNotFound { env: String, key: String },
    /// The store refused the input: a malformed ciphertext or signature, a ciphertext older
    /// than the key's minimum decryption version, or an operation the key's type lacks.
    #[error("{op} with key {env}/{key} was refused: {message}")]
    KeyRejected {
        env: String,
        key: String,
        op: crate::KeyOp,
        message: String,
    },
    /// The store answered something the client does not understand.
    #[error("unexpected answer from the store: {0}")]
    Protocol(String),
    /// The last good value is older than the configured maximum staleness, and the store
    /// still cannot be read.
    #[error("the cached value of {env}/{path} is too stale to serve (last confirmed {age:?} ago, max {max:?}); {cause}")]
    TooStale {
        env: String,
        path: String,
        since: SystemTime,
        age: Duration,
        max: Duration,
        cause: Box<Error>,
    },
}

impl Error {
    /// Whether a stale value may stand in for a fresh one after this error: the store or
    /// the login failed, as opposed to the store giving a definite answer.
    pub(crate) fn allows_stale(&self) -> bool {
        matches!(
            self,
            Self::LoginRefused { .. } | Self::Unavailable(_) | Self::Protocol(_)
        )
    }
}
