//! Roles, grants, machine logins, human users and identity checks.

use crate::names::{refuse, CredentialPath, EnvName, KeyName, NameError, RoleName, Username};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who holds a role. Every class but `human` also gets an AppRole machine login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RoleClass {
    Human,
    Service,
    Integration,
    E2e,
}

impl RoleClass {
    pub const ALL: [RoleClass; 4] = [Self::Human, Self::Service, Self::Integration, Self::E2e];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Service => "service",
            Self::Integration => "integration",
            Self::E2e => "e2e",
        }
    }

    /// Machines log in through AppRole; people through userpass.
    pub fn is_machine(self) -> bool {
        self != Self::Human
    }
}

/// What a grant allows (or denies): on credentials, read, list, create, update and
/// delete; on keys, encrypt, decrypt, sign, verify, hmac, rewrap, rotate and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    Read,
    List,
    Create,
    Update,
    Delete,
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    Hmac,
    Rewrap,
    Rotate,
}

impl Capability {
    /// What a grant on credentials may name.
    pub const CREDENTIAL: [Capability; 5] = [
        Self::Read,
        Self::List,
        Self::Create,
        Self::Update,
        Self::Delete,
    ];

    /// What a grant on keys may name.
    pub const KEY: [Capability; 8] = [
        Self::Encrypt,
        Self::Decrypt,
        Self::Sign,
        Self::Verify,
        Self::Hmac,
        Self::Rewrap,
        Self::Rotate,
        Self::Read,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::List => "list",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Encrypt => "encrypt",
            Self::Decrypt => "decrypt",
            Self::Sign => "sign",
            Self::Verify => "verify",
            Self::Hmac => "hmac",
            Self::Rewrap => "rewrap",
            Self::Rotate => "rotate",
        }
    }

    /// The capabilities a grant on `target` may name.
    pub fn of(target: GrantTarget) -> &'static [Capability] {
        match target {
            GrantTarget::Credentials => &Self::CREDENTIAL,
            GrantTarget::Keys => &Self::KEY,
        }
    }
}

/// What a grant's scope names: credential paths (the default), or keys.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum GrantTarget {
    #[default]
    Credentials,
    Keys,
}

impl GrantTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credentials => "credentials",
            Self::Keys => "keys",
        }
    }

    pub fn is_credentials(&self) -> bool {
        *self == Self::Credentials
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Allow,
    Deny,
}

/// The environment a grant applies to: one environment, or `*` for every environment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum GrantEnv {
    Any,
    Named(EnvName),
}

impl GrantEnv {
    pub fn parse(value: &str) -> Result<Self, NameError> {
        if value == "*" {
            Ok(Self::Any)
        } else {
            EnvName::parse(value).map(Self::Named)
        }
    }
}

impl fmt::Display for GrantEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Named(e) => f.write_str(e.as_str()),
        }
    }
}

impl TryFrom<String> for GrantEnv {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, NameError> {
        Self::parse(&value)
    }
}

impl From<GrantEnv> for String {
    fn from(value: GrantEnv) -> String {
        value.to_string()
    }
}

/// A grant's scope: a credential path prefix, optionally ending in `*`.
/// `*` alone means every credential; `payments/*` everything under `payments/`;
/// `payments/db` exactly that credential; `payments/d*` every path starting `payments/d`.
/// The part before `*` follows the credential path rules, so `..` is refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
#[serde(try_from = "String", into = "String")]
pub struct Scope(String);

