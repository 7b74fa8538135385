# Managed by Crypter: log shippers that post OpenBao audit lines to Crypter.
path "crypter/audit/ingest" {
  capabilities = ["update"]
}
# Crypter asks OpenBao, with the shipper's token, whether it holds the rule above.
path "sys/capabilities-self" {
  capabilities = ["update"]
}
