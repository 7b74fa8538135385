//! `AppError`: every failure a handler can return, each mapped to one status and a JSON
//! body `{"error":{"code","message","request_id"}}` (see `response.rs`). Internals are
//! logged, never sent.

mod missing;
mod response;
mod store;

pub use response::StoreRefused;

use crate::bao::BaoError;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use crypter_api::{ErrorCode, NameError};

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("the username, password or token is not valid")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{1}")]
    NotFound(ErrorCode, String),
    #[error("{1}")]
    Conflict(ErrorCode, String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The store is frozen and this action is frozen at its level.
    #[error("{0}")]
    Frozen(String),
    /// A conflict that carries structured details (e.g. the diffs of changed policies),
    /// sent as `error.details`.
    #[error("{message}")]
    ConflictDetails {
        code: ErrorCode,
        message: String,
        details: serde_json::Value,
    },
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error(transparent)]
    Store(#[from] BaoError),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The whole cause, for a job's record, a runbook step's evidence and the log: where
    /// the response shows "something went wrong", this names what (an `anyhow` chain in
    /// full, OpenBao's own reason with its path). Values quoted by serde are dropped, so
    /// a secret value that failed to parse never lands in a record.
    pub fn cause_chain(&self) -> String {
        match self {
            Self::Internal(e) => redact_values(&format!("{e:#}")),
            Self::Store(e) => redact_values(&e.to_string()),
            other => other.to_string(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, *code),
            Self::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated),
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            Self::NotFound(code, _) => (StatusCode::NOT_FOUND, *code),
            Self::Conflict(code, _) => (StatusCode::CONFLICT, *code),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            Self::Frozen(_) => (StatusCode::LOCKED, ErrorCode::Frozen),
            Self::ConflictDetails { code, .. } => (StatusCode::CONFLICT, *code),
            Self::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            Self::Store(e) => match e {
                BaoError::Forbidden { .. } => (StatusCode::FORBIDDEN, ErrorCode::StoreForbidden),
                BaoError::NotFound { path, .. } => (StatusCode::NOT_FOUND, missing::code(path)),
                BaoError::Sealed => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::StoreSealed),
                BaoError::Unreachable { .. } => {
                    (StatusCode::BAD_GATEWAY, ErrorCode::StoreUnreachable)
                }
                BaoError::Electing | BaoError::Redirected { .. } => {
                    (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::StoreElecting)
                }
                BaoError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::StoreBusy),
                // Sent before the cut was seen: it may or may not have been applied.
                BaoError::LeaderUnreachable { sent: true, .. } => {
                    (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::LeaderLost)
                }
                BaoError::LeaderUnreachable { .. } => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::LeaderUnreachable,
                ),
                BaoError::Rejected { status, .. } if *status == 400 => {
                    (StatusCode::BAD_REQUEST, ErrorCode::StoreRejected)
                }
                BaoError::Rejected { .. } | BaoError::Decode(_) | BaoError::Config(_) => {
                    (StatusCode::BAD_GATEWAY, ErrorCode::StoreError)
                }
            },
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        }
    }
}

impl From<NameError> for AppError {
    fn from(e: NameError) -> Self {
        let code = match e.kind {
            "environment" => ErrorCode::InvalidEnvironment,
            "role" => ErrorCode::InvalidRole,
            "path" => ErrorCode::InvalidPath,
            "key" => ErrorCode::InvalidKey,
            "username" => ErrorCode::InvalidUsername,
            _ => ErrorCode::InvalidName,
        };
        Self::bad_request(code, e.message)
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::PayloadTooLarge(format!(
                "the request body is larger than {} bytes",
                BODY_LIMIT
            ));
        }
        let message = match &rejection {
            JsonRejection::MissingJsonContentType(_) => {
                "send the body as JSON with `Content-Type: application/json`".to_owned()
            }
            JsonRejection::JsonSyntaxError(_) => {
                format!(
                    "the body is not valid JSON: {}",
                    scrub(&rejection.body_text())
                )
            }
            _ => format!(
                "the body does not match what this endpoint takes: {}",
                scrub(&rejection.body_text())
            ),
        };
        Self::bad_request(ErrorCode::InvalidJson, message)
    }
}

/// serde quotes the offending value in type errors ("invalid type: string \"…\""). That
/// value may be a password, so keep only what was expected and where.
fn scrub(text: &str) -> String {
    let text = text.split_once(": ").map(|(_, rest)| rest).unwrap_or(text);
    if text.contains("invalid type")
        || text.contains("invalid value")
        || text.contains("invalid length")
    {
        let expected = text
            .split_once(", expected ")
            .map(|(_, e)| e)
            .unwrap_or("another type");
        return format!("a field has the wrong type; expected {expected}");
    }
    text.to_owned()
}

/// serde's "invalid type: string \"…\", expected …" with the quoted value left out (it
/// may be a secret), in every place it occurs; the rest of the text is kept.
fn redact_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = ["invalid type: ", "invalid value: "]
        .iter()
        .filter_map(|m| rest.find(m).map(|i| i + m.len()))
        .min()
    {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // Keep the kind ("string", "integer"), drop what follows up to ", expected".
        let kind_end = rest.find([' ', ',']).unwrap_or(rest.len());
        out.push_str(&rest[..kind_end]);
        rest = &rest[kind_end..];
        let value_end = rest.find(", expected").unwrap_or(rest.len());
        rest = &rest[value_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{redact_values, scrub, AppError};

    #[test]
    fn scrub_drops_offending_values() {
        let msg = "Failed to deserialize the JSON body into the target type: password: invalid type: integer `12345`, expected a string at line 1 column 20";
        let out = scrub(msg);
        assert!(!out.contains("12345"), "{out}");
        assert!(out.contains("expected a string"), "{out}");
    }

    #[test]
    fn scrub_keeps_plain_messages() {
        let out = scrub("Failed to parse: missing field `username` at line 1 column 30");
        assert!(out.contains("missing field `username`"), "{out}");
    }

    #[test]
    fn the_cause_chain_names_every_cause_and_no_value() {
        let parse = serde_json::from_str::<u64>("\"hunter2\"").unwrap_err();
        let e =
            AppError::Internal(anyhow::Error::new(parse).context("role record ops is unreadable"));
        assert_eq!(e.to_string(), "internal error");
        let chain = e.cause_chain();
        assert!(
            chain.starts_with("role record ops is unreadable: invalid type: string"),
            "{chain}"
        );
        assert!(chain.contains("expected u64"), "{chain}");
        assert!(!chain.contains("hunter2"), "{chain}");
        let twice =
            redact_values("invalid value: integer `7`, expected a; invalid type: map, expected b");
        assert_eq!(
            twice,
            "invalid value: integer, expected a; invalid type: map, expected b"
        );
    }
}
