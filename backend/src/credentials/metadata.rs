//! Reading and writing Crypter's `custom_metadata`. OpenBao keeps custom metadata as a
//! map of strings, so numbers and lists are encoded here, in one place.

use crypter_api::{
    CredentialDetail, CredentialMetadata, CredentialPath, CredentialSummary, CredentialVersion,
    EnvName,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn from_custom(custom: &Value) -> CredentialMetadata {
    from_lookup(|k| custom[k].as_str())
}

fn from_lookup<'a>(get: impl Fn(&str) -> Option<&'a str>) -> CredentialMetadata {
    let s = |k: &str| get(k).filter(|v| !v.is_empty()).map(str::to_owned);
    CredentialMetadata {
        class: s("class"),
        owner: s("owner"),
        description: s("description"),
        environment: s("environment"),
        rotate_after_days: s("rotate_after_days").and_then(|d| d.parse().ok()),
        expires: s("expires"),
        created_by: s("created_by"),
        labels: s("labels")
            .map(|l| {
                l.split(',')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

pub fn to_custom(m: &CredentialMetadata) -> Value {
    let mut map = Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            map.insert(k.to_owned(), Value::String(v));
        }
    };
    put("class", m.class.clone());
    put("owner", m.owner.clone());
    put("description", m.description.clone());
    put("environment", m.environment.clone());
    put(
        "rotate_after_days",
        m.rotate_after_days.map(|d| d.to_string()),
    );
    put("expires", m.expires.clone());
    put("created_by", m.created_by.clone());
    if !m.labels.is_empty() {
        put("labels", Some(m.labels.join(",")));
    }
    json!({ "custom_metadata": map })
}

/// Whether `rotate_after_days` have passed since `written` (RFC 3339).
pub fn rotation_due(written: &str, days: Option<u32>, now: OffsetDateTime) -> bool {
    let (Some(days), Ok(written)) = (days, OffsetDateTime::parse(written, &Rfc3339)) else {
        return false;
    };
    now - written > time::Duration::days(i64::from(days))
}

/// An `expires` date, `YYYY-MM-DD` exactly (UTC); `None` for anything else.
pub fn parse_expires(text: &str) -> Option<time::Date> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// KV v2 metadata as OpenBao answers it (a `metadata/` read, or one `key_info` entry of a
/// detailed-metadata LIST or SCAN): only the fields Crypter uses, decoded without a
/// `serde_json::Value` in between.
#[derive(Debug, Default, Deserialize)]
pub struct KvMetadata {
    #[serde(default)]
    pub custom_metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub current_version: u64,
    #[serde(default)]
    pub updated_time: String,
    #[serde(default)]
    pub versions: BTreeMap<String, KvVersion>,
}

#[derive(Debug, Default, Deserialize)]
pub struct KvVersion {
    #[serde(default)]
    pub created_time: String,
    #[serde(default)]
    pub deletion_time: String,
    #[serde(default)]
    pub destroyed: bool,
}

fn versions(meta: &KvMetadata) -> Vec<CredentialVersion> {
    let mut out: Vec<CredentialVersion> = meta
        .versions
        .iter()
        .filter_map(|(k, v)| {
            Some(CredentialVersion {
                version: k.parse().ok()?,
                created_time: v.created_time.clone(),
                deletion_time: Some(v.deletion_time.clone()).filter(|t| !t.is_empty()),
                destroyed: v.destroyed,
            })
        })
        .collect();
    out.sort_by_key(|v| std::cmp::Reverse(v.version));
    out
}

struct Common {
    metadata: CredentialMetadata,
    current_version: u64,
    updated_time: String,
    deleted: bool,
    rotation_due: bool,
    versions: Vec<CredentialVersion>,
}

fn common(meta: &KvMetadata, now: OffsetDateTime) -> Common {
    let custom = meta.custom_metadata.as_ref();
    let metadata = from_lookup(|k| custom.and_then(|m| m.get(k)).map(String::as_str));
    let current_version = meta.current_version;
    let versions = versions(meta);
    let current = versions.iter().find(|v| v.version == current_version);
    let deleted = current.is_none_or(|v| v.deletion_time.is_some() || v.destroyed);
    let written = current.map(|v| v.created_time.as_str()).unwrap_or_default();
    let rotation_due = !deleted && rotation_due(written, metadata.rotate_after_days, now);
    Common {
        metadata,
        current_version,
        updated_time: meta.updated_time.clone(),
        deleted,
        rotation_due,
        versions,
    }
}

/// Metadata read as a `Value`, typed (fields that do not fit are left at their default).
fn typed(meta: &Value) -> KvMetadata {
    KvMetadata::deserialize(meta).unwrap_or_default()
}

/// One typed `key_info` entry of a SCAN or LIST as a list row.
pub fn summary(path: &str, meta: &KvMetadata, now: OffsetDateTime) -> CredentialSummary {
    let c = common(meta, now);
    CredentialSummary {
        path: path.to_owned(),
        metadata: c.metadata,
        current_version: c.current_version,
        updated_time: c.updated_time,
        deleted: c.deleted,
        rotation_due: c.rotation_due,
    }
}

/// One `key_info` entry of a SCAN (or the data of a metadata read) as a list row.
pub fn parse_entry(path: &str, meta: &Value, now: OffsetDateTime) -> CredentialSummary {
    summary(path, &typed(meta), now)
}

pub fn detail(
    env: &EnvName,
    path: &CredentialPath,
    meta: &Value,
    now: OffsetDateTime,
) -> CredentialDetail {
    let c = common(&typed(meta), now);
    CredentialDetail {
        environment: env.to_string(),
        path: path.to_string(),
        metadata: c.metadata,
        current_version: c.current_version,
        versions: c.versions,
        updated_time: c.updated_time,
        deleted: c.deleted,
        rotation_due: c.rotation_due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_through_custom_metadata() {
        let m = CredentialMetadata {
            class: Some("service".into()),
            owner: Some("payments".into()),
            description: Some("db".into()),
            environment: Some("staging".into()),
            rotate_after_days: Some(30),
            expires: Some("2027-01-31".into()),
            created_by: Some("admin".into()),
            labels: vec!["a".into(), "b".into()],
        };
        let custom = to_custom(&m);
        assert_eq!(custom["custom_metadata"]["labels"], "a,b");
        assert_eq!(from_custom(&custom["custom_metadata"]), m);
    }

    #[test]
    fn expires_is_a_calendar_date_and_nothing_else() {
        let d = parse_expires("2028-02-29").unwrap();
        assert_eq!((d.year(), u8::from(d.month()), d.day()), (2028, 2, 29));
        for bad in [
            "",
            "2027-02-29",
            "2027-13-01",
            "2027-1-01",
            "27-01-01",
            "2027-01-01T00:00:00Z",
            "2027/01/01",
            "2027-01-01-",
            "+2027-01-01",
            "tomorrow",
        ] {
            assert_eq!(parse_expires(bad), None, "{bad}");
        }
    }

    #[test]
    fn rotation_is_due_after_the_days() {
        let now = OffsetDateTime::parse("2026-03-01T00:00:00Z", &Rfc3339).unwrap();
        assert!(rotation_due("2026-01-01T00:00:00Z", Some(30), now));
        assert!(!rotation_due("2026-02-20T00:00:00Z", Some(30), now));
        assert!(!rotation_due("2026-01-01T00:00:00Z", None, now));
        assert!(!rotation_due("garbage", Some(1), now));
    }

    #[test]
    fn a_deleted_current_version_marks_the_entry_deleted() {
        let meta = json!({
            "current_version": 2, "updated_time": "2026-01-01T00:00:00Z",
            "custom_metadata": null,
            "versions": {
                "1": {"created_time": "2026-01-01T00:00:00Z", "deletion_time": "", "destroyed": false},
                "2": {"created_time": "2026-01-02T00:00:00Z", "deletion_time": "2026-01-03T00:00:00Z", "destroyed": false}
            }
        });
        let e = parse_entry("a", &meta, OffsetDateTime::now_utc());
        assert!(e.deleted);
        assert_eq!(e.metadata, CredentialMetadata::default());
    }
}
