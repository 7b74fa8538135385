//! A simulated WAN between data centers, for `crypter dev --wan 80ms`: a TCP relay that
//! every connection between two data centers goes through. It delays each byte by the
//! one-way delay in each direction, and can cut a data center off from the others and
//! heal it again (`POST /partition/dc3`, `POST /heal/dc3` on its control address).
//!
//! This kernel has no `netem`, so the delay is made in user space. The relay runs as its
//! own process (`crypter relay --spec FILE`), so killing it is a partition of every data
//! center at once, never a hang.
//!
//! Which data center a connection comes from: links made for one source (a Crypter
//! instance's API calls to another data center's node) say so; on the links into a
//! node's cluster port, which every other node dials, the relay finds the process that
//! owns the connecting socket in `/proc` and recognises it by its command line.

mod control;
mod link;
mod peer;
mod spec;

pub use spec::{parse_delay, Link, RelaySpec, Source};

use anyhow::Context;
use link::Relay;
use std::path::Path;

/// `crypter relay --spec FILE`: serve the links and the control address until `stop`
/// resolves (SIGTERM, or the `crypter dev` that started it is gone).
pub async fn run(
    spec_file: &Path,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let raw = std::fs::read(spec_file)
        .with_context(|| format!("cannot read the relay spec {}", spec_file.display()))?;
    let spec: RelaySpec = serde_json::from_slice(&raw)
        .with_context(|| format!("the relay spec {} does not parse", spec_file.display()))?;
    let relay = Relay::new(&spec);
    let mut tasks = Vec::new();
    for l in &spec.links {
        let listener = tokio::net::TcpListener::bind(l.listen)
            .await
            .with_context(|| format!("the relay cannot listen on {}", l.listen))?;
        tasks.push(tokio::spawn(relay.clone().serve(l.clone(), listener)));
    }
    let control = tokio::net::TcpListener::bind(spec.control)
        .await
        .with_context(|| format!("the relay cannot listen on {}", spec.control))?;
    tracing::info!(control = %spec.control, links = spec.links.len(), delay_ms = spec.delay_ms, "WAN relay ready");
    let served = axum::serve(control, control::router(relay)).with_graceful_shutdown(stop);
    let result = served.await.context("serving the relay's control address");
    for t in tasks {
        t.abort();
    }
    result
}
