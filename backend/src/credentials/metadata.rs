//! Reading and writing Crypter's `custom_metadata`. OpenBao keeps custom metadata as a
//! map of strings, so numbers and lists are encoded here, in one place.

use crypter_api::{
    CredentialDetail, CredentialMetadata, CredentialPath, CredentialSummary, CredentialVersion,
    EnvName,
};
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn from_custom(custom: &Value) -> CredentialMetadata {
    let s = |k: &str| {
        custom[k]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    CredentialMetadata {
        class: s("class"),
        owner: s("owner"),
        description: s("description"),
        environment: s("environment"),
        rotate_after_days: s("rotate_after_days").and_then(|d| d.parse().ok()),
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

fn versions(meta: &Value) -> Vec<CredentialVersion> {
    let mut out: Vec<CredentialVersion> = meta["versions"]
        .as_object()
        .map(|vs| {
            vs.iter()
                .filter_map(|(k, v)| {
                    Some(CredentialVersion {
                        version: k.parse().ok()?,
                        created_time: v["created_time"].as_str().unwrap_or_default().to_owned(),
                        deletion_time: v["deletion_time"]
                            .as_str()
                            .filter(|t| !t.is_empty())
                            .map(str::to_owned),
                        destroyed: v["destroyed"].as_bool().unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
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

fn common(meta: &Value, now: OffsetDateTime) -> Common {
    let metadata = from_custom(&meta["custom_metadata"]);
    let current_version = meta["current_version"].as_u64().unwrap_or_default();
    let versions = versions(meta);
    let current = versions.iter().find(|v| v.version == current_version);
    let deleted = current.is_none_or(|v| v.deletion_time.is_some() || v.destroyed);
    let written = current.map(|v| v.created_time.as_str()).unwrap_or_default();
    let rotation_due = !deleted && rotation_due(written, metadata.rotate_after_days, now);
    Common {
        metadata,
        current_version,
        updated_time: meta["updated_time"].as_str().unwrap_or_default().to_owned(),
        deleted,
        rotation_due,
        versions,
    }
}

/// One `key_info` entry of a SCAN (or the data of a metadata read) as a list row.
pub fn parse_entry(path: &str, meta: &Value, now: OffsetDateTime) -> CredentialSummary {
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

pub fn detail(
    env: &EnvName,
    path: &CredentialPath,
    meta: &Value,
    now: OffsetDateTime,
) -> CredentialDetail {
    let c = common(meta, now);
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
            created_by: Some("admin".into()),
            labels: vec!["a".into(), "b".into()],
        };
        let custom = to_custom(&m);
        assert_eq!(custom["custom_metadata"]["labels"], "a,b");
        assert_eq!(from_custom(&custom["custom_metadata"]), m);
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
