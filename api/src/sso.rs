//! Single sign-on through OpenBao's OIDC auth method (`auth/oidc`): the login methods the
//! login page offers, the SSO settings, the mapping of identity-provider groups to roles,
//! and "why can I do this?".

use crate::names::RoleName;
use serde::{Deserialize, Serialize};

/// How one can log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AuthMethodKind {
    Userpass,
    Token,
    Oidc,
}

/// One login method the login page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthMethod {
    pub kind: AuthMethodKind,
    /// What the button says, e.g. "Sign in with Example SSO" (OIDC only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Where the browser goes to start this login (OIDC only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// The OpenBao mount, e.g. `oidc` (OIDC only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<String>,
    /// The provider's own sign-out page (its `end_session_endpoint`), offered after a
    /// logout from an SSO session (OIDC only, when the provider has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_url: Option<String>,
}

/// `GET /api/v1/auth/methods`: needs no session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthMethods {
    pub methods: Vec<AuthMethod>,
}

/// `PUT /api/v1/settings/sso`: the identity provider, as OpenBao's `auth/oidc` is
/// configured with it. The client secret goes to OpenBao and is never read back.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SsoSettings {
    /// The provider's name on the login button ("Sign in with <label>").
    pub label: String,
    /// The provider's issuer URL; OpenBao reads `/.well-known/openid-configuration` below it.
    pub discovery_url: String,
    pub client_id: String,
    /// Needed when the provider or the client changes (OpenBao never returns it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The console's callback URLs the provider may send people back to, e.g.
    /// `https://crypter.example.com/api/v1/auth/oidc/callback`.
    pub redirect_uris: Vec<String>,
}

// Hand-written so that a stray `{:?}` can never print the client secret.
impl std::fmt::Debug for SsoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoSettings")
            .field("label", &self.label)
            .field("discovery_url", &self.discovery_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("redirect_uris", &self.redirect_uris)
            .finish()
    }
}

/// `GET /api/v1/settings/sso`: what OpenBao holds, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoSettingsView {
    /// Whether `auth/oidc` is mounted and configured.
    pub configured: bool,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub discovery_url: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

/// `PUT /api/v1/sso/groups/{group}`: the Crypter roles a provider group gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupMappingWrite {
    pub roles: Vec<RoleName>,
}

/// How OpenBao's external group differs from the mapping Crypter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GroupDrift {
    /// No external group in OpenBao for this mapping.
    GroupMissing,
    /// The group in OpenBao is not external (its members are not set by logins).
    NotExternal,
    /// The group's policies are not the mapped roles' policies.
    PoliciesDiffer,
    /// The group has no alias for the provider group on `auth/oidc`.
    AliasMissing,
    /// An external group Crypter made is in OpenBao but no mapping names it.
    NotMapped,
}

/// One provider group, its roles, and how OpenBao stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupMapping {
    /// The group's name at the identity provider (the `groups` claim).
    pub group: String,
    pub roles: Vec<RoleName>,
    /// The external group in OpenBao (`crypter-sso-<group>`).
    pub openbao_group: String,
    /// The policies OpenBao's group holds now.
    pub openbao_policies: Vec<String>,
    /// Empty when OpenBao holds exactly what the mapping says.
    pub drift: Vec<GroupDrift>,
}

/// `GET /api/v1/sso/groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupMappings {
    pub mappings: Vec<GroupMapping>,
}

/// Where a policy in "why can I do this?" comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WhySource {
    /// An OpenBao group; `provider_group` is its alias at the identity provider, if external.
    Group {
        openbao_group: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider_group: Option<String>,
    },
    /// The identity (entity) itself.
    Entity,
    /// The login method gave the token the policy (e.g. a userpass user's policies).
    Token,
}

/// One step of the path: source → policy → the role's grants → what OpenBao allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhyLink {
    pub source: WhySource,
    pub policy: String,
    /// The Crypter role behind the policy, if it is a role's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleName>,
    /// The role's grants on this environment, as the role reads.
    #[serde(default)]
    pub grants: Vec<String>,
    /// OpenBao's capabilities on the asked path from this policy alone (`sys/capabilities`
    /// on a token holding only it); `None` for built-in policies, which no probe token
    /// may carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

/// `POST /api/v1/access/why`: about oneself, or (admins) about someone else by name and
/// login method (`userpass` or `oidc`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WhyRequest {
    pub env: String,
    /// A credential path in that environment.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

/// The answer to [`WhyRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhyAnswer {
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    /// The OpenBao path asked about.
    pub path: String,
    /// What OpenBao allows there, all policies together: from the caller's own token
    /// (`sys/capabilities-self`) for oneself; for another person, from a probe token
    /// holding that person's role policies.
    pub capabilities: Vec<String>,
    pub links: Vec<WhyLink>,
}
