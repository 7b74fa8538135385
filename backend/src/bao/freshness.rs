//! How fresh this instance's reads are, and whether it can reach the store's leader.
//!
//! Reads go to the node in our own data center, which replicates from the leader. Every
//! probe (each health round, 1 s on a cluster) asks the leader for its committed Raft
//! index at `t0`, then waits briefly for the node that answers our reads to have applied
//! it. When it has, every write acknowledged before `t0` is in what we read: `t0` becomes
//! `fresh_as_of`. A read served more than [`STALE_AFTER`] past `fresh_as_of` is marked
//! with `X-Crypter-Stale-Since` (see `routes`' consistency layer).
//!
//! An instance that reaches fewer than a majority of the nodes is on the minority side of
//! a partition: no leader can commit a write it sends, so writes are refused at once
//! ([`BaoError::LeaderUnreachable`]) instead of hanging until a timeout, and every read is
//! marked stale since the last moment it reached a majority.

use super::{Bao, BaoError};
use serde::Deserialize;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Reads whose freshness is older than this are marked stale.
pub const STALE_AFTER: Duration = Duration::from_secs(3);
/// How long a probe waits for a standby to apply what the leader committed.
const CATCH_UP: Duration = Duration::from_millis(600);
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// One node's replication lag, as last measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lag {
    /// The leader's committed index minus the node's applied index, at the end of the wait.
    pub index: u64,
    /// How long the node took to apply what the leader had committed.
    pub ms: u64,
}

#[derive(Debug, Default)]
struct State {
    fresh_as_of: Option<SystemTime>,
    /// The last moment a majority of the nodes answered (None: never lost, or never seen).
    last_quorum_at: Option<SystemTime>,
    quorum_lost: bool,
    lag: Vec<Option<Lag>>,
}

#[derive(Debug)]
pub(super) struct Freshness {
    state: Mutex<State>,
    /// True while fewer than a majority answer: writes in flight give up when it flips.
    lost: watch::Sender<bool>,
}

impl Default for Freshness {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            lost: watch::channel(false).0,
        }
    }
}

impl Freshness {
    /// Resolves once fewer than a majority of the nodes answer (at once if so now).
    pub async fn wait_lost(&self) {
        let mut rx = self.lost.subscribe();
        if rx.wait_for(|lost| *lost).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record whether a majority of the nodes answered at `now`.
    pub fn quorum(&self, reachable: bool, now: SystemTime) {
        let mut s = self.state();
        if reachable {
            s.last_quorum_at = Some(now);
            if s.quorum_lost {
                tracing::info!("a majority of the store's nodes answers again; writes resume");
            }
            s.quorum_lost = false;
        } else if !s.quorum_lost {
            s.quorum_lost = true;
            tracing::warn!("fewer than a majority of the store's nodes answer: writes are refused here and reads are marked stale");
        }
        self.lost.send_replace(s.quorum_lost);
    }

    /// Since when the leader is out of reach, while it is.
    pub fn leader_unreachable_since(&self) -> Option<SystemTime> {
        let s = self.state();
        s.quorum_lost
            .then(|| s.last_quorum_at.unwrap_or(SystemTime::UNIX_EPOCH))
    }

    pub fn fresh_as_of(&self) -> Option<SystemTime> {
        self.state().fresh_as_of
    }

    /// When reads here may be older than: set while the leader is out of reach, or when
    /// the last proof of freshness is older than [`STALE_AFTER`].
    pub fn stale_since(&self, now: SystemTime) -> Option<SystemTime> {
        let s = self.state();
        let fresh = s.fresh_as_of;
        if s.quorum_lost {
            let lost = s.last_quorum_at.unwrap_or(SystemTime::UNIX_EPOCH);
            return Some(fresh.map_or(lost, |f| f.min(lost)));
        }
        let fresh = fresh?;
        let age = now.duration_since(fresh).unwrap_or_default();
        (age > STALE_AFTER).then_some(fresh)
    }

    pub fn lag(&self, node: usize) -> Option<Lag> {
        self.state().lag.get(node).copied().flatten()
    }

    fn proved(&self, t0: SystemTime) {
        let mut s = self.state();
        if s.fresh_as_of.is_none_or(|f| t0 > f) {
            s.fresh_as_of = Some(t0);
        }
    }

    fn set_lag(&self, node: usize, n: usize, lag: Option<Lag>) {
        let mut s = self.state();
        s.lag.resize(n, None);
        s.lag[node] = lag;
    }
}

/// What `sys/leader` says of a node's Raft log.
#[derive(Debug, Deserialize)]
struct RaftIndexes {
    #[serde(default)]
    raft_committed_index: u64,
    #[serde(default)]
    raft_applied_index: u64,
}

impl Bao {
    /// Prove how fresh our reads are (see the module's comment). Without a reachable
    /// active node nothing is proved, and `fresh_as_of` stays where it was.
    pub(super) async fn probe_freshness(&self) {
        let n = self.nodes.len();
        if n < 2 {
            return;
        }
        let statuses = self.nodes.snapshot();
        let t0 = SystemTime::now();
        // A leader deposed by a partition still claims to be active for a while after the
        // heal, with a commit index that no longer moves: of every node that claims it, the
        // one furthest along is the leader. Trusting the first claim proved a deposed
        // node's old data fresh (bench-wan's history caught it).
        let mut claims = JoinSet::new();
        for i in (0..n).filter(|&i| statuses[i].1.healthy() && !statuses[i].1.standby) {
            let bao = self.clone();
            claims.spawn(async move { (i, bao.raft_indexes(i).await) });
        }
        let mut best: Option<(usize, u64)> = None;
        while let Some(done) = claims.join_next().await {
            let Ok((i, Ok(at))) = done else { continue };
            if best.is_none_or(|(_, c)| at.raft_committed_index > c) {
                best = Some((i, at.raft_committed_index));
            }
        }
        let Some((leader, committed)) = best else {
            return;
        };
        self.nodes
            .freshness
            .set_lag(leader, n, Some(Lag { index: 0, ms: 0 }));
        let reader = self.nodes.order(false)[0];
        if reader == leader {
            self.nodes.freshness.proved(t0);
        }
        let mut waits = JoinSet::new();
        for (i, (_, status)) in statuses.iter().enumerate() {
            if i != leader && status.healthy() {
                let bao = self.clone();
                waits.spawn(async move { (i, bao.catch_up(i, committed).await) });
            }
        }
        while let Some(Ok((i, lag))) = waits.join_next().await {
            self.nodes.freshness.set_lag(i, n, lag);
            if i == reader && lag.is_some_and(|l| l.index == 0) {
                self.nodes.freshness.proved(t0);
            }
        }
    }

