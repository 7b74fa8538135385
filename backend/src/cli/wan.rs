//! `crypter dev --wan 80ms`: each node and each instance in its own data center, with a
//! relay (`crate::wan`, its own process) on every path between two data centers: the
//! nodes' cluster traffic, a node joining, and an instance's calls to another data
//! center's node. An instance reaches its own data center's node directly.

use super::instances::{InstanceStore, EXIT_WITH_PARENT};
use crate::bao::{Bao, NodeSpec};
use crate::embedded::{free_loopback_port, NodePorts};
use crate::wan::{Link, RelaySpec, Source};
use anyhow::{bail, Context};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::Command;

/// Every address of a WAN'd dev cluster, chosen before anything starts.
pub(super) struct Wan {
    pub ports: Vec<NodePorts>,
    spec: RelaySpec,
}

fn dc(k: usize) -> String {
    format!("dc{}", k + 1)
}

fn loopback() -> anyhow::Result<SocketAddr> {
    Ok(SocketAddr::from(([127, 0, 0, 1], free_loopback_port()?)))
}

impl Wan {
    /// Plan `nodes` nodes and `instances` instances (at most one per node's data center)
    /// under `dir`, `delay` apart. Each node advertises the relay's addresses, for its API
    /// and its cluster port alike, so every connection to a node (another node's, an
    /// instance's, a redirect followed) passes the relay, which tells the data center it
    /// comes from by the process that opened it and delays only what crosses a border.
    pub fn plan(
        nodes: usize,
        instances: usize,
        delay: Duration,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        if nodes < 2 {
            bail!("--wan needs a cluster across data centers: give --nodes 2 or more");
        }
        if instances > nodes {
            bail!("--wan puts each instance beside a node: give --instances {nodes} or fewer");
        }
        let folder = dir
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut ports = Vec::with_capacity(nodes);
        let mut links = Vec::new();
        // The first instance is `crypter dev` itself; the others are `crypter serve
        // --datacenter=dcN` processes.
        let mut sources = vec![Source {
            dc: dc(0),
            cmdline: "--wan".into(),
        }];
        for j in 0..nodes {
            let mut p = NodePorts::free()?;
            p.advertise_api = loopback()?;
            p.advertise_cluster = loopback()?;
            for (listen, to) in [(p.advertise_api, p.api), (p.advertise_cluster, p.cluster)] {
                links.push(Link {
                    listen,
                    to,
                    to_dc: dc(j),
                    from_dc: None,
                });
            }
            sources.push(Source {
                dc: dc(j),
                cmdline: format!("{folder}/node{}.hcl", j + 1),
            });
            if j > 0 {
                sources.push(Source {
                    dc: dc(j),
                    cmdline: format!("--datacenter={}", dc(j)),
                });
            }
            ports.push(p);
        }
        let spec = RelaySpec {
            delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            control: loopback()?,
            links,
            sources,
        };
        Ok(Self { ports, spec })
    }

    /// How a node reaches the first node when it joins: the first node's advertised API.
    pub fn join_via(&self, _k: usize) -> Option<String> {
        Some(format!("http://{}", self.ports[0].advertise_api))
    }

    /// The store as data center `k`'s instance sees it: its own node directly (a LAN
    /// away), every other node at its advertised address, through the relay.
    pub fn specs(&self, k: usize) -> Vec<NodeSpec> {
        self.ports
            .iter()
            .enumerate()
            .map(|(j, p)| NodeSpec {
                url: format!("http://{}", if j == k { p.api } else { p.advertise_api }),
                datacenter: Some(dc(j)),
            })
            .collect()
    }

    /// A `Bao` for data center `k`'s instance.
    pub fn bao(&self, k: usize) -> anyhow::Result<Bao> {
        Ok(Bao::cluster(self.specs(k), Some(dc(k)))?)
    }

