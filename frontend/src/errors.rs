//! The errors a call to `/api/v1` can end in without an answer of the API's own, in words
//! for people. Shared by `api` and the login page, which calls `fetch` itself.

use crypter_api::{ApiError, ErrorCode};

pub(crate) fn network_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::Network,
        format!("Crypter cannot be reached ({e}); check your connection and retry"),
    )
}

/// The error an answer outside 2xx carries: the API's own (`error`, read by `parse`), else
/// its status. `parse` is the caller's: the login page reads JSON without serde_json.
pub(crate) fn refusal(status: u16, status_text: &str, error: Option<ApiError>) -> ApiError {
    error.unwrap_or_else(|| {
        ApiError::new(
            ErrorCode::UnexpectedStatus,
            format!("Crypter answered {status} {status_text}"),
        )
    })
}
