//! The freeze record the early refusal of frozen actions reads (the layer itself is
//! `routes::middleware::freeze`, built from the route table): the last one seen, shared by
//! all requests and read again after a few seconds.

use super::{load_record, FreezeRecord};
use crate::bao::Bao;
use crate::session::Session;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a freeze record read from OpenBao is trusted before it is read again.
const FRESH_FOR: Duration = Duration::from_secs(3);

/// The last freeze record seen, shared by all requests.
#[derive(Clone, Default)]
pub struct FreezeCache {
    inner: Arc<RwLock<Option<(Instant, FreezeRecord)>>>,
}

impl FreezeCache {
    pub fn set(&self, record: FreezeRecord) {
        if let Ok(mut g) = self.inner.write() {
            *g = Some((Instant::now(), record));
        }
    }

    fn fresh(&self) -> Option<FreezeRecord> {
        let g = self.inner.read().ok()?;
        g.as_ref()
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
            .map(|(_, r)| r.clone())
    }

    /// The current record, read with the caller's token when the cached one is stale.
    /// `None` when the caller may not read it: then OpenBao alone decides.
    pub async fn current(&self, bao: &Bao, session: &Session) -> Option<FreezeRecord> {
        if let Some(r) = self.fresh() {
            return Some(r);
        }
        let (record, _) = load_record(bao, &session.token).await.ok()?;
        self.set(record.clone());
        Some(record)
    }
}
