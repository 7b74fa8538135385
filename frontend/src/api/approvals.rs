//! Approvals: requests (`/requests`), votes on them, and each environment's rule
//! (`/environments/{env}/approvals`).

use super::{empty_response, get, request, send};
use crypter_api::{
    ApiError, ApprovalRequest, ApprovalRule, ApprovalRuleSet, BypassedWrites, RequestOpened,
    VoteCast,
};
use gloo_net::http::Method;

pub async fn approval_requests() -> Result<Vec<ApprovalRequest>, ApiError> {
    get("/requests").await
}

/// One request; to those who may read its credential, with `same_value` and `changed_keys`.
pub async fn approval_request(id: String) -> Result<ApprovalRequest, ApiError> {
    get(&format!("/requests/{id}")).await
}

/// Approve (`approve`) or reject a request, with a comment.
pub async fn vote(id: String, approve: bool, comment: String) -> Result<ApprovalRequest, ApiError> {
    let verb = if approve { "approve" } else { "reject" };
    request(
        Method::POST,
        &format!("/requests/{id}/{verb}"),
        Some(&VoteCast { comment }),
    )
    .await?
    .ok_or_else(empty_response)
}

/// An admin carries out an approved rule change or role grant.
pub async fn carry(id: String) -> Result<ApprovalRequest, ApiError> {
    request::<(), ApprovalRequest>(Method::POST, &format!("/requests/{id}/carry"), None)
        .await?
        .ok_or_else(empty_response)
}

pub async fn approval_rule(env: String) -> Result<ApprovalRule, ApiError> {
    get(&format!("/environments/{env}/approvals")).await
}

pub async fn bypassed(env: String) -> Result<BypassedWrites, ApiError> {
    get(&format!("/environments/{env}/approvals/bypassed")).await
}

/// What setting a rule did: the first rule takes effect at once; changing or removing one
/// becomes a request (a 202).
#[derive(Clone)]
pub enum RuleSaved {
    Set(ApprovalRule),
    Requested(Box<ApprovalRequest>),
}

pub async fn set_rule(env: String, set: ApprovalRuleSet) -> Result<RuleSaved, ApiError> {
    let body = serde_json::to_string(&set)
        .map_err(|e| ApiError::new(crypter_api::ErrorCode::Encode, e.to_string()))?;
    let path = format!("/environments/{env}/approvals");
    let text = send(Method::PUT, &path, Some(body))
        .await?
        .ok_or_else(empty_response)?;
    let decode = |e: serde_json::Error| {
        ApiError::new(
            crypter_api::ErrorCode::Decode,
            format!("unexpected answer from Crypter: {e}"),
        )
    };
    match serde_json::from_str::<RequestOpened>(&text) {
        Ok(opened) => Ok(RuleSaved::Requested(Box::new(opened.request))),
        Err(_) => serde_json::from_str(&text)
            .map(RuleSaved::Set)
            .map_err(decode),
    }
}
