//! Validated names. Each type can only be built through `parse`, so a value that exists
//! has passed the rule, and the rule lives in exactly one place.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a name or path was refused. The message states the rule, so a person can fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    pub kind: &'static str,
    pub message: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NameError {}

pub(crate) fn refuse(kind: &'static str, message: String) -> NameError {
    NameError { kind, message }
}

/// `^[a-z]` then up to `max_rest` of lowercase letters, digits and `extra`.
fn simple_name(value: &str, max_rest: usize, extra: &[char]) -> bool {
    let mut chars = value.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() => {}
        _ => return false,
    }
    let rest: Vec<char> = chars.collect();
    rest.len() <= max_rest
        && rest
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(c))
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        /// The name quoted, as a message shows it (`"staging"`), never the type's own name.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, NameError> {
                Self::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
        /// Compared with text, as code written when it was a string does.
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }
        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }
    };
}

/// An environment's name: `^[a-z][a-z0-9-]{0,31}$`. Its KV mount is `env/<name>/`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
#[serde(try_from = "String", into = "String")]
pub struct EnvName(String);

impl EnvName {
    pub fn parse(value: &str) -> Result<Self, NameError> {
        if simple_name(value, 31, &['-']) {
            Ok(Self(value.to_owned()))
        } else {
            Err(refuse(
                "environment",
                format!(
                    "invalid environment name {value:?}: use 1-32 characters, a lowercase letter \
                     first, then lowercase letters, digits or '-'"
                ),
            ))
        }
    }

    /// The KV v2 mount that holds this environment's credentials, without slashes.
    pub fn mount(&self) -> String {
        format!("env/{}", self.0)
    }
}
string_newtype!(EnvName);

/// A role's name: `^[a-z][a-z0-9_-]{0,63}$`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
#[serde(try_from = "String", into = "String")]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(value: &str) -> Result<Self, NameError> {
        if simple_name(value, 63, &['-', '_']) {
            Ok(Self(value.to_owned()))
        } else {
            Err(refuse(
                "role",
                format!(
                    "invalid role name {value:?}: use 1-64 characters, a lowercase letter first, \
                     then lowercase letters, digits, '-' or '_'"
                ),
            ))
        }
    }
}
string_newtype!(RoleName);

/// A person's username, the same rule for logging in and for creating a user: 1-64
/// characters of letters, digits, `_`, `-` or `.`, starting and ending with a letter, digit
/// or `_`. That is OpenBao's userpass rule (`\w(([\w-.]+)?\w)?`) within Crypter's length:
/// OpenBao has no route for any other name (an `@` gave a 404 on creation).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(value: &str) -> Result<Self, NameError> {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let ok = value.len() <= 64
            && value.chars().next().is_some_and(word)
            && value.chars().last().is_some_and(word)
            && value.chars().all(|c| word(c) || matches!(c, '-' | '.'));
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(refuse(
                "username",
                "a username is 1-64 characters of letters, digits, '_', '-' or '.', starting \
                 and ending with a letter, digit or '_'"
                    .to_owned(),
            ))
        }
    }
}
string_newtype!(Username);

/// A key's name: a role name's rule (`^[a-z][a-z0-9_-]{0,63}$`), and it does not end in
/// `-`: OpenBao's transit engine routes only names that end in a letter, digit or `_`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
#[serde(try_from = "String", into = "String")]
pub struct KeyName(String);

impl KeyName {
    pub fn parse(value: &str) -> Result<Self, NameError> {
        if simple_name(value, 63, &['-', '_']) && !value.ends_with('-') {
            Ok(Self(value.to_owned()))
        } else {
            Err(refuse(
                "key",
                format!(
                    "invalid key name {value:?}: use 1-64 characters, a lowercase letter first, \
                     then lowercase letters, digits, '-' or '_', not ending in '-'"
                ),
            ))
        }
    }

    /// Whether `prefix` could begin a key name (a grant's `prefix*` scope on keys).
    pub fn is_prefix(prefix: &str) -> bool {
        prefix.is_empty() || simple_name(prefix, 63, &['-', '_'])
    }
}
string_newtype!(KeyName);

/// A credential's path inside an environment: 1 to 8 segments of `[A-Za-z0-9_.-]{1,64}`,
/// never `.` or `..`, never empty. Percent-decoding happens before parsing, so an encoded
/// traversal (`%2e%2e`) arrives here as `..` and is refused.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
#[serde(try_from = "String", into = "String")]
pub struct CredentialPath(String);

