//! Keys: encryption, signing and HMAC keys that never leave the store. OpenBao's transit
//! engine holds them (one mount per environment, `transit/<env>/`); Crypter keeps a record
//! beside each key (owner, description, labels, rotation period) and counts of the
//! ciphertexts it knows of per key version.

use crate::changeset::wire_enum;
use crate::names::{EnvName, KeyName};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

wire_enum!(
    /// The key types Crypter offers, as OpenBao's transit engine names them.
    KeyType {
        Aes256Gcm96 => "aes256-gcm96",
        Chacha20Poly1305 => "chacha20-poly1305",
        Ed25519 => "ed25519",
        EcdsaP256 => "ecdsa-p256",
        Rsa2048 => "rsa-2048",
        Rsa4096 => "rsa-4096",
        Hmac => "hmac",
    }
);

wire_enum!(
    /// What a key can be used for, one endpoint each (`POST …/keys/{name}/{operation}`).
    KeyOperation {
        Encrypt => "encrypt",
        Decrypt => "decrypt",
        Rewrap => "rewrap",
        Sign => "sign",
        Verify => "verify",
        Hmac => "hmac",
    }
);

impl KeyType {
    /// Whether a key of this type does `op`. Every type computes HMACs (OpenBao keeps an
    /// HMAC key beside each version).
    pub fn supports(self, op: KeyOperation) -> bool {
        let symmetric = matches!(self, Self::Aes256Gcm96 | Self::Chacha20Poly1305);
        let rsa = matches!(self, Self::Rsa2048 | Self::Rsa4096);
        let signing = matches!(self, Self::Ed25519 | Self::EcdsaP256) || rsa;
        match op {
            KeyOperation::Encrypt | KeyOperation::Decrypt | KeyOperation::Rewrap => {
                symmetric || rsa
            }
            KeyOperation::Sign | KeyOperation::Verify => signing,
            KeyOperation::Hmac => true,
        }
    }
}

/// One line of the key list (and the head of a key's detail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeySummary {
    pub name: KeyName,
    pub environment: EnvName,
    pub key_type: KeyType,
    pub latest_version: u64,
    pub min_decryption_version: u64,
    pub min_encryption_version: u64,
    /// OpenBao rotates the key itself after this many seconds; 0: it does not.
    pub auto_rotate_period: u64,
    /// Crypter's expectation, in seconds, for a key people rotate; `None`: none.
    pub rotation_period: Option<u64>,
    /// When the latest version was made (RFC 3339).
    pub last_rotated: String,
    /// The latest version is older than the rotation period (the shorter of the two).
    pub rotation_due: bool,
    /// An operator turned deletion on for this key.
    pub deletion_allowed: bool,
    pub owner: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyVersion {
    pub version: u64,
    /// RFC 3339.
    pub created: String,
}

/// Who turned deletion on, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeletionNote {
    pub by: String,
    pub at: String,
    pub reason: String,
}

/// Ciphertexts of this key found in one field of the credentials under one prefix of its
/// environment, per key version. Counted by a scan (values read once) or an apply of
/// `rewrap_credentials`; the lint reads these counts, never the values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CiphertextCount {
    pub prefix: String,
    pub field: String,
    /// Key version → ciphertexts (`vault:v<N>:…`) at that version.
    pub by_version: BTreeMap<u64, u64>,
    /// `scan` or `rewrap`.
    pub source: String,
    pub by: String,
    /// RFC 3339.
    pub at: String,
}

impl CiphertextCount {
    /// How many ciphertexts are older than `version` (undecryptable once it is the minimum).
    pub fn below(&self, version: u64) -> u64 {
        self.by_version.range(..version).map(|(_, n)| n).sum()
    }
}

/// `GET /api/v1/environments/{env}/keys/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyDetail {
    pub key: KeySummary,
    /// Oldest first.
    pub versions: Vec<KeyVersion>,
    pub deletion: Option<DeletionNote>,
    /// The ciphertexts Crypter knows of, per place.
    pub ciphertexts: Vec<CiphertextCount>,
}

impl KeyDetail {
    /// Known ciphertexts older than `version`, over every place.
    pub fn ciphertexts_below(&self, version: u64) -> u64 {
        self.ciphertexts.iter().map(|c| c.below(version)).sum()
    }
}

/// `POST /api/v1/environments/{env}/keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyCreate {
    pub name: KeyName,
    pub key_type: KeyType,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    /// Seconds; 0 or absent: OpenBao does not rotate it. At least 3,600 otherwise.
    #[serde(default)]
    pub auto_rotate_period: Option<u64>,
    /// Seconds.
    #[serde(default)]
    pub rotation_period: Option<u64>,
}

/// `PATCH /api/v1/environments/{env}/keys/{name}`: only the fields given change.
/// `deletion_allowed` needs a `reason`, and OpenBao lets only operators set it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_rotate_period: Option<u64>,
    /// Seconds; 0 removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_period: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_decryption_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_encryption_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_allowed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST …/keys/{name}/{operation}`: the fields the operation takes. Values travel base64
