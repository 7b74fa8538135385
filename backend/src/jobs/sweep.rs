//! Listing jobs, and keeping ended ones for a bounded time: every instance, every few
//! minutes, removes the records (and owner markers) of jobs that ended longer ago than
//! the retention, or that stayed interrupted that long.

use super::record::{key, marker_key, JobRecord};
use super::Jobs;
use crate::clock::unix;
use crate::error::AppError;
use crypter_api::{JobProgress, JobState};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use std::time::Duration;

/// At most this many jobs in a listing, newest first.
const LIST_LIMIT: usize = 50;

impl Jobs {
    async fn all(&self) -> Result<Vec<JobRecord>, AppError> {
        let Some(records) = &self.records else {
            return Ok(Vec::new());
        };
        let ids = records.list("jobs").await?;
        Ok(stream::iter(ids)
            .map(|id| async move { self.read(&id).await.ok().flatten().map(|(r, _)| r) })
            .buffer_unordered(8)
            .filter_map(|r| async move { r })
            .collect()
            .await)
    }

    /// The jobs `token`'s holder may follow (OpenBao decides each), newest first.
    pub async fn list_for(&self, token: &SecretString) -> Result<Vec<JobProgress>, AppError> {
        let mut all = self.all().await?;
        all.sort_by_key(|r| std::cmp::Reverse(r.started_at));
        let visible: Vec<JobProgress> = stream::iter(all)
            .map(|r| async move {
                self.authorize(&r, token)
                    .await
                    .ok()
                    .map(|()| self.progress_of(&r))
            })
            .buffered(8)
            .filter_map(|p| async move { p })
            .take(LIST_LIMIT)
            .collect()
            .await;
        Ok(visible)
    }

    /// Remove jobs that ended (or stayed interrupted) longer than the retention ago.
    /// Returns how many were removed.
    pub async fn sweep(&self) -> Result<usize, AppError> {
        let Some(records) = &self.records else {
            return Ok(0);
        };
        let now = unix(self.clock.now());
        let keep = self.timing.retention.as_secs();
        let mut removed = 0;
        for r in self.all().await? {
            let since = match r.state_at(now) {
                JobState::Running => continue,
                JobState::Interrupted => r.heartbeat,
                JobState::Done | JobState::Failed => r.finished_at.unwrap_or(r.heartbeat),
            };
            if now.saturating_sub(since) <= keep || self.local(&r.id).is_some() {
                continue;
            }
            records.remove(&marker_key(&r.owner_key, &r.id)).await?;
            records.remove(&key(&r.id)).await?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Run [`Self::sweep`] every five minutes until the task is aborted.
    pub fn spawn_sweeper(&self) -> tokio::task::JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(300));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match jobs.sweep().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(jobs = n, "removed ended jobs past their retention"),
                    Err(e) => tracing::warn!(error = %e.cause_chain(), "sweeping jobs"),
                }
            }
        })
    }
}
