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
        super::roles::list,
        super::roles::create,
        super::roles::get,
        super::roles::update,
        super::roles::delete,
        super::roles::policy,
        super::roles::preview,
        super::roles::check,
        super::roles::issue_secret_id,
        super::roles::list_secret_ids,
        super::roles::revoke_secret_id,
        super::users::list,
        super::users::create,
        super::users::set_roles,
        super::users::delete,
        super::users::get_auth_settings,
        super::users::put_auth_settings,
        super::identities::check,
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
        crypter_api::Role,
        crypter_api::RoleClass,
        crypter_api::Grant,
        crypter_api::Scope,
        crypter_api::Capability,
        crypter_api::Effect,
        crypter_api::ProbePath,
        crypter_api::RoleSummary,
        crypter_api::RolePolicy,
        crypter_api::PolicyPreview,
        crypter_api::AccessCheckRequest,
        crypter_api::AccessCheck,
        crypter_api::AccessAnswer,
        crypter_api::SecretIdRequest,
        crypter_api::IssuedSecretId,
        crypter_api::SecretIdInfo,
        crypter_api::User,
        crypter_api::NewUser,
        crypter_api::UserRoles,
        crypter_api::AuthSettings,
        crypter_api::IdentityReport,
        crypter_api::IdentityResult,
        crypter_api::IdentityStatus,
        crypter_api::IdentityProbe,
    ))
)]
pub struct ApiDoc;

/// This document, generated from the handlers and wire types.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 description of /api/v1")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
