//! What each freeze level freezes: the one list of frozen path patterns.
//!
//! `provisioning` stops changes to roles, grants, policies, auth roles, users, environments
//! and mounts, and the creation, configuration and deletion of keys; credentials can still
//! be read and written, and keys used. `full` also stops every credential write, delete and
//! destroy, the issuing of secret-ids, and key rotation. The README documents this list.

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
    // Other ways to make or widen a login: an auth method's configuration (an LDAP or
    // OIDC server, a JWT issuer), trusted login certificates, and tokens minted without a
    // role (a child token may carry any policy its creator holds).
    // (`+` rather than a trailing `*`: OpenBao ranks `auth/+/config/*` below a broad
    // `auth/*`, so a carve-out there would not apply, and the whole `auth/*` rule would
    // lose its writes.)
    "auth/+/config",
    "auth/+/config/+",
    "auth/+/config/+/+",
    "auth/+/certs/+",
    "auth/token/create",
    "auth/token/create-orphan",
    // Identities (their policies are a token's too), and OpenBao as an OIDC provider or
    // MFA enforcer. `identity/entity` itself creates one, and `…/*` does not reach it.
    "identity/entity",
    "identity/entity/*",
    "identity/entity-alias",
    "identity/entity-alias/*",
    "identity/group",
    "identity/group/*",
    "identity/group-alias",
    "identity/group-alias/*",
    "identity/oidc/config",
    "identity/oidc/key/*",
    "identity/oidc/role/*",
    "identity/oidc/provider/+",
    "identity/oidc/client/*",
    "identity/oidc/assignment/*",
    "identity/oidc/scope/*",
    "identity/mfa/*",
    // Keys (in each environment's transit mount): creating one, its configuration, and
    // every way to delete, trim, import or restore one; the mount's own configuration
    // (which refuses key creation by encryption).
    "transit/+/keys/+",
    // (The admins' rule is `…/config*`, which this strips whole: a freeze errs on the
    // frozen side, and only `…/config` exists.)
    "transit/+/keys/+/config",
    "transit/+/keys/+/trim",
    "transit/+/keys/+/import",
    "transit/+/keys/+/import_version",
    "transit/+/keys/+/set-certificate",
    "transit/+/keys/+/soft-delete",
    "transit/+/keys/+/soft-delete-restore",
    "transit/+/restore",
    "transit/+/restore/*",
    "transit/+/config/keys",
    "transit/+/cache-config",
    // Crypter's own records of roles, grants, environments and keys (`+`: data, metadata,
    // delete, undelete, destroy).
    "crypter/+/roles/*",
    "crypter/+/environments/*",
    "crypter/+/keys/*",
    // Which login methods the console offers (the deprecated ones included): who may log
    // in, and how, is provisioning.
    "crypter/+/settings/*",
    // Approval rules (a provisioning freeze stops new ones).
    "crypter/+/approvals/rules/*",
    // The records that bind: only operators write them anyway, and frozen they stay so
    // even for a policy written before the freeze to reach them.
    "crypter/+/freeze/*",
    "crypter/+/changelog/*",
    "crypter/+/changesets/*",
    "crypter/+/runbooks/*",
    "crypter/+/runbook-templates/*",
];

/// Frozen only at `full`, on top of `PROVISIONING`.
pub const FULL_ONLY: &[&str] = &[
    // Every credential write, delete, undelete and destroy, in every environment.
    "env/+/data/*",
    "env/+/metadata/*",
    "env/+/delete/*",
    "env/+/undelete/*",
    "env/+/destroy/*",
    // Rotating a key.
    "transit/+/keys/+/rotate",
    // Issuing secret-ids, and keeping them for the identity checks.
    "auth/+/role/+/secret-id",
    "auth/+/role/+/custom-secret-id",
    "crypter/+/e2e/*",
];

/// The frozen path patterns at `level`, for auth methods mounted one segment deep.
pub fn frozen_paths(level: Level) -> Vec<&'static str> {
    match level {
        Level::None => Vec::new(),
        Level::Provisioning => PROVISIONING.to_vec(),
        Level::Full => PROVISIONING.iter().chain(FULL_ONLY).copied().collect(),
    }
}

/// The frozen path patterns at `level` for a store whose auth methods are mounted at
/// `auth_mounts` (as `sys/auth` lists them: `userpass/`, `team/approle/`). OpenBao's `+`
/// matches one path segment, so every pattern under `auth/+/` is repeated for each mount
/// that is deeper than one segment.
pub fn frozen_paths_for(level: Level, auth_mounts: &[String]) -> Vec<String> {
    let base = frozen_paths(level);
    let deep: Vec<&str> = auth_mounts
        .iter()
        .map(|m| m.trim_matches('/'))
        .filter(|m| m.contains('/'))
        .collect();
    let mut out: Vec<String> = base.iter().map(|p| (*p).to_owned()).collect();
    for mount in deep {
        for pattern in &base {
            if let Some(rest) = pattern.strip_prefix("auth/+/") {
                out.push(format!("auth/{mount}/{rest}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_auth_mounts_get_their_own_patterns() {
        let mounts = vec!["approle/".to_owned(), "team/approle/".to_owned()];
        let paths = frozen_paths_for(Level::Provisioning, &mounts);
        assert!(paths.contains(&"auth/team/approle/role/+".to_owned()));
        assert!(paths.contains(&"auth/team/approle/config".to_owned()));
        assert!(!paths.iter().any(|p| p.starts_with("auth/approle/")));
        assert_eq!(
            frozen_paths_for(Level::Provisioning, &[]).len(),
            PROVISIONING.len()
        );
    }
}
