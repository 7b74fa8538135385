//! The `crypter` command line: `serve` (production, or the embedded default), `dev`, and
//! the release lead's `freeze` and `thaw`.

mod changesets;
mod freeze;
mod runbook;

use crate::bao::{Bao, NodeSpec};
use crate::config::Settings;
use crate::embedded::{self, BaoProcess, LocalCluster};
use crate::session::random_token;
use crate::startup::{serve, shutdown_signal};
use crate::state::AppState;
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::net::TcpListener;

#[derive(Parser, Debug)]
#[command(
    name = "crypter",
    version,
    about = "A scoped key-and-credentials store with a browser console, over OpenBao."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the console. Without --bao-addr, runs a managed single-node OpenBao under --data-dir.
    Serve(ServeArgs),
    /// Serve the console over an in-memory OpenBao dev server loaded with demo data.
    Dev(DevArgs),
    /// Freeze the store (provisioning | full), verify the freeze, or show it. Uses BAO_TOKEN.
    Freeze(freeze::FreezeArgs),
    /// Thaw the store: restore every policy from the freeze snapshot. Uses BAO_TOKEN.
    Thaw(freeze::ThawArgs),
    /// Runbooks: start a run, show it, act on a step, print the report. Uses BAO_TOKEN.
    Runbook(runbook::RunbookArgs),
    /// Changesets: status, plan or apply a folder of changesets. Uses BAO_TOKEN.
    Changesets(changesets::ChangesetsArgs),
}

/// Flags every server mode shares. Each can also be set as a `CRYPTER_…` variable.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// Address the console and API listen on.
    #[arg(long, env = "CRYPTER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// trunk's output folder: the console's files.
    #[arg(long, env = "CRYPTER_DIST_DIR", default_value = "dist")]
    pub dist_dir: PathBuf,
    /// Login attempts allowed per client address per minute.
    #[arg(long, env = "CRYPTER_LOGIN_PER_MINUTE", default_value_t = 10)]
    pub login_per_minute: u32,
    /// Login attempts allowed at once before the per-minute rate applies.
    #[arg(long, env = "CRYPTER_LOGIN_BURST", default_value_t = 5)]
    pub login_burst: u32,
    /// Always mark the session cookie Secure (set it behind a TLS proxy).
    #[arg(long, env = "CRYPTER_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// The data center this backend runs in: reads prefer healthy nodes labelled with it.
    #[arg(long, env = "CRYPTER_DATACENTER")]
    pub datacenter: Option<String>,
    /// Folder of changeset files (*.toml), read afresh on every status, plan and apply.
    /// `crypter dev` uses `changesets/demo` when it exists and this is not set.
    #[arg(long, env = "CRYPTER_CHANGESETS_DIR")]
    pub changesets_dir: Option<PathBuf>,
}

impl ServerArgs {
    fn settings(&self) -> Settings {
        Settings {
            dist_dir: self.dist_dir.clone(),
            login_per_minute: self.login_per_minute,
            login_burst: self.login_burst,
            secure_cookies: self.secure_cookies,
            changesets_dir: self.changesets_dir.clone(),
        }
    }
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// OpenBao node(s), comma-separated, each optionally labelled with a data center:
    /// `dc1=https://bao-1:8200,dc2=https://bao-2:8200`. Without it, Crypter manages its own.
    #[arg(long, env = "CRYPTER_BAO_ADDR", value_delimiter = ',')]
    pub bao_addr: Vec<String>,
    /// Where the managed OpenBao keeps its Raft data and bao-init.json.
    #[arg(long, env = "CRYPTER_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Address of the managed OpenBao (default: chosen on first start, then kept).
    #[arg(long, env = "CRYPTER_BAO_LISTEN")]
    pub bao_listen: Option<SocketAddr>,
    /// The first admin's password (default: random, printed once).
    #[arg(long, env = "CRYPTER_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
}

#[derive(Args, Debug)]
pub struct DevArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Address of the dev OpenBao (default: a free loopback port).
    #[arg(long, env = "CRYPTER_BAO_LISTEN")]
    pub bao_listen: Option<SocketAddr>,
    /// The dev OpenBao's root token (default: random).
    #[arg(long, env = "CRYPTER_ROOT_TOKEN", hide_env_values = true)]
    pub root_token: Option<String>,
    /// The admin user's password (default: random, printed once).
    #[arg(long, env = "CRYPTER_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Start with an empty store: no demo credentials.
    #[arg(long)]
    pub no_demo: bool,
    /// Run a real Raft cluster of this many OpenBao nodes on loopback ports, labelled dc1,
    /// dc2, … (instead of one in-memory dev server). Their pids and addresses go to
    /// `nodes.json` in the cluster's folder, printed at start.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=7))]
    pub nodes: u8,
}

