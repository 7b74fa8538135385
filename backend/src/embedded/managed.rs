//! The embedded default: a single-node Raft OpenBao under `--data-dir`, initialised on the
//! first start and unsealed from `bao-init.json` on every later one.

use super::process::{ensure_port_free, free_loopback_port, BaoProcess};
use crate::bao::Bao;
use anyhow::{bail, Context};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;

pub const INIT_FILE: &str = "bao-init.json";
/// OpenBao's file audit device, which the activity feed reads.
pub const AUDIT_FILE: &str = "audit.log";
const STATE_FILE: &str = "embedded.json";
const PID_FILE: &str = "bao.pid";

/// What the first start wrote: the unseal key and the root token. Mode 0600.
#[derive(Serialize, Deserialize)]
struct InitFile {
    unseal_key_b64: String,
    root_token: String,
}

/// The addresses chosen on the first start, reused afterwards so the Raft node keeps its
/// address across restarts.
#[derive(Serialize, Deserialize)]
struct EmbeddedState {
    listen: SocketAddr,
    cluster: SocketAddr,
}

/// A running managed store. `root_token` is for the bootstrap only; callers drop it after.
pub struct Managed {
    pub process: BaoProcess,
    pub bao: Bao,
    pub root_token: SecretString,
    pub first_start: bool,
}

/// What another command (`crypter snapshot`) needs of the managed store under `data_dir`,
/// read from the files its first start wrote: where it listens, its root token and its
/// unseal key.
pub struct EmbeddedFiles {
    pub addr: SocketAddr,
    pub root_token: SecretString,
    pub unseal_key: SecretString,
}

pub fn read_embedded(data_dir: &Path) -> anyhow::Result<EmbeddedFiles> {
    let read = |name: &str| {
        let path = data_dir.join(name);
        std::fs::read(&path).with_context(|| {
            format!(
                "cannot read {}: is {} the data directory of `crypter serve` (--data-dir), \
                 started at least once?",
                path.display(),
                data_dir.display()
            )
        })
    };
    let state: EmbeddedState = serde_json::from_slice(&read(STATE_FILE)?)
        .with_context(|| format!("{STATE_FILE} is not valid JSON"))?;
    let init: InitFile = serde_json::from_slice(&read(INIT_FILE)?)
        .with_context(|| format!("{INIT_FILE} is not valid JSON"))?;
    Ok(EmbeddedFiles {
        addr: state.listen,
        root_token: SecretString::from(init.root_token),
        unseal_key: SecretString::from(init.unseal_key_b64),
    })
}

