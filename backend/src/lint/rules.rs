//! The credential rules of the environment lint. Pure functions over a [`Snapshot`].

use super::{Rule, Snapshot};
use crypter_api::{EnvName, LintFinding, Severity};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Every rule over environments and credentials, in the order they are reported.
pub const CREDENTIAL_RULES: &[Rule] = &[
    environment_mismatch,
    missing_metadata,
    shared_value,
    shared_value_unknown,
    unexpected_in_protected,
    rotation_overdue,
    expiry,
];

fn finding(
    rule: &str,
    severity: Severity,
    env: &EnvName,
    path: &str,
    message: String,
) -> LintFinding {
    LintFinding {
        rule: rule.to_owned(),
        severity,
        environment: Some(env.to_string()),
        path: Some(path.to_owned()),
        message,
    }
}

/// The metadata's `environment` differs from the mount the credential lives in.
pub fn environment_mismatch(s: &Snapshot, _now: OffsetDateTime) -> Vec<LintFinding> {
    let mut out = Vec::new();
    for env in &s.environments {
        let name = &env.environment.name;
        for c in env.credentials.iter().filter(|c| !c.deleted) {
            match c.metadata.environment.as_deref() {
                Some(meta) if meta != name => out.push(finding(
                    "environment-mismatch",
                    Severity::Error,
                    name,
                    &c.path,
                    format!(
                        "its metadata says environment {meta:?} but it lives in {name:?}; move it \
                         or fix the metadata by saving it again from Crypter"
                    ),
                )),
                _ => {}
            }
        }
    }
    out
}

/// No class or no owner.
pub fn missing_metadata(s: &Snapshot, _now: OffsetDateTime) -> Vec<LintFinding> {
    let mut out = Vec::new();
    for env in &s.environments {
        for c in env.credentials.iter().filter(|c| !c.deleted) {
            let missing: Vec<&str> = [
                ("class", c.metadata.class.is_none()),
                ("owner", c.metadata.owner.is_none()),
            ]
            .iter()
            .filter(|(_, m)| *m)
            .map(|(k, _)| *k)
            .collect();
            if !missing.is_empty() {
                out.push(finding(
                    "missing-metadata",
                    Severity::Warning,
                    &env.environment.name,
                    &c.path,
                    format!(
                        "it has no {}; set it by editing the credential",
                        missing.join(" and ")
                    ),
                ));
            }
        }
    }
    out
}

/// The same value in a protected and an unprotected environment: a leak of the protected
/// one's secret, whatever the paths. Compared by hash; one finding per protected copy.
pub fn shared_value(s: &Snapshot, _now: OffsetDateTime) -> Vec<LintFinding> {
    let mut unprotected: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for env in s.environments.iter().filter(|e| !e.environment.protected) {
        for (path, hash) in &env.hashes {
            unprotected
                .entry(hash.as_str())
                .or_default()
                .push((env.environment.name.as_str(), path.as_str()));
        }
    }
    let mut out = Vec::new();
    for env in s.environments.iter().filter(|e| e.environment.protected) {
        for (path, hash) in &env.hashes {
            if let Some(copies) = unprotected.get(hash.as_str()) {
                let places: Vec<String> = copies.iter().map(|(e, p)| format!("{e}/{p}")).collect();
                out.push(finding(
                    "shared-value",
                    Severity::Error,
                    &env.environment.name,
                    path,
                    format!(
                        "the same value is stored in unprotected {}; rotate the protected one",
                        places.join(", ")
                    ),
                ));
            }
        }
    }
    out
}

/// A credential whose value has no current digest (written outside Crypter since its digest
/// was made): `shared-value` cannot tell whether it is shared, and says so rather than
/// count it as unique. The full lint reads such values once and keeps their digests.
pub fn shared_value_unknown(s: &Snapshot, _now: OffsetDateTime) -> Vec<LintFinding> {
    let mut out = Vec::new();
    for env in &s.environments {
        for path in &env.unknown {
            out.push(finding(
                "shared-value-unknown",
                Severity::Info,
                &env.environment.name,
                path,
                "its value changed outside Crypter, so whether it is shared with another \
                 environment is unknown; run the full lint once to compare it"
                    .to_owned(),
            ));
        }
    }
    out
}

