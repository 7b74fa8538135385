//! Grants → the ACL policy `crypter-role-<name>`. Pure: the same grants always give the
//! same HCL, byte for byte, so drift is a plain string comparison.
//!
//! Each capability maps onto the KV v2 paths of `env/<env>/` like this:
//!
//! | grant      | OpenBao paths and capabilities                                             |
//! |------------|----------------------------------------------------------------------------|
//! | read       | `data/S` read (values), `metadata/S` read (versions, custom metadata)      |
//! | list       | `metadata/S` list, `detailed-metadata/S` list + scan (recursive listing)   |
//! | create     | `data/S` create (first version only)                                       |
//! | update     | `data/S` update + patch (new versions)                                     |
//! | delete     | `data/S` delete (soft-delete latest), `delete/S` update (soft-delete       |
//! |            | versions), `undelete/S` update, `destroy/S` update, `metadata/S` delete    |
//! |            | (delete every version and the metadata)                                    |
//!
//! `S` is the scope: `payments/db` stays exact, `payments/*` and `*` are OpenBao globs
//! (`*` is only allowed at the end, in scopes and in OpenBao). The environment `*` becomes
//! `env/+/…`: `+` matches exactly one path segment, and an environment's mount is one
//! segment below `env/`.
//!
//! Deny: OpenBao's `deny` is all-or-nothing per path, so a deny grant denies every path kind
//! that its capabilities touch (e.g. deny read → `data/S` and `metadata/S`, which also stops
//! listing). Within one policy OpenBao picks the *most specific* matching rule, so a
//! narrower allow would beat a broader deny (and `env/+/…` loses to `env/staging/…`). To
//! make deny always win, every allow rule that overlaps a deny rule also gets the overlap
//! written as an explicit deny rule, which is at least as specific as the allow rule.
//!
//! Roles hold nothing beyond their grants: the activity feed is OpenBao's audit log, so
//! no role needs to write activity records (earlier releases gave every role a `create` on
//! `crypter/data/activity/*`; bootstrap removes that rule, see [`LEGACY_ACTIVITY_RULE`]).

use crypter_api::{Capability, Effect, Grant, GrantEnv, RoleName};
use std::collections::{BTreeMap, BTreeSet};

pub fn policy_name(role: &RoleName) -> String {
    format!("crypter-role-{role}")
}

/// The rule earlier releases put in every role's policy, right after the header. Any
/// service could forge activity with it; bootstrap removes it from policies that are
/// otherwise exactly what their grants derive.
pub const LEGACY_ACTIVITY_RULE: &str =
    "path \"crypter/data/activity/*\" {\n  capabilities = [\"create\"]\n}\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Data,
    Metadata,
    DetailedMetadata,
    Delete,
    Undelete,
    Destroy,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Data => "data",
            Self::Metadata => "metadata",
            Self::DetailedMetadata => "detailed-metadata",
            Self::Delete => "delete",
            Self::Undelete => "undelete",
            Self::Destroy => "destroy",
        }
    }
}

/// The OpenBao (path kind, capabilities) a grant capability needs.
fn needs(cap: Capability) -> &'static [(Kind, &'static [&'static str])] {
    match cap {
        Capability::Read => &[(Kind::Data, &["read"]), (Kind::Metadata, &["read"])],
        Capability::List => &[
            (Kind::Metadata, &["list"]),
            (Kind::DetailedMetadata, &["list", "scan"]),
        ],
        Capability::Create => &[(Kind::Data, &["create"])],
        Capability::Update => &[(Kind::Data, &["update", "patch"])],
        Capability::Delete => &[
            (Kind::Data, &["delete"]),
            (Kind::Delete, &["update"]),
            (Kind::Undelete, &["update"]),
            (Kind::Destroy, &["update"]),
            (Kind::Metadata, &["delete"]),
        ],
    }
}

/// Canonical order of capabilities in the HCL.
const CAP_ORDER: [&str; 8] = [
    "create", "read", "update", "patch", "delete", "list", "scan", "deny",
];

/// One OpenBao path pattern under `env/`: environment (None = `+`), kind, scope prefix and
/// whether it ends in a glob.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Pattern {
    env: Option<String>,
    kind: Kind,
    prefix: String,
    glob: bool,
}

impl Pattern {
    fn render(&self) -> String {
        format!(
            "env/{}/{}/{}{}",
            self.env.as_deref().unwrap_or("+"),
            self.kind.as_str(),
            self.prefix,
            if self.glob { "*" } else { "" }
        )
    }

