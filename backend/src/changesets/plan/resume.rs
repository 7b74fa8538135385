//! A changeset whose apply stopped part-way: its plan is the rest of the item list that
//! apply was running, from the cursor, exactly as it was planned. Nothing is planned again.

use super::Planner;
use crate::changesets::changelog::Record;
use crate::changesets::checksum::checksum;
use crate::changesets::format::Changeset;
use crate::changesets::store;
use crate::error::AppError;

/// The summaries of its operations and the ciphertext counts its rewraps leave (from its
/// whole item list, done items included), or the blocker that says why it cannot resume.
pub async fn items(
    p: &mut Planner<'_>,
    cs: &Changeset,
    record: &Record,
) -> Result<Result<(Vec<String>, Vec<super::keys::Counts>), String>, AppError> {
    let Some(cursor) = &record.cursor else {
        return Ok(Err(format!(
            "{} stopped part-way with no saved item list; check the store against it by hand, \
             then remove its changelog record",
            cs.id
        )));
    };
    if record.checksum != checksum(cs) {
        return Ok(Err(format!(
            "{} was edited after its apply stopped (checksum {} was being applied): put the \
             applied text back to resume it (see its diff)",
            cs.id, record.checksum
        )));
    }
    let (bao, token) = (p.model.bao, p.model.token);
    let Some(list) = store::load(bao, token, &cursor.plan_hash).await? else {
        return Ok(Err(format!(
            "the item list of {}'s interrupted apply (plan {}) is missing from the store",
            cs.id, cursor.plan_hash
        )));
    };
    let start = record.first_item + cursor.done;
    let end = record.first_item + cursor.total;
    let rest = list.items.get(start..end).unwrap_or_default();
    if rest.iter().any(|i| i.changeset != cs.id) || end > list.items.len() {
        return Ok(Err(format!(
            "the stored item list of plan {} does not hold {}'s items where its changelog says",
            cursor.plan_hash, cs.id
        )));
    }
    let in_flight = cursor.in_flight.saturating_sub(cursor.done);
    for (k, stored) in rest.iter().enumerate() {
        let mut it = stored.clone();
        it.resumed = k < in_flight;
        it.refused = None;
        let Some(op) = cs.operations.get(it.operation) else {
            return Ok(Err(format!(
                "{}'s stored items name an operation it does not have",
                cs.id
            )));
        };
        p.push(it, op).await?;
    }
    let whole = list.items.get(record.first_item..end).unwrap_or_default();
    let summaries = cs
        .operations
        .iter()
        .map(|op| format!("{} (resumed: the rest of the interrupted apply)", op.name()))
        .collect();
    Ok(Ok((summaries, super::keys::rewrap_counts(cs, whole))))
}