/// (`plaintext`, `input`) or as OpenBao's own text (`vault:v1:…`); Crypter passes them to
/// OpenBao and back, and never logs or keeps them.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    /// encrypt: base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<String>,
    /// decrypt, rewrap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphertext: Option<String>,
    /// sign, verify, hmac: base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// verify: a signature (`vault:v1:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// verify: an HMAC (`vault:v1:…`) instead of a signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac: Option<String>,
    /// encrypt, rewrap, sign, hmac: the version to use (default: the latest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_version: Option<u64>,
}

impl fmt::Debug for KeyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRequest")
            .field("key_version", &self.key_version)
            .finish_non_exhaustive()
    }
}

/// What the operation answered.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphertext: Option<String>,
    /// decrypt: base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac: Option<String>,
    /// verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid: Option<bool>,
    /// The key version used (encrypt, rewrap, sign, hmac).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_version: Option<u64>,
}

impl fmt::Debug for KeyResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyResult")
            .field("valid", &self.valid)
            .field("key_version", &self.key_version)
            .finish_non_exhaustive()
    }
}

/// `POST …/keys/{name}/scan`: count this key's ciphertexts in `field` of every credential
/// under `prefix` of the key's environment (reads each value once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    #[serde(default)]
    pub prefix: String,
    pub field: String,
}

/// A period as people write it in the console: `90d`, `12h`, `30m`, `45s` or plain seconds → seconds. Empty: none.
pub fn parse_period(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?}: give a number with s, m, h or d, e.g. 90d"))?;
    let scale = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        other => {
            return Err(format!(
                "{other:?} is not a unit; use s, m, h or d, e.g. 90d"
            ))
        }
    };
    Ok(Some(n.saturating_mul(scale)))
}

/// The version a ciphertext, signature or HMAC was made with: `vault:v<N>:…` → `N`.
pub fn ciphertext_version(text: &str) -> Option<u64> {
    let rest = text.strip_prefix("vault:v")?;
    let (n, tail) = rest.split_once(':')?;
    if tail.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok().filter(|v| *v > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_say_what_they_do() {
        assert!(KeyType::Aes256Gcm96.supports(KeyOperation::Encrypt));
        assert!(!KeyType::Aes256Gcm96.supports(KeyOperation::Sign));
        assert!(KeyType::Ed25519.supports(KeyOperation::Sign));
        assert!(!KeyType::Ed25519.supports(KeyOperation::Encrypt));
        assert!(KeyType::Rsa2048.supports(KeyOperation::Encrypt));
        assert!(KeyType::Rsa4096.supports(KeyOperation::Verify));
        assert!(KeyType::Hmac.supports(KeyOperation::Hmac));
        assert!(!KeyType::Hmac.supports(KeyOperation::Decrypt));
        assert_eq!(
            serde_json::from_str::<KeyType>("\"ecdsa-p256\"").unwrap(),
            KeyType::EcdsaP256
        );
        assert!(serde_json::from_str::<KeyType>("\"aes128-gcm96\"").is_err());
    }

    #[test]
    fn ciphertext_versions() {
        assert_eq!(ciphertext_version("vault:v3:abc"), Some(3));
        assert_eq!(ciphertext_version("vault:v12:a:b"), Some(12));
        for no in [
            "vault:v:abc",
            "vault:v3:",
            "vault:vx:a",
            "v3:abc",
            "vault:v0:a",
            "",
        ] {
            assert_eq!(ciphertext_version(no), None, "{no}");
        }
    }

    #[test]
    fn counts_below_a_version() {
        let c = CiphertextCount {
            prefix: String::new(),
            field: "card".into(),
            by_version: BTreeMap::from([(1, 5), (2, 3), (3, 1)]),
            source: "scan".into(),
            by: "ana".into(),
            at: String::new(),
        };
        assert_eq!(c.below(1), 0);
        assert_eq!(c.below(3), 8);
    }

    #[test]
    fn requests_never_print_values() {
        let r = KeyRequest {
            plaintext: Some("c2VjcmV0".into()),
            ..KeyRequest::default()
        };
        assert!(!format!("{r:?}").contains("c2VjcmV0"));
        let r = KeyResult {
            plaintext: Some("c2VjcmV0".into()),
            ..KeyResult::default()
        };
        assert!(!format!("{r:?}").contains("c2VjcmV0"));
    }

    #[test]
    fn periods_read_as_people_write_them() {
        assert_eq!(super::parse_period(""), Ok(None));
        assert_eq!(super::parse_period("90d"), Ok(Some(90 * 86_400)));
        assert_eq!(super::parse_period("12h"), Ok(Some(43_200)));
        assert_eq!(super::parse_period("2"), Ok(Some(2)));
        assert!(super::parse_period("3w").is_err());
        assert!(super::parse_period("d").is_err());
    }
}