/// Runs the command; the exit code is what scripts see.
pub async fn run(cli: Cli) -> std::process::ExitCode {
    let served = match cli.command {
        Command::Serve(args) => run_serve(args).await,
        Command::Dev(args) => run_dev(args).await,
        Command::Freeze(args) => return freeze::run_freeze(args).await,
        Command::Thaw(args) => return freeze::run_thaw(args).await,
        Command::Runbook(args) => return runbook::run(args).await,
        Command::Changesets(args) => return changesets::run(args).await,
    };
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crypter: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// One OpenBao node from `--bao-addr`: `URL` or `DC=URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddr {
    pub datacenter: Option<String>,
    pub url: String,
}

pub fn parse_node(spec: &str) -> anyhow::Result<NodeAddr> {
    let spec = spec.trim();
    let (datacenter, url) = match spec.split_once('=') {
        Some((dc, url)) if !dc.contains("://") => (Some(dc.to_owned()), url.to_owned()),
        _ => (None, spec.to_owned()),
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        anyhow::bail!(
            "--bao-addr {spec:?}: give a URL like https://bao-1:8200, optionally as dc1=https://…"
        );
    }
    Ok(NodeAddr { datacenter, url })
}

async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let listener = bind(args.server.listen).await?;
    if !args.bao_addr.is_empty() {
        let nodes = args
            .bao_addr
            .iter()
            .map(|s| parse_node(s))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let specs = nodes
            .into_iter()
            .map(|n| NodeSpec {
                url: n.url,
                datacenter: n.datacenter,
            })
            .collect();
        let bao = Bao::cluster(specs, args.server.datacenter.clone())?;
        report_store(&bao).await;
        let health = bao.spawn_health_loop();
        announce(&listener, None)?;
        let state = AppState::new(bao, args.server.settings());
        let served = serve(listener, state, shutdown_signal()).await;
        health.abort();
        return served.context("serving HTTP");
    }

    let managed = embedded::start_managed(&args.data_dir, args.bao_listen).await?;
    let generated = args.admin_password.is_none();
    let password = SecretString::from(args.admin_password.unwrap_or_else(random_token));
    let report = crate::bootstrap::bootstrap(&managed.bao, &managed.root_token, &password).await;
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            managed.process.stop().await?;
            return Err(e.context("bootstrapping the embedded store"));
        }
    };
    drop(managed.root_token);
    for change in &report.changes {
        tracing::info!(%change, "bootstrap");
    }
    let shown = (report.admin_created && generated).then(|| password.expose_secret().to_owned());
    announce(&listener, shown.as_deref())?;
    let health = managed.bao.spawn_health_loop();
    let state = AppState::new(managed.bao.clone(), args.server.settings());
    let served = serve(listener, state, shutdown_signal()).await;
    health.abort();
    managed.process.stop().await?;
    served.context("serving HTTP")
}

async fn run_dev(args: DevArgs) -> anyhow::Result<()> {
    if args.nodes > 1 {
        return run_dev_cluster(args).await;
    }
    let listener = bind(args.server.listen).await?;
    let settings = dev_settings(&args);
    let bao_listen = match args.bao_listen {
        Some(a) => a,
        None => SocketAddr::from(([127, 0, 0, 1], embedded::free_loopback_port()?)),
    };
    let root = SecretString::from(args.root_token.unwrap_or_else(random_token));
    let (process, bao) = embedded::start_dev(bao_listen, &root).await?;
    let result = prepare_dev(&bao, &root, args.admin_password, args.no_demo).await;
    let password = match result {
        Ok(p) => p,
        Err(e) => {
            process.stop().await?;
            return Err(e);
        }
    };
    announce(&listener, Some(&password))?;
    println!("  OpenBao dev server: http://{bao_listen} (in memory; data is lost on exit)");
    let health = bao.spawn_health_loop();
    let state = AppState::new(bao, settings);
    let served = serve(listener, state, shutdown_signal()).await;
    health.abort();
    stop_quietly(process).await;
    served.context("serving HTTP")
}

