//! How an [`AppError`] reaches the browser (a message in Crypter's words, with the request
//! id) and the log (the whole cause, under the same id).

use super::AppError;
use crate::bao::BaoError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crypter_api::{ApiError, ErrorBody};

impl AppError {
    /// What the browser is told. OpenBao's paths and reasons stay in the log: the message
    /// names the Crypter thing the request was about (see [`crate::bao::concept`]).
    fn public_message(&self) -> String {
        match self {
            Self::Store(e) => store_message(e),
            Self::Internal(_) => {
                "something went wrong inside Crypter; the details are in its log".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// One log line per error response, with the request id the response carries and the
    /// whole cause (OpenBao's path and reason).
    fn log(&self, status: StatusCode, code: &str, request_id: &str) {
        let status = status.as_u16();
        match self {
            Self::Internal(_) => tracing::error!(request_id, status, code,
                error = %self.cause_chain(), "request failed inside Crypter"),
            Self::Store(_) => tracing::warn!(request_id, status, code,
                error = %self.cause_chain(), "OpenBao refused or failed a request"),
            Self::Unauthenticated(_) => tracing::debug!(request_id, status, code,
                error = %self, "request refused"),
            _ => tracing::info!(request_id, status, code, error = %self, "request refused"),
        }
    }
}

/// When to ask again after OpenBao was too busy to answer in time: long enough for the
/// queue ahead to drain a little, short enough that a person does not give up.
const RETRY_BUSY_SECS: u64 = 5;

fn store_message(e: &BaoError) -> String {
    let subject = e.subject();
    match e {
        BaoError::Forbidden { .. } => {
            let what = subject.map_or_else(
                || "OpenBao refused this action with your token".to_owned(),
                |s| format!("OpenBao refused this action on {s} with your token"),
            );
            format!("{what}. Ask an administrator for a role that grants it.")
        }
        BaoError::NotFound { .. } => match subject {
            Some(s) => format!("{s} was not found in the store"),
            None => "nothing was found in the store for this request".to_owned(),
        },
        BaoError::Unreachable { .. } => {
            "the secret store (OpenBao) cannot be reached; check that it is running".to_owned()
        }
        BaoError::Electing | BaoError::Redirected { .. } => BaoError::Electing.to_string(),
        BaoError::Busy { sent, write, .. } => {
            let about = subject.map_or_else(String::new, |s| format!(" about {s}"));
            let outcome = if *sent && *write {
                "; the change may or may not have been applied: read it back before trying again"
            } else {
                ""
            };
            format!(
                "the secret store (OpenBao) is busy and did not answer the request{about} in \
                 time{outcome}; try again in {RETRY_BUSY_SECS} s"
            )
        }
        BaoError::Sealed | BaoError::Config(_) | BaoError::LeaderUnreachable { .. } => {
            e.to_string()
        }
        BaoError::Rejected { status: 503, .. } => {
            let about = subject.map_or_else(String::new, |s| format!(" about {s}"));
            format!(
                "OpenBao cannot serve the request{about} right now (503); try again in a moment"
            )
        }
        BaoError::Rejected { status, .. } => {
            let about = subject.map_or_else(String::new, |s| format!(" about {s}"));
            format!(
                "OpenBao refused the request{about} ({status}); its reason is in Crypter's log \
                 under this request's id"
            )
        }
        BaoError::Decode(_) => "OpenBao gave an answer that Crypter cannot read; the details \
                                are in its log under this request's id"
            .to_owned(),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let request_id = crate::request_id::current();
        self.log(status, code.as_str(), request_id.as_deref().unwrap_or("-"));
        let message = self.public_message();
        let details = match &self {
            Self::ConflictDetails { details, .. } => Some(details.clone()),
            _ => None,
        };
        let mut resp = (
            status,
            Json(ErrorBody {
                error: ApiError {
                    code,
                    message,
                    details,
                    request_id,
                },
            }),
        )
            .into_response();
        if let Self::Store(BaoError::Forbidden { .. }) = self {
            mark_store_refused(&mut resp);
        }
        if let Self::Store(
            BaoError::Electing | BaoError::Redirected { .. } | BaoError::LeaderUnreachable { .. },
        ) = self
        {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
        }
        if let Self::Store(BaoError::Busy { .. }) = self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_BUSY_SECS));
        }
        if let Self::TooManyRequests { retry_after_secs } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

/// Set on a response whose error is OpenBao refusing the caller's token (the session
/// layer then checks whether the session itself has ended).
#[derive(Clone, Copy)]
pub struct StoreRefused;

fn mark_store_refused(resp: &mut Response) {
    resp.extensions_mut().insert(StoreRefused);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::ErrorCode;

    fn busy(sent: bool, write: bool) -> AppError {
        AppError::Store(BaoError::Busy {
            path: "env/qa/detailed-metadata/".into(),
            sent,
            write,
        })
    }

    #[test]
    fn a_busy_store_is_503_with_retry_after_never_502() {
        for (sent, write) in [(false, false), (true, false), (false, true), (true, true)] {
            let e = busy(sent, write);
            assert_eq!(
                e.status_and_code(),
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::StoreBusy)
            );
            let message = e.public_message();
            assert!(message.contains("busy"), "{message}");
            assert!(message.contains("environment qa"), "{message}");
            assert!(!message.contains("detailed-metadata"), "{message}");
            // Only a change that was sent may have been applied.
            assert_eq!(
                message.contains("may or may not have been applied"),
                sent && write,
                "{message}"
            );
            let resp = e.into_response();
            assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(resp.headers()[header::RETRY_AFTER], "5");
        }
    }
}
