//! How much of OpenBao one process may ask for at once, and how long a request waits.
//!
//! Requests to OpenBao take a turn from a bounded, first-come first-served queue: under
//! load (200 sessions listing at once) OpenBao answers a few requests at a time quickly
//! instead of all of them slowly, and every request waits about as long as the others,
//! where an unbounded crowd left some of them waiting past any deadline. A request that
//! cannot get its turn, or its answer, in time is refused as [`BaoError::Busy`] (the API
//! answers 503 with `Retry-After`), never as an unreachable store.

use super::{BaoError, Call};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// The bounds of one [`super::Bao`] handle and its clones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests in flight to OpenBao at once, from this process.
    pub in_flight: usize,
    /// How long a request may wait for its turn.
    pub queue: Duration,
    /// How long a sent request may wait for its whole answer.
    pub answer: Duration,
    /// The same for a SCAN: one answer holds a whole environment (a second or more per
    /// 10,000 credentials on an idle store), so it gets longer.
    pub scan_answer: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            in_flight: 32,
            queue: Duration::from_secs(30),
            answer: Duration::from_secs(30),
            scan_answer: Duration::from_secs(120),
        }
    }
}

/// The queue itself, shared by every clone of a handle.
#[derive(Debug)]
pub(super) struct Gate {
    pub(super) limits: Limits,
    slots: Arc<Semaphore>,
}

impl Gate {
    pub(super) fn new(limits: Limits) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.in_flight.max(1))),
            limits,
        }
    }

    /// This request's turn, or `Busy` once it waited [`Limits::queue`].
    pub(super) async fn turn(&self, call: &Call<'_>) -> Result<SemaphorePermit<'_>, BaoError> {
        let busy = || BaoError::Busy {
            path: call.path.to_owned(),
            sent: false,
            write: !super::path::is_read(&call.method),
        };
        match tokio::time::timeout(self.limits.queue, self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; a closed one would be a bug, not a busy store.
            Ok(Err(_)) => Err(BaoError::Config(
                "the OpenBao request queue is closed".into(),
            )),
            Err(_) => {
                tracing::warn!(
                    path = call.path,
                    waited_s = self.limits.queue.as_secs(),
                    "no turn to ask OpenBao within the deadline"
                );
                Err(busy())
            }
        }
    }

    /// How long `call` may wait for its answer once sent.
    pub(super) fn answer_deadline(&self, call: &Call<'_>) -> Duration {
        if call.method.as_str() == "SCAN" {
            self.limits.scan_answer
        } else {
            self.limits.answer
        }
    }
}
