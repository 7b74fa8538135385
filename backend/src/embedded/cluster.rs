//! A real multi-node Raft OpenBao on loopback ports, for `crypter dev --nodes N` and the
//! tests: the first node is initialised and unsealed, the others join it over
//! `sys/storage/raft/join` and are unsealed with the same key. Each node is labelled with
//! a data center (`dc1`, `dc2`, …), which Crypter (not OpenBao) knows it by.

use super::process::{free_loopback_port, BaoProcess};
use crate::bao::{Bao, NodeSpec};
use anyhow::{bail, Context};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One node of a [`LocalCluster`].
pub struct LocalNode {
    pub node_id: String,
    pub datacenter: String,
    pub api: SocketAddr,
    pub cluster: SocketAddr,
    /// The node's file audit device.
    pub audit_log: PathBuf,
    process: Option<BaoProcess>,
}

impl LocalNode {
    pub fn url(&self) -> String {
        format!("http://{}", self.api)
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(BaoProcess::pid)
    }

    pub fn running(&self) -> bool {
        self.process.is_some()
    }
}

/// What `crypter dev --nodes N` writes to `nodes.json`, so scripts and e2e tests can find
/// (and kill) a node.
#[derive(Serialize)]
pub struct NodeInfo {
    pub node_id: String,
    pub datacenter: String,
    pub api_addr: String,
    pub pid: Option<u32>,
}

/// Where one node listens, and the addresses it gives the others (a WAN relay's, with
/// `crypter dev --wan`; its own otherwise).
#[derive(Debug, Clone, Copy)]
pub struct NodePorts {
    pub api: SocketAddr,
    pub cluster: SocketAddr,
    pub advertise_api: SocketAddr,
    pub advertise_cluster: SocketAddr,
}

impl NodePorts {
    /// Two free loopback ports, advertised as they are.
    pub fn free() -> anyhow::Result<Self> {
        let api = SocketAddr::from(([127, 0, 0, 1], free_loopback_port()?));
        let cluster = SocketAddr::from(([127, 0, 0, 1], free_loopback_port()?));
        Ok(Self {
            api,
            cluster,
            advertise_api: api,
            advertise_cluster: cluster,
        })
    }
}

pub struct LocalCluster {
    pub nodes: Vec<LocalNode>,
    pub root_token: SecretString,
    /// The unseal key, kept for a node started again after a crash.
    pub unseal_key: SecretString,
    pub dir: PathBuf,
}

impl LocalCluster {
    /// Start `n` nodes under `dir` (created; its Raft data is thrown away by [`Self::stop`]).
    pub async fn start(n: usize, dir: &Path) -> anyhow::Result<Self> {
        let ports = (0..n)
            .map(|_| NodePorts::free())
            .collect::<anyhow::Result<Vec<_>>>()?;
        Self::start_with(&ports, dir, |_| None).await
    }

    /// Start one node per entry of `ports`. Node `k` (0-based, k ≥ 1) joins the first
    /// through `join_via(k)` when given (a WAN relay's address), directly otherwise.
    pub async fn start_with(
        ports: &[NodePorts],
        dir: &Path,
        join_via: impl Fn(usize) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let n = ports.len();
        if n == 0 {
            bail!("a cluster needs at least one node");
        }
        super::private_dir(dir)?;
        let mut nodes = Vec::with_capacity(n);
        for (k, p) in ports.iter().enumerate() {
            nodes.push(spawn_node(k + 1, dir, *p).await?);
        }

        let first = Bao::new(&nodes[0].url())?;
        let init = first.init_single_key().await?;
        let key = SecretString::from(init.keys_base64.into_iter().next().unwrap_or_default());
        let root = SecretString::from(init.root_token);
        first.unseal(&key).await?;
        if let Some(p) = nodes[0].process.as_mut() {
            p.wait_active(&first).await?;
        }
        // Promote joiners to voters quickly instead of after autopilot's default 10 s.
        first
            .write(
                "sys/storage/raft/autopilot/configuration",
                &root,
                &json!({"server_stabilization_time": "1s", "cleanup_dead_servers": false}),
            )
            .await?;
        for (k, node) in nodes.iter().enumerate().skip(1) {
            let bao = Bao::new(&node.url())?;
            let leader = join_via(k).unwrap_or_else(|| nodes[0].url());
            bao.unauthenticated(
                Method::PUT,
                "sys/storage/raft/join",
                Some(&json!({"leader_api_addr": leader})),
            )
            .await
            .with_context(|| format!("{} could not join the cluster", node.node_id))?;
            wait_for(Duration::from_secs(30), || async {
                bao.unseal(&key).await.is_ok_and(|sealed| !sealed)
            })
            .await
            .with_context(|| format!("{} did not unseal after joining", node.node_id))?;
        }
        let cluster = Self {
            nodes,
            root_token: root,
            unseal_key: key,
            dir: dir.to_owned(),
        };
        let want = n;
        wait_for(Duration::from_secs(60), || async {
            cluster.voters(&first).await == want
        })
        .await
        .context("the nodes did not all become Raft voters")?;
        Ok(cluster)
    }

    async fn voters(&self, bao: &Bao) -> usize {
        bao.read("sys/storage/raft/configuration", &self.root_token)
            .await
            .ok()
            .flatten()
            .and_then(|v| v.pointer("/data/config/servers").cloned())
            .and_then(|s| s.as_array().cloned())
            .map(|servers| {
                servers
                    .iter()
                    .filter(|s| s["voter"].as_bool() == Some(true))
                    .count()
            })
            .unwrap_or(0)
    }

