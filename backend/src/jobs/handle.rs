//! A job running in this instance. Progress goes to local followers through a watch
//! channel at once, and to the job's record (for other instances) once a second when it
//! changed, and at least every heartbeat. A failed check-and-set on the record means
//! another instance resumed the job: this one stops at its next check.

use super::record::{event, JobRecord};
use super::Jobs;
use crate::bao::kv::KvError;
use crate::clock::unix;
use crypter_api::{JobProgress, JobState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

#[derive(Clone)]
pub struct JobHandle(pub(super) Arc<Inner>);

pub(super) struct Inner {
    pub id: String,
    pub jobs: Jobs,
    pub state: Mutex<Local>,
    pub tx: watch::Sender<JobProgress>,
    /// One write of the record at a time: two flushes over the same version (the
    /// heartbeat's and the runner's) would make the second fail its check-and-set and
    /// read as another instance's takeover. Across data centers a write takes a round
    /// trip, so they did overlap.
    pub writing: tokio::sync::Mutex<()>,
}

pub(super) struct Local {
    pub record: JobRecord,
    /// The record's version this instance last wrote (`None`: not stored, e.g. the CLI).
    pub version: Option<u64>,
    pub dirty: bool,
    pub last_write: Instant,
    pub run_started: Instant,
    pub done_at_start: u64,
    /// Why the runner must stop at its next check: a hand-over, or the job was lost.
    pub stop: Option<String>,
    pub ended: bool,
}

impl JobHandle {
    pub fn id(&self) -> &str {
        &self.0.id
    }

    fn with<T>(&self, f: impl FnOnce(&mut Local) -> T) -> T {
        let mut local = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut local)
    }

    fn now(&self) -> u64 {
        unix(self.0.jobs.clock.now())
    }

    /// Change the record, then tell local followers.
    fn update(&self, f: impl FnOnce(&mut JobRecord)) {
        let now = self.now();
        let progress = self.with(|l| {
            f(&mut l.record);
            let elapsed = l.run_started.elapsed().as_millis().max(1) as u64;
            l.record.rate = l.record.done.saturating_sub(l.done_at_start) * 1000 / elapsed;
            l.dirty = true;
            l.record.progress(now)
        });
        self.0.tx.send_replace(progress);
    }

    pub fn progress(&self) -> JobProgress {
        let now = self.now();
        self.with(|l| l.record.progress(now))
    }

    pub fn subscribe(&self) -> watch::Receiver<JobProgress> {
        self.0.tx.subscribe()
    }

    pub fn set_current(&self, what: String) {
        self.update(|r| r.current = what);
    }

    /// An event in the job's history (kind `note`): e.g. the conflicts an undo left.
    pub fn note(&self, message: String) {
        let now = self.0.jobs.clock.now();
        let actor = self.0.jobs.instance.clone();
        self.update(|r| r.events.push(event(now, &actor, "note", message)));
    }

    pub fn add_done(&self, n: u64) {
        self.update(|r| r.done += n);
    }

    /// Why the runner must stop now, if it must.
    pub fn stop_reason(&self) -> Option<String> {
        self.with(|l| l.stop.clone())
    }

    pub fn request_stop(&self, why: String) {
        self.with(|l| {
            l.stop.get_or_insert(why);
        });
    }

    /// Write the record if it changed, or if its heartbeat is due.
    pub(super) async fn flush(&self, force: bool) {
        let _one_at_a_time = self.0.writing.lock().await;
        let heartbeat = self.0.jobs.timing.heartbeat;
        let now = self.now();
        let due = self.with(|l| {
            let due = force || l.dirty || l.last_write.elapsed() >= heartbeat;
            if due {
                l.record.heartbeat = now;
                l.dirty = false;
                l.last_write = Instant::now();
            }
            due.then(|| (l.record.clone(), l.version))
        });
        let Some((record, Some(version))) = due else {
            return;
        };
        let Some(records) = &self.0.jobs.records else {
            return;
        };
        let Ok(data) = serde_json::to_value(&record) else {
            return;
        };
        match records
            .write(&super::record::key(&record.id), &data, Some(version))
            .await
        {
            Ok(v) => self.with(|l| {
                if l.version == Some(version) {
                    l.version = Some(v);
                }
            }),
            Err(KvError::CasFailed { .. }) => {
                tracing::warn!(job = %record.id, "another instance took the job over; stopping here");
                self.request_stop("another instance resumed this job".into());
                self.with(|l| l.version = None);
            }
            Err(e) => {
                // The store may be electing a leader: try again at the next tick.
                tracing::warn!(job = %record.id, error = %e, "could not write the job's progress");
                self.with(|l| l.dirty = true);
            }
        }
    }

    async fn end(&self, state: JobState, error: Option<String>, kind: &str, message: String) {
        let now = self.0.jobs.clock.now();
        let actor = self.0.jobs.instance.clone();
        self.update(|r| {
            r.state = state;
            r.error = error;
            r.current = String::new();
            r.finished_at = (state != JobState::Interrupted).then(|| unix(now));
            r.events.push(event(now, &actor, kind, message));
        });
        self.with(|l| l.ended = true);
        // The last write matters: try it a few times (a leader election takes seconds).
        for attempt in 0..10 {
            self.flush(true).await;
            let written = self.with(|l| !l.dirty);
            if written {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
        }
    }

    /// Everything the job's runner does after it ended is done (a runbook step recorded
    /// its outcome): the job is no longer this instance's.
    pub fn release(&self) {
        self.0.jobs.forget_local(&self.0.id);
    }

    /// The job ended: done, or failed with why.
    pub async fn finish(&self, result: Result<(), String>) {
        let (state, error, message) = match result {
            Ok(()) => (JobState::Done, None, "done".to_owned()),
            Err(e) => {
                tracing::warn!(job = %self.id(), error = %e, "job failed");
                (JobState::Failed, Some(e.clone()), format!("failed: {e}"))
            }
        };
        self.end(state, error, "end", message).await;
    }

    /// The runner stopped because it was asked to (shutdown): the job is `interrupted`,
    /// for anyone to resume at once.
    pub async fn hand_over(&self, why: String) {
        let error = format!("{why}; resume the job to continue from its saved cursor");
        self.end(JobState::Interrupted, Some(error), "handover", why)
            .await;
    }

    pub fn ended(&self) -> bool {
        self.with(|l| l.ended)
    }
}
