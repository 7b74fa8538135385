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
