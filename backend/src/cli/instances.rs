//! `crypter dev --instances N`: the first instance runs in this process; the others are
//! `crypter serve --bao-addr …` processes on the following ports, over the same store and
//! with the backend credentials this process issued. They stop when this process stops
//! (SIGTERM, so they drain), and on their own if it dies.

use super::ServerArgs;
use crate::bootstrap::BackendCredentials;
use anyhow::Context;
use serde::Serialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Set on the instances `crypter dev` starts: they exit when their parent is gone.
pub const EXIT_WITH_PARENT: &str = "CRYPTER_EXIT_WITH_PARENT";

#[derive(Serialize)]
struct InstanceInfo {
    url: String,
    pid: u32,
}

pub struct Instances {
    children: Vec<Child>,
    pub dir: PathBuf,
}

/// Where one instance finds the store: `--bao-addr` as it takes it, and the instance's
/// data center (`--datacenter`), when it has its own.
#[derive(Debug, Clone)]
pub struct InstanceStore {
    pub bao_addrs: String,
    pub datacenter: Option<String>,
}

/// Start instances 2..=n on the ports after `first`; instance `k` (0-based) finds the
/// store as `store(k)` says. `audit_logs`: the files the first instance reads too.
pub async fn start(
    n: u8,
    first: SocketAddr,
    server: &ServerArgs,
    store: &dyn Fn(u16) -> InstanceStore,
    audit_logs: &[PathBuf],
    credentials: &BackendCredentials,
) -> anyhow::Result<Instances> {
    let dir = std::env::temp_dir().join(format!("crypter-dev-instances-{}", first.port()));
    let _ = std::fs::remove_dir_all(&dir);
    crate::embedded::private_dir(&dir)?;
    let creds = dir.join("backend.json");
    credentials.write(&creds)?;
    let exe = std::env::current_exe().context("cannot find the crypter executable")?;
    let mut info = vec![InstanceInfo {
        url: format!("http://{first}"),
        pid: std::process::id(),
    }];
    let mut children = Vec::new();
    for k in 1..u16::from(n) {
        let listen = SocketAddr::new(first.ip(), first.port() + k);
        let InstanceStore {
            bao_addrs,
            datacenter,
        } = store(k);
        let mut server = server.clone();
        server.datacenter = datacenter.or(server.datacenter);
        let mut cmd = Command::new(&exe);
        cmd.arg("serve")
            .args(server.to_args(listen))
            .arg(format!("--bao-addr={bao_addrs}"))
            .arg("--backend-credentials")
            .arg(&creds)
            .env(EXIT_WITH_PARENT, "1")
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if !audit_logs.is_empty() {
            let logs: Vec<String> = audit_logs.iter().map(|p| p.display().to_string()).collect();
            cmd.arg(format!("--audit-log={}", logs.join(",")));
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting instance {} on {listen}", k + 1))?;
        info.push(InstanceInfo {
            url: format!("http://{listen}"),
            pid: child.id().unwrap_or(0),
        });
        children.push(child);
    }
    std::fs::write(
        dir.join("instances.json"),
        serde_json::to_vec_pretty(&info)?,
    )?;
    for (k, i) in info.iter().enumerate() {
        println!("  instance {}: {} pid {}", k + 1, i.url, i.pid);
    }
    println!("  instances: {}", dir.join("instances.json").display());
    Ok(Instances { children, dir })
}

impl Instances {
    /// SIGTERM each (they drain within 10 s), then wait; SIGKILL whoever is left.
    pub async fn stop(mut self) {
        for child in &self.children {
            if let Some(pid) = child.id() {
                let pid = nix::unistd::Pid::from_raw(pid as i32);
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            }
        }
        for child in &mut self.children {
            if tokio::time::timeout(Duration::from_secs(12), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Resolves when this process's parent is gone (it was re-parented), for instances that
/// `crypter dev` started; never otherwise.
pub async fn parent_gone() {
    if std::env::var_os(EXIT_WITH_PARENT).is_none() {
        return std::future::pending().await;
    }
    let parent = std::os::unix::process::parent_id();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if std::os::unix::process::parent_id() != parent {
            tracing::warn!("the crypter dev process that started this instance is gone; stopping");
            return;
        }
    }
}
