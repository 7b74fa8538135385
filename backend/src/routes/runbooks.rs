//! `/runbook-templates` and `/runbooks`: runs, step actions, incidents, notes and the
//! report. The engine is `crate::runbooks`.

use super::json::ApiJson;
use crate::error::AppError;
use crate::runbooks::{self, store, templates, Actor};
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{
    AbortRequest, IncidentWrite, Runbook, RunbookStart, RunbookSummary, RunbookTemplate,
    SignoffRequest, StepNote, TemplateUpload,
};

/// The built-in "Store migration" template and every uploaded one.
#[utoipa::path(get, path = "/api/v1/runbook-templates", tag = "runbooks",
    responses((status = 200, body = Vec<RunbookTemplate>), (status = 403, body = crypter_api::ErrorBody)))]
pub async fn list_templates(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Vec<RunbookTemplate>>, AppError> {
    Ok(Json(templates::list(&state.bao, &session.token).await?))
}

/// Upload a custom template (TOML). Unknown kinds, duplicate step ids or bad params: 400.
#[utoipa::path(post, path = "/api/v1/runbook-templates", tag = "runbooks", request_body = TemplateUpload,
    responses((status = 201, body = RunbookTemplate), (status = 400, body = crypter_api::ErrorBody)))]
pub async fn upload_template(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<TemplateUpload>,
) -> Result<(StatusCode, Json<RunbookTemplate>), AppError> {
    let result = templates::upload(&state.bao, &session.token, &req.toml).await;
    Ok((StatusCode::CREATED, Json(result?)))
}

#[utoipa::path(get, path = "/api/v1/runbooks", tag = "runbooks",
    responses((status = 200, body = Vec<RunbookSummary>)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<Vec<RunbookSummary>>, AppError> {
    Ok(Json(store::list(&state.bao, &session.token).await?))
}

/// Start a run from a template; the caller is its lead.
#[utoipa::path(post, path = "/api/v1/runbooks", tag = "runbooks", request_body = RunbookStart,
    responses((status = 201, body = Runbook), (status = 400, body = crypter_api::ErrorBody),
        (status = 404, description = "No such template", body = crypter_api::ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    ApiJson(req): ApiJson<RunbookStart>,
) -> Result<(StatusCode, Json<Runbook>), AppError> {
    let result = runbooks::start(&state.bao, &session.token, &session.username, &req).await;
    Ok((StatusCode::CREATED, Json(result?)))
}

#[utoipa::path(get, path = "/api/v1/runbooks/{id}", tag = "runbooks",
    params(("id" = String, Path)),
    responses((status = 200, body = Runbook), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<Json<Runbook>, AppError> {
    Ok(Json(store::load(&state.bao, &session.token, &id).await?.0))
}

fn body<T: serde::de::DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        AppError::bad_request(
            ErrorCode::InvalidJson,
            format!("the body does not match what this action takes: {e}"),
        )
    })
}

/// A step action: `run` (automated steps; the apply step answers at once, its job named in
/// the step), `signoff` (go/no-go, with the plan hash seen), `skip` (with a reason),
/// `complete` (manual steps, with an optional note) or `takeover` (a step left running by
/// an instance that died, with a reason; recorded in the timeline).
#[utoipa::path(post, path = "/api/v1/runbooks/{id}/steps/{step}/{action}", tag = "runbooks",
    params(("id" = String, Path), ("step" = String, Path),
        ("action" = String, Path, description = "run | signoff | skip | complete | takeover")),
    request_body(content = StepNote, description = "skip and takeover: {reason}; complete: {note}; signoff: SignoffRequest"),
    responses(
        (status = 200, description = "The run; a failed automated step is `failed` with its evidence", body = Runbook),
        (status = 400, description = "Unknown action, a skip without a reason, a manual step run", body = crypter_api::ErrorBody),
        (status = 409, description = "An earlier step is not done (out_of_order), or the plan changed (plan_changed)", body = crypter_api::ErrorBody)))]