    /// The paths both patterns match, which is itself one pattern (or nothing).
    fn intersect(&self, other: &Pattern) -> Option<Pattern> {
        if self.kind != other.kind {
            return None;
        }
        let env = match (&self.env, &other.env) {
            (None, e) | (e, None) => e.clone(),
            (Some(a), Some(b)) if a == b => Some(a.clone()),
            _ => return None,
        };
        let (a, b) = (self, other);
        let (prefix, glob) = match (a.glob, b.glob) {
            (false, false) if a.prefix == b.prefix => (a.prefix.clone(), false),
            (false, true) if a.prefix.starts_with(&b.prefix) => (a.prefix.clone(), false),
            (true, false) if b.prefix.starts_with(&a.prefix) => (b.prefix.clone(), false),
            (true, true) if a.prefix.starts_with(&b.prefix) => (a.prefix.clone(), true),
            (true, true) if b.prefix.starts_with(&a.prefix) => (b.prefix.clone(), true),
            _ => return None,
        };
        Some(Pattern {
            env,
            kind: self.kind,
            prefix,
            glob,
        })
    }
}

/// The HCL of `crypter-role-<name>` for these grants.
pub fn derive(role: &RoleName, grants: &[Grant]) -> String {
    let mut allow: BTreeMap<Pattern, BTreeSet<&'static str>> = BTreeMap::new();
    let mut deny: BTreeSet<Pattern> = BTreeSet::new();
    for grant in grants {
        let env = match &grant.environment {
            GrantEnv::Any => None,
            GrantEnv::Named(e) => Some(e.as_str().to_owned()),
        };
        for cap in &grant.capabilities {
            for (kind, caps) in needs(*cap) {
                let pattern = Pattern {
                    env: env.clone(),
                    kind: *kind,
                    prefix: grant.scope.prefix().to_owned(),
                    glob: grant.scope.is_glob(),
                };
                match grant.effect {
                    Effect::Allow => allow.entry(pattern).or_default().extend(caps.iter()),
                    Effect::Deny => {
                        deny.insert(pattern);
                    }
                }
            }
        }
    }
    let overlaps: Vec<Pattern> = allow
        .keys()
        .flat_map(|a| deny.iter().filter_map(move |d| a.intersect(d)))
        .collect();
    deny.extend(overlaps);

    let mut rules: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (pattern, caps) in &allow {
        if !deny.contains(pattern) {
            let ordered = CAP_ORDER.iter().copied().filter(|c| caps.contains(c));
            rules.insert(pattern.render(), ordered.collect());
        }
    }
    for pattern in &deny {
        rules.insert(pattern.render(), vec!["deny"]);
    }

    let mut hcl = format!(
        "# Managed by Crypter: role {role}. Edit the role's grants in Crypter, not this policy.\n"
    );
    for (path, caps) in &rules {
        push_rule(&mut hcl, path, caps);
    }
    hcl
}

