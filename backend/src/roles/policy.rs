//! Grants → the ACL policy `crypter-role-<name>`. Pure: the same grants always give the
//! same HCL, byte for byte, so drift is a plain string comparison.
//!
//! A grant on credentials maps onto the KV v2 paths of `env/<env>/` like this:
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
//! A grant on keys (`target: keys`) maps onto the environment's transit mount
//! `transit/<env>/`:
//!
//! | grant   | OpenBao path and capability                                                |
//! |---------|----------------------------------------------------------------------------|
//! | encrypt | `encrypt/S` update, never create: on a missing key OpenBao asks for        |
//! |         | `create`, which would let encrypting create a key (and escape a freeze)     |
//! | decrypt | `decrypt/S` update                                                          |
//! | sign    | `sign/S` update                                                             |
//! | verify  | `verify/S` update                                                           |
//! | hmac    | `hmac/S` update                                                             |
//! | rewrap  | `rewrap/S` update                                                           |
//! | rotate  | `keys/S/rotate` update (`S` one key, or `+` for every key)                  |
//! | read    | `keys/S` read (type, versions, configuration; never key material)           |
//!
//! A role with any key grant also denies `export/`, `backup/` and `byok-export/` on every
//! transit mount, as every policy but the operators' does.
//!
//! `S` is the scope: `payments/db` stays exact, `payments/*` and `*` are OpenBao globs
//! (`*` is only allowed at the end, in scopes and in OpenBao). The environment `*` becomes
//! `env/+/…` (`transit/+/…`): `+` matches exactly one path segment, and an environment's
//! mount is one segment below `env/` (`transit/`).
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

use crypter_api::{Capability, Effect, Grant, GrantEnv, GrantTarget, RoleName};
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
    // Transit, below `transit/<env>/`.
    Keys,
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    Hmac,
    Rewrap,
    /// `keys/<name>/rotate`: the scope is one key, or every key (`+`).
    Rotate,
    Export,
    Backup,
    ByokExport,
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
            Self::Keys | Self::Rotate => "keys",
            Self::Encrypt => "encrypt",
            Self::Decrypt => "decrypt",
            Self::Sign => "sign",
            Self::Verify => "verify",
            Self::Hmac => "hmac",
            Self::Rewrap => "rewrap",
            Self::Export => "export",
            Self::Backup => "backup",
            Self::ByokExport => "byok-export",
        }
    }

    fn mount(self) -> &'static str {
        match self {
            Self::Data
            | Self::Metadata
            | Self::DetailedMetadata
            | Self::Delete
            | Self::Undelete
            | Self::Destroy => "env",
            _ => "transit",
        }
    }
}

/// What no role may do on any transit mount (every policy but the operators' denies it).
const KEY_EXPORTS: [Kind; 3] = [Kind::Export, Kind::Backup, Kind::ByokExport];

