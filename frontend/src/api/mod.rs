//! Calls to `/api/v1`, one file per resource. Every mutating call carries the session's
//! CSRF token; every error, from the API or the network, comes back as an `ApiError` with a
//! message for people.

mod approvals;
mod changesets;
mod cluster;
mod credentials;
mod environments;
mod freeze;
mod keys;
mod notifications;
mod restore_points;
mod roles;
mod runbooks;
mod session;
mod sso;

pub use approvals::*;
pub use changesets::{
    apply_changesets, break_changesets_lock, changesets_lock, jobs, list_changesets,
    plan_changesets, plan_items, restore_points, resume_job, undo_changeset, upload_changeset,
};
pub use cluster::cluster;
pub use credentials::{
    activity, compare, credentials_page, delete_credential, encode, first_credentials,
    get_credential, has_rule, lint, lint_scoped, promote, put_credential, reveal, search,
    version_action, Saved, FIRST_ROWS, PAGE_ROWS,
};
pub use environments::{
    create_environment, delete_environment, environment_names, list_environments,
    update_environment,
};
pub use freeze::{freeze, freeze_state, freeze_writes, thaw, verify_freeze};
pub use keys::{
    create_key, delete_key, get_key, key_operation, list_keys, rotate_key, scan_key, update_key,
};
pub use notifications::{
    create_subscription, dead_letters, delete_subscription, deliver, subscriptions, Created,
};
pub use restore_points::*;
pub use roles::*;
pub use runbooks::*;
pub use session::{health, logout, whoami};
pub use sso::*;

use crate::errors::{network_error, refusal};
use crypter_api::{ApiError, ErrorBody, ErrorCode, CSRF_HEADER};
use gloo_net::http::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;

const BASE: &str = "/api/v1";

thread_local! {
    static CSRF: RefCell<String> = const { RefCell::new(String::new()) };
}

pub fn set_csrf(token: &str) {
    CSRF.with(|c| *c.borrow_mut() = token.to_owned());
}

/// The one place that talks HTTP. Not generic, so its code exists once in the wasm; the
/// typed wrappers below only (de)serialise.
async fn send(
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Option<String>, ApiError> {
    let mut builder = RequestBuilder::new(&format!("{BASE}{path}")).method(method.clone());
    if method != Method::GET {
        let csrf = CSRF.with(|c| c.borrow().clone());
        builder = builder.header(CSRF_HEADER, &csrf);
    }
    let resp = match body {
        Some(b) => {
            builder
                .header("Content-Type", "application/json")
                .body(b)
                .map_err(network_error)?
                .send()
                .await
        }
        None => builder.send().await,
    }
    .map_err(network_error)?;
    let status = resp.status();
    if status == 204 {
        return Ok(None);
    }
    let text = resp.text().await.map_err(network_error)?;
    if (200..300).contains(&status) {
        return Ok(Some(text));
    }
    let error = serde_json::from_str::<ErrorBody>(&text).ok();
    Err(refusal(status, &resp.status_text(), error.map(|b| b.error)))
}

pub async fn request<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<Option<T>, ApiError> {
    let body = body
        .map(serde_json::to_string)
        .transpose()
        .map_err(network_error)?;
    match send(method, path, body).await? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| sent_or_undecoded(&text, &e)),
    }
}

/// The id in a 202 `{"request":{"id":"…",…}}`: where an approval rule applies, a change
/// (a delete, a rollback, a promote, a key's rotation, a role's grants …) waits for it.
fn sent_for_approval(text: &str) -> Option<&str> {
    text.strip_prefix("{\"request\":{\"id\":\"")?
        .split('"')
        .next()
}

/// An answer that is not what the caller expected: a request sent for approval (said as
/// such, with where to follow it), or an answer that does not decode.
fn sent_or_undecoded(text: &str, e: &dyn std::fmt::Display) -> ApiError {
    match sent_for_approval(text) {
        Some(id) => ApiError::new(
            ErrorCode::SentForApproval,
            format!("Sent for approval: request {id} waits on the Approvals page (/requests/{id})"),
        ),
        None => ApiError::new(
            ErrorCode::Decode,
            format!("unexpected answer from Crypter: {e}"),
        ),
    }
}

/// GET, decoded.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    request::<(), T>(Method::GET, path, None)
        .await?
        .ok_or_else(|| network_error("empty response"))
}

/// DELETE without a body; a delete that became a request for approval says so.
pub async fn delete(path: &str) -> Result<(), ApiError> {
    match send(Method::DELETE, path, None).await? {
        Some(text) if sent_for_approval(&text).is_some() => Err(sent_or_undecoded(&text, &"")),
        _ => Ok(()),
    }
}

/// GET as text (the runbook report).
pub async fn send_text(path: &str) -> Result<String, ApiError> {
    send(Method::GET, path, None)
        .await?
        .ok_or_else(empty_response)
}

pub(crate) fn empty_response() -> ApiError {
    network_error("empty response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_sent_for_approval_says_so_with_its_request() {
        let opened = r#"{"request":{"id":"0123456789abcdef","environment":"production"}}"#;
        let e = sent_or_undecoded(opened, &"missing field");
        assert_eq!(e.code, ErrorCode::SentForApproval);
        assert!(
            e.message.contains("/requests/0123456789abcdef"),
            "{}",
            e.message
        );
        let other = sent_or_undecoded(r#"{"version":2}"#, &"missing field");
        assert_eq!(other.code, ErrorCode::Decode);
    }
}
