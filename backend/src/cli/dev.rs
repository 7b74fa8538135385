//! `crypter dev`: an in-memory `bao server -dev` (or, with `--nodes N`, a real Raft
//! cluster) loaded with demo data; with `--instances N`, several Crypter instances over it.

use super::instances::InstanceStore;
use super::serve::{announce, bind, check_store, serve_instance};
use super::wan::Wan;
use super::DevArgs;
use crate::bao::Bao;
use crate::bootstrap::BackendCredentials;
use crate::config::Settings;
use crate::embedded::{self, BaoProcess, LocalCluster};
use crate::session::random_token;
use crate::state::AppState;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;

pub(super) async fn run_dev(args: DevArgs) -> anyhow::Result<()> {
    if args.wan.is_some() && args.nodes < 2 {
        anyhow::bail!("--wan needs a cluster across data centers: give --nodes 2 or more");
    }
    if args.nodes > 1 {
        return run_dev_cluster(args).await;
    }
    let listener = bind(args.server.listen).await?;
    let mut settings = dev_settings(&args);
    let bao_listen = match args.bao_listen {
        Some(a) => a,
        None => SocketAddr::from(([127, 0, 0, 1], embedded::free_loopback_port()?)),
    };
    let root = SecretString::from(args.root_token.clone().unwrap_or_else(random_token));
    let (process, bao) = embedded::start_dev(bao_listen, &root).await?;
    let result = prepare_dev(&bao, &root, args.admin_password.clone(), args.no_demo).await;
    let (password, creds) = match result {
        Ok(p) => p,
        Err(e) => {
            process.stop().await?;
            return Err(e);
        }
    };
    let idp = match start_sso(&args, &listener, &bao, &root).await {
        Ok(idp) => idp,
        Err(e) => {
            process.stop().await?;
            return Err(e);
        }
    };
    announce(&listener, Some(&password))?;
    println!("  OpenBao dev server: http://{bao_listen} (in memory; data is lost on exit)");
    print_sso(idp.as_ref());
    settings
        .audit_logs
        .extend(process.audit_log().map(Path::to_owned));
    let store = |_| InstanceStore {
        bao_addrs: format!("http://{bao_listen}"),
        datacenter: None,
    };
    let served = serve_all(&args, listener, bao, settings, creds, &store).await;
    if let Some(idp) = idp {
        idp.stop().await;
    }
    stop_quietly(process).await;
    served
}

/// With `--sso`: the local identity provider, configured for every instance's origin.
async fn start_sso(
    args: &DevArgs,
    listener: &TcpListener,
    bao: &Bao,
    root: &SecretString,
) -> anyhow::Result<Option<crate::embedded::idp::LocalIdp>> {
    if !args.sso {
        return Ok(None);
    }
    let first = listener.local_addr()?;
    let mut origins = Vec::new();
    for k in 0..u16::from(args.instances) {
        let port = first.port() + k;
        origins.push(format!("http://127.0.0.1:{port}"));
        origins.push(format!("http://localhost:{port}"));
    }
    Ok(Some(crate::sso::local::start(bao, root, &origins).await?))
}

fn print_sso(idp: Option<&crate::embedded::idp::LocalIdp>) {
    let Some(idp) = idp else { return };
    println!("  Single sign-on: {} (local identity provider)", idp.issuer);
    for user in &idp.users {
        let groups = if user.groups.is_empty() {
            "no group".to_owned()
        } else {
            user.groups.join(", ")
        };
        println!("    {} ({groups}): password {}", user.name, user.password);
    }
}

