use super::{delete, empty_response, get, request};
use crypter_api::{
    ApiError, ApplyRequest, ApplyStarted, ChangesetLock, ChangesetPlan, ChangesetStatus,
    ChangesetUpload, PlanItemPage,
};
use gloo_net::http::Method;

pub async fn list_changesets() -> Result<Vec<ChangesetStatus>, ApiError> {
    get("/changesets").await
}

pub async fn upload_changeset(toml: String) -> Result<ChangesetStatus, ApiError> {
    request(Method::POST, "/changesets", Some(&ChangesetUpload { toml }))
        .await?
        .ok_or_else(empty_response)
}

pub async fn plan_changesets() -> Result<ChangesetPlan, ApiError> {
    request::<(), ChangesetPlan>(Method::POST, "/changesets/plan", None)
        .await?
        .ok_or_else(empty_response)
}

/// A page of a plan's items (100), of one kind or all, after position `after`.
pub async fn plan_items(
    hash: &str,
    kind: Option<String>,
    after: Option<u64>,
) -> Result<PlanItemPage, ApiError> {
    let mut path = format!("/changesets/plans/{hash}/items?limit=100");
    if let Some(k) = kind {
        path.push_str(&format!("&kind={k}"));
    }
    if let Some(a) = after {
        path.push_str(&format!("&after={a}"));
    }
    get(&path).await
}

pub async fn apply_changesets(req: ApplyRequest) -> Result<ApplyStarted, ApiError> {
    request(Method::POST, "/changesets/apply", Some(&req))
        .await?
        .ok_or_else(empty_response)
}

pub async fn changesets_lock() -> Result<Option<ChangesetLock>, ApiError> {
    get("/changesets/lock").await
}

pub async fn break_changesets_lock(reason: String) -> Result<(), ApiError> {
    let mut q = String::new();
    for b in reason.bytes() {
        if b.is_ascii_alphanumeric() {
            q.push(b as char);
        } else {
            q.push_str(&format!("%{b:02X}"));
        }
    }
    delete(&format!("/changesets/lock?reason={q}")).await
}