/// An `e2e` or `integration` credential in a protected environment.
// Changesets, which could declare such a credential as intended, do not exist yet, so every
// one is flagged. When changesets land, skip the paths a changeset declared.
pub fn unexpected_in_protected(s: &Snapshot, _now: OffsetDateTime) -> Vec<LintFinding> {
    let mut out = Vec::new();
    for env in s.environments.iter().filter(|e| e.environment.protected) {
        for c in env.credentials.iter().filter(|c| !c.deleted) {
            if let Some(class @ ("e2e" | "integration")) = c.metadata.class.as_deref() {
                out.push(finding(
                    "unexpected-in-protected",
                    Severity::Warning,
                    &env.environment.name,
                    &c.path,
                    format!(
                        "a {class} credential in protected {:?} that no changeset declared; \
                         remove it or declare it in a changeset",
                        env.environment.name
                    ),
                ));
            }
        }
    }
    out
}

pub fn rotation_overdue(s: &Snapshot, _now: OffsetDateTime) -> Vec<LintFinding> {
    let mut out = Vec::new();
    for env in &s.environments {
        for c in env.credentials.iter().filter(|c| c.rotation_due) {
            out.push(finding(
                "rotation-overdue",
                Severity::Warning,
                &env.environment.name,
                &c.path,
                format!(
                    "its value is older than rotate_after_days ({}); write a new version",
                    c.metadata.rotate_after_days.unwrap_or_default()
                ),
            ));
        }
    }
    out
}

/// How many days ahead of `expires` the lint warns (the first reminder's).
pub const EXPIRES_SOON_DAYS: i64 = 14;

