//! The two policies Crypter installs. Kept as literal HCL so that what OpenBao enforces is
//! exactly what is reviewed here.

/// Administrators manage environments, credentials, roles, users and changesets.
pub const ADMIN_POLICY: &str = r#"# Managed by Crypter: administrators.
path "env/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list", "scan"]
}
path "crypter/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list", "scan"]
}
path "sys/mounts" {
  capabilities = ["read"]
}
path "sys/mounts/env/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "sys/auth" {
  capabilities = ["read"]
}
path "sys/policies/acl" {
  capabilities = ["list"]
}
path "sys/policies/acl/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "auth/approle/role" {
  capabilities = ["list"]
}
path "auth/approle/role/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "auth/userpass/users" {
  capabilities = ["list"]
}
path "auth/userpass/users/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "sys/capabilities" {
  capabilities = ["update"]
}
path "auth/token/create/crypter-probe" {
  capabilities = ["update"]
}
path "sys/storage/raft/configuration" {
  capabilities = ["read"]
}
path "sys/storage/raft/autopilot/state" {
  capabilities = ["read"]
}
path "sys/ha-status" {
  capabilities = ["read"]
}
"#;

/// Operators freeze and thaw the store. This policy is exempt from the freeze, so the
/// people who froze the store can always thaw it.
pub const OPERATOR_POLICY: &str = r#"# Managed by Crypter: operators (freeze and thaw; exempt from the freeze).
path "crypter/data/freeze/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "crypter/metadata/freeze/*" {
  capabilities = ["read", "delete", "list"]
}
path "sys/policies/acl" {
  capabilities = ["list"]
}
path "sys/policies/acl/*" {
  capabilities = ["create", "read", "update"]
}
path "sys/capabilities" {
  capabilities = ["update"]
}
# OpenBao applies the most specific matching rule across all of a token's policies, so
# these also apply to admins who are operators too: they must not take away admins' reads.
path "crypter/metadata/environments" {
  capabilities = ["read", "list"]
}
path "crypter/data/activity/*" {
  capabilities = ["create", "read"]
}
path "crypter/metadata/activity" {
  capabilities = ["read", "list"]
}
# Verification: mint probe tokens that carry one policy each, and revoke them.
path "auth/token/create/crypter-probe" {
  capabilities = ["create", "update"]
}
path "auth/token/revoke-accessor" {
  capabilities = ["update"]
}
# Remove whatever a probe managed to create when a freeze does not hold.
path "sys/policies/acl/crypter-probe-*" {
  capabilities = ["delete"]
}
path "auth/approle/role/crypter-probe-*" {
  capabilities = ["delete"]
}
path "auth/userpass/users/crypter-probe-*" {
  capabilities = ["delete"]
}
path "sys/mounts/crypter-probe-*" {
  capabilities = ["delete"]
}
path "crypter/metadata/environments/crypter-probe-*" {
  capabilities = ["delete"]
}
path "env/+/metadata/crypter-probe/*" {
  capabilities = ["delete"]
}
"#;
