//! The policies Crypter installs, rendered from one table of grants (`grants.rs`). What
//! they come to is kept in `golden/` and reviewed there: a test fails when the table and
//! the golden files differ. The README's permission table describes them.

use super::grants::{rights, Grant, Rights, Role, KINDS};
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// Administrators manage environments, credentials, roles, users and secret-ids, and read
/// every record Crypter keeps. They do not write the records that bind them (freeze,
/// changelog, apply lock, uploads, runbook runs): operators do.
pub static ADMIN_POLICY: LazyLock<String> =
    LazyLock::new(|| render(Role::Admin, "Managed by Crypter: administrators."));

/// Operators (release leads) freeze and thaw, write the records that bind everyone, and
/// hold the provisioning rights the migration needs. Their policy is exempt from the
/// freeze, and they may rewrite any policy: operators are, in effect, root.
pub static OPERATOR_POLICY: LazyLock<String> = LazyLock::new(|| {
    render(
        Role::Operator,
        "Managed by Crypter: operators (release leads). Exempt from the freeze. Operators \
         may write every policy, their own included: they are, in effect, root.",
    )
});

/// One's own records, for everyone who holds `crypter-admin` or `crypter-operator`: the
/// grants whose paths name the caller's entity (`{{identity.entity.id}}`: the markers of
/// one's own jobs, one's own approval requests). They are kept apart because OpenBao parses
/// a templated policy again on every request, whole: inside the two large policies, the
/// two rules cost each admin request about 4 ms. Bootstrap attaches it beside them.
pub static OWN_POLICY: LazyLock<String> = LazyLock::new(|| {
    render_with(
        "Managed by Crypter: one's own records, beside crypter-admin and crypter-operator. \
         Their templated rules live here: OpenBao parses a templated policy again on every \
         request.",
        |grant| templated(grant.0).then(|| own_rights(grant)),
    )
});

/// A path that names the caller's entity: OpenBao fills it in on every request.
fn templated(path: &str) -> bool {
    path.contains("{{")
}

/// A templated grant's rights in `crypter-own`: the admins' column, or the operators' where
/// admins hold none (the tests check that both columns agree where both hold it).
fn own_rights(grant: &Grant) -> Rights {
    let admin = rights(grant, Role::Admin);
    if admin.capabilities.is_empty() {
        rights(grant, Role::Operator)
    } else {
        admin
    }
}

/// The backend's own identity (AppRole `crypter-backend`): Crypter's session and job
/// records, and the bootstrap version it checks at start. Nothing that holds secrets or
/// grants rights.
pub static BACKEND_POLICY: LazyLock<String> = LazyLock::new(|| {
    render(
        Role::Backend,
        "Managed by Crypter: the backend's own identity (AppRole crypter-backend). Records \
         of its own only: nothing that holds secrets or grants rights.",
    )
});

/// Operators' log shippers post OpenBao audit lines to `POST /api/v1/audit/ingest` with a
/// token carrying this policy; Crypter asks OpenBao whether the token holds it.
pub static AUDIT_INGEST_POLICY: LazyLock<String> = LazyLock::new(|| {
    render(
        Role::AuditIngest,
        "Managed by Crypter: log shippers that post OpenBao audit lines to Crypter.",
    )
});

/// `role`'s column of the table as HCL. Templated rules go to `crypter-own` instead.
fn render(role: Role, header: &str) -> String {
    render_with(header, |grant| {
        (!templated(grant.0)).then(|| rights(grant, role))
    })
}

/// The grants `pick` keeps, as HCL: each record kind's reason as a comment, then its rules.
fn render_with(header: &str, pick: impl Fn(&Grant) -> Option<Rights>) -> String {
    let mut hcl = String::new();
    comment(&mut hcl, header);
    for kind in KINDS {
        let held: Vec<(&str, Rights)> = kind
            .grants
            .iter()
            .filter_map(|grant| pick(grant).map(|rights| (grant.0, rights)))
            .filter(|(_, rights)| !rights.capabilities.is_empty())
            .collect();
        if held.is_empty() {
            continue;
        }
        comment(&mut hcl, kind.why);
        for (path, rights) in held {
            rule(&mut hcl, path, rights);
        }
    }
    hcl
}

