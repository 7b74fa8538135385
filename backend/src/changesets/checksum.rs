//! The checksum of a changeset: `sha256:` + hex of the canonical JSON of
//! `{id, environment, operations}` (keys sorted here, recursively; no whitespace). Comments,
//! formatting, author and description do not change it.

use super::format::Changeset;
use crypter_api::PlanItem;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Canonical JSON: object keys sorted by this function (not left to serde_json's map), no
/// whitespace, strings and numbers as serde_json writes them.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

pub fn sha256_prefixed(text: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// The part of a changeset that the checksum covers.
pub fn body(cs: &Changeset) -> Value {
    json!({ "id": cs.id, "environment": cs.environment, "operations": cs.operations })
}

pub fn checksum(cs: &Changeset) -> String {
    sha256_prefixed(&canonical_json(&body(cs)))
}

/// The hash a plan is known by: of its changesets (id and checksum, in order) and its
/// complete item list. Any item that differs (a path, a version, an action, what is
/// same or different) gives another hash, even when the counts are the same.
///
/// Items are hashed as serde writes them: a struct's fields in their fixed order, and no
/// maps inside an item, so the text is canonical without sorting (and a 10,000-item list
/// is hashed as it is written, not built as a JSON tree first).
pub fn plan_hash(changesets: &[(String, String)], items: &[PlanItem]) -> String {
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Hashing(Sha256::new());
    // Writing into a hasher cannot fail, and these types always serialise.
    let _ = serde_json::to_writer(&mut h, &json!({ "changesets": changesets }));
    let _ = serde_json::to_writer(&mut h, items);
    format!("sha256:{}", hex::encode(h.0.finalize()))
}

#[cfg(test)]
mod tests {
    use super::super::format::parse;
    use super::*;

    const BASE: &str = r#"id = "001"
author = "ana"
description = "first"
environment = "staging"

[[operations]]
op = "copy_credentials"
from = { environment = "prod", prefix = "db/" }
to = { prefix = "db/" }
"#;

    fn sum(text: &str) -> String {
        checksum(&parse("t.toml", text).unwrap())
    }

    #[test]
    fn canonical_json_sorts_keys_recursively() {
        let v = json!({"b": 1, "a": {"d": [1, {"z": 0, "y": "x"}], "c": null}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":null,"d":[1,{"y":"x","z":0}]},"b":1}"#
        );
    }

    #[test]
    fn format_comments_author_description_do_not_change_it() {
        let base = sum(BASE);
        assert!(base.starts_with("sha256:") && base.len() == 7 + 64);
        let reformatted = r#"# a comment
id="001"
environment   =   "staging"   # trailing
author = "bob"
description = """
something else"""

[[operations]]
# the move
op = "copy_credentials"
to = { prefix = "db/" }

[operations.from]
prefix = "db/"
environment = "prod"
"#;
        assert_eq!(sum(reformatted), base);
    }

    #[test]
    fn any_change_to_an_operation_changes_it() {
        let base = sum(BASE);
        for edit in [
            BASE.replace("to = { prefix = \"db/\" }", "to = { prefix = \"db2/\" }"),
            BASE.replace(
                "to = { prefix = \"db/\" }",
                "to = { prefix = \"db/\" }\noverwrite = true",
            ),
            BASE.replace("environment = \"prod\"", "environment = \"qa\""),
            BASE.replace("copy_credentials", "move_credentials"),
            BASE.replace("environment = \"staging\"", "environment = \"qa\""),
            BASE.replace("id = \"001\"", "id = \"002\""),
        ] {
            assert_ne!(sum(&edit), base, "{edit}");
        }
    }
}
