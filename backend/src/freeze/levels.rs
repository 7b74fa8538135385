//! What each freeze level freezes: the one list of frozen path patterns.
//!
//! `provisioning` stops changes to roles, grants, policies, auth roles, users, environments
//! and mounts; credentials can still be read and written. `full` also stops every credential
//! write, delete and destroy, and the issuing of secret-ids. The README documents this list.

/// The level lives in `crypter-api` (the console shows it); this name stays for the freeze
/// code.
pub use crypter_api::FreezeLevel as Level;

/// The capabilities a freeze removes from every rule that can reach a frozen path.
pub const WRITE_CAPABILITIES: &[&str] = &["create", "update", "delete", "patch", "sudo"];

/// Policies a freeze never rewrites: OpenBao's own `root`, and the operators who freeze and
/// thaw (they must be able to thaw).
pub const EXEMPT_POLICIES: &[&str] = &["root", "crypter-operator"];

/// Frozen at `provisioning` (and so at `full` too).
pub const PROVISIONING: &[&str] = &[
    // ACL policies, hence every role's derived policy and every grant.
    "sys/policies/acl/*",
    "sys/policy/*",
    // Mounts and auth methods, hence environments.
    "sys/mounts/*",
    "sys/remount",
    "sys/auth/*",
    // Auth roles (AppRole and the like) and their settings, but not their secret-ids.
    "auth/+/role/+",
    "auth/+/role/+/policies",
    "auth/+/role/+/token-policies",
    "auth/+/role/+/role-id",
    "auth/+/role/+/bind-secret-id",
    "auth/+/role/+/secret-id-bound-cidrs",
    "auth/+/role/+/token-bound-cidrs",
    "auth/+/role/+/token-ttl",
    "auth/+/role/+/token-max-ttl",
    "auth/+/role/+/period",
    "auth/+/roles/+",
    "auth/token/roles/+",
    // Users and groups of any auth method (userpass, ldap …).
    "auth/+/users/+",
    "auth/+/users/+/policies",
    "auth/+/users/+/password",
    "auth/+/groups/+",
    "identity/entity/*",
    "identity/entity-alias/*",
    "identity/group/*",
    "identity/group-alias/*",
    // Crypter's own records of roles, grants and environments.
    "crypter/data/roles/*",
    "crypter/metadata/roles/*",
    "crypter/delete/roles/*",
    "crypter/destroy/roles/*",
    "crypter/data/environments/*",
    "crypter/metadata/environments/*",
    "crypter/delete/environments/*",
    "crypter/destroy/environments/*",
];

/// Frozen only at `full`, on top of `PROVISIONING`.
pub const FULL_ONLY: &[&str] = &[
    // Every credential write, delete, undelete and destroy, in every environment.
    "env/+/data/*",
    "env/+/metadata/*",
    "env/+/delete/*",
    "env/+/undelete/*",
    "env/+/destroy/*",
    // Issuing secret-ids.
    "auth/+/role/+/secret-id",
    "auth/+/role/+/custom-secret-id",
];

/// The frozen path patterns at `level`.
pub fn frozen_paths(level: Level) -> Vec<&'static str> {
    match level {
        Level::None => Vec::new(),
        Level::Provisioning => PROVISIONING.to_vec(),
        Level::Full => PROVISIONING.iter().chain(FULL_ONLY).copied().collect(),
    }
}