/// `crypter dev` shows the demo changesets when started from the repository's root.
fn dev_settings(args: &DevArgs) -> Settings {
    let mut settings = args.server.settings();
    let demo = PathBuf::from("changesets/demo");
    if settings.changesets_dir.is_none() && !args.no_demo && demo.is_dir() {
        settings.changesets_dir = Some(demo);
    }
    settings
}

/// `crypter dev --nodes N`: a real N-node Raft cluster in a temporary folder.
async fn run_dev_cluster(args: DevArgs) -> anyhow::Result<()> {
    let listener = bind(args.server.listen).await?;
    let dir = std::env::temp_dir().join(format!(
        "crypter-dev-cluster-{}",
        listener.local_addr()?.port()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cluster = LocalCluster::start(usize::from(args.nodes), &dir).await?;
    let prepared = async {
        if let Some(id) = args.root_token.clone() {
            cluster.use_root_token_id(SecretString::from(id)).await?;
        }
        let own_dc = args
            .server
            .datacenter
            .clone()
            .unwrap_or_else(|| "dc1".into());
        let bao = cluster.bao(Some(&own_dc))?;
        let password = prepare_dev(
            &bao,
            &cluster.root_token,
            args.admin_password.clone(),
            args.no_demo,
        )
        .await?;
        std::fs::write(
            dir.join("nodes.json"),
            serde_json::to_vec_pretty(&cluster.info())?,
        )?;
        anyhow::Ok((bao, password))
    }
    .await;
    let (bao, password) = match prepared {
        Ok(p) => p,
        Err(e) => {
            cluster.stop().await;
            return Err(e);
        }
    };
    announce(&listener, Some(&password))?;
    for node in &cluster.nodes {
        println!(
            "  OpenBao {} ({}): {} pid {}",
            node.node_id,
            node.datacenter,
            node.url(),
            node.pid().unwrap_or(0)
        );
    }
    println!("  nodes: {}", dir.join("nodes.json").display());
    let health = bao.spawn_health_loop();
    let state = AppState::new(bao, args.server.settings());
    let served = serve(listener, state, shutdown_signal()).await;
    health.abort();
    cluster.stop().await;
    served.context("serving HTTP")
}

async fn prepare_dev(
    bao: &Bao,
    root: &SecretString,
    admin_password: Option<String>,
    no_demo: bool,
) -> anyhow::Result<String> {
    let password = admin_password.unwrap_or_else(random_token);
    crate::bootstrap::bootstrap(bao, root, &SecretString::from(password.clone())).await?;
    if !no_demo {
        let n = crate::demo::load(bao, root).await?;
        tracing::info!(credentials = n, "loaded demo data");
        let n = crate::demo::load_roles(bao, root).await?;
        tracing::info!(roles = n, "loaded demo roles");
    }
    Ok(password)
}

async fn stop_quietly(process: BaoProcess) {
    if let Err(e) = process.stop().await {
        tracing::warn!(error = %e, "stopping OpenBao");
    }
}

async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr}: is another Crypter running? Choose another address with --listen")
    })
}

async fn report_store(bao: &Bao) {
    match bao.health().await {
        Ok(h) if !h.initialized => tracing::error!(
            addr = bao.addr(),
            "OpenBao is not initialised; initialise it before logging in"
        ),
        Ok(h) if h.sealed => tracing::error!(
            addr = bao.addr(),
            "OpenBao is sealed; unseal it before logging in"
        ),
        Ok(h) => tracing::info!(
            addr = bao.addr(),
            version = h.version.as_deref().unwrap_or("?"),
            "OpenBao is ready"
        ),
        Err(e) => {
            tracing::error!(error = %e, "OpenBao is unreachable; the console will show it as down until it answers")
        }
    }
}

/// The one place a password is printed: to stdout, once, on the terminal that started us.
fn announce(listener: &TcpListener, admin_password: Option<&str>) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    println!("Crypter console: http://{addr}");
    if let Some(p) = admin_password {
        println!("  log in as admin with password: {p}");
        println!("  (shown once; it is not stored by Crypter)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_specs() {
        assert_eq!(
            parse_node("dc1=http://127.0.0.1:8200").unwrap(),
            NodeAddr {
                datacenter: Some("dc1".into()),
                url: "http://127.0.0.1:8200".into()
            }
        );
        assert_eq!(parse_node("https://b:8200").unwrap().datacenter, None);
        assert!(parse_node("bao:8200").is_err());
    }
}
