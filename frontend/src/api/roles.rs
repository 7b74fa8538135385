//! `/roles`, `/users`, `/settings/auth` and `/identities/check`.

use super::{delete, empty_response, get, request};
use crypter_api::{
    AccessCheck, AccessCheckRequest, ApiError, AuthSettings, IdentityReport, IssuedSecretId,
    NewUser, PolicyPreview, Role, RolePolicy, RoleSummary, SecretIdInfo, SecretIdRequest, User,
    UserRoles,
};
use gloo_net::http::Method;

/// Path segments from the UI are encoded so that a stray `/` or `?` cannot change the route.
fn seg(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'@') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub async fn roles() -> Result<Vec<RoleSummary>, ApiError> {
    get("/roles").await
}

pub async fn role(name: String) -> Result<Role, ApiError> {
    get(&format!("/roles/{}", seg(&name))).await
}

/// Create (`existing == false`) or replace a role.
pub async fn save_role(role: Role, existing: bool) -> Result<Role, ApiError> {
    let (method, path) = if existing {
        (Method::PUT, format!("/roles/{}", seg(role.name.as_str())))
    } else {
        (Method::POST, "/roles".to_owned())
    };
    request(method, &path, Some(&role))
        .await?
        .ok_or_else(empty_response)
}

pub async fn delete_role(name: String) -> Result<(), ApiError> {
    delete(&format!("/roles/{}", seg(&name))).await
}

pub async fn role_policy(name: String) -> Result<RolePolicy, ApiError> {
    get(&format!("/roles/{}/policy", seg(&name))).await
}

pub async fn preview_policy(role: Role) -> Result<PolicyPreview, ApiError> {
    let path = format!("/roles/{}/policy/preview", seg(role.name.as_str()));
    request(Method::POST, &path, Some(&role))
        .await?
        .ok_or_else(empty_response)
}

pub async fn check_access(name: String, req: AccessCheckRequest) -> Result<AccessCheck, ApiError> {
    request(
        Method::POST,
        &format!("/roles/{}/check", seg(&name)),
        Some(&req),
    )
    .await?
    .ok_or_else(empty_response)
}

pub async fn issue_secret_id(name: String, ttl: String) -> Result<IssuedSecretId, ApiError> {
    let body = SecretIdRequest { ttl };
    request(
        Method::POST,
        &format!("/roles/{}/secret-ids", seg(&name)),
        Some(&body),
    )
    .await?
    .ok_or_else(empty_response)
}

pub async fn secret_ids(name: String) -> Result<Vec<SecretIdInfo>, ApiError> {
    get(&format!("/roles/{}/secret-ids", seg(&name))).await
}

pub async fn revoke_secret_id(name: String, accessor: String) -> Result<(), ApiError> {
    delete(&format!(
        "/roles/{}/secret-ids/{}",
        seg(&name),
        seg(&accessor)
    ))
    .await
}

pub async fn users() -> Result<Vec<User>, ApiError> {
    get("/users").await
}

pub async fn create_user(user: NewUser) -> Result<User, ApiError> {
    request(Method::POST, "/users", Some(&user))
        .await?
        .ok_or_else(empty_response)
}

pub async fn set_user_roles(name: String, roles: UserRoles) -> Result<User, ApiError> {
    request(Method::PUT, &format!("/users/{}", seg(&name)), Some(&roles))
        .await?
        .ok_or_else(empty_response)
}

pub async fn delete_user(name: String) -> Result<(), ApiError> {
    delete(&format!("/users/{}", seg(&name))).await
}

pub async fn auth_settings() -> Result<AuthSettings, ApiError> {
    get("/settings/auth").await
}

pub async fn save_auth_settings(settings: AuthSettings) -> Result<AuthSettings, ApiError> {
    request(Method::PUT, "/settings/auth", Some(&settings))
        .await?
        .ok_or_else(empty_response)
}

pub async fn check_identities() -> Result<IdentityReport, ApiError> {
    request::<(), IdentityReport>(Method::POST, "/identities/check", None)
        .await?
        .ok_or_else(empty_response)
}
