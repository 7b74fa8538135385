use crate::ErrorCode;
use serde::{Deserialize, Serialize};

/// The body of every error response: `{"error": {"code": "…", "message": "…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ApiError,
}

/// A machine-readable `code` (snake_case, stable) and a `message` for people that says
/// what went wrong and what to do next. Never holds a secret value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Structured detail for some errors (e.g. the diffs of a refused thaw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub details: Option<serde_json::Value>,
    /// The id of the request that failed (also its `X-Request-Id`): Crypter's log has the
    /// whole cause under it. Absent from errors made outside the backend (network, decode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
            request_id: None,
        }
    }
}

/// Code and message (`details` left out: formatting arbitrary JSON would weigh on every
/// console bundle, which needs `Debug` for `std::error::Error`).
impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiError")
            .field("code", &self.code)
            .field("message", &self.message)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// So the console can raise it into an `ErrorBoundary`.
impl std::error::Error for ApiError {}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_read_as_an_error_code() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"error":{"code":"stale_version","message":"reload","request_id":"r1"}}"#,
        )
        .unwrap();
        assert_eq!(body.error.code, ErrorCode::StaleVersion);
        let again = serde_json::to_value(&body).unwrap();
        assert_eq!(again["error"]["code"], "stale_version");
        let newer: ErrorBody =
            serde_json::from_str(r#"{"error":{"code":"made_up_later","message":"m"}}"#).unwrap();
        assert_eq!(newer.error.code, ErrorCode::Unknown);
    }
}
