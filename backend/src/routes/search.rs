//! `/search`.

use crate::error::AppError;
use crate::search::{self, DEFAULT_LIMIT, MAX_LIMIT};
use crate::session::CurrentSession;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use crypter_api::SearchResults;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// Words to find (all of them) in the path, owner, labels, description or class.
    pub q: Option<String>,
    /// 1-500, default 50.
    pub limit: Option<String>,
}

/// Credentials across every environment the caller may list, from metadata only.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResults),
        (status = 400, body = crypter_api::ErrorBody), (status = 401, body = crypter_api::ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResults>, AppError> {
    let limit = super::credentials::parse_limit(params.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let q = params.q.unwrap_or_default();
    Ok(Json(
        search::search(&state.listings, &state.bao, &session, &q, limit).await?,
    ))
}
