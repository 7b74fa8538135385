//! The health loop: every node's `sys/health`, every few seconds, so that requests go to
//! nodes that answer and writes go to the active one.

use super::{Bao, SysHealth};
use std::time::{Duration, SystemTime};
use tokio::task::JoinSet;

/// How often the loop checks every node of a single-node store.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(5);
/// On a cluster: often enough that a cut-off data center refuses writes and marks its
/// reads stale within a few seconds (each round also proves how fresh our reads are).
pub const CLUSTER_HEALTH_INTERVAL: Duration = Duration::from_secs(1);
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

impl Bao {
    /// Check every node once, in parallel, and record what each said.
    pub async fn check_nodes(&self) {
        let mut checks = JoinSet::new();
        for i in 0..self.nodes.len() {
            let http = self.http.clone();
            let url = format!(
                "{}/v1/sys/health?standbyok=true&perfstandbyok=true&sealedcode=200&uninitcode=200&drsecondarycode=200",
                self.nodes.spec(i).url
            );
            checks.spawn(async move { (i, check(&http, &url).await) });
        }
        while let Some(done) = checks.join_next().await {
            if let Ok((i, result)) = done {
                let was_healthy = self.nodes.status(i).healthy();
                if let Err(e) = &result {
                    if was_healthy {
                        tracing::warn!(node = %self.nodes.spec(i).url, error = %e, "OpenBao node is down");
                    }
                }
                self.nodes.record(i, result, SystemTime::now());
            }
        }
    }

    /// Run [`Bao::check_nodes`] and [`Bao::probe_freshness`] now and then every
    /// [`HEALTH_INTERVAL`] ([`CLUSTER_HEALTH_INTERVAL`] on a cluster), until the returned
    /// task is aborted (or the runtime ends).
    pub fn spawn_health_loop(&self) -> tokio::task::JoinHandle<()> {
        let bao = self.clone();
        tokio::spawn(async move {
            let every = if bao.nodes.len() > 1 {
                CLUSTER_HEALTH_INTERVAL
            } else {
                HEALTH_INTERVAL
            };
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                bao.check_nodes().await;
                bao.probe_freshness().await;
            }
        })
    }
}

async fn check(http: &reqwest::Client, url: &str) -> Result<SysHealth, String> {
    let resp = http
        .get(url)
        .timeout(CHECK_TIMEOUT)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "health check timed out".to_owned()
            } else {
                "unreachable".to_owned()
            }
        })?;
    resp.json::<SysHealth>()
        .await
        .map_err(|e| format!("unexpected sys/health answer: {e}"))
}
