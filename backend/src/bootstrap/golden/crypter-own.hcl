# Managed by Crypter: one's own records, attached beside crypter-admin and
# crypter-operator. Their templated rules live here alone, because OpenBao parses a
# templated policy again on every request.
# The marker of each of one's own jobs: reading it with one's own token is how OpenBao
# decides who may follow a job.
path "crypter/data/job-owners/{{identity.entity.id}}/*" {
  capabilities = ["read"]
}
# One's own approval requests: a record only its requester writes.
path "crypter/data/approvals/requests/{{identity.entity.id}}/*" {
  capabilities = ["create", "read"]
}
