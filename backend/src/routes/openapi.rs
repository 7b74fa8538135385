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
        super::environments::list,
        super::environments::create,
        super::environments::get,
        super::environments::update,
        super::environments::delete,
        super::credentials::list,
        super::credentials::detail,
        super::credentials::put,
        super::credentials::delete,
        super::credentials::action,
        super::compare::compare,
        super::compare::promote,
        super::lint::lint,
        super::activity::list,
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
        crypter_api::Environment,
        crypter_api::EnvironmentCreate,
        crypter_api::EnvironmentUpdate,
        crypter_api::CredentialPage,
        crypter_api::CredentialSummary,
        crypter_api::CredentialMetadata,
        crypter_api::CredentialDetail,
        crypter_api::CredentialVersion,
        crypter_api::CredentialWrite,
        crypter_api::CredentialWritten,
        crypter_api::VersionRequest,
        crypter_api::RevealedCredential,
        crypter_api::Comparison,
        crypter_api::CompareEntry,
        crypter_api::PromoteRequest,
        crypter_api::LintFinding,
        crypter_api::Severity,
        crypter_api::ActivityEvent,
        crypter_api::ActivityPage,
    ))
)]
pub struct ApiDoc;

/// This document, generated from the handlers and wire types.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 description of /api/v1")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
