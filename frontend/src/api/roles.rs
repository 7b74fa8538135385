//! `/roles`, `/users`, `/settings/auth` and `/identities/check`.

use super::{delete, empty_response, get, request};
use crypter_api::{
    AccessCheck, AccessCheckRequest, ApiError, AuthSettings, IdentityReport, IssuedSecretId,
    NewUser, PolicyPreview, Role, RolePolicy, RoleSummary, SecretIdInfo, SecretIdRequest, User,
    UserRoles,
};
use gloo_net::http::Method;
use std::future::Future;
use std::pin::Pin;

/// Every call is one boxed future type per result type, so the console's actions and
/// resources share their async machinery instead of instantiating it per call site
/// (this keeps the wasm measurably smaller).
pub type Call<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

// Path segments from the UI are encoded so that a stray `/` or `?` cannot change the route.
use crypter_api::url::encode as seg;

pub fn roles() -> Call<Vec<RoleSummary>> {
    Box::pin(async move { get("/roles").await })
}

pub fn role(name: String) -> Call<Role> {
    Box::pin(async move { get(&format!("/roles/{}", seg(&name))).await })
}

/// Create (`existing == false`) or replace a role.
pub fn save_role(role: Role, existing: bool) -> Call<Role> {
    Box::pin(async move {
        let (method, path) = if existing {
            (Method::PUT, format!("/roles/{}", seg(role.name.as_str())))
        } else {
            (Method::POST, "/roles".to_owned())
        };
        request(method, &path, Some(&role))
            .await?
            .ok_or_else(empty_response)
    })
}

pub fn delete_role(name: String) -> Call<()> {
    Box::pin(async move { delete(&format!("/roles/{}", seg(&name))).await })
}

pub fn role_policy(name: String) -> Call<RolePolicy> {
    Box::pin(async move { get(&format!("/roles/{}/policy", seg(&name))).await })
}

pub fn preview_policy(role: Role) -> Call<PolicyPreview> {
    Box::pin(async move {
        let path = format!("/roles/{}/policy/preview", seg(role.name.as_str()));
        request(Method::POST, &path, Some(&role))
            .await?
            .ok_or_else(empty_response)
    })
}

pub fn check_access(name: String, req: AccessCheckRequest) -> Call<AccessCheck> {
    Box::pin(async move {
        request(
            Method::POST,
            &format!("/roles/{}/check", seg(&name)),
            Some(&req),
        )
        .await?
        .ok_or_else(empty_response)
    })
}

pub fn issue_secret_id(name: String, ttl: String) -> Call<IssuedSecretId> {
    Box::pin(async move {
        let body = SecretIdRequest { ttl };
        request(
            Method::POST,
            &format!("/roles/{}/secret-ids", seg(&name)),
            Some(&body),
        )
        .await?
        .ok_or_else(empty_response)
    })
}

pub fn secret_ids(name: String) -> Call<Vec<SecretIdInfo>> {
    Box::pin(async move { get(&format!("/roles/{}/secret-ids", seg(&name))).await })
}

pub fn revoke_secret_id(name: String, accessor: String) -> Call<()> {
    Box::pin(async move {
        delete(&format!(
            "/roles/{}/secret-ids/{}",
            seg(&name),
            seg(&accessor)
        ))
        .await
    })
}

pub fn users() -> Call<Vec<User>> {
    Box::pin(async move { get("/users").await })
}

pub fn create_user(user: NewUser) -> Call<User> {
    Box::pin(async move {
        request(Method::POST, "/users", Some(&user))
            .await?
            .ok_or_else(empty_response)
    })
}

pub fn set_user_roles(name: String, roles: UserRoles) -> Call<User> {
    Box::pin(async move {
        request(Method::PUT, &format!("/users/{}", seg(&name)), Some(&roles))
            .await?
            .ok_or_else(empty_response)
    })
}

pub fn delete_user(name: String) -> Call<()> {
    Box::pin(async move { delete(&format!("/users/{}", seg(&name))).await })
}

pub fn auth_settings() -> Call<AuthSettings> {
    Box::pin(async move { get("/settings/auth").await })
}

pub fn save_auth_settings(settings: AuthSettings) -> Call<AuthSettings> {
    Box::pin(async move {
        request(Method::PUT, "/settings/auth", Some(&settings))
            .await?
            .ok_or_else(empty_response)
    })
}

pub fn check_identities() -> Call<IdentityReport> {
    Box::pin(async move {
        request::<(), IdentityReport>(Method::POST, "/identities/check", None)
            .await?
            .ok_or_else(empty_response)
    })
}
