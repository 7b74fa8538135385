//! The changeset file format (TOML, one changeset per file) and its parser. Every struct
//! denies unknown fields, unknown operations are errors, and a file never holds a literal
//! secret value: values are generated or copied from another credential.

use crypter_api::{
    CredentialClass, CredentialPath, EnvName, FreezeLevel, Grant, KeyName, KeyType, RoleClass,
    RoleName,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Changeset {
    pub id: String,
    pub author: String,
    pub description: String,
    /// The target environment. Required: there is no default.
    pub environment: EnvName,
    /// `provisioning` or `full`: the freeze that must be in force to apply.
    #[serde(default)]
    pub requires_freeze: Option<FreezeLevel>,
    #[serde(default)]
    pub valid_checksums: Vec<ValidChecksum>,
    #[serde(default)]
    pub operations: Vec<Operation>,
}

/// An allow-list entry: an edit of an applied changeset that was reviewed and accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidChecksum {
    pub checksum: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charset {
    Alphanumeric,
    Hex,
    Symbols,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generate {
    pub length: u16,
    pub charset: Charset,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialRef {
    pub environment: EnvName,
    pub path: CredentialPath,
}

/// Where a bulk copy reads: an environment, or any KV v1/v2 mount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkSource {
    #[serde(default)]
    pub environment: Option<EnvName>,
    #[serde(default)]
    pub mount: Option<String>,
    #[serde(default)]
    pub prefix: String,
}

/// Where a bulk copy writes; the environment defaults to the changeset's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkTarget {
    #[serde(default)]
    pub environment: Option<EnvName>,
    #[serde(default)]
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Operation {
    CreateEnvironment {
        /// Defaults to the changeset's environment.
        #[serde(default)]
        name: Option<EnvName>,
        #[serde(default)]
        description: String,
        #[serde(default)]
        color: Option<String>,
        #[serde(default)]
        protected: bool,
    },
    CreateRole {
        name: RoleName,
        class: RoleClass,
        #[serde(default)]
        description: String,
        #[serde(default)]
        grants: Vec<Grant>,
    },
    UpdateGrants {
        role: RoleName,
        grants: Vec<Grant>,
    },
    DeleteRole {
        role: RoleName,
    },
    PutCredential {
        path: CredentialPath,
        class: CredentialClass,
        #[serde(default)]
        owner: Option<String>,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        labels: Vec<String>,
        /// The data key the value goes under; `value` by default.
        #[serde(default)]
        key: Option<String>,
        #[serde(default)]
        generate: Option<Generate>,
        #[serde(default)]
        from: Option<CredentialRef>,
        #[serde(default)]
        overwrite: bool,
    },
    CopyCredentials {
        from: BulkSource,
        to: BulkTarget,
        #[serde(default)]
        overwrite: bool,
    },
    MoveCredentials {
        from: BulkSource,
        to: BulkTarget,
        #[serde(default)]
        overwrite: bool,
    },
    ImportKv {
        /// Any KV v1 or v2 mount, e.g. `secret` or `legacy/apps`.
        mount: String,
        #[serde(default)]
        prefix: String,
        to: BulkTarget,
        /// The class given to imported credentials (KV v1 has no metadata); `service` by default.
        #[serde(default)]
        class: Option<CredentialClass>,
        #[serde(default)]
        overwrite: bool,
    },
    RetagCredentials {
        #[serde(default)]
        prefix: String,
        #[serde(default)]
        class: Option<CredentialClass>,
        #[serde(default)]
        owner: Option<String>,
        #[serde(default)]
        add_labels: Vec<String>,
        #[serde(default)]
        remove_labels: Vec<String>,
    },
    DeleteCredentials {
        prefix: String,
    },
    /// A transit key in the environment (the changeset's by default), never exportable.
    CreateKey {
        #[serde(default)]
        environment: Option<EnvName>,
        name: KeyName,
        key_type: KeyType,
        #[serde(default)]
        owner: Option<String>,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        labels: Vec<String>,
        /// Seconds; OpenBao rotates the key itself (at least 3600).
        #[serde(default)]
        auto_rotate_period: Option<u64>,
        /// Seconds; Crypter's expectation for a key people rotate.
        #[serde(default)]
        rotation_period: Option<u64>,
    },
    /// A new version of a key.
    RotateKey {
        #[serde(default)]
        environment: Option<EnvName>,
        name: KeyName,
    },
    /// Re-encrypt, with the key's latest version, the ciphertexts (`vault:v<N>:…`) held in
    /// `field` of the credentials under `prefix`. OpenBao rewraps them: no plaintext
    /// reaches Crypter. The key lives in the same environment as the credentials.
    RewrapCredentials {
        #[serde(default)]
        environment: Option<EnvName>,
        #[serde(default)]
        prefix: String,
        key: KeyName,
        field: String,
    },
    /// Never written in a file: the operation an undo's credential items belong to
    /// (values put back from earlier versions, versions deleted or undeleted).
    #[serde(skip)]
    Undo,
}

impl Operation {
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreateEnvironment { .. } => "create_environment",
            Self::CreateRole { .. } => "create_role",
            Self::UpdateGrants { .. } => "update_grants",
            Self::DeleteRole { .. } => "delete_role",
            Self::PutCredential { .. } => "put_credential",
            Self::CopyCredentials { .. } => "copy_credentials",
            Self::MoveCredentials { .. } => "move_credentials",
            Self::ImportKv { .. } => "import_kv",
            Self::RetagCredentials { .. } => "retag_credentials",
            Self::DeleteCredentials { .. } => "delete_credentials",
            Self::CreateKey { .. } => "create_key",
            Self::RotateKey { .. } => "rotate_key",
            Self::RewrapCredentials { .. } => "rewrap_credentials",
            Self::Undo => "undo",
        }
    }

    /// The environment a key operation acts in: its own, or the changeset's.
    pub fn key_environment<'a>(&'a self, cs: &'a Changeset) -> Option<&'a EnvName> {
        match self {
            Self::CreateKey { environment, .. }
            | Self::RotateKey { environment, .. }
            | Self::RewrapCredentials { environment, .. } => {
                Some(environment.as_ref().unwrap_or(&cs.environment))
            }
            _ => None,
        }
    }
}