impl Scope {
    pub fn parse(value: &str) -> Result<Self, NameError> {
        let bad = |why: &str| {
            Err(refuse(
                "scope",
                format!(
                    "invalid scope {value:?}: {why}. A scope is a credential path, optionally \
                     ending in '*' (e.g. 'payments/*', 'payments/db', or '*' for everything)"
                ),
            ))
        };
        if value == "*" {
            return Ok(Self(value.to_owned()));
        }
        let base = value.strip_suffix('*').unwrap_or(value);
        if base.contains('*') {
            return bad("'*' may only appear at the end");
        }
        if base.split('/').any(|s| s == "..") {
            return bad("'..' is not allowed");
        }
        // `payments/*` leaves `payments/`: the trailing slash is fine before a glob.
        let path = match (value.ends_with('*'), base.strip_suffix('/')) {
            (true, Some(p)) => p,
            _ => base,
        };
        match CredentialPath::parse(path) {
            Ok(_) => Ok(Self(value.to_owned())),
            Err(e) => Err(refuse(
                "scope",
                format!("invalid scope {value:?}: {}", e.message),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_glob(&self) -> bool {
        self.0.ends_with('*')
    }

    /// The scope without its trailing `*`.
    pub fn prefix(&self) -> &str {
        self.0.strip_suffix('*').unwrap_or(&self.0)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Scope {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, NameError> {
        Self::parse(&value)
    }
}

impl From<Scope> for String {
    fn from(value: Scope) -> String {
        value.0
    }
}

/// A grant: on credentials (`scope` is a path prefix), or on keys (`target: "keys"`,
/// `scope` a key name, a key-name prefix ending in `*`, or `*`). Which capabilities fit
/// which target, and the key scope's rule, are checked when a role is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// An environment's name, or `*` for every environment.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub environment: GrantEnv,
    /// Left out for credentials, so grants written before keys existed read the same.
    #[serde(default, skip_serializing_if = "GrantTarget::is_credentials")]
    pub target: GrantTarget,
    pub scope: Scope,
    pub capabilities: Vec<Capability>,
    pub effect: Effect,
}

impl Grant {
    /// Why this grant cannot be saved, in words; `None` when it can.
    pub fn problem(&self) -> Option<String> {
        let allowed = Capability::of(self.target);
        if self.capabilities.is_empty() {
            let names: Vec<&str> = allowed.iter().map(|c| c.as_str()).collect();
            return Some(format!(
                "it has no capabilities; pick at least one of {}",
                names.join(", ")
            ));
        }
        if let Some(c) = self.capabilities.iter().find(|c| !allowed.contains(c)) {
            return Some(format!(
                "`{}` is not a capability on {}; use one of {}",
                c.as_str(),
                self.target.as_str(),
                allowed
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if self.target == GrantTarget::Keys {
            return key_scope_problem(&self.scope, &self.capabilities);
        }
        None
    }
}

/// A key scope: `*`, a key name, or a key-name prefix ending in `*`. `rotate` names one
/// key or all: OpenBao's policies cannot say "keys starting with …" before `/rotate`.
fn key_scope_problem(scope: &Scope, caps: &[Capability]) -> Option<String> {
    let text = scope.as_str();
    if scope.is_glob() {
        if !crate::names::KeyName::is_prefix(scope.prefix()) {
            return Some(format!(
                "key scope {text:?}: the part before '*' must begin a key name (lowercase \
                 letters, digits, '-' and '_', a letter first)"
            ));
        }
        if text != "*" && caps.contains(&Capability::Rotate) {
            return Some(format!(
                "key scope {text:?}: `rotate` needs one key's name or '*' (OpenBao policies \
                 cannot match a key-name prefix before /rotate)"
            ));
        }
        return None;
    }
    crate::names::KeyName::parse(text)
        .err()
        .map(|e| format!("key scope: {}", e.message))
}

/// A credential an e2e identity must read (canary) or must not read (forbidden).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProbePath {
    pub environment: EnvName,
    pub path: CredentialPath,
}

/// A role as exchanged over the API (`POST /roles`, `PUT /roles/{name}`, the policy
/// preview, and the answers). A body with a field it does not know is refused; the record
/// stored at `crypter/data/roles/<name>` is read through the backend's tolerant
/// `roles::record` instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub name: RoleName,
    pub class: RoleClass,
    /// Empty when left out.
    #[serde(default)]
    pub description: String,
    /// None when left out: the derived policy then grants nothing.
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// e2e roles only: credentials the identity must be able to read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canaries: Vec<ProbePath>,
    /// e2e roles only: credentials the identity must not be able to read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbidden: Vec<ProbePath>,
}

/// `GET /api/v1/roles`: one line per role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleSummary {
    pub name: RoleName,
    pub class: RoleClass,
    pub description: String,
    pub grant_count: usize,
    /// The live policy differs from the one derived from the grants.
    pub drift: bool,
    /// Deprecated auth methods this role still logs in through.
    #[serde(default)]
    pub deprecated_methods: Vec<String>,
}

/// `GET /api/v1/roles/{name}/policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RolePolicy {
    pub name: String,
    pub derived: String,
    /// `None` when the policy does not exist in OpenBao.
    pub live: Option<String>,
    pub drift: bool,
}

/// `POST /api/v1/roles/{name}/policy/preview`: the HCL a role would get, for the diff before saving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyPreview {
    pub derived: String,
    pub live: Option<String>,
}

/// `POST /api/v1/roles/{name}/check`: a credential (`path`) or a key (`key`), one of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessCheckRequest {
    pub environment: EnvName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<CredentialPath>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyName>,
}

/// One capability, as OpenBao answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessAnswer {
    pub capability: Capability,
    pub allowed: bool,
}

/// `POST /api/v1/roles/{name}/check`: OpenBao's own capabilities per path, and the
/// allowed/denied answer derived from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessCheck {
    pub environment: EnvName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<CredentialPath>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyName>,
    /// OpenBao path → capabilities from `sys/capabilities`.
    pub capabilities: std::collections::BTreeMap<String, Vec<String>>,
    pub answers: Vec<AccessAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretIdRequest {
    /// Lifetime of the secret-id, e.g. `24h`, `30m`, `3600s` or seconds as a number string.
    /// Default [`DEFAULT_SECRET_ID_TTL`]; OpenBao refuses one longer than the role allows.
    #[serde(default = "default_secret_id_ttl")]
    pub ttl: String,
}

/// A secret-id's lifetime when the request names none.
pub const DEFAULT_SECRET_ID_TTL: &str = "24h";

fn default_secret_id_ttl() -> String {
    DEFAULT_SECRET_ID_TTL.to_owned()
}

/// A freshly issued machine login. Returned once; Crypter keeps no copy (except for
/// e2e identities, whose secret-id is kept at `crypter/data/e2e/<role>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedSecretId {
    pub role_id: String,
    pub secret_id: String,
    pub accessor: String,
    /// RFC 3339, or `None` when it never expires.
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretIdInfo {
    pub accessor: String,
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
    /// OpenBao's `last_updated_time` of the secret-id (it records no login time as such).
    pub last_updated_at: Option<String>,
    /// Logins left; 0 means unlimited.
    pub uses_left: Option<i64>,
}

/// `GET /api/v1/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub name: String,
    pub roles: Vec<RoleName>,
    /// Policies the user holds that are not Crypter roles (e.g. `crypter-admin`).
    #[serde(default)]
    pub other_policies: Vec<String>,
    /// Deprecated auth methods this user still logs in through.
    #[serde(default)]
    pub deprecated_methods: Vec<String>,
}

