//! Jobs: changeset applies and runbook steps, kept in OpenBao (state, owner, progress,
//! cursor) so that any instance shows them and an authorized user resumes one whose
//! instance died. Records are written with the backend's own identity; who may follow a
//! job is OpenBao's decision, through its owner marker read with the caller's own token.

mod handle;
pub mod record;
mod sweep;

pub use handle::JobHandle;
pub use record::{new_id, valid_id, JobRecord};

pub use crate::config::JobTiming;

use crate::clock::{unix, Clock};
use crate::error::AppError;
use crate::records::Records;
use crypter_api::ErrorCode;
use crypter_api::{JobKind, JobProgress, JobRunbook, JobState};
use handle::{Inner, Local};
use record::{event, key, marker_key, owner_key};
use secrecy::SecretString;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// This process as jobs, locks and leases name their holder: its host name and pid.
pub fn host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into());
    format!("{name} pid {}", std::process::id())
}

/// This instance's jobs, and the way to everyone's. Cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    /// `None` for the CLI, whose jobs live only in its own process.
    records: Option<Records>,
    clock: Arc<dyn Clock>,
    pub timing: JobTiming,
    /// Host and process: who runs a job.
    pub instance: String,
    local: Arc<Mutex<HashMap<String, JobHandle>>>,
}

/// A new job: what it runs and for whom.
pub struct JobSpec {
    pub id: String,
    pub kind: JobKind,
    pub owner: String,
    pub entity_id: Option<String>,
    pub total: u64,
    pub plan_hash: Option<String>,
    pub changesets: Vec<String>,
    pub runbook: Option<JobRunbook>,
}

impl Jobs {
    /// The backend's own records, when this process has its identity (not the CLI).
    pub fn records(&self) -> Option<&Records> {
        self.records.as_ref()
    }

    pub fn new(records: Option<Records>, clock: Arc<dyn Clock>, timing: JobTiming) -> Self {
        Self {
            records,
            clock,
            timing,
            instance: host(),
            local: Arc::default(),
        }
    }