/// Keys that would hold a literal secret: refused wherever they appear in an operation.
const LITERAL_KEYS: &[&str] = &["value", "values", "data", "secret", "password", "token"];

/// A file that does not parse: which file, which line, what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn error_at(file: &str, text: &str, e: &toml::de::Error) -> ParseError {
    ParseError {
        file: file.to_owned(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().trim().to_owned(),
    }
}

/// The line where `key = ` first appears at the start of a line, for errors found after parsing.
fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |i| i + 1)
}

pub fn valid_id(id: &str) -> bool {
    (1..=100).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

pub fn parse(file: &str, text: &str) -> Result<Changeset, ParseError> {
    let fail = |line: usize, message: String| ParseError {
        file: file.to_owned(),
        line,
        message,
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| error_at(file, text, &e))?;
    if let Some(ops) = table.get("operations").and_then(|o| o.as_array()) {
        for op in ops.iter().filter_map(|o| o.as_table()) {
            if let Some(k) = op.keys().find(|k| LITERAL_KEYS.contains(&k.as_str())) {
                return Err(fail(
                    line_of_key(text, k),
                    format!(
                        "`{k}` would put a literal secret value in the file, which is not allowed: \
                         use `generate = {{ length, charset }}` or `from = {{ environment, path }}`"
                    ),
                ));
            }
        }
    }
    let cs: Changeset = toml::from_str(text).map_err(|e| error_at(file, text, &e))?;
    if !valid_id(&cs.id) {
        return Err(fail(
            line_of_key(text, "id"),
            format!(
                "invalid id {:?}: use 1-100 characters of A-Z a-z 0-9 _ - ., starting with a letter \
                 or digit (e.g. 2024-06-01-move-payments)",
                cs.id
            ),
        ));
    }
    if cs.requires_freeze == Some(FreezeLevel::None) {
        return Err(fail(
            line_of_key(text, "requires_freeze"),
            "requires_freeze = \"none\" asks for nothing: use `provisioning` or `full`, or \
             leave it out"
                .into(),
        ));
    }
    for v in &cs.valid_checksums {
        if v.reason.trim().is_empty() {
            return Err(fail(
                line_of_key(text, "valid_checksums"),
                format!(
                    "the valid_checksums entry {} has no reason: say why that edit is accepted",
                    v.checksum
                ),
            ));
        }
        if !v.checksum.starts_with("sha256:") {
            return Err(fail(
                line_of_key(text, "valid_checksums"),
                format!("checksum {:?} should look like sha256:<64 hex>", v.checksum),
            ));
        }
    }
    for (i, op) in cs.operations.iter().enumerate() {
        super::validate::operation(&cs, op).map_err(|m| {
            fail(
                line_of_operation(text, i),
                format!("operation {}: {m}", i + 1),
            )
        })?;
    }
    Ok(cs)
}

/// The line of the `i`-th `[[operations]]` table (0-based), for errors found after parsing.
fn line_of_operation(text: &str, i: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[operations]]")
        .nth(i)
        .map_or_else(|| line_of_key(text, "operations"), |(n, _)| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
id = "001-init"
author = "ana"
description = "first"
environment = "staging"

[[operations]]
op = "put_credential"
path = "db/password"
class = "service"
generate = { length = 32, charset = "alphanumeric" }
"#;

    #[test]
    fn parses_a_valid_changeset() {
        let cs = parse("a.toml", BASE).unwrap();
        assert_eq!(cs.id, "001-init");
        assert_eq!(cs.operations.len(), 1);
    }

    #[test]
    fn environment_is_required() {
        let text = BASE.replace("environment = \"staging\"\n", "");
        let e = parse("a.toml", &text).unwrap_err();
        assert!(e.message.contains("environment"), "{e}");
        assert_eq!(e.file, "a.toml");
    }

    #[test]
    fn unknown_operation_and_fields_are_errors_with_a_line() {
        let e = parse("a.toml", &BASE.replace("put_credential", "put_secret")).unwrap_err();
        assert!(e.message.contains("put_secret"), "{e}");
        assert!(e.line > 1, "{e}");
        let e = parse(
            "a.toml",
            &BASE.replace("author = ", "colour = \"x\"\nauthor = "),
        )
        .unwrap_err();
        assert!(e.message.contains("colour"), "{e}");
        let e = parse(
            "a.toml",
            &BASE.replace("class = \"service\"", "class = \"service\"\nbogus = 1"),
        )
        .unwrap_err();
        assert!(e.message.contains("bogus"), "{e}");
    }

    #[test]
    fn literal_values_are_refused() {
        let text = BASE.replace(
            "generate = { length = 32, charset = \"alphanumeric\" }",
            "value = \"hunter2\"",
        );
        let e = parse("a.toml", &text).unwrap_err();
        assert!(e.message.contains("literal secret"), "{e}");
        assert_eq!(e.line, 11);
        assert!(!e.to_string().contains("hunter2"));
    }

    #[test]
    fn allow_list_entries_need_a_reason() {
        let text = format!(
            "{}\n",
            BASE.replace(
                "environment = \"staging\"",
                "environment = \"staging\"\nvalid_checksums = [{ checksum = \"sha256:ab\", reason = \" \" }]"
            )
        );
        let e = parse("a.toml", &text).unwrap_err();
        assert!(e.message.contains("no reason"), "{e}");
    }

    #[test]
    fn generate_and_from_are_exclusive() {
        let text = BASE.replace(
            "generate = { length = 32, charset = \"alphanumeric\" }",
            "generate = { length = 32, charset = \"hex\" }\nfrom = { environment = \"prod\", path = \"x\" }",
        );
        assert!(parse("a.toml", &text)
            .unwrap_err()
            .message
            .contains("exactly one"));
    }
}
