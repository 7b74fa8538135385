//! OpenBao's typed refusals ([`KvError`], [`TransitError`]) as [`AppError`]s: converted
//! here, the one layer that knows both, so the OpenBao client never builds an `AppError`.

use super::{missing, AppError};
use crate::bao::kv::KvError;
use crate::bao::transit::TransitError;
use crate::bao::{concept, BaoError};
use crypter_api::ErrorCode;

impl From<KvError> for AppError {
    fn from(e: KvError) -> Self {
        match e {
            KvError::CasFailed { .. } => AppError::Conflict(
                ErrorCode::StaleVersion,
                format!("{e}; reload it and try again"),
            ),
            // Named as Crypter names it ("credential db/password in environment qa").
            KvError::NotFound { ref path } => AppError::NotFound(
                missing::code(path),
                format!("{} does not exist", concept::describe(path)),
            ),
            // Named as Crypter names the mount ("environment qa does not exist").
            KvError::NoMount { mount } => AppError::NotFound(
                missing::code(&mount),
                format!("{} does not exist", concept::describe(&mount)),
            ),
            KvError::Forbidden { path, message } => {
                AppError::Store(BaoError::Forbidden { path, message })
            }
            KvError::Upgrading { ref mount } => AppError::Store(BaoError::Rejected {
                path: mount.clone(),
                status: 503,
                message: e.to_string(),
            }),
            KvError::Store(e) => AppError::Store(e),
        }
    }
}

impl From<TransitError> for AppError {
    fn from(e: TransitError) -> Self {
        match e {
            TransitError::NotFound { .. } => {
                AppError::NotFound(ErrorCode::KeyNotFound, e.to_string())
            }
            TransitError::NoMount { .. } => {
                AppError::NotFound(ErrorCode::EnvironmentNotFound, e.to_string())
            }
            TransitError::Forbidden { path, message } => {
                AppError::Store(BaoError::Forbidden { path, message })
            }
            TransitError::Refused { message } => AppError::bad_request(
                ErrorCode::KeyRefused,
                format!("OpenBao refused this key operation: {message}"),
            ),
            TransitError::Store(e) => AppError::Store(e),
        }
    }
}
