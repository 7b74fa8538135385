//! Single sign-on through OpenBao's own OIDC auth method, mounted at `auth/oidc`.
//!
//! OpenBao runs the login: it makes the authorization URL (with state, nonce and a PKCE
//! challenge), exchanges the code, checks the ID token (signature, issuer, audience,
//! expiry, nonce) and issues the token, whose policies come from the external groups the
//! provider's `groups` claim names. Crypter only binds the login to the browser that
//! started it (a `client_nonce` in a short-lived cookie), keeps the mapping of provider
//! groups to Crypter roles, and explains a person's access from OpenBao's own answers.
//!
//! - [`settings`]: the provider, as `auth/oidc/config` and the login role hold it;
//! - [`login`]: the authorization URL and the callback;
//! - [`groups`]: provider group → roles, kept as OpenBao external groups and aliases;
//! - [`why`]: "why can I do this?";
//! - [`local`]: `crypter dev --sso`, with a local identity provider.

pub mod groups;
pub mod local;
pub mod login;
pub mod settings;
pub mod why;

/// The OIDC auth method's mount (`auth/oidc`).
pub const MOUNT: &str = "oidc";

/// The login role in `auth/oidc/role/…`; it is the mount's `default_role`, so nobody types a
/// role name.
pub const LOGIN_ROLE: &str = "crypter";

/// The console's callback, below the console's origin.
pub const CALLBACK_PATH: &str = "/api/v1/auth/oidc/callback";

/// Where the browser goes to start an SSO login.
pub const START_PATH: &str = "/api/v1/auth/oidc/start";