pub async fn start_managed(data_dir: &Path, listen: Option<SocketAddr>) -> anyhow::Result<Managed> {
    create_private_dir(data_dir)?;
    create_private_dir(&data_dir.join("raft"))?;
    let state = choose_addresses(data_dir, listen)?;
    let config = data_dir.join("bao.hcl");
    std::fs::write(&config, server_config(data_dir, &state)?)
        .with_context(|| format!("cannot write {}", config.display()))?;

    let args = vec!["server".to_owned(), format!("-config={}", config.display())];
    stop_stale(data_dir).await;
    ensure_port_free(state.listen, "--bao-listen")?;
    let mut process = BaoProcess::spawn(&args, &data_dir.join("bao.log"), state.listen)?
        .with_audit_log(data_dir.join(AUDIT_FILE));
    if let Some(pid) = process.pid() {
        let _ = std::fs::write(data_dir.join(PID_FILE), pid.to_string());
    }
    let bao = Bao::new(&format!("http://{}", state.listen))?;
    process.wait_listening(&bao).await?;

    let health = bao.health().await?;
    let init_path = data_dir.join(INIT_FILE);
    let first_start = !health.initialized;
    let init = if first_start {
        if init_path.exists() {
            bail!(
                "the store under {} is not initialised, but {} exists: the data directory is \
                 inconsistent. Move it aside and start again.",
                data_dir.display(),
                init_path.display()
            );
        }
        let resp = bao.init_single_key().await?;
        let init = InitFile {
            unseal_key_b64: resp.keys_base64.into_iter().next().unwrap_or_default(),
            root_token: resp.root_token,
        };
        crate::private_file::write(&init_path, &serde_json::to_vec_pretty(&init)?)
            .with_context(|| format!("cannot write {}", init_path.display()))?;
        tracing::warn!(
            file = %init_path.display(),
            "the unseal key and root token are stored in this file, on the same disk as the \
             data they protect; for production, run OpenBao yourself and use --bao-addr"
        );
        init
    } else {
        let text = std::fs::read(&init_path).with_context(|| {
            format!(
                "the store is initialised but {} cannot be read, so it cannot be unsealed",
                init_path.display()
            )
        })?;
        serde_json::from_slice(&text)
            .with_context(|| format!("{} is not valid JSON", init_path.display()))?
    };

    if bao.health().await?.sealed {
        let key = SecretString::from(init.unseal_key_b64.clone());
        if bao.unseal(&key).await? {
            bail!("OpenBao stayed sealed after the unseal key from {INIT_FILE} was given");
        }
        tracing::info!("unsealed the embedded store");
    }
    process.wait_active(&bao).await?;
    Ok(Managed {
        process,
        bao,
        root_token: SecretString::from(init.root_token),
        first_start,
    })
}

/// If a previous Crypter was killed without the chance to stop its OpenBao, that process
/// still holds the data directory and the port. Stop it, but only if it really is a
/// `bao server` for this data directory.
async fn stop_stale(data_dir: &Path) {
    let Ok(text) = std::fs::read_to_string(data_dir.join(PID_FILE)) else {
        return;
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return;
    };
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    let config = data_dir.join("bao.hcl");
    if !(cmdline.contains("server") && cmdline.contains(&*config.to_string_lossy())) {
        return;
    }
    tracing::warn!(
        pid,
        "stopping an OpenBao left running by an earlier Crypter"
    );
    let pid = nix::unistd::Pid::from_raw(pid);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    for _ in 0..100 {
        if nix::sys::signal::kill(pid, None).is_err() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
}

fn choose_addresses(data_dir: &Path, listen: Option<SocketAddr>) -> anyhow::Result<EmbeddedState> {
    let path = data_dir.join(STATE_FILE);
    let previous: Option<EmbeddedState> = std::fs::read(&path)
        .ok()
        .and_then(|t| serde_json::from_slice(&t).ok());
    let state = match (listen, previous) {
        (Some(listen), Some(prev)) => EmbeddedState {
            listen,
            cluster: prev.cluster,
        },
        (None, Some(prev)) => prev,
        (listen, None) => EmbeddedState {
            listen: match listen {
                Some(l) => l,
                None => SocketAddr::from(([127, 0, 0, 1], free_loopback_port()?)),
            },
            cluster: SocketAddr::from(([127, 0, 0, 1], free_loopback_port()?)),
        },
    };
    std::fs::write(&path, serde_json::to_vec_pretty(&state)?)?;
    Ok(state)
}

fn server_config(data_dir: &Path, state: &EmbeddedState) -> anyhow::Result<String> {
    let raft = std::fs::canonicalize(data_dir.join("raft"))?;
    let audit = super::audit::stanza(&std::fs::canonicalize(data_dir)?.join(AUDIT_FILE));
    Ok(format!(
        r#"# Written by crypter on every start; edits are overwritten.
storage "raft" {{
  path    = "{raft}"
  node_id = "crypter-embedded"
}}
listener "tcp" {{
  address     = "{listen}"
  tls_disable = true
}}
api_addr      = "http://{listen}"
cluster_addr  = "http://{cluster}"
disable_mlock = true
ui            = false
{audit}"#,
        raft = raft.display(),
        listen = state.listen,
        cluster = state.cluster,
    ))
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}
