//! `crypter serve` and `crypter dev`: the modes that serve the console.

use super::{parse_node, DevArgs, ServeArgs};
use crate::bao::{Bao, NodeSpec};
use crate::bootstrap::{BackendCredentials, VersionCheck};
use crate::config::Settings;
use crate::embedded::{self, BaoProcess, LocalCluster};
use crate::session::random_token;
use crate::startup::{serve, shutdown_signal};
use crate::state::AppState;
use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;

pub(super) async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    if !args.bao_addr.is_empty() {
        return run_external(args).await;
    }
    let listener = bind(args.server.listen).await?;
    let managed = embedded::start_managed(&args.data_dir, args.bao_listen).await?;
    let generated = args.admin_password.is_none();
    let password = SecretString::from(args.admin_password.unwrap_or_else(random_token));
    let credentials_file = args.data_dir.join(BACKEND_FILE);
    let prepared = async {
        let report =
            crate::bootstrap::bootstrap(&managed.bao, &managed.root_token, Some(&password))
                .await
                .context("bootstrapping the embedded store")?;
        for change in &report.changes {
            tracing::info!(%change, "bootstrap");
        }
        let creds = kept_credentials(&managed.bao, &managed.root_token, &credentials_file).await?;
        check_store(&managed.bao, &creds).await?;
        anyhow::Ok(report)
    }
    .await;
    let report = match prepared {
        Ok(r) => r,
        Err(e) => {
            managed.process.stop().await?;
            return Err(e);
        }
    };
    drop(managed.root_token);
    let shown = (report.admin_created && generated).then(|| password.expose_secret().to_owned());
    announce(&listener, shown.as_deref())?;
    let health = managed.bao.spawn_health_loop();
    let mut settings = args.server.settings();
    settings
        .audit_logs
        .extend(managed.process.audit_log().map(Path::to_owned));
    let state = AppState::new(managed.bao.clone(), settings);
    let served = serve(listener, state, shutdown_signal()).await;
    health.abort();
    managed.process.stop().await?;
    served.context("serving HTTP")
}

/// The embedded store's backend credentials, kept (0600) beside its data: reused while
/// they still log in, issued again otherwise.
const BACKEND_FILE: &str = "backend.json";

async fn kept_credentials(
    bao: &Bao,
    root: &SecretString,
    file: &Path,
) -> anyhow::Result<BackendCredentials> {
    if let Ok(creds) = BackendCredentials::read(file) {
        if creds.login(bao).await.is_ok() {
            return Ok(creds);
        }
    }
    let creds = crate::bootstrap::issue_credentials(bao, root).await?;
    creds.write(file)?;
    Ok(creds)
}

/// `serve --bao-addr`: an OpenBao someone else runs. Nothing is spawned, no privileged
/// token is held; the backend's own AppRole checks the store's bootstrap version first.
async fn run_external(args: ServeArgs) -> anyhow::Result<()> {
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
    let Some(file) = &args.backend_credentials else {
        bail!(
            "with --bao-addr, give the backend's own credentials: run `crypter bootstrap \
             --bao-addr {} --backend-credentials FILE` with an operator's BAO_TOKEN, then start \
             with --backend-credentials FILE",
            bao.addr()
        );
    };
    let creds = BackendCredentials::read(file)?;
    report_store(&bao).await;
    check_store(&bao, &creds).await?;
    let listener = bind(args.server.listen).await?;
    let health = bao.spawn_health_loop();
    announce(&listener, None)?;
    let state = AppState::new(bao, args.server.settings());
    let served = serve(listener, state, shutdown_signal()).await;
    health.abort();
    served.context("serving HTTP")
}

/// Refuse to start over a store bootstrapped by an older release, naming the command that
/// upgrades it.
async fn check_store(bao: &Bao, creds: &BackendCredentials) -> anyhow::Result<()> {
    match crate::bootstrap::check_version(bao, creds).await? {
        VersionCheck::Current => Ok(()),
        VersionCheck::Older(v) => bail!(
            "the store at {} was bootstrapped by an older Crypter (bootstrap version {v}, this \
             one needs {}). Upgrade it first: BAO_TOKEN=<an operator's token> crypter bootstrap \
             --bao-addr {}",
            bao.addr(),
            crate::bootstrap::BOOTSTRAP_VERSION,
            bao.addr()
        ),
        VersionCheck::Newer(v) => {
            tracing::warn!(
                version = v,
                "the store was bootstrapped by a newer Crypter; some features may be missing here"
            );
            Ok(())
        }
    }
}

pub(super) async fn run_dev(args: DevArgs) -> anyhow::Result<()> {
    if args.nodes > 1 {
        return run_dev_cluster(args).await;
    }
    let listener = bind(args.server.listen).await?;
    let mut settings = dev_settings(&args);
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
    settings
        .audit_logs
        .extend(process.audit_log().map(Path::to_owned));
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
    let mut settings = args.server.settings();
    settings.audit_logs.extend(cluster.audit_logs());
    let health = bao.spawn_health_loop();
    let state = AppState::new(bao, settings);
    let served = serve(listener, state, shutdown_signal()).await;
    health.abort();
    cluster.stop().await;
    served.context("serving HTTP")
}

/// Bootstrap with the dev root token, check the store as the backend would, load the demo.
async fn prepare_dev(
    bao: &Bao,
    root: &SecretString,
    admin_password: Option<String>,
    no_demo: bool,
) -> anyhow::Result<String> {
    let password = admin_password.unwrap_or_else(random_token);
    crate::bootstrap::bootstrap(bao, root, Some(&SecretString::from(password.clone()))).await?;
    let creds = crate::bootstrap::issue_credentials(bao, root).await?;
    check_store(bao, &creds).await?;
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