/// `text` as `#` lines of at most 90 characters.
fn comment(hcl: &mut String, text: &str) {
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > 90 && line.len() > 1 {
            hcl.push_str(&line);
            hcl.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    hcl.push_str(&line);
    hcl.push('\n');
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn rule(hcl: &mut String, path: &str, rights: Rights) {
    hcl.push_str(&format!(
        "path \"{path}\" {{\n  capabilities = [{}]\n",
        quoted(rights.capabilities)
    ));
    if !rights.denied_parameters.is_empty() {
        hcl.push_str("  denied_parameters = {\n");
        for parameter in rights.denied_parameters {
            hcl.push_str(&format!("    \"{parameter}\" = []\n"));
        }
        hcl.push_str("  }\n");
    }
    hcl.push_str("}\n");
}

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
    use std::collections::BTreeMap;

    /// Every built-in policy as it was reviewed: a grant dropped, added or changed in the
    /// table fails until its golden file says the same. Compared as sets of `path` blocks
    /// (the table groups rules by record kind, not in the order the files were first
    /// written): each path once, with the same capabilities and other attributes.
    const GOLDEN: &[(&str, &str)] = &[
        ("crypter-admin", include_str!("golden/crypter-admin.hcl")),
        (
            "crypter-operator",
            include_str!("golden/crypter-operator.hcl"),
        ),
        (
            "crypter-backend",
            include_str!("golden/crypter-backend.hcl"),
        ),
        (
            "crypter-audit-ingest",
            include_str!("golden/crypter-audit-ingest.hcl"),
        ),
        ("crypter-own", include_str!("golden/crypter-own.hcl")),
    ];

    fn blocks(name: &str, hcl: &str) -> BTreeMap<String, (Vec<String>, String)> {
        let doc = parse(hcl).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut blocks = BTreeMap::new();
        for rule in doc.rules {
            let rest = format!("{:?}", rule.rest);
            let again = blocks.insert(rule.path.clone(), (rule.capabilities, rest));
            assert!(again.is_none(), "{name}: {} twice", rule.path);
        }
        blocks
    }

    #[test]
    fn built_in_policies_equal_their_golden_files_as_sets_of_path_blocks() {
        for (name, golden) in GOLDEN {
            let generated = super::super::POLICIES
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{name} is not installed"))
                .1;
            let want = blocks(name, golden);
            let got = blocks(name, generated);
            for (path, rule) in &want {
                assert_eq!(got.get(path), Some(rule), "{name}: {path}");
            }
            for path in got.keys() {
                assert!(
                    want.contains_key(path),
                    "{name}: {path} is not in its golden file"
                );
            }
        }
        assert_eq!(super::super::POLICIES.len(), GOLDEN.len());
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
        let admin = parse(&ADMIN_POLICY).unwrap();
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
        let admin = parse(&ADMIN_POLICY).unwrap();
        let operator = parse(&OPERATOR_POLICY).unwrap();
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
        let admin = parse(&ADMIN_POLICY).unwrap();
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
        let admin = parse(&ADMIN_POLICY).unwrap();
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
        for (name, hcl) in [("admin", &ADMIN_POLICY), ("operator", &OPERATOR_POLICY)] {
            let doc = parse(hcl).unwrap();
            for path in paths {
                let reaches = doc
                    .rules
                    .iter()
                    .any(|r| Pattern::new(&r.path).matches(path) && !r.capabilities.is_empty());
                assert!(!reaches, "{name} reaches {path}");
            }
        }
        let backend = parse(&BACKEND_POLICY).unwrap();
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

    /// Only `crypter-own` is templated; its rules are the admins' and operators' alone,
    /// and where both columns hold one, they agree.
    #[test]
    fn templated_rules_live_in_crypter_own_alone() {
        for (name, hcl) in super::super::POLICIES.iter() {
            assert_eq!(hcl.contains("{{"), *name == "crypter-own", "{name}");
        }
        let mut templated_grants = 0;
        for grant in KINDS.iter().flat_map(|k| k.grants) {
            if !templated(grant.0) {
                continue;
            }
            templated_grants += 1;
            let caps = |role| rights(grant, role).capabilities;
            assert!(caps(Role::Backend).is_empty() && caps(Role::AuditIngest).is_empty());
            let (admin, operator) = (caps(Role::Admin), caps(Role::Operator));
            assert!(
                admin.is_empty() || operator.is_empty() || admin == operator,
                "{}",
                grant.0
            );
            assert!(OWN_POLICY.contains(&format!("path \"{}\"", grant.0)));
        }
        assert_eq!(templated_grants, 2);
    }

    /// A freeze leaves one's own records alone: neither rule reaches a frozen path.
    #[test]
    fn a_freeze_leaves_crypter_own_as_it_is() {
        let own = parse(&OWN_POLICY).unwrap();
        for level in [Level::Provisioning, Level::Full] {
            assert!(freeze_policy(&own, &patterns(level)).is_none(), "{level:?}");
        }
    }
}