/// `POST /api/v1/users`. The password goes to OpenBao and nowhere else.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: Username,
    pub password: String,
    #[serde(default)]
    pub roles: Vec<RoleName>,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .field("roles", &self.roles)
            .finish()
    }
}

/// `PUT /api/v1/users/{name}`: set the user's roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserRoles {
    pub roles: Vec<RoleName>,
}

/// `GET/PUT /api/v1/settings/auth`: auth method mount paths (e.g. `userpass/`) that are
/// deprecated. Roles and users that still log in through one are flagged. A body with a
/// field it does not know is refused; the stored record is read through the backend's
/// tolerant `roles::settings` instead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub deprecated_methods: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IdentityStatus {
    Ok,
    LoginFailed,
    CanaryFailed,
    ForbiddenReadable,
}

/// One probe of an identity check: what was expected and what OpenBao answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityProbe {
    /// `login`, `canary` or `forbidden`.
    pub kind: String,
    pub target: String,
    pub expected: u16,
    /// The HTTP status OpenBao answered, or 0 when it could not be asked.
    pub got: u16,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityResult {
    pub role: RoleName,
    pub status: IdentityStatus,
    pub details: String,
    pub probes: Vec<IdentityProbe>,
}

/// `POST /api/v1/identities/check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityReport {
    pub results: Vec<IdentityResult>,
    /// Deprecated auth methods that are still enabled in OpenBao.
    pub deprecated_enabled: Vec<String>,
    /// True when every identity is `ok` and no deprecated method is enabled.
    pub ok: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_rule() {
        for ok in [
            "*",
            "payments/*",
            "payments/db",
            "payments/d*",
            "a/b/c/*",
            "x.y",
        ] {
            assert!(Scope::parse(ok).is_ok(), "{ok} should be valid");
        }
        for (bad, why) in [
            ("", "empty"),
            ("../x", "'..'"),
            ("a/../b/*", "'..'"),
            ("a/*/b", "only appear at the end"),
            ("**", "only appear at the end"),
            ("a//b", "empty segment"),
            ("/a", "empty segment"),
            ("a b", "character"),
        ] {
            let err = Scope::parse(bad).unwrap_err();
            assert!(err.message.contains(why), "{bad}: {}", err.message);
            assert_eq!(err.kind, "scope");
        }
    }

    #[test]
    fn grants_deserialise_and_validate() {
        let g: Grant = serde_json::from_str(
            r#"{"environment":"*","scope":"payments/*","capabilities":["read","list"],"effect":"allow"}"#,
        )
        .unwrap();
        assert_eq!(g.environment, GrantEnv::Any);
        assert!(g.scope.is_glob());
        assert_eq!(g.scope.prefix(), "payments/");
        let bad_cap = serde_json::from_str::<Grant>(
            r#"{"environment":"staging","scope":"a","capabilities":["sudo"],"effect":"allow"}"#,
        );
        assert!(bad_cap.is_err());
        let bad_env = serde_json::from_str::<Grant>(
            r#"{"environment":"Prod","scope":"a","capabilities":["read"],"effect":"allow"}"#,
        );
        assert!(bad_env.is_err());
    }

    #[test]
    fn key_grants_check_their_capabilities_and_scope() {
        let g = |target: &str, scope: &str, caps: &str| -> Grant {
            serde_json::from_str(&format!(
                r#"{{"environment":"staging","target":"{target}","scope":"{scope}","capabilities":[{caps}],"effect":"allow"}}"#
            ))
            .unwrap()
        };
        assert_eq!(g("keys", "payments", r#""encrypt""#).problem(), None);
        assert_eq!(g("keys", "pay*", r#""encrypt","read""#).problem(), None);
        assert_eq!(g("keys", "*", r#""rotate""#).problem(), None);
        assert!(g("keys", "pay*", r#""rotate""#)
            .problem()
            .unwrap()
            .contains("rotate"));
        assert!(g("keys", "payments", r#""list""#)
            .problem()
            .unwrap()
            .contains("not a capability on keys"));
        assert!(g("credentials", "a/*", r#""encrypt""#)
            .problem()
            .unwrap()
            .contains("not a capability on credentials"));
        assert!(g("keys", "pay-", r#""encrypt""#).problem().is_some());
        assert!(g("keys", "Pay*", r#""encrypt""#).problem().is_some());
        assert!(g("keys", "a/b", r#""encrypt""#).problem().is_some());
        // Credential grants read and write as they always did: no `target`.
        let old = r#"{"environment":"*","scope":"a/*","capabilities":["read"],"effect":"allow"}"#;
        let grant: Grant = serde_json::from_str(old).unwrap();
        assert_eq!(grant.target, GrantTarget::Credentials);
        assert_eq!(serde_json::to_string(&grant).unwrap(), old);
    }

    #[test]
    fn new_user_debug_hides_the_password() {
        let u = NewUser {
            name: Username::parse("bob").unwrap(),
            password: "hunter2".into(),
            roles: vec![],
        };
        assert!(!format!("{u:?}").contains("hunter2"));
    }
}
