//! What the relay serves: its links, its delay, and how it tells data centers apart.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RelaySpec {
    /// One-way delay added in each direction, in milliseconds.
    pub delay_ms: u64,
    /// Where the control API listens.
    pub control: SocketAddr,
    pub links: Vec<Link>,
    /// How a connecting process is recognised, on links without a fixed source.
    pub sources: Vec<Source>,
}

/// Connections to `listen` are relayed to `to`, in data center `to_dc`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Link {
    pub listen: SocketAddr,
    pub to: SocketAddr,
    pub to_dc: String,
    /// The data center every connection on this link comes from; when absent, found from
    /// the connecting process (see [`Source`]).
    pub from_dc: Option<String>,
}

/// A process whose command line contains `cmdline` runs in data center `dc`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    pub dc: String,
    pub cmdline: String,
}

impl RelaySpec {
    /// Every data center the spec names, sorted.
    pub fn datacenters(&self) -> Vec<String> {
        let mut dcs: Vec<String> = self
            .links
            .iter()
            .flat_map(|l| std::iter::once(l.to_dc.clone()).chain(l.from_dc.clone()))
            .chain(self.sources.iter().map(|s| s.dc.clone()))
            .collect();
        dcs.sort();
        dcs.dedup();
        dcs
    }
}

/// `--wan 80ms` (or `0.2s`, `1s`): the one-way delay between data centers.
pub fn parse_delay(s: &str) -> Result<Duration, String> {
    let bad = || format!("--wan {s:?}: give a one-way delay such as 80ms or 0.2s (at most 10s)");
    let s = s.trim();
    let (number, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return Err(bad());
    };
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    let ms = value * scale;
    if !ms.is_finite() || !(0.0..=10_000.0).contains(&ms) {
        return Err(bad());
    }
    // Whole milliseconds: the relay's resolution.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(Duration::from_millis(ms.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_parse_in_ms_and_seconds_and_nonsense_is_refused() {
        assert_eq!(parse_delay("80ms"), Ok(Duration::from_millis(80)));
        assert_eq!(parse_delay("0.2s"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_delay("0ms"), Ok(Duration::ZERO));
        for bad in ["80", "fast", "-5ms", "20s", "ms", "1e400s", ""] {
            let e = parse_delay(bad).unwrap_err();
            assert!(e.contains("such as 80ms"), "{bad}: {e}");
        }
    }

    #[test]
    fn datacenters_come_from_links_and_sources() {
        let spec = RelaySpec {
            delay_ms: 1,
            control: "127.0.0.1:1".parse().unwrap(),
            links: vec![Link {
                listen: "127.0.0.1:2".parse().unwrap(),
                to: "127.0.0.1:3".parse().unwrap(),
                to_dc: "dc2".into(),
                from_dc: Some("dc1".into()),
            }],
            sources: vec![Source {
                dc: "dc3".into(),
                cmdline: "/node3.hcl".into(),
            }],
        };
        assert_eq!(spec.datacenters(), ["dc1", "dc2", "dc3"]);
    }
}
