//! The policies Crypter installs. Kept as literal HCL so that what OpenBao enforces is
//! exactly what is reviewed here; the README's permission table describes them.
//!
//! OpenBao applies, across *all* of a token's policies, the rule with the most specific
//! path, and merges rules whose paths are identical. So wherever an admin rule can reach a
//! frozen path, the operator policy repeats that exact path with at least the same rights:
//! a freeze strips the admin copy, the operator copy survives, and an admin who is also an
//! operator keeps every right the migration needs. Admin rules that reach frozen paths
//! are each contained in one frozen pattern, so the freeze never needs a carve-out (a more
//! specific rule that would outrank the operator's). Unit tests below check both.

use std::collections::BTreeSet;

/// The approvals' rules, in the admins' policy and, exactly again (so that a freeze, which
/// strips the admins' copy, leaves them to an admin who is an operator), in the operators'.
macro_rules! approvals_rules {
    () => {
        r#"# Approvals: the rule of each protected environment, the approver groups' policies and
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
path "crypter/data/approvals/requests/{{identity.entity.id}}/*" {
  capabilities = ["create", "read"]
}
"#
    };
}

/// Administrators manage environments, credentials, roles, users and secret-ids, and read
/// every record Crypter keeps. They do not write the records that bind them (freeze,
/// changelog, apply lock, uploads, runbook runs): operators do.
pub const ADMIN_POLICY: &str = concat!(
    r#"# Managed by Crypter: administrators.
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
# Jobs (applies, runbook steps): the backend keeps a marker per job under its owner's
# entity; reading it with the caller's own token is how OpenBao decides who may follow a
# job. An owner reads their own; operators read all.
path "crypter/data/job-owners/{{identity.entity.id}}/*" {
  capabilities = ["read"]
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
"#,
    approvals_rules!(),
    r#"# Machine roles (AppRole) and their secret-ids.
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
"#
);

/// Operators (release leads) freeze and thaw, write the records that bind everyone, and
/// hold the provisioning rights the migration needs. Their policy is exempt from the
/// freeze, and they may rewrite any policy: operators are, in effect, root.
pub const OPERATOR_POLICY: &str = concat!(
    r#"# Managed by Crypter: operators (release leads). Exempt from the freeze.
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
"#,
    approvals_rules!(),
    r#"path "auth/approle/role" {
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
"#
);

/// The backend's own identity (AppRole `crypter-backend`): Crypter's session and job
/// records, and the bootstrap version it checks at start. Nothing that holds secrets or
/// grants rights. Later records of the backend's own go here too, each under its own path.
pub const BACKEND_POLICY: &str = r#"# Managed by Crypter: the backend's own identity (AppRole crypter-backend).
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
"#;

/// Operators' log shippers post OpenBao audit lines to `POST /api/v1/audit/ingest` with a
/// token carrying this policy; Crypter asks OpenBao whether the token holds it.
pub const AUDIT_INGEST_POLICY: &str = r#"# Managed by Crypter: log shippers that post OpenBao audit lines to Crypter.
path "crypter/audit/ingest" {
  capabilities = ["update"]
}
# Crypter asks OpenBao, with the shipper's token, whether it holds the rule above.
path "sys/capabilities-self" {
  capabilities = ["update"]
}
"#;

/// The carrier's policy for the environments in `ruled`: their credentials' data and
/// metadata, and the paths that delete, undelete and destroy versions.
pub fn carrier_policy(ruled: &BTreeSet<String>) -> String {
    let mut hcl = String::from(
        "# Managed by Crypter: the identity that carries out approved requests, in the\n\
         # environments that have an approval rule and nowhere else.\n",
    );
    for env in ruled {
        for (kind, caps) in [
            ("data", r#"["create", "read", "update", "patch"]"#),
            ("metadata", r#"["create", "read", "update", "patch"]"#),
            ("delete", r#"["update"]"#),
            ("undelete", r#"["update"]"#),
            ("destroy", r#"["update"]"#),
        ] {
            hcl.push_str(&format!(
                "path \"env/{env}/{kind}/*\" {{\n  capabilities = {caps}\n}}\n"
            ));
        }
        hcl.push_str(&format!(
            "path \"transit/{env}/keys/+\" {{\n  capabilities = [\"read\"]\n}}\n\
             path \"transit/{env}/keys/+/rotate\" {{\n  capabilities = [\"update\"]\n}}\n"
        ));
    }
    hcl
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::freeze::glob::Pattern;
    use crate::freeze::levels::{frozen_paths, Level, WRITE_CAPABILITIES};
    use crate::freeze::policy_doc::parse;
    use crate::freeze::rewrite::freeze_policy;

    /// Every built-in policy as it was reviewed: a grant dropped, added or changed here
    /// fails until its golden file says the same.
    const GOLDEN: &[(&str, &str, &str)] = &[
        (
            "crypter-admin",
            ADMIN_POLICY,
            include_str!("golden/crypter-admin.hcl"),
        ),
        (
            "crypter-operator",
            OPERATOR_POLICY,
            include_str!("golden/crypter-operator.hcl"),
        ),
        (
            "crypter-backend",
            BACKEND_POLICY,
            include_str!("golden/crypter-backend.hcl"),
        ),
        (
            "crypter-audit-ingest",
            AUDIT_INGEST_POLICY,
            include_str!("golden/crypter-audit-ingest.hcl"),
        ),
    ];

    #[test]
    fn built_in_policies_equal_their_golden_files_byte_for_byte() {
        for (name, generated, golden) in GOLDEN {
            assert_eq!(generated, golden, "{name}");
        }
    }

    fn patterns(level: Level) -> Vec<String> {
        frozen_paths(level)
            .iter()
            .map(|p| (*p).to_owned())
            .collect()
    }

    /// The freeze strips admin rules but never adds a rule to the admin policy: a carve-out
    /// would be more specific than the operator's copy and win over it.
    #[test]
    fn freezing_the_admin_policy_needs_no_carve_outs() {
        let admin = parse(ADMIN_POLICY).unwrap();
        for level in [Level::Provisioning, Level::Full] {
            let frozen = freeze_policy(&admin, &patterns(level)).unwrap();
            let before: Vec<&str> = admin.rules.iter().map(|r| r.path.as_str()).collect();
            let after: Vec<&str> = frozen.rules.iter().map(|r| r.path.as_str()).collect();
            assert_eq!(before, after, "{level:?}");
        }
    }

    /// Every admin rule a freeze changes is repeated, path for path, in the operator
    /// policy with at least the admin's capabilities.
    #[test]
    fn operators_repeat_every_admin_path_a_freeze_strips() {
        let admin = parse(ADMIN_POLICY).unwrap();
        let operator = parse(OPERATOR_POLICY).unwrap();
        for level in [Level::Provisioning, Level::Full] {
            let frozen = freeze_policy(&admin, &patterns(level)).unwrap();
            for (was, now) in admin.rules.iter().zip(&frozen.rules) {
                if was.capabilities == now.capabilities {
                    continue;
                }
                let op = operator
                    .rules
                    .iter()
                    .find(|r| r.path == was.path)
                    .unwrap_or_else(|| panic!("operators lack {}", was.path));
                for cap in &was.capabilities {
                    assert!(op.capabilities.contains(cap), "{} {cap}", was.path);
                }
            }
        }
    }

    /// Every policy but the operators' keeps keys unexportable and their deletion off, in
    /// OpenBao's own terms: `denied_parameters` on key creation and configuration, and a
    /// deny on exports and backups.
    #[test]
    fn admins_cannot_export_keys_or_turn_deletion_on() {
        let admin = parse(ADMIN_POLICY).unwrap();
        let rule = |path: &str| {
            admin
                .rules
                .iter()
                .find(|r| r.path == path)
                .unwrap_or_else(|| panic!("no rule {path}"))
        };
        for (path, denied) in [
            (
                "transit/+/keys/+",
                vec!["exportable", "allow_plaintext_backup"],
            ),
            (
                "transit/+/keys/+/config*",
                vec!["exportable", "allow_plaintext_backup", "deletion_allowed"],
            ),
        ] {
            let text = format!("{:?}", rule(path).rest);
            for p in denied {
                assert!(
                    text.contains("denied_parameters") && text.contains(p),
                    "{path}: {p}"
                );
            }
        }
        for path in [
            "transit/+/export/*",
            "transit/+/backup/*",
            "transit/+/byok-export/*",
        ] {
            assert_eq!(rule(path).capabilities, vec!["deny".to_owned()], "{path}");
        }
        // Encrypting never creates a key: no `create` on encrypt.
        assert_eq!(
            rule("transit/+/encrypt/+").capabilities,
            vec!["update".to_owned()]
        );
    }

    /// Admins hold no write on the records that bind them, nor on the backend's records.
    #[test]
    fn admins_cannot_write_binding_records() {
        let admin = parse(ADMIN_POLICY).unwrap();
        for path in [
            "crypter/data/freeze/snapshot",
            "crypter/data/freeze/state",
            "crypter/data/changelog/x",
            "crypter/data/changesets/lock",
            "crypter/data/changesets/uploads/x",
            "crypter/data/runbooks/x",
            "crypter/data/runbook-templates/x",
            "crypter/data/activity/x",
            "crypter/data/sessions/x",
            "crypter/data/jobs/x",
            "crypter/data/job-owners/x/y",
            "crypter/data/notifications/cursors/x",
            "crypter/data/notifications/leases/x",
            "crypter/data/notifications/dead-letters/x/y",
            "crypter-backend-transit/encrypt/sessions",
            "crypter-backend-transit/decrypt/sessions",
            "crypter/data/bootstrap",
            "sys/policies/acl/crypter-operator",
            "auth/token/create/crypter-freeze-probe",
            "transit/staging/export/encryption-key/cards",
            "transit/staging/backup/cards",
            "transit/staging/byok-export/other/cards",
            "transit/staging/keys/cards/trim",
            "transit/staging/keys/cards/soft-delete",
            "transit/staging/restore/cards",
        ] {
            let writes = admin.rules.iter().any(|r| {
                Pattern::new(&r.path).matches(path)
                    && r.capabilities
                        .iter()
                        .any(|c| WRITE_CAPABILITIES.contains(&c.as_str()))
            });
            assert!(!writes, "admins may write {path}");
        }
    }

    /// Neither admins nor operators reach session records, job records or the transit key
    /// that seals session tokens, with any capability: only the backend's own identity does.
    #[test]
    fn only_the_backend_reaches_sessions_jobs_and_their_key() {
        let paths = [
            "crypter/data/sessions/abc",
            "crypter/metadata/sessions/abc",
            "crypter/data/jobs/job-1",
            "crypter/metadata/jobs/job-1",
            "crypter-backend-transit/encrypt/sessions",
            "crypter-backend-transit/decrypt/sessions",
        ];
        for (name, hcl) in [("admin", ADMIN_POLICY), ("operator", OPERATOR_POLICY)] {
            let doc = parse(hcl).unwrap();
            for path in paths {
                let reaches = doc
                    .rules
                    .iter()
                    .any(|r| Pattern::new(&r.path).matches(path) && !r.capabilities.is_empty());
                assert!(!reaches, "{name} reaches {path}");
            }
        }
        let backend = parse(BACKEND_POLICY).unwrap();
        for path in paths.iter().take(6) {
            assert!(
                backend
                    .rules
                    .iter()
                    .any(|r| Pattern::new(&r.path).matches(path)),
                "the backend lacks {path}"
            );
        }
    }
}
