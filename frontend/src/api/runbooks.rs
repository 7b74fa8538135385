use super::{empty_response, get, request, send_text};
use crypter_api::{ApiError, Runbook, RunbookStart, RunbookSummary, RunbookTemplate};
use gloo_net::http::Method;
use serde_json::Value;

pub async fn runbooks() -> Result<Vec<RunbookSummary>, ApiError> {
    get("/runbooks").await
}

pub async fn runbook_templates() -> Result<Vec<RunbookTemplate>, ApiError> {
    get("/runbook-templates").await
}

pub async fn runbook(id: String) -> Result<Runbook, ApiError> {
    get(&format!("/runbooks/{id}")).await
}

pub async fn start_runbook(req: RunbookStart) -> Result<Runbook, ApiError> {
    request(Method::POST, "/runbooks", Some(&req))
        .await?
        .ok_or_else(empty_response)
}

/// Any run action (`/runbooks/{id}/...`): step actions, incidents, notes.
pub async fn runbook_action(
    method: Method,
    path: String,
    body: Value,
) -> Result<Runbook, ApiError> {
    request(method, &path, Some(&body))
        .await?
        .ok_or_else(empty_response)
}

pub async fn runbook_report(id: String) -> Result<String, ApiError> {
    send_text(&format!("/runbooks/{id}/report.md")).await
}
