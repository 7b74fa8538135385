//! The lint's rules over keys. They read each key's summary and the ciphertext counts in
//! its usage record; never a credential's value (only "scan ciphertexts" reads those).
//!
//! - `key-rotation-overdue`: a key in a protected environment whose latest version is older
//!   than its rotation period;
//! - `undecryptable-ciphertext`: known ciphertexts at versions below the key's
//!   `min_decryption_version`: they no longer decrypt;
//! - `ciphertext-behind-latest`: known ciphertexts below the latest version, which raising
//!   `min_decryption_version` to it would make undecryptable (rewrap them first).

use super::{Rule, Snapshot};
use crypter_api::{CiphertextCount, KeySummary, LintFinding, Severity};
use time::OffsetDateTime;

/// A key as the lint sees it.
#[derive(Debug, Clone)]
pub struct KeyState {
    pub summary: KeySummary,
    pub ciphertexts: Vec<CiphertextCount>,
}

pub const KEY_RULES: &[Rule] = &[
    key_rotation_overdue,
    undecryptable_ciphertext,
    ciphertext_behind_latest,
];

fn finding(rule: &str, severity: Severity, k: &KeySummary, message: String) -> LintFinding {
    LintFinding {
        rule: rule.to_owned(),
        severity,
        environment: Some(k.environment.to_string()),
        path: Some(format!("key {}", k.name)),
        message,
    }
}

fn place(c: &CiphertextCount) -> String {
    format!("field {:?} under {:?}", c.field, c.prefix)
}

pub fn key_rotation_overdue(s: &Snapshot, _now: OffsetDateTime) -> Vec<LintFinding> {
    let mut out = Vec::new();
    for env in s.environments.iter().filter(|e| e.environment.protected) {
        for k in env.keys.iter().filter(|k| k.summary.rotation_due) {
            out.push(finding(
                "key-rotation-overdue",
                Severity::Warning,
                &k.summary,
                format!(
                    "its latest version ({}) was made {} and is past its rotation period; \
                     rotate it",
                    k.summary.latest_version, k.summary.last_rotated
                ),
            ));
        }
    }
    out
}

pub fn undecryptable_ciphertext(s: &Snapshot, _now: OffsetDateTime) -> Vec<LintFinding> {
    let mut out = Vec::new();
    for env in &s.environments {
        for k in &env.keys {
            let min = k.summary.min_decryption_version;
            for c in &k.ciphertexts {
                let n = c.below(min);
                if n > 0 {
                    out.push(finding(
                        "undecryptable-ciphertext",
                        Severity::Error,
                        &k.summary,
                        format!(
                            "{n} ciphertext(s) in {} are older than min_decryption_version \
                             {min} and no longer decrypt; lower min_decryption_version to \
                             bring them back, then rewrap them (rewrap_credentials)",
                            place(c)
                        ),
                    ));
                }
            }
        }
    }
    out
}

pub fn ciphertext_behind_latest(s: &Snapshot, _now: OffsetDateTime) -> Vec<LintFinding> {
    let mut out = Vec::new();
    for env in &s.environments {
        for k in &env.keys {
            let (min, latest) = (k.summary.min_decryption_version, k.summary.latest_version);
            for c in &k.ciphertexts {
                let n = c.below(latest) - c.below(min);
                if n > 0 {
                    out.push(finding(
                        "ciphertext-behind-latest",
                        Severity::Info,
                        &k.summary,
                        format!(
                            "{n} ciphertext(s) in {} are older than the latest version {latest}: \
                             raising min_decryption_version to {latest} would make them \
                             undecryptable; rewrap them first (rewrap_credentials)",
                            place(c)
                        ),
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::EnvSnapshot;
    use crypter_api::{EnvName, Environment, KeyName, KeyType};
    use std::collections::BTreeMap;

    fn key(min: u64, latest: u64, due: bool) -> KeySummary {
        KeySummary {
            name: KeyName::parse("cards").unwrap(),
            environment: EnvName::parse("production").unwrap(),
            key_type: KeyType::Aes256Gcm96,
            latest_version: latest,
            min_decryption_version: min,
            min_encryption_version: 0,
            auto_rotate_period: 0,
            rotation_period: Some(60),
            last_rotated: "2026-01-01T00:00:00Z".into(),
            rotation_due: due,
            deletion_allowed: false,
            owner: None,
            description: None,
            labels: Vec::new(),
        }
    }

    fn snapshot(protected: bool, k: KeySummary, by_version: &[(u64, u64)]) -> Snapshot {
        let counts = CiphertextCount {
            prefix: "cards/".into(),
            field: "pan".into(),
            by_version: by_version.iter().copied().collect::<BTreeMap<_, _>>(),
            source: "scan".into(),
            by: "ana".into(),
            at: String::new(),
        };
        Snapshot {
            environments: vec![EnvSnapshot {
                environment: Environment {
                    name: EnvName::parse("production").unwrap(),
                    description: String::new(),
                    color: String::new(),
                    protected,
                    credential_count: None,
                },
                credentials: Vec::new(),
                hashes: BTreeMap::new(),
                unknown: Vec::new(),
                keys: vec![KeyState {
                    summary: k,
                    ciphertexts: vec![counts],
                }],
            }],
        }
    }

    fn run(rule: Rule, s: &Snapshot) -> Vec<LintFinding> {
        rule(s, OffsetDateTime::now_utc())
    }

    #[test]
    fn quiet_when_every_ciphertext_is_at_the_latest_version() {
        let s = snapshot(true, key(1, 3, false), &[(3, 10)]);
        for rule in KEY_RULES {
            assert!(run(*rule, &s).is_empty());
        }
    }

    #[test]
    fn undecryptable_and_behind_are_told_apart() {
        let s = snapshot(false, key(2, 3, false), &[(1, 4), (2, 5), (3, 6)]);
        let gone = run(undecryptable_ciphertext, &s);
        assert_eq!(gone.len(), 1);
        assert!(gone[0].message.starts_with("4 ciphertext(s)"), "{:?}", gone);
        assert_eq!(gone[0].severity, Severity::Error);
        let behind = run(ciphertext_behind_latest, &s);
        assert!(
            behind[0].message.starts_with("5 ciphertext(s)"),
            "{:?}",
            behind
        );
    }

    #[test]
    fn rotation_overdue_only_in_protected_environments() {
        assert_eq!(
            run(key_rotation_overdue, &snapshot(true, key(1, 1, true), &[])).len(),
            1
        );
        assert!(run(key_rotation_overdue, &snapshot(false, key(1, 1, true), &[])).is_empty());
    }
}