fn push_rule(hcl: &mut String, path: &str, caps: &[&str]) {
    let caps: Vec<String> = caps.iter().map(|c| format!("\"{c}\"")).collect();
    hcl.push_str(&format!(
        "path \"{path}\" {{\n  capabilities = [{}]\n}}\n",
        caps.join(", ")
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::{Effect, Scope};

    fn grant(env: &str, scope: &str, caps: &[Capability], effect: Effect) -> Grant {
        Grant {
            environment: GrantEnv::parse(env).unwrap(),
            scope: Scope::parse(scope).unwrap(),
            capabilities: caps.to_vec(),
            effect,
        }
    }

    fn role() -> RoleName {
        RoleName::parse("deployer").unwrap()
    }

    const HEADER: &str =
        "# Managed by Crypter: role deployer. Edit the role's grants in Crypter, not this policy.
";

    #[test]
    fn no_grants_gives_only_the_header() {
        assert_eq!(derive(&role(), &[]), HEADER);
        assert_eq!(policy_name(&role()), "crypter-role-deployer");
    }

    #[test]
    fn read_and_list_on_a_glob_scope() {
        let hcl = derive(
            &role(),
            &[grant(
                "staging",
                "payments/*",
                &[Capability::List, Capability::Read],
                Effect::Allow,
            )],
        );
        let expected = format!(
            "{HEADER}path \"env/staging/data/payments/*\" {{
  capabilities = [\"read\"]
}}
path \"env/staging/detailed-metadata/payments/*\" {{
  capabilities = [\"list\", \"scan\"]
}}
path \"env/staging/metadata/payments/*\" {{
  capabilities = [\"read\", \"list\"]
}}
"
        );
        assert_eq!(hcl, expected);
    }

    #[test]
    fn write_capabilities_cover_every_kv2_path() {
        let hcl = derive(
            &role(),
            &[grant(
                "production",
                "svc/db",
                &[Capability::Create, Capability::Update, Capability::Delete],
                Effect::Allow,
            )],
        );
        let expected = format!(
            "{HEADER}path \"env/production/data/svc/db\" {{
  capabilities = [\"create\", \"update\", \"patch\", \"delete\"]
}}
path \"env/production/delete/svc/db\" {{
  capabilities = [\"update\"]
}}
path \"env/production/destroy/svc/db\" {{
  capabilities = [\"update\"]
}}
path \"env/production/metadata/svc/db\" {{
  capabilities = [\"delete\"]
}}
path \"env/production/undelete/svc/db\" {{
  capabilities = [\"update\"]
}}
"
        );
        assert_eq!(hcl, expected);
    }

    #[test]
    fn any_environment_uses_one_segment_wildcard() {
        let hcl = derive(
            &role(),
            &[grant("*", "*", &[Capability::Read], Effect::Allow)],
        );
        assert!(hcl.contains("path \"env/+/data/*\" {\n  capabilities = [\"read\"]\n}\n"));
        assert!(hcl.contains("path \"env/+/metadata/*\" {\n  capabilities = [\"read\"]\n}\n"));
    }

    #[test]
    fn deny_beats_a_broader_allow_and_a_narrower_one() {
        let hcl = derive(
            &role(),
            &[
                grant("staging", "payments/*", &[Capability::Read], Effect::Allow),
                grant(
                    "staging",
                    "payments/db/root",
                    &[Capability::Read],
                    Effect::Allow,
                ),
                grant("*", "payments/db/*", &[Capability::Read], Effect::Deny),
            ],
        );
        let expected = format!(
            "{HEADER}path \"env/+/data/payments/db/*\" {{
  capabilities = [\"deny\"]
}}
path \"env/+/metadata/payments/db/*\" {{
  capabilities = [\"deny\"]
}}
path \"env/staging/data/payments/*\" {{
  capabilities = [\"read\"]
}}
path \"env/staging/data/payments/db/*\" {{
  capabilities = [\"deny\"]
}}
path \"env/staging/data/payments/db/root\" {{
  capabilities = [\"deny\"]
}}
path \"env/staging/metadata/payments/*\" {{
  capabilities = [\"read\"]
}}
path \"env/staging/metadata/payments/db/*\" {{
  capabilities = [\"deny\"]
}}
path \"env/staging/metadata/payments/db/root\" {{
  capabilities = [\"deny\"]
}}
"
        );
        assert_eq!(hcl, expected);
    }

    #[test]
    fn deny_on_the_same_path_replaces_the_allow() {
        let hcl = derive(
            &role(),
            &[
                grant("staging", "a", &[Capability::Read], Effect::Allow),
                grant("staging", "a", &[Capability::Read], Effect::Deny),
            ],
        );
        assert!(!hcl.contains("\"read\""), "{hcl}");
        assert!(hcl.contains("path \"env/staging/data/a\" {\n  capabilities = [\"deny\"]"));
    }

    #[test]
    fn output_is_deterministic_whatever_the_grant_order() {
        let a = grant(
            "staging",
            "x/*",
            &[Capability::Update, Capability::Read],
            Effect::Allow,
        );
        let b = grant("production", "y", &[Capability::List], Effect::Allow);
        let c = grant("*", "x/secret", &[Capability::Read], Effect::Deny);
        let one = derive(&role(), &[a.clone(), b.clone(), c.clone()]);
        let two = derive(&role(), &[c, b, a]);
        assert_eq!(one, two);
    }

    #[test]
    fn intersections_of_globs() {
        let p = |env: Option<&str>, prefix: &str, glob: bool| Pattern {
            env: env.map(str::to_owned),
            kind: Kind::Data,
            prefix: prefix.into(),
            glob,
        };
        let allow = p(Some("staging"), "pay", true);
        let deny = p(None, "payments/", true);
        assert_eq!(
            allow.intersect(&deny),
            Some(p(Some("staging"), "payments/", true))
        );
        assert_eq!(
            p(Some("a"), "x", false).intersect(&p(Some("b"), "x", false)),
            None
        );
        assert_eq!(p(None, "ab", true).intersect(&p(None, "ac", true)), None);
        assert_eq!(
            p(None, "a/b", false).intersect(&p(Some("e"), "a/", true)),
            Some(p(Some("e"), "a/b", false))
        );
    }
}
