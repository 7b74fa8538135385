//! Where a request goes, and what happens when its node cannot serve it.
//!
//! Reads go to a healthy node (our data center first), writes to the active node. A node
//! that is down (refused, sealed) is marked so at once and the next node is tried. While
//! the cluster elects a leader, the nodes answer but cannot serve writes (a standby
//! redirects them, 307, to a leader that may be dead): a redirect to a node we know is
//! followed, and the request keeps trying, with a short backoff, until the request's
//! deadline. Only a request that OpenBao cannot have acted on is sent again: reads,
//! idempotent writes, and writes refused before they reached a node or by a standby.
//! Past the deadline the caller gets [`BaoError::Electing`], never OpenBao's status line.

use super::consistency::{RequestScope, StoreIndex};
use super::{path, Bao, BaoError, Call, PURPOSE_HEADER};
use secrecy::ExposeSecret;
// The same type as reqwest's `bytes::Bytes`, re-exported by axum.
use axum::body::Bytes;
use std::time::{Duration, Instant, SystemTime};

const TOKEN_HEADER: &str = "X-Vault-Token";
const INDEX_HEADER: &str = "X-Vault-Index";
/// How long a request keeps trying through a leader election (OpenBao elects in ~3-5 s).
pub(super) const DEADLINE: Duration = Duration::from_secs(10);
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_millis(400);

impl Bao {
    /// Send the request, retrying a KV mount that is still upgrading (~30 s at most).
    pub(super) async fn call(&self, call: &Call<'_>) -> Result<Option<Bytes>, BaoError> {
        if path::is_read(&call.method) {
            return self.call_inner(call).await;
        }
        // What is read after this write is acknowledged is asked afresh (see `flight.rs`).
        self.flights.close_all();
        let answer = self.call_inner(call).await;
        self.flights.close_all();
        answer
    }

