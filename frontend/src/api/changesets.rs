use super::{delete, empty_response, get, request};
use crypter_api::{
    ApiError, ApplyRequest, ApplyStarted, ChangesetLock, ChangesetPlan, ChangesetStatus,
    ChangesetUpload, JobProgress, PlanItemPage, RestorePointSummary, ResumeRequest,
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

/// The inverse plan of an applied changeset (or the redo of an undone one).
pub async fn undo_changeset(id: String) -> Result<ChangesetPlan, ApiError> {
    let body = serde_json::Map::new();
    request(Method::POST, &format!("/changesets/{id}/undo"), Some(&body))
        .await?
        .ok_or_else(empty_response)
}

pub async fn restore_points() -> Result<Vec<RestorePointSummary>, ApiError> {
    get("/restore-points").await
}

pub async fn apply_changesets(req: ApplyRequest) -> Result<ApplyStarted, ApiError> {
    request(Method::POST, "/changesets/apply", Some(&req))
        .await?
        .ok_or_else(empty_response)
}

/// The jobs the caller may follow, newest first.
pub async fn jobs() -> Result<Vec<JobProgress>, ApiError> {
    get("/jobs").await
}

/// Resume an interrupted apply job here, from its saved cursor.
pub async fn resume_job(id: String) -> Result<ApplyStarted, ApiError> {
    let req = ResumeRequest::default();
    request(Method::POST, &format!("/jobs/{id}/resume"), Some(&req))
        .await?
        .ok_or_else(empty_response)
}

pub async fn changesets_lock() -> Result<Option<ChangesetLock>, ApiError> {
    get("/changesets/lock").await
}

pub async fn break_changesets_lock(reason: String) -> Result<(), ApiError> {
    let q = crypter_api::url::encode(&reason);
    delete(&format!("/changesets/lock?reason={q}")).await
}