/// The first instance here; the others (`--instances`) as child processes, instance `k`
/// finding the store as `store(k)` says.
async fn serve_all(
    args: &DevArgs,
    listener: TcpListener,
    bao: Bao,
    settings: Settings,
    creds: BackendCredentials,
    store: &dyn Fn(u16) -> InstanceStore,
) -> anyhow::Result<()> {
    let others = if args.instances > 1 {
        let first = listener.local_addr()?;
        let mut server = args.server.clone();
        server.changesets_dir.clone_from(&settings.changesets_dir);
        let started = super::instances::start(
            args.instances,
            first,
            &server,
            store,
            &settings.audit_logs,
            &creds,
        )
        .await?;
        Some(started)
    } else {
        None
    };
    let state = AppState::new(bao, settings, creds);
    let served = serve_instance(listener, state).await;
    if let Some(others) = others {
        others.stop().await;
    }
    served
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
    let (wan, mut cluster) = start_cluster(&args, &dir).await?;
    let prepared = async {
        if let Some(id) = args.root_token.clone() {
            cluster.use_root_token_id(SecretString::from(id)).await?;
        }
        let own_dc = args
            .server
            .datacenter
            .clone()
            .unwrap_or_else(|| "dc1".into());
        let bao = match &wan {
            Some(w) => w.bao(0)?,
            None => cluster.bao(Some(&own_dc))?,
        };
        let (password, creds) = prepare_dev(
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
        if wan.is_some() {
            // A chaos run kills nodes and starts them again (`make chaos`): it needs the
            // key. This throwaway cluster's folder is private (0700) and removed on exit.
            write_unseal_key(&dir.join("unseal.json"), &cluster.unseal_key)?;
        }
        anyhow::Ok((bao, password, creds))
    }
    .await;
    let (bao, password, creds) = match prepared {
        Ok(p) => p,
        Err(e) => {
            cluster.stop().await;
            return Err(e);
        }
    };
    let idp = match start_sso(&args, &listener, &bao, &cluster.root_token).await {
        Ok(idp) => idp,
        Err(e) => {
            cluster.stop().await;
            return Err(e);
        }
    };
    announce(&listener, Some(&password))?;
    print_nodes(&cluster, &dir);
    print_sso(idp.as_ref());
    let mut settings = dev_settings(&args);
    settings.audit_logs.extend(cluster.audit_logs());
    let addrs: Vec<String> = cluster
        .nodes
        .iter()
        .map(|n| format!("{}={}", n.datacenter, n.url()))
        .collect();
    let store = |k: u16| match &wan {
        Some(w) => w.instance(usize::from(k)),
        None => InstanceStore {
            bao_addrs: addrs.join(","),
            datacenter: None,
        },
    };
    let served = serve_all(&args, listener, bao, settings, creds, &store).await;
    if let Some(idp) = idp {
        idp.stop().await;
    }
    cluster.stop().await;
    served
}

/// The relay first, with `--wan` (the nodes' cluster addresses are its), then the nodes.
async fn start_cluster(args: &DevArgs, dir: &Path) -> anyhow::Result<(Option<Wan>, LocalCluster)> {
    let nodes = usize::from(args.nodes);
    let Some(delay) = args.wan else {
        return Ok((None, LocalCluster::start(nodes, dir).await?));
    };
    crate::embedded::private_dir(dir)?;
    let wan = Wan::plan(nodes, usize::from(args.instances), delay, dir)?;
    wan.start_relay(dir).await?;
    let cluster = LocalCluster::start_with(&wan.ports, dir, |k| wan.join_via(k)).await?;
    Ok((Some(wan), cluster))
}

fn print_nodes(cluster: &LocalCluster, dir: &Path) {
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
}

/// Bootstrap with the dev root token, check the store as the backend would, load the demo.
/// The admin's password, and the backend's own credentials.
async fn prepare_dev(
    bao: &Bao,
    root: &SecretString,
    admin_password: Option<String>,
    no_demo: bool,
) -> anyhow::Result<(String, BackendCredentials)> {
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
    Ok((password, creds))
}

fn write_unseal_key(file: &Path, key: &SecretString) -> anyhow::Result<()> {
    use secrecy::ExposeSecret;
    let body = serde_json::json!({"key": key.expose_secret()});
    crate::private_file::write(file, body.to_string().as_bytes())?;
    Ok(())
}

async fn stop_quietly(process: BaoProcess) {
    if let Err(e) = process.stop().await {
        tracing::warn!(error = %e, "stopping OpenBao");
    }
}