    async fn call_inner(&self, call: &Call<'_>) -> Result<Option<Bytes>, BaoError> {
        // A KV v2 mount is briefly unavailable right after it is created, while it upgrades
        // (much longer on a cluster, or under load, than on an idle dev server): wait for
        // it. OpenBao refuses such a request before acting on it, but only requests that
        // may safely run twice are repeated.
        if call.idempotent {
            for _ in 0..120 {
                match self.route(call).await {
                    Err(e) if e.is_kv_upgrading() => {
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                    other => return other,
                }
            }
        }
        self.route(call).await
    }

    async fn route(&self, call: &Call<'_>) -> Result<Option<Bytes>, BaoError> {
        let to_leader = self.leader_reads || !path::is_read(&call.method);
        // On the minority side of a partition no leader can take a write: say so at once.
        if to_leader {
            if let Some(refused) = self.leader_unreachable(false) {
                return Err(refused);
            }
        }
        match self.route_to(call).await {
            // On a cluster, a change that no node could be reached for met a cut before
            // this instance counted it: the leader is out of reach, not the whole store.
            Err(BaoError::Unreachable { unsent, .. }) if to_leader && self.nodes.len() > 1 => {
                Err(BaoError::LeaderUnreachable {
                    datacenter: self.nodes.own_dc().map(str::to_owned),
                    since: SystemTime::now(),
                    sent: !unsent,
                })
            }
            other => other,
        }
    }

    async fn route_to(&self, call: &Call<'_>) -> Result<Option<Bytes>, BaoError> {
        let write = !path::is_read(&call.method);
        let deadline = Instant::now() + self.deadline;
        let mut backoff = FIRST_BACKOFF;
        loop {
            let (e, leaderless) = match self.round(call, write).await {
                Ok(answer) => return answer,
                Err(failed) => failed,
            };
            // Every node down: no election to wait for; say so at once.
            if !leaderless {
                return Err(e);
            }
            if Instant::now() + backoff >= deadline {
                tracing::warn!(path = call.path, error = %e, "no active OpenBao node within the deadline");
                return Err(BaoError::Electing);
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One pass over the nodes. `Err((last error, whether some node answered without a
    /// leader))` when none could serve the request and it may be sent again.
    async fn round(
        &self,
        call: &Call<'_>,
        write: bool,
    ) -> Result<Result<Option<Bytes>, BaoError>, (BaoError, bool)> {
        let mut order = self.nodes.order(write || self.leader_reads);
        let mut leaderless = false;
        let mut last = None;
        let mut k = 0;
        while k < order.len() {
            let node = order[k];
            k += 1;
            let e = match self.send(node, call).await {
                Err(e) if e.is_node_failure() => e,
                other => return Ok(other),
            };
            // With one node there is no other to prefer, and marking it down would report
            // the store degraded until the next health check.
            if e.node_is_down() {
                if order.len() > 1 {
                    self.nodes.mark_down(node, e.to_string(), SystemTime::now());
                }
            } else {
                leaderless = true;
            }
            // A standby names the node it believes active: go there next, if we know it.
            if let Some(target) = e.redirect().and_then(|l| self.nodes.find(l)) {
                if let Some(at) = order[k..].iter().position(|&n| n == target) {
                    order[k..].rotate_left(at);
                }
            }
            if write && !call.idempotent && !e.unsent() {
                // It may have been acted on: sending it again could apply it twice.
                return Ok(Err(e));
            }
            if k < order.len() {
                tracing::debug!(node = %self.nodes.spec(node).url, error = %e, "OpenBao node failed; trying the next");
            }
            last = Some(e);
        }
        match last {
            Some(e) => Err((e, leaderless)),
            None => Ok(Err(BaoError::Config(
                "no OpenBao node is configured".into(),
            ))),
        }
    }

    async fn send(&self, node: usize, call: &Call<'_>) -> Result<Option<Bytes>, BaoError> {
        let addr = &self.nodes.spec(node).url;
        let mut url = format!("{}/v1/{}", addr, path::encode(call.path));
        if let Some(query) = call.query {
            url.push('?');
            url.push_str(query);
        }
        let mut req = self.http.request(call.method.clone(), &url);
        if let Some(token) = call.token {
            req = req.header(TOKEN_HEADER, token.expose_secret());
        }
        if let Some(purpose) = &self.purpose {
            req = req.header(PURPOSE_HEADER, purpose.as_header().into_owned());
        }
        let scope = RequestScope::current();
        if let Some(index) = self.required_index(scope.as_deref()) {
            // Read-your-writes: a standby that has not yet replicated the session's last
            // write forwards the request to the active node instead of answering stale.
            req = req
                .header(INDEX_HEADER, index)
                .header("X-Vault-Inconsistent", "forward-active-node");
        }
        if let Some(body) = call.body {
            req = req.json(body);
        }
        // Our turn first: the answer's deadline counts from when the request is sent.
        let _turn = self.gate.turn(call).await?;
        let pending = req.timeout(self.gate.answer_deadline(call)).send();
        let to_leader = self.leader_reads || !path::is_read(&call.method);
        let sent = if to_leader && self.nodes.len() > 1 {
            // A change in flight when this data center is cut off would wait on a leader
            // that cannot commit it: give up at once, saying it may have been applied.
            tokio::select! {
                sent = pending => sent,
                () = self.nodes.freshness.wait_lost() => {
                    return Err(self.leader_unreachable(true).unwrap_or(BaoError::Electing));
                }
            }
        } else {
            pending.await
        };
        let resp = sent.map_err(|e| transport_error(addr, call, &e, e.is_connect()))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let index = headers.get(INDEX_HEADER).and_then(|v| v.to_str().ok());
        if let Some(index) = index {
            self.nodes.saw_index(index);
        }
        if let Some(scope) = &scope {
            scope.answered(&self.nodes.label(node), index.and_then(StoreIndex::parse));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| transport_error(addr, call, &e, false))?;
        if status.is_success() {
            return Ok((!bytes.is_empty()).then_some(bytes));
        }
        if status.is_redirection() {
            let location = headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            return Err(BaoError::Redirected {
                path: call.path.to_owned(),
                location,
            });
        }
        Err(BaoError::from_status(status, call.path, &bytes))
    }
}

impl Bao {
    /// The index a request must be answered at: the session's (inside a request), else
    /// the highest this process saw. None on a single node, for the leader's own reads,
    /// and on the minority side of a partition, where no standby could forward: there a
    /// read is answered from the local node, possibly older than the session's own last
    /// write, and the request is marked so.
    pub(super) fn required_index(&self, scope: Option<&RequestScope>) -> Option<String> {
        if self.nodes.len() < 2 || self.leader_reads {
            return None;
        }
        let index = match scope {
            Some(scope) => scope.required().map(|i| i.header),
            None => self.nodes.last_index(),
        }?;
        if self.leader_unreachable_since().is_some() {
            if let Some(scope) = scope {
                scope.answered_below_session();
            }
            return None;
        }
        Some(index)
    }
}

/// A request that got no (whole) answer: past its deadline the store is busy (or hung),
/// otherwise unreachable.
fn transport_error(addr: &str, call: &Call<'_>, e: &reqwest::Error, unsent: bool) -> BaoError {
    if e.is_timeout() && !e.is_connect() {
        tracing::warn!(
            path = call.path,
            "OpenBao did not answer within the deadline"
        );
        return BaoError::Busy {
            path: call.path.to_owned(),
            sent: true,
            write: !path::is_read(&call.method),
        };
    }
    BaoError::Unreachable {
        addr: addr.to_owned(),
        reason: describe_transport_error(e),
        unsent,
    }
}

fn describe_transport_error(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "connection refused or no route; is OpenBao running at this address?".into()
    } else if e.is_timeout() {
        "timed out".into()
    } else {
        // reqwest's Display includes the URL, which holds no secrets (tokens travel in headers).
        e.to_string()
    }
}
