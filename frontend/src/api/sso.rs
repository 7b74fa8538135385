//! Single sign-on: `/auth/methods`, `/settings/sso`, `/sso/groups` and `/access/why`.

use super::{delete, empty_response, get, request, Call};
use crypter_api::url::encode as seg;
use crypter_api::{
    AuthMethods, GroupMapping, GroupMappingWrite, GroupMappings, SsoSettings, SsoSettingsView,
    WhyAnswer, WhyRequest,
};
use gloo_net::http::Method;

/// The login methods; asked before anyone is logged in.
pub fn auth_methods() -> Call<AuthMethods> {
    Box::pin(async move { get("/auth/methods").await })
}

pub fn sso_settings() -> Call<SsoSettingsView> {
    Box::pin(async move { get("/settings/sso").await })
}

pub fn save_sso_settings(settings: SsoSettings) -> Call<SsoSettingsView> {
    Box::pin(async move {
        request(Method::PUT, "/settings/sso", Some(&settings))
            .await?
            .ok_or_else(empty_response)
    })
}

pub fn sso_groups() -> Call<GroupMappings> {
    Box::pin(async move { get("/sso/groups").await })
}

/// Map a provider group to roles; the same call repairs the group's drift in OpenBao.
pub fn save_sso_group(group: String, write: GroupMappingWrite) -> Call<GroupMapping> {
    Box::pin(async move {
        let path = format!("/sso/groups/{}", seg(&group));
        request(Method::PUT, &path, Some(&write))
            .await?
            .ok_or_else(empty_response)
    })
}

pub fn delete_sso_group(group: String) -> Call<()> {
    Box::pin(async move { delete(&format!("/sso/groups/{}", seg(&group))).await })
}

/// What "why can I do this?" asks: oneself, or (admins) someone else by login method.
pub type WhyQuery = WhyRequest;

pub fn why_access(query: WhyQuery) -> Call<WhyAnswer> {
    Box::pin(async move {
        request(Method::POST, "/access/why", Some(&query))
            .await?
            .ok_or_else(empty_response)
    })
}
