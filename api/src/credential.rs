use crate::changeset::wire_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

wire_enum!(
    /// What a credential is for (its `class` metadata). A request naming any other class
    /// is refused at deserialisation, naming the field.
    CredentialClass {
        Service => "service",
        Integration => "integration",
        User => "user",
        E2e => "e2e",
        Key => "key",
    }
);

impl CredentialClass {
    /// The classes, comma-separated, for messages that say what to use instead.
    pub fn names() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
        names.join(", ")
    }
}

/// The metadata Crypter keeps on every credential (OpenBao `custom_metadata`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialMetadata {
    /// As stored in OpenBao: usually a [`CredentialClass`], but a credential written behind
    /// Crypter's back may carry any text here, and one such row must not make a whole list
    /// unreadable (the lint reports a missing class).
    pub class: Option<String>,
    pub owner: Option<String>,
    pub description: Option<String>,
    /// Set by the backend from the URL; differs from the mount only if written behind
    /// Crypter's back (the lint flags it).
    pub environment: Option<String>,
    pub rotate_after_days: Option<u32>,
    /// `YYYY-MM-DD` (UTC): the day the credential stops working. Reminders go out 14 and 3
    /// days before and on the day; the lint lists it from the day on.
    #[serde(default)]
    pub expires: Option<String>,
    pub created_by: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
}

/// One row of a credential list. Never holds a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialSummary {
    pub path: String,
    pub metadata: CredentialMetadata,
    pub current_version: u64,
    /// RFC 3339.
    pub updated_time: String,
    /// The current version is soft-deleted or destroyed.
    pub deleted: bool,
    /// `rotate_after_days` have passed since the current version was written.
    pub rotation_due: bool,
}

/// `GET /api/v1/environments/{env}/credentials`: pass `next` back as `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialPage {
    pub environment: String,
    pub items: Vec<CredentialSummary>,
    /// How many credentials matched the filters, over all pages (with `partial`: only
    /// the ones in this page).
    pub total: u64,
    pub next: Option<String>,
    /// This page came from a quick walk of the first rows (`quick=true`), before the full
    /// listing was ready: `total` is not known yet.
    #[serde(default)]
    pub partial: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialVersion {
    pub version: u64,
    pub created_time: String,
    /// Set when the version is soft-deleted.
    pub deletion_time: Option<String>,
    pub destroyed: bool,
}

/// `GET /api/v1/environments/{env}/credentials/{*path}`: everything but the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialDetail {
    pub environment: String,
    pub path: String,
    pub metadata: CredentialMetadata,
    pub current_version: u64,
    /// Newest first.
    pub versions: Vec<CredentialVersion>,
    pub updated_time: String,
    pub deleted: bool,
    pub rotation_due: bool,
}

/// `PUT /api/v1/environments/{env}/credentials/{*path}`: writes a new version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CredentialWrite {
    /// The value: a map of string to string. At least one key.
    pub data: BTreeMap<String, String>,
    /// Required when the credential is new. Left out: an existing credential keeps its class.
    #[serde(default)]
    pub class: Option<CredentialClass>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub rotate_after_days: Option<u32>,
    /// `YYYY-MM-DD`; an empty string removes the date. Left out: an existing credential
    /// keeps its date.
    #[serde(default)]
    pub expires: Option<String>,
    /// Check-and-set: the version this write expects to replace (0 = must not exist).
    #[serde(default)]
    pub cas: Option<u64>,
}

/// The answer to a write, rollback, delete, undelete or destroy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialWritten {
    pub environment: String,
    pub path: String,
    pub version: u64,
    /// The credential's list row after the change, so a client updates that one row
    /// instead of listing the environment again (absent if it could not be read back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<CredentialSummary>,
}

/// `POST …/{*path}/reveal` and `…/rollback`: a version (the current one when left out for reveal).
/// `…/undelete` and `…/destroy` take `versions` (the current one when left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VersionRequest {
    #[serde(default)]
    pub version: Option<u64>,
    #[serde(default)]
    pub versions: Vec<u64>,
}

/// `POST …/{*path}/reveal`: the only response that carries a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealedCredential {
    pub environment: String,
    pub path: String,
    pub version: u64,
    pub data: BTreeMap<String, String>,
}
