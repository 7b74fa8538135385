//! Apply jobs running in this process: progress for `GET /api/v1/jobs/{id}` and its SSE
//! stream. (Kept behind this module so that jobs can move into OpenBao later.)

use crypter_api::{JobProgress, JobState};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

pub struct Job {
    pub id: String,
    pub done: AtomicU64,
    pub total: AtomicU64,
    started: Instant,
    current: Mutex<String>,
    finished: Mutex<Option<Result<(), String>>>,
}

static JOBS: LazyLock<Mutex<HashMap<String, Arc<Job>>>> = LazyLock::new(Default::default);

pub fn new_id() -> String {
    format!("job-{:016x}", rand::random::<u64>())
}

pub fn start(id: &str, total: u64) -> Arc<Job> {
    let job = Arc::new(Job {
        id: id.to_owned(),
        done: AtomicU64::new(0),
        total: AtomicU64::new(total),
        started: Instant::now(),
        current: Mutex::new(String::new()),
        finished: Mutex::new(None),
    });
    if let Ok(mut jobs) = JOBS.lock() {
        jobs.insert(id.to_owned(), job.clone());
    }
    job
}

pub fn get(id: &str) -> Option<JobProgress> {
    let job = JOBS.lock().ok()?.get(id).cloned()?;
    Some(job.progress())
}

impl Job {
    pub fn set_current(&self, what: String) {
        if let Ok(mut c) = self.current.lock() {
            *c = what;
        }
    }

    pub fn add_done(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    pub fn finish(&self, result: Result<(), String>) {
        if let Ok(mut f) = self.finished.lock() {
            *f = Some(result);
        }
    }

    pub fn progress(&self) -> JobProgress {
        let done = self.done.load(Ordering::Relaxed);
        let elapsed = self.started.elapsed().as_millis().max(1) as u64;
        let finished = self.finished.lock().ok().and_then(|f| f.clone());
        let (state, error) = match finished {
            None => (JobState::Running, None),
            Some(Ok(())) => (JobState::Done, None),
            Some(Err(e)) => (JobState::Failed, Some(e)),
        };
        JobProgress {
            id: self.id.clone(),
            state,
            done,
            total: self.total.load(Ordering::Relaxed),
            rate: done * 1000 / elapsed,
            current: self.current.lock().map(|c| c.clone()).unwrap_or_default(),
            error,
        }
    }
}