    /// `--bao-addr` and `--datacenter` for data center `k`'s instance.
    pub fn instance(&self, k: usize) -> InstanceStore {
        let addrs: Vec<String> = self
            .specs(k)
            .into_iter()
            .map(|s| format!("{}={}", s.datacenter.unwrap_or_default(), s.url))
            .collect();
        InstanceStore {
            bao_addrs: addrs.join(","),
            datacenter: Some(dc(k)),
        }
    }

    /// Start the relay (`crypter relay`), wait for its control address, and write
    /// `wan.json` beside `nodes.json`. The relay stops with this process.
    pub async fn start_relay(&self, dir: &Path) -> anyhow::Result<()> {
        let spec_file = dir.join("wan-spec.json");
        std::fs::write(&spec_file, serde_json::to_vec_pretty(&self.spec)?)?;
        let exe = std::env::current_exe().context("cannot find the crypter executable")?;
        let mut child = Command::new(exe)
            .arg("relay")
            .arg("--spec")
            .arg(&spec_file)
            .env(EXIT_WITH_PARENT, "1")
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the WAN relay")?;
        let control = format!("http://{}", self.spec.control);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if reqwest::get(&control)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            if let Some(status) = child.try_wait()? {
                bail!("the WAN relay exited at start ({status}); see its log above");
            }
            if Instant::now() > deadline {
                bail!("the WAN relay did not answer at {control} within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let info = serde_json::json!({
            "control": control,
            "pid": child.id(),
            "delay_ms": self.spec.delay_ms,
            "datacenters": self.spec.datacenters(),
        });
        std::fs::write(dir.join("wan.json"), serde_json::to_vec_pretty(&info)?)?;
        println!(
            "  WAN: {} ms one way between data centers; relay control {control} (wan.json)",
            self.spec.delay_ms
        );
        // A relay that dies cuts every data center off from the others: say so.
        tokio::spawn(async move {
            if let Ok(status) = child.wait().await {
                tracing::error!(%status, "the WAN relay exited: every data center is cut off from the others");
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_is_reached_through_the_relay_which_knows_each_process_data_center() {
        let dir = std::env::temp_dir().join("crypter-dev-cluster-0");
        let wan = Wan::plan(3, 3, Duration::from_millis(80), &dir).unwrap();
        let specs = wan.specs(2);
        assert_eq!(specs[2].url, format!("http://{}", wan.ports[2].api));
        for (j, p) in wan.ports.iter().enumerate() {
            if j != 2 {
                assert_eq!(specs[j].url, format!("http://{}", p.advertise_api));
            }
            for (listen, to) in [(p.advertise_api, p.api), (p.advertise_cluster, p.cluster)] {
                let link = wan
                    .spec
                    .links
                    .iter()
                    .find(|l| l.listen == listen)
                    .expect("a link");
                assert_eq!(
                    (link.to, link.to_dc.as_str(), link.from_dc.as_ref()),
                    (to, dc(j).as_str(), None)
                );
            }
        }
        let marker = |dc: &str| {
            let found = wan.spec.sources.iter().filter(|s| s.dc == dc);
            found.map(|s| s.cmdline.clone()).collect::<Vec<_>>()
        };
        assert_eq!(marker("dc1"), ["--wan", "crypter-dev-cluster-0/node1.hcl"]);
        assert_eq!(
            marker("dc3"),
            ["crypter-dev-cluster-0/node3.hcl", "--datacenter=dc3"]
        );
        assert_eq!(wan.instance(1).datacenter.as_deref(), Some("dc2"));
        assert_eq!(wan.join_via(2), Some(specs[0].url.clone()));
        assert_eq!(wan.specs(0)[0].url, format!("http://{}", wan.ports[0].api));
    }

    #[test]
    fn a_wan_needs_nodes_and_no_more_instances_than_nodes() {
        let dir = std::env::temp_dir();
        let e = Wan::plan(1, 1, Duration::ZERO, &dir)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("--nodes 2"), "{e}");
        let e = Wan::plan(2, 3, Duration::ZERO, &dir)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("--instances 2 or fewer"), "{e}");
    }
}
