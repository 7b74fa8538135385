//! The scratch store a drill restores into: a single-node Raft OpenBao on free loopback
//! ports, in a private temporary folder that goes with it, initialised with one key share.

use crate::bao::Bao;
use crate::embedded::{free_loopback_port, BaoProcess, SpawnOptions};
use anyhow::Context;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

pub(super) struct Scratch {
    process: BaoProcess,
    pub bao: Bao,
    /// The scratch store's own root token: good until the restore replaces its tokens.
    pub root: SecretString,
}

impl Scratch {
    /// Start, initialise and unseal a new scratch store; wait until it is active.
    pub async fn start() -> anyhow::Result<Self> {
        let api = SocketAddr::from(([127, 0, 0, 1], free_loopback_port()?));
        let cluster = SocketAddr::from(([127, 0, 0, 1], free_loopback_port()?));
        let dir = std::env::temp_dir().join(format!("crypter-drill-{}", api.port()));
        let _ = std::fs::remove_dir_all(&dir);
        crate::embedded::private_dir(&dir.join("raft"))?;
        let config = dir.join("bao.hcl");
        std::fs::write(&config, config_text(&dir, api, cluster))
            .with_context(|| format!("cannot write {}", config.display()))?;
        let args = vec!["server".to_owned(), format!("-config={}", config.display())];
        // The folder (and the restored data in it) goes when the process does, however
        // the drill ends. It is also the working folder, where a relative path in the
        // restored store's configuration (an audit file's) resolves.
        let options = SpawnOptions {
            cwd: Some(&dir),
            secret_env: None,
        };
        let mut process = BaoProcess::spawn_with(&args, &dir.join("bao.log"), api, options)?
            .with_scratch(dir.clone());
        let bao = Bao::new(&format!("http://{api}"))?;
        process.wait_listening(&bao).await?;
        let init = bao.init_single_key().await?;
        let key = SecretString::from(init.keys_base64.into_iter().next().unwrap_or_default());
        bao.unseal(&key).await?;
        process.wait_active(&bao).await?;
        Ok(Self {
            process,
            bao,
            root: SecretString::from(init.root_token),
        })
    }

    /// After a forced restore the store seals itself, since its keys are now the
    /// snapshot's. Wait for that (or, should OpenBao ever stay unsealed, for the
    /// snapshot's `cluster_id` to show).
    pub async fn wait_sealed_or(&self, cluster_id: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(id) = super::raft::identity(&self.bao).await {
                if id.cluster_id == cluster_id {
                    return Ok(());
                }
            }
            if self.bao.health().await.is_ok_and(|h| h.sealed) {
                return Ok(());
            }
            if Instant::now() > deadline {
                anyhow::bail!("the scratch store did not take the snapshot within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_active(&mut self) -> anyhow::Result<()> {
        self.process.wait_active(&self.bao).await
    }

    /// Stop the process; its folder is deleted with it.
    pub async fn stop(self) {
        if let Err(e) = self.process.stop().await {
            tracing::warn!(error = %e, "stopping the scratch store");
        }
    }
}

/// No audit device is declared, on purpose. The restored store's table holds the live
/// store's declared device (its file path); OpenBao refuses a different declaration under
/// the same name, and the same declaration would write into the live store's log. With
/// none, OpenBao disables the restored device as it unseals, before it serves a request.
/// It opens the device's file first, though: where that file cannot be opened (the
/// store's own log folder, on another machine), the restored store will not serve.
fn config_text(dir: &Path, api: SocketAddr, cluster: SocketAddr) -> String {
    format!(
        r#"# Written by crypter for a snapshot drill; deleted with it.
storage "raft" {{
  path    = "{raft}"
  node_id = "crypter-drill"
  performance_multiplier = 1
}}
listener "tcp" {{
  address         = "{api}"
  cluster_address = "{cluster}"
  tls_disable     = true
}}
api_addr      = "http://{api}"
cluster_addr  = "http://{cluster}"
disable_mlock = true
ui            = false
"#,
        raft = dir.join("raft").display(),
    )
}
