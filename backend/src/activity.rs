//! The activity log: every change and every reveal, written to
//! `crypter/data/activity/<id>` with the acting user's own token. Ids sort by time, so a
//! listing of keys in reverse order is newest first.

use crate::bao::Bao;
use crate::session::Session;
use crypter_api::ActivityEvent;
use rand::Rng;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub const PREFIX: &str = "crypter/data/activity";

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
            Self::Error => "error",
        }
    }

    /// The outcome of a handler's result: OpenBao's 403 is `denied`.
    pub fn of<T>(result: &Result<T, crate::error::AppError>) -> Self {
        use crate::bao::BaoError;
        use crate::error::AppError;
        match result {
            Ok(_) => Self::Ok,
            Err(AppError::Store(BaoError::Forbidden { .. }) | AppError::Forbidden(_)) => {
                Self::Denied
            }
            Err(_) => Self::Error,
        }
    }
}

/// A new sortable id: nanoseconds since the epoch, zero-padded, plus a random suffix so
/// two events in the same nanosecond never collide.
pub fn new_id(now: OffsetDateTime) -> String {
    let suffix: u32 = rand::rng().random_range(0..0x100_0000);
    format!("{:020}-{suffix:06x}", now.unix_timestamp_nanos())
}

/// Append one event. Recording never fails the action it records: a failure to write is
/// logged (without values) and the caller carries on.
pub async fn record(
    bao: &Bao,
    session: &Session,
    action: &str,
    target: &str,
    outcome: Outcome,
    detail: Option<String>,
) {
    let now = OffsetDateTime::now_utc();
    let event = ActivityEvent {
        id: new_id(now),
        time: now.format(&Rfc3339).unwrap_or_default(),
        actor: session.username.clone(),
        action: action.to_owned(),
        target: target.to_owned(),
        outcome: outcome.as_str().to_owned(),
        detail,
    };
    let path = format!("{PREFIX}/{}", event.id);
    let body = json!({ "data": event });
    if let Err(e) = bao.write(&path, &session.token, &body).await {
        tracing::warn!(error = %e, action, target, "could not record activity");
    }
}

/// Newest first: events with an id below `before` (all when `None`), at most `limit`.
pub async fn list(
    bao: &Bao,
    token: &secrecy::SecretString,
    before: Option<&str>,
    limit: usize,
) -> Result<crypter_api::ActivityPage, crate::error::AppError> {
    use futures_util::stream::{self, StreamExt};
    let mut ids = bao.list("crypter/metadata/activity/", token).await?;
    ids.retain(|id| !id.ends_with('/') && before.is_none_or(|b| id.as_str() < b));
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let more = ids.len() > limit;
    ids.truncate(limit);
    let paths: Vec<String> = ids.iter().map(|id| format!("{PREFIX}/{id}")).collect();
    let events: Vec<Option<ActivityEvent>> = stream::iter(paths)
        .map(|path| async move {
            bao.read(&path, token)
                .await
                .ok()
                .flatten()
                .and_then(|v| serde_json::from_value(v["data"]["data"].clone()).ok())
        })
        .buffered(crate::environments::FAN_OUT)
        .collect()
        .await;
    let events: Vec<ActivityEvent> = events.into_iter().flatten().collect();
    let next = if more { ids.last().cloned() } else { None };
    Ok(crypter_api::ActivityPage { events, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time() {
        let t = OffsetDateTime::now_utc();
        let a = new_id(t);
        let b = new_id(t + time::Duration::nanoseconds(1));
        let c = new_id(t + time::Duration::seconds(100));
        assert!(a < b && b < c);
        assert_eq!(a.len(), 27);
    }
}
