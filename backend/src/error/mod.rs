//! `AppError`: every failure a handler can return, each mapped to one status and a JSON
//! body `{"error":{"code","message","request_id"}}` (see `response.rs`). Internals are
//! logged, never sent.

mod response;
mod store;

pub use response::StoreRefused;

use crate::bao::BaoError;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use crypter_api::NameError;

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("the username, password or token is not valid")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The store is frozen and this action is frozen at its level.
    #[error("{0}")]
    Frozen(String),
    /// A conflict that carries structured details (e.g. the diffs of changed policies),
    /// sent as `error.details`.
    #[error("{message}")]
    ConflictDetails {
        code: &'static str,
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
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
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

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::Frozen(_) => (StatusCode::LOCKED, "frozen"),
            Self::ConflictDetails { code, .. } => (StatusCode::CONFLICT, code),
            Self::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Store(e) => match e {
                BaoError::Forbidden { .. } => (StatusCode::FORBIDDEN, "store_forbidden"),
                BaoError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
                BaoError::Sealed => (StatusCode::SERVICE_UNAVAILABLE, "store_sealed"),
                BaoError::Unreachable { .. } => (StatusCode::BAD_GATEWAY, "store_unreachable"),
                BaoError::Electing | BaoError::Redirected { .. } => {
                    (StatusCode::SERVICE_UNAVAILABLE, "store_electing")
                }
                // Sent before the cut was seen: it may or may not have been applied.
                BaoError::LeaderUnreachable { sent: true, .. } => {
                    (StatusCode::SERVICE_UNAVAILABLE, "leader_lost")
                }
                BaoError::LeaderUnreachable { .. } => {
                    (StatusCode::SERVICE_UNAVAILABLE, "leader_unreachable")
                }
                BaoError::Rejected { status, .. } if *status == 400 => {
                    (StatusCode::BAD_REQUEST, "store_rejected")
                }
                BaoError::Rejected { .. } | BaoError::Decode(_) | BaoError::Config(_) => {
                    (StatusCode::BAD_GATEWAY, "store_error")
                }
            },
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<NameError> for AppError {
    fn from(e: NameError) -> Self {
        let code = match e.kind {
            "environment" => "invalid_environment",
            "role" => "invalid_role",
            "path" => "invalid_path",
            "key" => "invalid_key",
            "username" => "invalid_username",
            _ => "invalid_name",
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
        Self::bad_request("invalid_json", message)
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