/// `expired` from the `expires` day on (the credential stops working: an error), and
/// `expires-soon` in the 14 days before (a warning). Deleted credentials are no one's
/// concern; an `expires` that is no date (written behind Crypter's back) is left alone.
pub fn expiry(s: &Snapshot, now: OffsetDateTime) -> Vec<LintFinding> {
    let today = now.to_offset(time::UtcOffset::UTC).date();
    let mut out = Vec::new();
    for env in &s.environments {
        for c in env.credentials.iter().filter(|c| !c.deleted) {
            let Some(text) = c.metadata.expires.as_deref() else {
                continue;
            };
            let Some(expires) = crate::credentials::parse_expires(text) else {
                continue;
            };
            let left = (expires - today).whole_days();
            let (rule, severity, message) = if left <= 0 {
                (
                    "expired",
                    Severity::Error,
                    format!("it expired on {text}; replace it and set a new expires date"),
                )
            } else if left <= EXPIRES_SOON_DAYS {
                (
                    "expires-soon",
                    Severity::Warning,
                    format!(
                        "it expires on {text}, in {left} day{}; replace it before then",
                        if left == 1 { "" } else { "s" }
                    ),
                )
            } else {
                continue;
            };
            out.push(finding(
                rule,
                severity,
                &env.environment.name,
                &c.path,
                message,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::EnvSnapshot;
    use super::*;
    use crypter_api::{CredentialMetadata, CredentialSummary, Environment};

    fn cred(path: &str, env: &str, class: &str) -> CredentialSummary {
        CredentialSummary {
            path: path.into(),
            metadata: CredentialMetadata {
                class: Some(class.into()),
                owner: Some("team".into()),
                environment: Some(env.into()),
                ..Default::default()
            },
            current_version: 1,
            updated_time: String::new(),
            deleted: false,
            rotation_due: false,
        }
    }

    fn env(name: &str, protected: bool, creds: Vec<CredentialSummary>) -> EnvSnapshot {
        let hashes = creds
            .iter()
            .map(|c| (c.path.clone(), format!("hash-of-{name}-{}", c.path)))
            .collect();
        EnvSnapshot {
            environment: Environment {
                name: EnvName::parse(name).unwrap(),
                description: String::new(),
                color: String::new(),
                protected,
                credential_count: None,
            },
            credentials: creds,
            hashes,
            unknown: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// A store where every rule stays quiet.
    fn clean() -> Snapshot {
        Snapshot {
            environments: vec![
                env(
                    "staging",
                    false,
                    vec![
                        cred("db", "staging", "service"),
                        cred("e2e/bot", "staging", "e2e"),
                    ],
                ),
                env(
                    "production",
                    true,
                    vec![cred("db", "production", "service")],
                ),
            ],
        }
    }

    fn run(rule: Rule, s: &Snapshot) -> Vec<LintFinding> {
        rule(s, OffsetDateTime::now_utc())
    }

    #[test]
    fn every_rule_is_quiet_on_clean_data() {
        let s = clean();
        for rule in CREDENTIAL_RULES {
            assert!(run(*rule, &s).is_empty(), "{:?}", run(*rule, &s));
        }
    }

    #[test]
    fn environment_mismatch_fires() {
        let mut s = clean();
        s.environments[0].credentials[0].metadata.environment = Some("production".into());
        let f = run(environment_mismatch, &s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "environment-mismatch");
        assert_eq!(f[0].path.as_deref(), Some("db"));
    }

    #[test]
    fn missing_metadata_fires() {
        let mut s = clean();
        s.environments[1].credentials[0].metadata.owner = None;
        let f = run(missing_metadata, &s);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("owner"));
        assert_eq!(f[0].environment.as_deref(), Some("production"));
    }

    #[test]
    fn shared_value_fires_across_protection_only() {
        let mut s = clean();
        let h = s.environments[1].hashes["db"].clone();
        s.environments[0].hashes.insert("copy".into(), h);
        let f = run(shared_value, &s);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("staging/copy"));
        // The same value twice inside one unprotected environment is not this rule's business.
        let mut s = clean();
        let h = s.environments[0].hashes["db"].clone();
        s.environments[0].hashes.insert("copy".into(), h);
        assert!(run(shared_value, &s).is_empty());
    }

    #[test]
    fn a_value_without_a_digest_is_unknown_not_unique() {
        let mut s = clean();
        s.environments[1].hashes.remove("db");
        s.environments[1].unknown.push("db".into());
        assert!(run(shared_value, &s).is_empty());
        let f = run(shared_value_unknown, &s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "shared-value-unknown");
        assert_eq!(f[0].environment.as_deref(), Some("production"));
        assert_eq!(f[0].path.as_deref(), Some("db"));
    }

    #[test]
    fn unexpected_in_protected_fires() {
        let mut s = clean();
        s.environments[1]
            .credentials
            .push(cred("e2e/bot", "production", "e2e"));
        let f = run(unexpected_in_protected, &s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path.as_deref(), Some("e2e/bot"));
    }

    #[test]
    fn rotation_overdue_fires() {
        let mut s = clean();
        s.environments[0].credentials[0].rotation_due = true;
        assert_eq!(run(rotation_overdue, &s).len(), 1);
    }

    #[test]
    fn expiry_fires_on_the_day_and_warns_two_weeks_ahead() {
        let now = OffsetDateTime::parse(
            "2026-12-07T23:30:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let mut s = clean();
        let dates = [
            "2026-12-07",
            "2026-11-30",
            "2026-12-21",
            "2026-12-22",
            "soon",
        ];
        for (i, d) in dates.iter().enumerate() {
            let mut c = cred(&format!("exp/{i}"), "staging", "service");
            c.metadata.expires = Some((*d).into());
            s.environments[0].credentials.push(c);
        }
        let mut gone = cred("exp/deleted", "staging", "service");
        gone.metadata.expires = Some("2026-12-01".into());
        gone.deleted = true;
        s.environments[0].credentials.push(gone);
        let f: Vec<(String, String, Severity)> = expiry(&s, now)
            .into_iter()
            .map(|f| (f.rule, f.path.unwrap_or_default(), f.severity))
            .collect();
        let want = [
            ("expired", "exp/0", Severity::Error),
            ("expired", "exp/1", Severity::Error),
            ("expires-soon", "exp/2", Severity::Warning),
        ];
        let want: Vec<(String, String, Severity)> = want
            .iter()
            .map(|(r, p, s)| ((*r).to_owned(), (*p).to_owned(), *s))
            .collect();
        assert_eq!(f, want);
        assert!(expiry(&s, now)
            .iter()
            .any(|f| f.message.contains("2026-11-30")));
    }
}
