# Managed by Crypter: operators (release leads). Exempt from the freeze.
# Operators may write every policy, their own included: they are, in effect, root.
# The records that bind: freeze state and snapshot, changelog, apply lock and uploads,
# runbook runs, sign-offs and templates, and the bootstrap version.
path "crypter/+/freeze/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/+/changelog/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/+/changesets/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/+/runbooks/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/+/runbook-templates/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
# A Raft snapshot of the store before a migration (the runbook's snapshot step, `crypter
# snapshot take`): reading it needs sudo.
path "sys/storage/raft/snapshot" {
  capabilities = ["read", "sudo"]
}
path "crypter/data/bootstrap" {
  capabilities = ["create", "read", "update"]
}
# Every job's owner marker: operators follow and resume any job.
path "crypter/data/job-owners/*" {
  capabilities = ["read"]
}
# Notification subscriptions, as admins manage them.
path "crypter/+/notifications/subscriptions/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/+/notifications/dead-letters/*" {
  capabilities = ["read", "list"]
}
# Bootstrap (run with an operator's token) makes the backend's session key if it is
# missing. Its metadata only: encrypt, decrypt, export and config are other paths, which
# only the backend's own policy names (encrypt and decrypt).
path "crypter-backend-transit/keys/sessions" {
  capabilities = ["create", "read", "update"]
}
path "crypter-backend-transit/keys/digests" {
  capabilities = ["create", "read", "update"]
}
# Provisioning, kept through every freeze: the migration's own rights. Each path repeats
# an admin path exactly, so that OpenBao merges the two for an admin who is an operator.
path "env/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list", "scan"]
}
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
# Keys: the admins' exact paths again (they merge), the deletion switch without the
# admins' denied parameters (this exact path outranks their `…/config*`), and every
# other transit path (trim, soft-delete, restore, backups and exports of keys made so).
path "crypter/+/keys/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/+/key-usage/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "sys/mounts/transit/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "transit/+/config/keys" {
  capabilities = ["read", "update"]
}
path "transit/+/keys/+" {
  capabilities = ["create", "read", "update", "delete"]
}
path "transit/+/keys/+/config*" {
  capabilities = ["update"]
}
path "transit/+/keys/+/config" {
  capabilities = ["read", "update"]
}
path "transit/+/keys/+/rotate" {
  capabilities = ["update"]
}
path "transit/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "sys/mounts" {
  capabilities = ["read"]
}
path "sys/mounts/env/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "sys/mounts/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "sys/auth" {
  capabilities = ["read"]
}
path "sys/auth/*" {
  capabilities = ["create", "read", "update", "delete", "sudo"]
}
path "sys/policies/acl" {
  capabilities = ["list"]
}
path "sys/policies/acl/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
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
path "auth/token/roles/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
# Which request headers OpenBao copies into its audit log (X-Crypter-Purpose).
path "sys/config/auditing/request-headers" {
  capabilities = ["read", "sudo"]
}
path "sys/config/auditing/request-headers/*" {
  capabilities = ["create", "read", "update", "delete", "sudo"]
}
# Freeze verification: probe tokens carrying one policy each, and their revocation.
path "auth/token/create/crypter-freeze-probe" {
  capabilities = ["create", "update"]
}
path "auth/token/revoke-accessor" {
  capabilities = ["update"]
}
path "sys/capabilities" {
  capabilities = ["update"]
}
path "auth/token/create/crypter-check" {
  capabilities = ["update"]
}
path "sys/audit" {
  capabilities = ["read"]
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
