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
use serde::{Deserialize, Serialize};

/// Where a subscription's deliveries stand: every event up to (time, id) is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub nanos: i128,
    pub id: String,
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
    let missing = || AppError::NotFound(format!("no dead letter {event:?} for subscription {id}"));
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