    /// Add a root token with a chosen id (e.g. `crypter dev --root-token`), and use it from
    /// now on instead of the generated one.
    pub async fn use_root_token_id(&mut self, id: SecretString) -> anyhow::Result<()> {
        let bao = self.bao(None)?;
        let body = json!({"id": id.expose_secret(), "policies": ["root"], "no_parent": true,
            "display_name": "crypter-dev-root"});
        bao.write("auth/token/create", &self.root_token, &body)
            .await
            .context("creating the root token with the given id")?;
        self.root_token = id;
        Ok(())
    }

    /// Every node's audit log: the activity feed reads them all.
    pub fn audit_logs(&self) -> Vec<PathBuf> {
        self.nodes.iter().map(|n| n.audit_log.clone()).collect()
    }

    /// The nodes as `--bao-addr` would give them, with their data centers.
    pub fn specs(&self) -> Vec<NodeSpec> {
        self.nodes
            .iter()
            .map(|n| NodeSpec {
                url: n.url(),
                datacenter: Some(n.datacenter.clone()),
            })
            .collect()
    }

    /// A `Bao` over every node, preferring `own_dc` for reads.
    pub fn bao(&self, own_dc: Option<&str>) -> anyhow::Result<Bao> {
        Ok(Bao::cluster(self.specs(), own_dc.map(str::to_owned))?)
    }

    pub fn info(&self) -> Vec<NodeInfo> {
        self.nodes
            .iter()
            .map(|n| NodeInfo {
                node_id: n.node_id.clone(),
                datacenter: n.datacenter.clone(),
                api_addr: n.url(),
                pid: n.pid(),
            })
            .collect()
    }

    /// The index of the active node, by asking each running node.
    pub async fn leader(&self) -> Option<usize> {
        for (i, node) in self.nodes.iter().enumerate().filter(|(_, n)| n.running()) {
            let Ok(bao) = Bao::new(&node.url()) else {
                continue;
            };
            if let Ok(h) = bao.health().await {
                if h.initialized && !h.sealed && !h.standby {
                    return Some(i);
                }
            }
        }
        None
    }

    /// Kill node `i` at once (SIGKILL), as a crash would.
    pub async fn kill(&mut self, i: usize) -> anyhow::Result<()> {
        if let Some(p) = self.nodes.get_mut(i).and_then(|n| n.process.take()) {
            p.kill().await?;
        }
        Ok(())
    }

    /// Stop every node cleanly and delete the Raft data.
    pub async fn stop(mut self) {
        for node in &mut self.nodes {
            if let Some(p) = node.process.take() {
                if let Err(e) = p.stop().await {
                    tracing::warn!(node = %node.node_id, error = %e, "stopping OpenBao");
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn wait_for<F, Fut>(timeout: Duration, mut ready: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !ready().await {
        if Instant::now() > deadline {
            bail!("timed out after {}s", timeout.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// Start node `i` (`node{i}`, in datacenter `dc{i}`) and wait until it listens.
async fn spawn_node(i: usize, dir: &Path, ports: NodePorts) -> anyhow::Result<LocalNode> {
    let node_id = format!("node{i}");
    let NodePorts {
        api,
        cluster,
        advertise_api,
        advertise_cluster,
    } = ports;
    let raft = dir.join(&node_id);
    std::fs::create_dir_all(&raft)?;
    let config = dir.join(format!("{node_id}.hcl"));
    // OpenBao keeps declared audit devices in the cluster's storage and wants the
    // same declaration on every node (as on real machines: the same path, each on
    // its own disk). A relative path, resolved in each node's own working folder,
    // gives every node the same declaration and its own file.
    let run = std::fs::canonicalize(dir)?.join(format!("{node_id}-run"));
    super::private_dir(&run)?;
    std::fs::write(
        &config,
        node_config(
            &raft,
            &node_id,
            api,
            cluster,
            (advertise_api, advertise_cluster),
        ) + &super::audit::stanza(Path::new(super::audit::NODE_FILE)),
    )?;
    let args = vec![
        "server".to_owned(),
        format!("-config={}", config.canonicalize()?.display()),
    ];
    let log = dir.join(format!("{node_id}.log"));
    let options = super::SpawnOptions {
        cwd: Some(&run),
        secret_env: None,
    };
    let mut process = BaoProcess::spawn_with(&args, &log, api, options)?
        .with_audit_log(run.join(super::audit::NODE_FILE));
    process
        .wait_listening(&Bao::new(&format!("http://{api}"))?)
        .await?;
    Ok(LocalNode {
        node_id,
        datacenter: format!("dc{i}"),
        api,
        cluster,
        audit_log: process.audit_log().map(Path::to_owned).unwrap_or_default(),
        process: Some(process),
    })
}

fn node_config(
    raft: &Path,
    node_id: &str,
    api: SocketAddr,
    cluster: SocketAddr,
    (advertise_api, advertise_cluster): (SocketAddr, SocketAddr),
) -> String {
    format!(
        r#"# Written by crypter for a local test cluster.
storage "raft" {{
  path    = "{raft}"
  node_id = "{node_id}"
  # Production timing (OpenBao's default of 5 is tuned for slow disks): a dead leader is
  # replaced within seconds.
  performance_multiplier = 1
}}
listener "tcp" {{
  address         = "{api}"
  cluster_address = "{cluster}"
  tls_disable     = true
}}
api_addr      = "http://{advertise_api}"
cluster_addr  = "http://{advertise_cluster}"
disable_mlock = true
ui            = false
"#,
        raft = raft.display(),
    )
}
