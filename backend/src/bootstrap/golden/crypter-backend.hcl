# Managed by Crypter: the backend's own identity (AppRole crypter-backend).
# Session and job records only: nothing that holds secrets or grants rights.
path "crypter/data/sessions/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/metadata/sessions/*" {
  capabilities = ["read", "delete", "list"]
}
path "crypter/data/jobs/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "crypter/metadata/jobs/*" {
  capabilities = ["read", "delete", "list"]
}
path "crypter/data/job-owners/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "crypter/metadata/job-owners/*" {
  capabilities = ["delete", "list"]
}
path "crypter/data/bootstrap" {
  capabilities = ["read"]
}
# The transit key that seals the OpenBao tokens in session records: this policy alone
# may use it, so a copy of the records opens nothing without the backend.
path "crypter-backend-transit/encrypt/sessions" {
  capabilities = ["update"]
}
path "crypter-backend-transit/decrypt/sessions" {
  capabilities = ["update"]
}
# The lint's keyed digests of credential values, and the key that makes them: only this
# policy may call the key (anyone else could test guesses against the digests) or write
# the records (anyone else could hide a shared value).
path "crypter-backend-transit/hmac/digests" {
  capabilities = ["update"]
}
path "crypter/data/digests/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "crypter/metadata/digests/*" {
  capabilities = ["delete"]
}
# Scheduled restore points of whole environments (`--restore-points-every`): the
# environments' list, each credential's metadata (versions, never a value), and the named
# restore points' records (`@<environment>.<name>.named`), nothing else of the changesets'.
path "crypter/metadata/environments/" {
  capabilities = ["list"]
}
path "crypter/data/environments/*" {
  capabilities = ["read"]
}
path "env/+/detailed-metadata/*" {
  capabilities = ["scan", "list"]
}
path "crypter/data/changesets/restore-points/@*" {
  capabilities = ["create", "read", "update"]
}
path "crypter/data/changesets/restore-point-chunks/@*" {
  capabilities = ["create", "read", "update"]
}
path "crypter/metadata/changesets/restore-points/" {
  capabilities = ["list"]
}
path "crypter/metadata/changesets/restore-points/@*" {
  capabilities = ["delete"]
}
path "crypter/metadata/changesets/restore-point-chunks/@*" {
  capabilities = ["delete", "list"]
}
# Approvals: the backend reads rules, requests and votes (to show them and to know when
# one is approved), keeps an index of requests (id → requester) and each request's
# outcome, and reads entities to name voters. It never writes a request or a vote.
path "crypter/data/approvals/*" {
  capabilities = ["read"]
}
path "crypter/metadata/approvals/*" {
  capabilities = ["list"]
}
path "crypter/data/approvals/index/*" {
  capabilities = ["create", "read"]
}
path "crypter/data/approvals/outcomes/*" {
  capabilities = ["create", "read", "update"]
}
path "identity/entity/id/*" {
  capabilities = ["read"]
}
# Product events (freeze, thaw, breach, changeset applied or undone, reminder): marker
# writes of the backend's own, which the audit log carries to the activity feed. Nobody
# else may write them, so nobody else can make one up.
path "crypter/data/events/*" {
  capabilities = ["create", "update"]
}
# The freeze record, read by the freeze watcher (it announces freezes, thaws, breaches).
path "crypter/data/freeze/state" {
  capabilities = ["read"]
}
# Notifications: the backend delivers, so it reads the subscriptions (never writes them:
# admins and operators do) and opens their signing secrets with the sessions' transit key
# (above). Its own delivery state, which only it writes: per subscription a cursor, a
# lease (one instance delivers), and the dead letters.
path "crypter/data/notifications/subscriptions/*" {
  capabilities = ["read"]
}
path "crypter/metadata/notifications/subscriptions/" {
  capabilities = ["list"]
}
path "crypter/data/notifications/cursors/*" {
  capabilities = ["create", "read", "update"]
}
path "crypter/data/notifications/leases/*" {
  capabilities = ["create", "read", "update"]
}
path "crypter/data/notifications/dead-letters/*" {
  capabilities = ["create", "read", "update"]
}
path "crypter/metadata/notifications/cursors/*" {
  capabilities = ["delete"]
}
path "crypter/metadata/notifications/leases/*" {
  capabilities = ["delete"]
}
path "crypter/metadata/notifications/dead-letters/*" {
  capabilities = ["delete", "list"]
}
path "auth/oidc/config" {
  capabilities = ["read"]
}
