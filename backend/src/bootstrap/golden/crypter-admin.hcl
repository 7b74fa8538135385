# Managed by Crypter: administrators.
# Credentials, in every environment.
path "env/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list", "scan"]
}
# Crypter's records of what admins manage.
path "crypter/+/environments/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/+/roles/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/+/settings/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/+/e2e/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/+/keys/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
# The ciphertexts known of each key (a scan's or a rewrap's counts): admins and operators.
path "crypter/+/key-usage/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
# The records that bind admins: operators write them, admins read them.
path "crypter/+/freeze/*" {
  capabilities = ["read", "list"]
}
path "crypter/+/changelog/*" {
  capabilities = ["read", "list"]
}
path "crypter/+/changesets/*" {
  capabilities = ["read", "list"]
}
path "crypter/+/runbooks/*" {
  capabilities = ["read", "list"]
}
path "crypter/+/runbook-templates/*" {
  capabilities = ["read", "list"]
}
path "crypter/data/bootstrap" {
  capabilities = ["read"]
}
# Notification subscriptions: admins and operators manage them (not frozen: they change no
# access), and read the dead letters the backend keeps.
path "crypter/+/notifications/subscriptions/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/+/notifications/dead-letters/*" {
  capabilities = ["read", "list"]
}
# Environments are KV v2 mounts under env/.
path "sys/mounts" {
  capabilities = ["read"]
}
path "sys/mounts/env/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "sys/auth" {
  capabilities = ["read"]
}
# Keys: one transit mount per environment (transit/<env>/), mounted with it. Keys are
# never exportable nor backed up in plaintext, and their deletion stays off: only
# operators turn it on, one key at a time (the exact `…/config` rule in their policy
# outranks `…/config*` here, so an admin who is also an operator may).
path "sys/mounts/transit/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "transit/+/config/keys" {
  capabilities = ["read", "update"]
}
path "transit/+/keys/" {
  capabilities = ["list"]
}
path "transit/+/keys/+" {
  capabilities = ["create", "read", "delete"]
  denied_parameters = {
    "exportable" = []
    "allow_plaintext_backup" = []
  }
}
path "transit/+/keys/+/config*" {
  capabilities = ["update"]
  denied_parameters = {
    "exportable" = []
    "allow_plaintext_backup" = []
    "deletion_allowed" = []
  }
}
path "transit/+/keys/+/rotate" {
  capabilities = ["update"]
}
# Trying a key. `update` only: with `create`, encrypting with a missing key would make it.
path "transit/+/encrypt/+" {
  capabilities = ["update"]
}
path "transit/+/decrypt/+" {
  capabilities = ["update"]
}
path "transit/+/rewrap/+" {
  capabilities = ["update"]
}
path "transit/+/sign/*" {
  capabilities = ["update"]
}
path "transit/+/verify/*" {
  capabilities = ["update"]
}
path "transit/+/hmac/*" {
  capabilities = ["update"]
}
path "transit/+/export/*" {
  capabilities = ["deny"]
}
path "transit/+/backup/*" {
  capabilities = ["deny"]
}
path "transit/+/byok-export/*" {
  capabilities = ["deny"]
}
# Every policy may be read; only the roles' policies written.
path "sys/policies/acl" {
  capabilities = ["list"]
}
path "sys/policies/acl/*" {
  capabilities = ["read", "list"]
}
path "sys/policies/acl/crypter-role-*" {
  capabilities = ["create", "read", "update", "delete"]
}
# Approvals: the rule of each protected environment, the approver groups' policies and
# identity groups it makes, the carrier's policy (the ruled environments only), and
# requests of one's own (a record only its requester writes).
path "crypter/+/approvals/rules/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "sys/policies/acl/crypter-approvers-*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "sys/policies/acl/crypter-carrier" {
  capabilities = ["create", "read", "update"]
}
path "identity/group/name/crypter-approvers-*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "identity/lookup/entity" {
  capabilities = ["update"]
}
# Machine roles (AppRole) and their secret-ids.
path "auth/approle/role" {
  capabilities = ["list"]
}
path "auth/approle/role/+" {
  capabilities = ["create", "read", "update", "delete"]
}
path "auth/approle/role/+/role-id" {
  capabilities = ["read"]
}
path "auth/approle/role/+/secret-id" {
  capabilities = ["update", "list"]
}
path "auth/approle/role/+/secret-id-accessor/*" {
  capabilities = ["update"]
}
# People (userpass).
path "auth/userpass/users" {
  capabilities = ["list"]
}
path "auth/userpass/users/+" {
  capabilities = ["create", "read", "update", "delete"]
}
# Deleting a person also ends every token they hold and every token those made: OpenBao
# revokes none when a userpass user is deleted.
path "sys/leases/lookup/auth/userpass/login/*" {
  capabilities = ["list", "sudo"]
}
path "sys/leases/revoke/auth/userpass/login/*" {
  capabilities = ["update"]
}
# Check access: OpenBao answers, about a token that carries one role's policy only.
path "sys/capabilities" {
  capabilities = ["update"]
}
path "auth/token/create/crypter-check" {
  capabilities = ["update"]
}
# The activity feed (OpenBao's audit log) is shown to whoever may read this.
path "sys/audit" {
  capabilities = ["read"]
}
# The cluster page.
path "sys/storage/raft/configuration" {
  capabilities = ["read"]
}
path "sys/storage/raft/autopilot/state" {
  capabilities = ["read"]
}
path "sys/ha-status" {
  capabilities = ["read"]
}
path "sys/auth/oidc" {
  capabilities = ["create", "read", "update", "delete", "sudo"]
}
path "sys/auth/oidc/tune" {
  capabilities = ["create", "read", "update", "delete", "sudo"]
}
path "auth/oidc/config" {
  capabilities = ["create", "read", "update"]
}
path "auth/oidc/role" {
  capabilities = ["list"]
}
path "auth/oidc/role/+" {
  capabilities = ["create", "read", "update", "delete"]
}
path "identity/group/name" {
  capabilities = ["list"]
}
path "identity/group/name/crypter-sso-*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "identity/group-alias" {
  capabilities = ["create", "update"]
}
path "identity/group-alias/id/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "identity/group/id/*" {
  capabilities = ["read"]
}
path "identity/entity/id/*" {
  capabilities = ["read"]
}
