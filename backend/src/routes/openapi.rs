use axum::Json;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Crypter",
        description = "A scoped key-and-credentials store over OpenBao."
    ),
    paths(
        super::health::health,
        super::session::login,
        super::session::whoami,
        super::session::logout,
        super::freeze::state,
        super::freeze::freeze,
        super::freeze::thaw,
        super::freeze::verify,
        openapi_json,
        super::cluster::cluster,
    ),
    components(schemas(
        crypter_api::Health,
        crypter_api::StoreHealth,
        crypter_api::LoginRequest,
        crypter_api::SessionInfo,
        crypter_api::ErrorBody,
        crypter_api::ApiError,
        crypter_api::FreezeState,
        crypter_api::FreezeRequest,
        crypter_api::ThawRequest,
        crypter_api::ThawResult,
        crypter_api::Verification,
        crypter_api::ClusterView,
        crypter_api::ClusterNode,
    ))
)]
pub struct ApiDoc;

/// This document, generated from the handlers and wire types.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 description of /api/v1")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