/// The OpenBao (path kind, capabilities) a grant capability needs.
fn needs(target: GrantTarget, cap: Capability) -> &'static [(Kind, &'static [&'static str])] {
    match (target, cap) {
        (GrantTarget::Credentials, Capability::Read) => {
            &[(Kind::Data, &["read"]), (Kind::Metadata, &["read"])]
        }
        (GrantTarget::Credentials, Capability::List) => &[
            (Kind::Metadata, &["list"]),
            (Kind::DetailedMetadata, &["list", "scan"]),
        ],
        (GrantTarget::Credentials, Capability::Create) => &[(Kind::Data, &["create"])],
        (GrantTarget::Credentials, Capability::Update) => &[(Kind::Data, &["update", "patch"])],
        (GrantTarget::Credentials, Capability::Delete) => &[
            (Kind::Data, &["delete"]),
            (Kind::Delete, &["update"]),
            (Kind::Undelete, &["update"]),
            (Kind::Destroy, &["update"]),
            (Kind::Metadata, &["delete"]),
        ],
        (GrantTarget::Keys, Capability::Read) => &[(Kind::Keys, &["read"])],
        (GrantTarget::Keys, Capability::Encrypt) => &[(Kind::Encrypt, &["update"])],
        (GrantTarget::Keys, Capability::Decrypt) => &[(Kind::Decrypt, &["update"])],
        (GrantTarget::Keys, Capability::Sign) => &[(Kind::Sign, &["update"])],
        (GrantTarget::Keys, Capability::Verify) => &[(Kind::Verify, &["update"])],
        (GrantTarget::Keys, Capability::Hmac) => &[(Kind::Hmac, &["update"])],
        (GrantTarget::Keys, Capability::Rewrap) => &[(Kind::Rewrap, &["update"])],
        (GrantTarget::Keys, Capability::Rotate) => &[(Kind::Rotate, &["update"])],
        // A capability that does not fit its target derives nothing (saving refuses it).
        _ => &[],
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
        let env = self.env.as_deref().unwrap_or("+");
        let (mount, kind) = (self.kind.mount(), self.kind.as_str());
        if self.kind == Kind::Rotate {
            // One key, or (a glob, whose prefix is empty) every key.
            let key = if self.glob { "+" } else { &self.prefix };
            return format!("{mount}/{env}/{kind}/{key}/rotate");
        }
        let glob = if self.glob { "*" } else { "" };
        format!("{mount}/{env}/{kind}/{}{glob}", self.prefix)
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

/// The HCL of `crypter-role-<name>` for these grants, where no environment has an
/// approval rule.
pub fn derive(role: &RoleName, grants: &[Grant]) -> String {
    derive_with(role, grants, &Approvals::default())
}

/// What the approval rules change in a role's policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approvals {
    /// Environments with a rule: the role's own token writes nothing there (no create,
    /// update, patch or delete on credentials, no key rotation); it asks instead.
    pub ruled: BTreeSet<String>,
    /// Environments whose rule names this role as the approver group: it may vote there
    /// (never on its own requests).
    pub approves: BTreeSet<String>,
}

/// The capabilities that change something.
const WRITES: [&str; 4] = ["create", "update", "patch", "delete"];

impl Kind {
    /// Whether every capability this kind is granted with is a change.
    fn changes_only(self) -> bool {
        matches!(
            self,
            Self::Delete | Self::Undelete | Self::Destroy | Self::Rotate
        )
    }

    fn is_guarded(self) -> bool {
        self.changes_only() || matches!(self, Self::Data | Self::Metadata)
    }
}

/// Take the changes out of every rule that reaches a ruled environment: a rule on it keeps
/// its reads; a rule on every environment (`+`) gets a more specific read-only (or, for a
/// kind that only changes, deny) rule per ruled environment beside it. `true` when the
/// role could change a ruled environment before (it may then ask).
fn guard(
    allow: &mut BTreeMap<Pattern, BTreeSet<&'static str>>,
    deny: &mut BTreeSet<Pattern>,
    ruled: &BTreeSet<String>,
) -> bool {
    let mut asked = false;
    let mut added: Vec<(Pattern, BTreeSet<&'static str>)> = Vec::new();
    allow.retain(|p, caps| {
        if !p.kind.is_guarded()
            || !caps
                .iter()
                .any(|c| WRITES.contains(c) || p.kind.changes_only())
        {
            return true;
        }
        match &p.env {
            Some(e) if ruled.contains(e) => {
                asked = true;
                caps.retain(|c| !WRITES.contains(c));
                !p.kind.changes_only() && !caps.is_empty()
            }
            Some(_) => true,
            None => {
                asked = true;
                for env in ruled {
                    let reads: BTreeSet<&str> = caps
                        .iter()
                        .copied()
                        .filter(|c| !WRITES.contains(c))
                        .collect();
                    let q = Pattern {
                        env: Some(env.clone()),
                        ..p.clone()
                    };
                    added.push((q, reads));
                }
                true
            }
        }
    });
    for (q, reads) in added {
        if q.kind.changes_only() || reads.is_empty() {
            deny.insert(q);
        } else {
            allow.entry(q).or_default().extend(reads);
        }
    }
    asked
}

/// Rules with `{{identity.entity.id}}`: a request is a record only its requester writes;
/// a vote is a record only its voter writes, never on a request of its own. Used by the
/// role policies and the approver groups' policies alike.
pub fn request_rules() -> String {
    let mut hcl = String::new();
    push_rule(
        &mut hcl,
        "crypter/data/approvals/requests/{{identity.entity.id}}/*",
        &["create", "read"],
    );
    hcl
}

/// Voting on `env`'s requests (`votes/<env>/<requester>/<id>/<voter>`), never on one's
/// own: the deny names the voter as requester too, and its first `+` comes later than the
/// allow's, so OpenBao ranks it above the allow.
pub fn vote_rules(env: &str) -> String {
    const ME: &str = "{{identity.entity.id}}";
    let mut hcl = String::new();
    let votes = format!("crypter/data/approvals/votes/{env}");
    push_rule(&mut hcl, &format!("{votes}/+/+/{ME}"), &["create"]);
    push_rule(&mut hcl, &format!("{votes}/{ME}/+/{ME}"), &["deny"]);
    hcl
}

/// The HCL of `crypter-role-<name>` for these grants under these approval rules.
pub fn derive_with(role: &RoleName, grants: &[Grant], approvals: &Approvals) -> String {
    let mut allow: BTreeMap<Pattern, BTreeSet<&'static str>> = BTreeMap::new();
    let mut deny: BTreeSet<Pattern> = BTreeSet::new();
    for grant in grants {
        let env = match &grant.environment {
            GrantEnv::Any => None,
            GrantEnv::Named(e) => Some(e.as_str().to_owned()),
        };
        for cap in &grant.capabilities {
            for (kind, caps) in needs(grant.target, *cap) {
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
    if grants.iter().any(|g| g.target == GrantTarget::Keys) {
        for kind in KEY_EXPORTS {
            deny.insert(Pattern {
                env: None,
                kind,
                prefix: String::new(),
                glob: true,
            });
        }
    }
    let asks = !approvals.ruled.is_empty() && guard(&mut allow, &mut deny, &approvals.ruled);
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
    if asks {
        hcl.push_str(&request_rules());
    }
    for env in &approvals.approves {
        hcl.push_str(&vote_rules(env));
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
            target: GrantTarget::Credentials,
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

    fn key_grant(env: &str, scope: &str, caps: &[Capability], effect: Effect) -> Grant {
        Grant {
            target: GrantTarget::Keys,
            ..grant(env, scope, caps, effect)
        }
    }

    const KEY_DENIES: &str = "path \"transit/+/backup/*\" {
  capabilities = [\"deny\"]
}
path \"transit/+/byok-export/*\" {
  capabilities = [\"deny\"]
}
path \"transit/+/export/*\" {
  capabilities = [\"deny\"]
}
";

    #[test]
    fn encrypt_derives_update_only_on_the_transit_path() {
        let hcl = derive(
            &role(),
            &[key_grant(
                "staging",
                "cards",
                &[Capability::Encrypt],
                Effect::Allow,
            )],
        );
        let expected = format!(
            "{HEADER}{KEY_DENIES}path \"transit/staging/encrypt/cards\" {{
  capabilities = [\"update\"]
}}
"
        );
        assert_eq!(hcl, expected);
        assert!(!hcl.contains("\"create\""));
    }

    #[test]
    fn every_key_capability_on_a_prefix_and_rotate_on_every_key() {
        let hcl = derive(
            &role(),
            &[
                key_grant(
                    "production",
                    "pay*",
                    &[
                        Capability::Decrypt,
                        Capability::Sign,
                        Capability::Verify,
                        Capability::Hmac,
                        Capability::Rewrap,
                        Capability::Read,
                    ],
                    Effect::Allow,
                ),
                key_grant("*", "*", &[Capability::Rotate], Effect::Allow),
            ],
        );
        let expected = format!(
            "{HEADER}{KEY_DENIES}path \"transit/+/keys/+/rotate\" {{
  capabilities = [\"update\"]
}}
path \"transit/production/decrypt/pay*\" {{
  capabilities = [\"update\"]
}}
path \"transit/production/hmac/pay*\" {{
  capabilities = [\"update\"]
}}
path \"transit/production/keys/pay*\" {{
  capabilities = [\"read\"]
}}
path \"transit/production/rewrap/pay*\" {{
  capabilities = [\"update\"]
}}
path \"transit/production/sign/pay*\" {{
  capabilities = [\"update\"]
}}
path \"transit/production/verify/pay*\" {{
  capabilities = [\"update\"]
}}
"
        );
        assert_eq!(hcl, expected);
    }

    #[test]
    fn a_key_deny_beats_a_broader_allow() {
        let hcl = derive(
            &role(),
            &[
                key_grant(
                    "*",
                    "*",
                    &[Capability::Encrypt, Capability::Rotate],
                    Effect::Allow,
                ),
                key_grant(
                    "staging",
                    "root-ca",
                    &[Capability::Encrypt, Capability::Rotate],
                    Effect::Deny,
                ),
            ],
        );
        for path in [
            "transit/staging/encrypt/root-ca",
            "transit/staging/keys/root-ca/rotate",
        ] {
            assert!(
                hcl.contains(&format!(
                    "path \"{path}\" {{\n  capabilities = [\"deny\"]\n}}"
                )),
                "{path}: {hcl}"
            );
        }
        assert!(hcl.contains("path \"transit/+/encrypt/*\" {\n  capabilities = [\"update\"]"));
    }

    #[test]
    fn key_grants_leave_credentials_alone_and_the_other_way_round() {
        let creds = derive(
            &role(),
            &[grant("staging", "*", &[Capability::Read], Effect::Allow)],
        );
        assert!(!creds.contains("transit/"));
        let keys = derive(
            &role(),
            &[key_grant(
                "staging",
                "*",
                &[Capability::Read],
                Effect::Allow,
            )],
        );
        assert!(!keys.contains("env/"));
        assert!(keys.contains("path \"transit/staging/keys/*\" {\n  capabilities = [\"read\"]"));
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