    fn register(&self, record: JobRecord, version: Option<u64>, done_at_start: u64) -> JobHandle {
        let now = unix(self.clock.now());
        let (tx, _) = watch::channel(record.progress(now));
        let handle = JobHandle(Arc::new(Inner {
            id: record.id.clone(),
            jobs: self.clone(),
            state: Mutex::new(Local {
                record,
                version,
                dirty: false,
                last_write: Instant::now(),
                run_started: Instant::now(),
                done_at_start,
                stop: None,
                ended: false,
            }),
            tx,
            writing: tokio::sync::Mutex::default(),
        }));
        self.local
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(handle.id().to_owned(), handle.clone());
        let ticker = handle.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !ticker.ended() {
                tick.tick().await;
                if !ticker.ended() {
                    ticker.flush(false).await;
                }
            }
        });
        handle
    }

    pub(crate) fn forget_local(&self, id: &str) {
        self.local
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// The job if it runs here.
    pub fn local(&self, id: &str) -> Option<JobHandle> {
        self.local
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    fn running_here(&self) -> Vec<JobHandle> {
        self.local
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Start a job: its owner marker, then its record (both check-and-set 0).
    pub async fn start(&self, spec: JobSpec) -> Result<JobHandle, AppError> {
        let now = self.clock.now();
        let record = JobRecord {
            id: spec.id,
            kind: spec.kind,
            owner: spec.owner.clone(),
            owner_key: owner_key(spec.entity_id.as_deref()),
            state: JobState::Running,
            done: 0,
            total: spec.total,
            rate: 0,
            current: String::new(),
            error: None,
            started_at: unix(now),
            finished_at: None,
            heartbeat: unix(now),
            stale_after: self.timing.stale_after.as_secs(),
            instance: self.instance.clone(),
            plan_hash: spec.plan_hash,
            changesets: spec.changesets,
            runbook: spec.runbook,
            events: vec![event(
                now,
                &spec.owner,
                "start",
                format!("started on {}", self.instance),
            )],
        };
        let version = match &self.records {
            Some(records) => {
                let marker = marker_key(&record.owner_key, &record.id);
                records
                    .write(&marker, &json!({ "job": record.id }), Some(0))
                    .await?;
                Some(
                    records
                        .write(&key(&record.id), &to_json(&record)?, Some(0))
                        .await?,
                )
            }
            None => None,
        };
        Ok(self.register(record, version, 0))
    }

    /// Run a stored job here again (resume, takeover): it becomes `running` on this
    /// instance, written over the version read, so two instances cannot both adopt it.
    pub async fn adopt(
        &self,
        mut record: JobRecord,
        version: u64,
        actor: &str,
        kind: &str,
        message: String,
    ) -> Result<JobHandle, AppError> {
        let now = self.clock.now();
        record.state = JobState::Running;
        record.error = None;
        record.finished_at = None;
        record.heartbeat = unix(now);
        record.stale_after = self.timing.stale_after.as_secs();
        record.instance = self.instance.clone();
        record.events.push(event(now, actor, kind, message));
        let done = record.done;
        let version = match &self.records {
            Some(records) => Some(
                records
                    .write(&key(&record.id), &to_json(&record)?, Some(version))
                    .await
                    .map_err(|e| match e {
                        crate::bao::kv::KvError::CasFailed { .. } => AppError::Conflict(
                            ErrorCode::StaleVersion,
                            "someone else resumed this job a moment ago; reload it".into(),
                        ),
                        other => other.into(),
                    })?,
            ),
            None => None,
        };
        Ok(self.register(record, version, done))
    }

    /// A job's record, read with the backend's identity (`None`: no such job).
    pub async fn read(&self, id: &str) -> Result<Option<(JobRecord, u64)>, AppError> {
        if let Some(h) = self.local(id) {
            let local = h.0.state.lock().unwrap_or_else(|p| p.into_inner());
            if local.version.is_none() {
                return Ok(Some((local.record.clone(), 0)));
            }
        }
        let Some(records) = &self.records else {
            return Ok(None);
        };
        let Some((data, version)) = records.read(&key(id)).await? else {
            return Ok(None);
        };
        let record = serde_json::from_value(data)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("job record {id}: {e}")))?;
        Ok(Some((record, version)))
    }

    /// OpenBao decides: the caller's own token reads the job's owner marker (its owner and
    /// operators may; anyone else gets 403).
    pub async fn authorize(
        &self,
        record: &JobRecord,
        token: &SecretString,
    ) -> Result<(), AppError> {
        let Some(records) = &self.records else {
            return Ok(());
        };
        let path = format!("crypter/data/{}", marker_key(&record.owner_key, &record.id));
        match records.bao().read(&path, token).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(AppError::NotFound(
                ErrorCode::JobNotFound,
                format!("job {} is gone", record.id),
            )),
            Err(crate::bao::BaoError::Forbidden { .. }) => Err(AppError::Forbidden(format!(
                "job {} belongs to {}: only its owner and operators may follow or resume it",
                record.id, record.owner
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The job `id` as `token`'s holder may see it: 404 unknown, 403 not theirs.
    pub async fn get_for(
        &self,
        id: &str,
        token: &SecretString,
    ) -> Result<(JobRecord, u64), AppError> {
        let (record, version) = self.read(id).await?.ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::JobNotFound,
                format!("no job {id}; finished jobs are kept for a limited time"),
            )
        })?;
        self.authorize(&record, token).await?;
        Ok((record, version))
    }

    /// Its progress now: from this instance when it runs here, else from its record.
    pub fn progress_of(&self, record: &JobRecord) -> JobProgress {
        match self.local(&record.id) {
            Some(h) => h.progress(),
            None => record.progress(unix(self.clock.now())),
        }
    }

    /// Shutting down: ask every job running here to stop at its next check and hand over;
    /// wait for them until `deadline`. Returns how many did not stop in time.
    pub async fn hand_over_all(&self, why: &str, deadline: Duration) -> usize {
        let running = self.running_here();
        for job in &running {
            job.request_stop(why.to_owned());
        }
        let until = Instant::now() + deadline;
        while Instant::now() < until && !self.running_here().is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.running_here().len()
    }
}

fn to_json(record: &JobRecord) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(record).map_err(|e| AppError::Internal(anyhow::anyhow!("job record: {e}")))
}