    /// Wait (briefly) for node `i` to apply `committed`: how far behind it stayed, and for
    /// how long. `None` when it did not answer.
    async fn catch_up(&self, i: usize, committed: u64) -> Option<Lag> {
        let start = Instant::now();
        loop {
            let applied = self.raft_indexes(i).await.ok()?.raft_applied_index;
            let ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            if applied >= committed || start.elapsed() > CATCH_UP {
                return Some(Lag {
                    index: committed.saturating_sub(applied),
                    ms,
                });
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn raft_indexes(&self, i: usize) -> Result<RaftIndexes, BaoError> {
        let url = format!("{}/v1/sys/leader", self.nodes.spec(i).url);
        let unreachable = |e: reqwest::Error| BaoError::Unreachable {
            addr: self.nodes.spec(i).url.clone(),
            reason: e.to_string(),
            unsent: e.is_connect(),
        };
        self.http
            .get(url)
            .timeout(PROBE_TIMEOUT)
            .send()
            .await
            .map_err(unreachable)?
            .json()
            .await
            .map_err(|e| BaoError::Decode(format!("sys/leader: {e}")))
    }

    /// Since when this instance cannot reach the store's leader (it reaches fewer than a
    /// majority of the nodes), while it cannot.
    pub fn leader_unreachable_since(&self) -> Option<SystemTime> {
        self.nodes.freshness.leader_unreachable_since()
    }

    /// The refusal for a change (or a read that needs the leader) while the leader is out of
    /// reach. `sent`: the request was already on its way.
    pub fn leader_unreachable(&self, sent: bool) -> Option<BaoError> {
        self.leader_unreachable_since()
            .map(|since| BaoError::LeaderUnreachable {
                datacenter: self.nodes.own_dc().map(str::to_owned),
                since,
                sent,
            })
    }

    /// When the reads this instance serves may be older than, when they may be.
    pub fn stale_since(&self) -> Option<SystemTime> {
        self.nodes.freshness.stale_since(SystemTime::now())
    }

    /// Every write acknowledged before this time is in what this instance reads.
    pub fn fresh_as_of(&self) -> Option<SystemTime> {
        self.nodes.freshness.fresh_as_of()
    }

    /// Node `i`'s replication lag, as last measured.
    pub fn lag(&self, i: usize) -> Option<Lag> {
        self.nodes.freshness.lag(i)
    }

    /// The node that answers this instance's reads now.
    pub fn read_node(&self) -> usize {
        self.nodes.order(false)[0]
    }
}

/// `14:02:11 UTC`, for messages a person reads.
pub fn clock_time(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second())
}

/// RFC 3339, for headers and the API.
pub fn rfc3339(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_stale_past_the_bound_and_at_once_without_a_majority() {
        let f = Freshness::default();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(f.stale_since(t), None, "nothing proved yet, nothing lost");
        f.proved(t);
        assert_eq!(f.stale_since(t + Duration::from_secs(2)), None);
        assert_eq!(f.stale_since(t + Duration::from_secs(4)), Some(t));
        f.quorum(true, t + Duration::from_secs(1));
        f.quorum(false, t + Duration::from_secs(2));
        assert_eq!(
            f.leader_unreachable_since(),
            Some(t + Duration::from_secs(1))
        );
        assert_eq!(f.stale_since(t + Duration::from_secs(2)), Some(t));
        f.quorum(true, t + Duration::from_secs(9));
        assert_eq!(f.leader_unreachable_since(), None);
    }

    #[test]
    fn freshness_never_goes_back() {
        let f = Freshness::default();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        f.proved(t);
        f.proved(t - Duration::from_secs(5));
        assert_eq!(f.fresh_as_of(), Some(t));
    }

    #[test]
    fn clock_time_reads_as_a_time_of_day() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(14 * 3600 + 2 * 60 + 11);
        assert_eq!(clock_time(t), "14:02:11 UTC");
    }
}