impl CredentialPath {
    pub const MAX_SEGMENTS: usize = 8;
    pub const MAX_SEGMENT_LEN: usize = 64;

    pub fn parse(value: &str) -> Result<Self, NameError> {
        let bad = |why: &str| {
            Err(refuse(
                "path",
                format!(
                    "invalid credential path {value:?}: {why}. A path has 1-8 segments separated \
                     by '/', each 1-64 characters of A-Z a-z 0-9 _ . -, and never '.' or '..'"
                ),
            ))
        };
        if value.is_empty() {
            return bad("it is empty");
        }
        let segments: Vec<&str> = value.split('/').collect();
        if segments.len() > Self::MAX_SEGMENTS {
            return bad("it has more than 8 segments");
        }
        for segment in &segments {
            if segment.is_empty() {
                return bad("it has an empty segment");
            }
            if *segment == "." || *segment == ".." {
                return bad("'.' and '..' are not allowed");
            }
            if segment.len() > Self::MAX_SEGMENT_LEN {
                return bad("a segment is longer than 64 characters");
            }
            if !segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            {
                return bad("it contains a character outside A-Z a-z 0-9 _ . -");
            }
        }
        Ok(Self(value.to_owned()))
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}
string_newtype!(CredentialPath);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_in_a_message_reads_as_the_name_quoted() {
        let env = EnvName::parse("staging").unwrap();
        let path = CredentialPath::parse("app/db").unwrap();
        assert_eq!(
            format!("no credential {path:?} in environment {env:?}"),
            r#"no credential "app/db" in environment "staging""#
        );
    }

    #[test]
    fn env_names_follow_the_rule() {
        for ok in ["staging", "production", "a", "eu-west-1", &"a".repeat(32)] {
            assert!(EnvName::parse(ok).is_ok(), "{ok} should be valid");
        }
        for bad in [
            "",
            "Staging",
            "1prod",
            "-x",
            "prod_1",
            "a b",
            &"a".repeat(33),
            "é",
        ] {
            let err = EnvName::parse(bad).unwrap_err();
            assert!(err.message.contains("lowercase letter first"), "{bad}");
        }
    }

    #[test]
    fn role_names_follow_the_rule() {
        assert!(RoleName::parse("ci_deployer-2").is_ok());
        assert!(RoleName::parse(&"r".repeat(64)).is_ok());
        assert!(RoleName::parse(&"r".repeat(65)).is_err());
        assert!(RoleName::parse("Admin").is_err());
        assert!(RoleName::parse("_x").is_err());
    }

    #[test]
    fn key_names_follow_the_role_rule_and_end_routable() {
        assert!(KeyName::parse("payments-signing_2").is_ok());
        assert!(KeyName::parse(&"k".repeat(64)).is_ok());
        for bad in [
            "",
            "Key",
            "1key",
            "k".repeat(65).as_str(),
            "pay-",
            "a b",
            "a/b",
        ] {
            let err = KeyName::parse(bad).unwrap_err();
            assert_eq!(err.kind, "key", "{bad}");
        }
        assert!(KeyName::is_prefix(""));
        assert!(KeyName::is_prefix("pay-"));
        assert!(!KeyName::is_prefix("Pay"));
    }

    #[test]
    fn credential_paths_follow_the_rule() {
        for ok in [
            "db",
            "svc/db/password",
            "a.b-c_d",
            "1/2/3/4/5/6/7/8",
            "..a",
            ".env",
        ] {
            assert!(CredentialPath::parse(ok).is_ok(), "{ok} should be valid");
        }
        let cases = [
            ("", "empty"),
            ("a//b", "empty segment"),
            ("/a", "empty segment"),
            ("a/", "empty segment"),
            ("a/../b", "'..'"),
            ("./a", "'.'"),
            ("a/b c", "character"),
            ("a/%2e%2e", "character"),
            ("1/2/3/4/5/6/7/8/9", "more than 8"),
            (&"x".repeat(65), "longer than 64"),
        ];
        for (bad, why) in cases {
            let err = CredentialPath::parse(bad).unwrap_err();
            assert!(err.message.contains(why), "{bad}: {}", err.message);
        }
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<EnvName>("\"staging\"").is_ok());
        assert!(serde_json::from_str::<EnvName>("\"Staging\"").is_err());
        assert!(serde_json::from_str::<CredentialPath>("\"a/../b\"").is_err());
    }
}
