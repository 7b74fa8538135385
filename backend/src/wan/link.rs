//! The relay's links: accept, find where the connection comes from, and pipe both ways
//! with the delay, unless the two data centers are cut apart.

use super::{Link, RelaySpec, Source};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// What `GET {control}/` shows.
#[derive(Debug, Clone, Serialize)]
pub struct RelayState {
    pub delay_ms: u64,
    pub datacenters: Vec<String>,
    /// Data centers cut off from the others, with since when (RFC 3339).
    pub partitioned: BTreeMap<String, String>,
    pub open_connections: usize,
    /// Connections refused because they crossed a cut.
    pub refused: u64,
    /// Connections closed when a cut came.
    pub cut: u64,
}

struct Open {
    from: Option<String>,
    to: String,
    task: AbortHandle,
}

#[derive(Default)]
struct Inner {
    partitioned: BTreeMap<String, SystemTime>,
    open: HashMap<u64, Open>,
    next: u64,
    refused: u64,
    cut: u64,
}

impl Inner {
    fn blocked(&self, from: Option<&str>, to: &str) -> bool {
        if from == Some(to) {
            return false;
        }
        self.partitioned.contains_key(to) || from.is_some_and(|f| self.partitioned.contains_key(f))
    }
}

#[derive(Clone)]
pub struct Relay {
    delay: Duration,
    datacenters: Arc<Vec<String>>,
    sources: Arc<Vec<Source>>,
    inner: Arc<Mutex<Inner>>,
}

impl Relay {
    pub fn new(spec: &RelaySpec) -> Self {
        Self {
            delay: Duration::from_millis(spec.delay_ms),
            datacenters: Arc::new(spec.datacenters()),
            sources: Arc::new(spec.sources.clone()),
            inner: Arc::default(),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn knows(&self, dc: &str) -> bool {
        self.datacenters.iter().any(|d| d == dc)
    }

    pub fn datacenters(&self) -> &[String] {
        &self.datacenters
    }

    /// Cut `dc` off from every other data center: open connections across the cut are
    /// closed, new ones refused.
    pub fn partition(&self, dc: &str) {
        let mut inner = self.inner();
        inner
            .partitioned
            .entry(dc.to_owned())
            .or_insert_with(SystemTime::now);
        let cut: Vec<u64> = inner
            .open
            .iter()
            .filter(|(_, o)| inner.blocked(o.from.as_deref(), &o.to))
            .map(|(id, _)| *id)
            .collect();
        for id in cut {
            if let Some(o) = inner.open.remove(&id) {
                o.task.abort();
                inner.cut += 1;
            }
        }
        tracing::warn!(datacenter = dc, "WAN relay: data center cut off");
    }

    pub fn heal(&self, dc: &str) {
        self.inner().partitioned.remove(dc);
        tracing::info!(datacenter = dc, "WAN relay: data center healed");
    }

    pub fn state(&self) -> RelayState {
        let inner = self.inner();
        RelayState {
            delay_ms: u64::try_from(self.delay.as_millis()).unwrap_or(u64::MAX),
            datacenters: self.datacenters.to_vec(),
            partitioned: inner
                .partitioned
                .iter()
                .map(|(dc, at)| (dc.clone(), crate::bao::freshness::rfc3339(*at)))
                .collect(),
            open_connections: inner.open.len(),
            refused: inner.refused,
            cut: inner.cut,
        }
    }

    /// Accept on `listener` for `link` until the task is aborted.
    pub async fn serve(self, link: Link, listener: TcpListener) {
        loop {
            let Ok((inbound, peer)) = listener.accept().await else {
                continue;
            };
            let from = match &link.from_dc {
                Some(dc) => Some(dc.clone()),
                None => {
                    let sources = self.sources.clone();
                    let local = link.listen;
                    tokio::task::spawn_blocking(move || {
                        super::peer::datacenter(peer, local, &sources)
                    })
                    .await
                    .ok()
                    .flatten()
                }
            };
            self.connect(inbound, from, &link);
        }
    }

    fn connect(&self, inbound: TcpStream, from: Option<String>, link: &Link) {
        let mut inner = self.inner();
        if inner.blocked(from.as_deref(), &link.to_dc) {
            inner.refused += 1;
            return;
        }
        let id = inner.next;
        inner.next += 1;
        // Inside one data center nothing is delayed.
        let delay = if from.as_deref() == Some(link.to_dc.as_str()) {
            Duration::ZERO
        } else {
            self.delay
        };
        let (relay, to) = (self.clone(), link.to);
        let task = tokio::spawn(async move {
            if let Ok(outbound) = TcpStream::connect(to).await {
                let _ = (inbound.set_nodelay(true), outbound.set_nodelay(true));
                let (in_r, in_w) = inbound.into_split();
                let (out_r, out_w) = outbound.into_split();
                tokio::join!(pipe(in_r, out_w, delay), pipe(out_r, in_w, delay));
            }
            relay.inner().open.remove(&id);
        });
        inner.open.insert(
            id,
            Open {
                from,
                to: link.to_dc.clone(),
                task: task.abort_handle(),
            },
        );
    }
}

/// Copy `from` to `to`, each chunk delivered `delay` after it was read, in order.
async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Duration) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Option<Vec<u8>>)>();
    let read = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => {
                    let _ = tx.send((Instant::now() + delay, None));
                    return;
                }
                Ok(n) => {
                    if tx
                        .send((Instant::now() + delay, Some(buf[..n].to_vec())))
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    };
    let write = async move {
        while let Some((at, chunk)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            match chunk {
                Some(bytes) => {
                    if to.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                None => {
                    let _ = to.shutdown().await;
                    return;
                }
            }
        }
    };
    tokio::join!(read, write);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_blocks_every_link_across_it_and_none_inside() {
        let mut inner = Inner::default();
        inner.partitioned.insert("dc3".into(), SystemTime::now());
        assert!(inner.blocked(Some("dc1"), "dc3"));
        assert!(inner.blocked(Some("dc3"), "dc1"));
        assert!(inner.blocked(None, "dc3"));
        assert!(!inner.blocked(Some("dc1"), "dc2"));
        assert!(!inner.blocked(Some("dc3"), "dc3"));
        assert!(!inner.blocked(None, "dc2"));
    }
}
