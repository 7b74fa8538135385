//! The freeze's rewrite of one policy: remove write capabilities from every rule that can
//! reach a frozen path, and nothing else.
//!
//! For a rule with write capabilities whose pattern overlaps a frozen pattern:
//! - if the frozen pattern contains the whole rule, the rule loses its write capabilities;
//! - if the rule is broader (say `auth/*` against the frozen `auth/+/role/+`), the rule is
//!   kept and a *carve-out* rule is added at the frozen pattern with the rule's other
//!   capabilities. OpenBao applies the most specific matching rule, and the carve-out
//!   outranks the broad rule on exactly the frozen paths, so `auth/*` keeps working for
//!   secret-ids while roles are frozen;
//! - in any other overlap (neither contains the other, or the carve-out would not outrank
//!   the rule), the rule loses its write capabilities: a freeze errs on the frozen side.

use super::glob::Pattern;
use super::levels::WRITE_CAPABILITIES;
use super::policy_doc::{PolicyDoc, Rule};

fn is_write(cap: &str) -> bool {
    WRITE_CAPABILITIES.contains(&cap)
}

fn without_writes(caps: &[String]) -> Vec<String> {
    caps.iter().filter(|c| !is_write(c)).cloned().collect()
}

/// The frozen form of `doc` under the frozen path patterns `frozen` (see
/// `levels::frozen_paths_for`), or `None` if the freeze changes nothing in it.
pub fn freeze_policy(doc: &PolicyDoc, frozen: &[String]) -> Option<PolicyDoc> {
    let frozen: Vec<Pattern> = frozen.iter().map(|p| Pattern::new(p)).collect();
    let existing: Vec<&str> = doc.rules.iter().map(|r| r.path.as_str()).collect();
    let mut rules: Vec<Rule> = Vec::with_capacity(doc.rules.len());
    // Carve-outs by frozen path: (the rule they come from, its pattern).
    let mut carve_outs: Vec<(Pattern, Rule, Pattern)> = Vec::new();
    let mut changed = false;

    for rule in &doc.rules {
        let has_writes = rule.capabilities.iter().any(|c| is_write(c));
        let denies = rule.capabilities.iter().any(|c| c == "deny");
        if !has_writes || denies {
            rules.push(rule.clone());
            continue;
        }
        let pattern = Pattern::new(&rule.path);
        let hits: Vec<&Pattern> = frozen.iter().filter(|f| f.overlaps(&pattern)).collect();
        if hits.is_empty() {
            rules.push(rule.clone());
            continue;
        }
        let wholly_frozen = hits.iter().any(|f| f.contains(&pattern));
        // Where the rule and a frozen pattern overlap, a carve-out must outrank the rule.
        let carves: Option<Vec<Pattern>> = hits
            .iter()
            .map(|f| pattern.intersection(f).filter(|i| i.outranks(&pattern)))
            .collect();
        let carves = match carves {
            Some(c) if !wholly_frozen => c,
            _ => Vec::new(),
        };
        if carves.is_empty() {
            rules.push(Rule {
                capabilities: without_writes(&rule.capabilities),
                ..rule.clone()
            });
            changed = true;
            continue;
        }
        rules.push(rule.clone());
        for f in &carves {
            if existing.contains(&f.as_str()) {
                // That exact path has its own rule, which is frozen on its own.
                continue;
            }
            let candidate = Rule {
                path: f.as_str().to_owned(),
                capabilities: without_writes(&rule.capabilities),
                rest: rule.rest.clone(),
            };
            match carve_outs.iter_mut().find(|(path, _, _)| path == f) {
                // Where several broad rules contain the frozen path, the one that outranks
                // the others is what applied there before the freeze.
                Some((_, kept, from)) if pattern.outranks(from) => {
                    *kept = candidate;
                    *from = pattern.clone();
                }
                Some(_) => {}
                None => carve_outs.push((f.clone(), candidate, pattern.clone())),
            }
            changed = true;
        }
    }
    rules.extend(carve_outs.into_iter().map(|(_, rule, _)| rule));
    changed.then_some(PolicyDoc { rules })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::freeze::levels::{frozen_paths, Level};
    use crate::freeze::policy_doc::parse;

    fn at(level: Level) -> Vec<String> {
        frozen_paths(level)
            .iter()
            .map(|p| (*p).to_owned())
            .collect()
    }

    fn caps_of<'a>(doc: &'a PolicyDoc, path: &str) -> Option<&'a Vec<String>> {
        doc.rules
            .iter()
            .find(|r| r.path == path)
            .map(|r| &r.capabilities)
    }

    #[test]
    fn a_policy_without_frozen_writes_is_unchanged() {
        let doc = parse(
            r#"path "env/*" { capabilities = ["create", "read", "update"] }
               path "sys/policies/acl/*" { capabilities = ["read", "list"] }"#,
        )
        .unwrap();
        assert_eq!(freeze_policy(&doc, &at(Level::Provisioning)), None);
    }

    #[test]
    fn rules_inside_frozen_paths_lose_their_writes() {
        let doc = parse(
            r#"path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }
               path "auth/userpass/users/bob" { capabilities = ["update", "read"] }"#,
        )
        .unwrap();
        let frozen = freeze_policy(&doc, &at(Level::Provisioning)).unwrap();
        assert_eq!(
            caps_of(&frozen, "sys/policies/acl/*").unwrap(),
            &vec!["read", "list"]
        );
        assert_eq!(
            caps_of(&frozen, "auth/userpass/users/bob").unwrap(),
            &vec!["read"]
        );
    }

    #[test]
    fn broad_globs_get_carve_outs_and_keep_the_rest() {
        let doc = parse(r#"path "auth/*" { capabilities = ["create", "read", "update", "list"] }"#)
            .unwrap();
        let frozen = freeze_policy(&doc, &at(Level::Provisioning)).unwrap();
        // The broad rule still works (e.g. for secret-ids, not frozen at provisioning) …
        assert_eq!(
            caps_of(&frozen, "auth/*").unwrap(),
            &vec!["create", "read", "update", "list"]
        );
        // … and every frozen auth path is carved out without writes.
        assert_eq!(
            caps_of(&frozen, "auth/+/role/+").unwrap(),
            &vec!["read", "list"]
        );
        assert_eq!(
            caps_of(&frozen, "auth/+/users/+").unwrap(),
            &vec!["read", "list"]
        );
        assert!(caps_of(&frozen, "auth/+/role/+/secret-id").is_none());
        let full = freeze_policy(&doc, &at(Level::Full)).unwrap();
        assert_eq!(
            caps_of(&full, "auth/+/role/+/secret-id").unwrap(),
            &vec!["read", "list"]
        );
    }

    #[test]
    fn a_glob_over_everything_is_stripped() {
        // Every frozen pattern outranks `*`, so each gets a carve-out without writes.
        let doc = parse(
            r#"path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }"#,
        )
        .unwrap();
        let frozen = freeze_policy(&doc, &at(Level::Full)).unwrap();
        for f in frozen_paths(Level::Full) {
            let caps = caps_of(&frozen, f).unwrap();
            assert!(caps.iter().all(|c| !is_write(c)), "{f}: {caps:?}");
        }
    }

    #[test]
    fn narrower_globs_are_carved_at_the_intersection() {
        let doc = parse(r#"path "auth/approle/role/*" { capabilities = ["create", "read", "update", "delete", "list"] }"#).unwrap();
        let frozen = freeze_policy(&doc, &at(Level::Provisioning)).unwrap();
        assert_eq!(
            caps_of(&frozen, "auth/approle/role/*").unwrap().len(),
            5,
            "secret-ids stay issuable"
        );
        assert_eq!(
            caps_of(&frozen, "auth/approle/role/+").unwrap(),
            &vec!["read", "list"]
        );
        assert_eq!(
            caps_of(&frozen, "auth/approle/role/+/policies").unwrap(),
            &vec!["read", "list"]
        );
    }

    #[test]
    fn partial_overlaps_are_stripped_conservatively() {
        // `auth/+/role/ab*` overlaps the frozen `auth/+/role/+` but neither contains the other.
        let doc = parse(r#"path "auth/+/role/ab*" { capabilities = ["update", "read"] }"#).unwrap();
        let frozen = freeze_policy(&doc, &at(Level::Provisioning)).unwrap();
        assert_eq!(caps_of(&frozen, "auth/+/role/ab*").unwrap(), &vec!["read"]);
    }

    #[test]
    fn credentials_stay_writable_at_provisioning_only() {
        let doc = parse(
            r#"path "env/*" { capabilities = ["create", "read", "update", "delete", "list"] }"#,
        )
        .unwrap();
        assert_eq!(freeze_policy(&doc, &at(Level::Provisioning)), None);
        // OpenBao ranks `env/*` above `env/+/data/*` (a `+` ranks lower than a `*` at the
        // same place), so a carve-out would not apply: the broad rule itself is frozen.
        let full = freeze_policy(&doc, &at(Level::Full)).unwrap();
        assert_eq!(caps_of(&full, "env/*").unwrap(), &vec!["read", "list"]);
        assert!(caps_of(&full, "env/+/data/*").is_none());
    }

    #[test]
    fn deny_rules_are_left_alone() {
        let doc =
            parse(r#"path "sys/policies/acl/*" { capabilities = ["deny", "update"] }"#).unwrap();
        assert_eq!(freeze_policy(&doc, &at(Level::Full)), None);
    }
}
