//! Delivery state, the backend's own records (its AppRole identity, `Records`): per
//! subscription a cursor (the last event delivered or dead-lettered), a lease (which
//! instance delivers), and the dead letters. In OpenBao, so a restart or another instance
//! resumes where the last one stopped.

use super::{CURSORS, DEAD_LETTERS, LEASES};
use crate::activity::nanos_of;
use crate::bao::kv::KvError;
use crate::error::AppError;
use crate::records::Records;
use crypter_api::DeadLetter;
use crypter_api::ErrorCode;
use serde::{Deserialize, Serialize};

/// Where a subscription's deliveries stand: every event up to (time, id) is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Kept as text: OpenBao keeps JSON numbers as 64-bit floats, which round a time in
    /// nanoseconds (about 1.8e18) to the nearest 256 ns, so a cursor read back would fall
    /// before its own event, and that event would go out again.
    #[serde(with = "nanos_text")]
    pub nanos: i128,
    pub id: String,
}

mod nanos_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(nanos: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&nanos.to_string())
    }

    /// Text; a number from an earlier release is read as it is (it may be rounded).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Number(i128),
            Float(f64),
        }
        match Either::deserialize(d)? {
            Either::Text(t) => t.parse().map_err(serde::de::Error::custom),
            Either::Number(n) => Ok(n),
            Either::Float(f) => Ok(f as i128),
        }
    }
}

impl Cursor {
    /// The start: only events after the subscription's creation.
    pub fn at_creation(created_at: &str) -> Self {
        Self {
            nanos: nanos_of(created_at).unwrap_or_default(),
            id: String::new(),
        }
    }

    /// Whether the event at (`nanos`, `id`) comes after this cursor.
    pub fn before(&self, nanos: i128, id: &str) -> bool {
        (self.nanos, self.id.as_str()) < (nanos, id)
    }
}

pub async fn read_cursor(records: &Records, id: &str) -> Result<Option<Cursor>, AppError> {
    Ok(records
        .read(&format!("{CURSORS}/{id}"))
        .await?
        .and_then(|(d, _)| serde_json::from_value(d).ok()))
}

pub async fn write_cursor(records: &Records, id: &str, cursor: &Cursor) -> Result<(), AppError> {
    let data = serde_json::to_value(cursor).map_err(anyhow::Error::from)?;
    records
        .write(&format!("{CURSORS}/{id}"), &data, None)
        .await?;
    Ok(())
}

fn letter_key(id: &str, event: &str) -> String {
    format!("{DEAD_LETTERS}/{id}/{event}")
}

pub async fn add_dead_letter(
    records: &Records,
    id: &str,
    letter: &DeadLetter,
) -> Result<(), AppError> {
    let data = serde_json::to_value(letter).map_err(anyhow::Error::from)?;
    records
        .write(&letter_key(id, &letter.payload.id), &data, None)
        .await?;
    Ok(())
}

/// A subscription's dead letters, oldest failure first.
pub async fn dead_letters(records: &Records, id: &str) -> Result<Vec<DeadLetter>, AppError> {
    let mut out = Vec::new();
    for event in records.list(&format!("{DEAD_LETTERS}/{id}")).await? {
        if let Some((d, _)) = records.read(&letter_key(id, &event)).await? {
            if let Ok(letter) = serde_json::from_value::<DeadLetter>(d) {
                out.push(letter);
            }
        }
    }
    out.sort_by(|a, b| a.failed_at.cmp(&b.failed_at));
    Ok(out)
}

pub async fn dead_letter(records: &Records, id: &str, event: &str) -> Result<DeadLetter, AppError> {
    let missing = || {
        AppError::NotFound(
            ErrorCode::DeadLetterNotFound,
            format!("no dead letter {event:?} for subscription {id}"),
        )
    };
    let Some((d, _)) = records.read(&letter_key(id, event)).await? else {
        return Err(missing());
    };
    serde_json::from_value(d).map_err(|_| missing())
}

pub async fn remove_dead_letter(records: &Records, id: &str, event: &str) -> Result<(), AppError> {
    records.remove(&letter_key(id, event)).await?;
    Ok(())
}

/// Drop everything kept for a removed subscription (best effort: a leftover is harmless,
/// nothing delivers without the subscription).
pub async fn forget(records: &Records, id: &str) {
    let mut keys = vec![format!("{CURSORS}/{id}"), format!("{LEASES}/{id}")];
    if let Ok(events) = records.list(&format!("{DEAD_LETTERS}/{id}")).await {
        keys.extend(events.iter().map(|e| letter_key(id, e)));
    }
    for key in keys {
        match records.remove(&key).await {
            Ok(()) | Err(KvError::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, %key, "notifications: leftover delivery state"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OpenBao answers numbers as floats: a cursor kept as a number came back 48 ns
    /// early and its event went out again, every round.
    #[test]
    fn a_cursor_survives_a_trip_through_a_float_store() {
        let c = Cursor {
            nanos: 1_796_641_412_737_048_048,
            id: "4709ddb5".into(),
        };
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains("\"1796641412737048048\""), "{text}");
        assert_eq!(serde_json::from_str::<Cursor>(&text).unwrap(), c);
        let old: Cursor =
            serde_json::from_str(r#"{"nanos": 1796641412737048000, "id": "x"}"#).unwrap();
        assert!(
            (old.nanos - 1_796_641_412_737_048_000).abs() < 1_000,
            "{}",
            old.nanos
        );
    }
}
