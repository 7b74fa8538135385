//! `/lint`.

use crate::error::AppError;
use crate::lint::{Digests, Scope};
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use crypter_api::ErrorCode;
use crypter_api::{CredentialPath, EnvName, LintFinding};
use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct LintParams {
    /// Only this environment's credential findings (reads no other environment's values
    /// unless it is protected).
    pub environment: Option<String>,
    /// With `environment`: only this credential's findings.
    pub path: Option<String>,
}

/// The findings of the environment lint, worst first: every rule, or with `environment`
/// (and `path`) the credential rules over that environment (or credential) alone.
#[utoipa::path(get, path = "/api/v1/lint", tag = "lint", params(LintParams),
    responses((status = 200, body = Vec<LintFinding>), (status = 400, body = crypter_api::ErrorBody),
        (status = 403, body = crypter_api::ErrorBody), (status = 404, body = crypter_api::ErrorBody),
        (status = 503, body = crypter_api::ErrorBody)))]
pub async fn lint(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Query(params): Query<LintParams>,
) -> Result<Json<Vec<LintFinding>>, AppError> {
    let environment = params.environment.filter(|e| !e.is_empty());
    let path = params.path.filter(|p| !p.is_empty());
    let findings = match (environment, path) {
        (None, None) => {
            let how = Digests::Kept {
                records: &state.records,
                fill: true,
            };
            crate::lint::run(&state.bao, &session.token, how).await?
        }
        (None, Some(_)) => {
            return Err(AppError::bad_request(
                ErrorCode::EnvironmentRequired,
                "path needs environment too: /lint?environment=staging&path=…",
            ))
        }
        (Some(env), path) => {
            let scope = Scope {
                environment: EnvName::parse(&env)?,
                path: path.as_deref().map(CredentialPath::parse).transpose()?,
            };
            let how = Digests::Kept {
                records: &state.records,
                fill: false,
            };
            crate::lint::run_scoped(
                &state.bao,
                &session.token,
                how,
                &scope,
                OffsetDateTime::now_utc(),
            )
            .await?
        }
    };
    Ok(Json(findings))
}