pub async fn step_action(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((id, step, action)): Path<(String, String, String)>,
    bytes: Bytes,
) -> Result<Json<Runbook>, AppError> {
    let (bao, token, who) = (&state.bao, &session.token, session.username.as_str());
    let result = match action.as_str() {
        "run" | "takeover" => {
            let actor = Actor {
                name: who,
                policies: &session.policies,
                changesets_dir: state.settings.changesets_dir.as_deref(),
                feed: Some(&state.activity),
                entity_id: session.entity_id.as_deref(),
                jobs: &state.jobs,
                snapshots: runbooks::SnapshotPlace::of(&state.settings),
            };
            let r = if action == "run" {
                runbooks::run_step(bao, token, &actor, &id, &step).await
            } else {
                let req: StepNote = body(&bytes)?;
                runbooks::takeover(bao, token, &actor, &id, &step, req.reason.as_deref()).await
            };
            if let Ok((record, _)) = crate::freeze::load_record(bao, token).await {
                state.freeze.set(record);
            }
            r
        }
        "signoff" => {
            let req: SignoffRequest = body(&bytes)?;
            runbooks::signoff(bao, token, who, &id, &step, &req).await
        }
        "skip" => {
            let req: StepNote = body(&bytes)?;
            runbooks::skip(bao, token, who, &id, &step, req.reason.as_deref()).await
        }
        "complete" => {
            let req: StepNote = body(&bytes)?;
            runbooks::complete(bao, token, who, &id, &step, req.note.as_deref()).await
        }
        _ => Err(AppError::bad_request(
            ErrorCode::InvalidAction,
            format!("unknown step action {action:?}: use run, signoff, skip, complete or takeover"),
        )),
    };
    result.map(Json)
}

/// Open an incident, linked to the step that is running (or next).
#[utoipa::path(post, path = "/api/v1/runbooks/{id}/incidents", tag = "runbooks",
    params(("id" = String, Path)), request_body = IncidentWrite,
    responses((status = 201, body = Runbook), (status = 400, body = crypter_api::ErrorBody)))]
pub async fn open_incident(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<IncidentWrite>,
) -> Result<(StatusCode, Json<Runbook>), AppError> {
    let result =
        runbooks::open_incident(&state.bao, &session.token, &session.username, &id, &req).await;
    Ok((StatusCode::CREATED, Json(result?)))
}

/// Edit an incident: any of its fields.
#[utoipa::path(patch, path = "/api/v1/runbooks/{id}/incidents/{n}", tag = "runbooks",
    params(("id" = String, Path), ("n" = u32, Path)), request_body = IncidentWrite,
    responses((status = 200, body = Runbook), (status = 404, body = crypter_api::ErrorBody)))]
pub async fn update_incident(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path((id, n)): Path<(String, u32)>,
    ApiJson(req): ApiJson<IncidentWrite>,
) -> Result<Json<Runbook>, AppError> {
    let result =
        runbooks::update_incident(&state.bao, &session.token, &session.username, &id, n, &req)
            .await;
    result.map(Json)
}

/// Add a note to the timeline.
#[utoipa::path(post, path = "/api/v1/runbooks/{id}/notes", tag = "runbooks",
    params(("id" = String, Path)), request_body = StepNote,
    responses((status = 200, body = Runbook), (status = 400, body = crypter_api::ErrorBody)))]
pub async fn note(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StepNote>,
) -> Result<Json<Runbook>, AppError> {
    let result = runbooks::note(
        &state.bao,
        &session.token,
        &session.username,
        &id,
        req.note.as_deref(),
    )
    .await;
    result.map(Json)
}

/// Abort the run, with a reason.
#[utoipa::path(post, path = "/api/v1/runbooks/{id}/abort", tag = "runbooks",
    params(("id" = String, Path)), request_body = AbortRequest,
    responses((status = 200, body = Runbook), (status = 409, body = crypter_api::ErrorBody)))]
pub async fn abort(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AbortRequest>,
) -> Result<Json<Runbook>, AppError> {
    let result = runbooks::abort(
        &state.bao,
        &session.token,
        &session.username,
        &id,
        &req.reason,
    )
    .await;
    result.map(Json)
}

/// The run's Markdown report.
#[utoipa::path(get, path = "/api/v1/runbooks/{id}/report.md", tag = "runbooks",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "text/markdown", body = String),
        (status = 404, body = crypter_api::ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let (run, _) = store::load(&state.bao, &session.token, &id).await?;
    let audit = runbooks::audit::gather(&state.activity, &state.bao, &session.token, &run)
        .await
        .map_err(|e| e.to_string());
    let md = runbooks::report::render_with(&run, &audit);
    let disposition = format!("attachment; filename=\"{}.md\"", run.id);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/markdown; charset=utf-8".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        md,
    ))
}
