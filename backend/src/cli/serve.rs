//! `crypter serve`: production over an OpenBao you run (`--bao-addr`), or the embedded
//! default. `crypter dev` is in `dev.rs`.

use super::{parse_node, ServeArgs};
use crate::bao::{Bao, NodeSpec};
use crate::bootstrap::{BackendCredentials, VersionCheck};
use crate::embedded;
use crate::session::random_token;
use crate::startup::{serve_and_drain, shutdown_signal};
use crate::state::AppState;
use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::path::Path;
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
        anyhow::Ok((report, creds))
    }
    .await;
    let (report, creds) = match prepared {
        Ok(r) => r,
        Err(e) => {
            managed.process.stop().await?;
            return Err(e);
        }
    };
    drop(managed.root_token);
    let shown = (report.admin_created && generated).then(|| password.expose_secret().to_owned());
    announce(&listener, shown.as_deref())?;
    let mut settings = args.server.settings();
    settings
        .audit_logs
        .extend(managed.process.audit_log().map(Path::to_owned));
    settings.embedded_data_dir = Some(args.data_dir.clone());
    let state = AppState::new(managed.bao.clone(), settings, creds);
    let served = serve_instance(listener, state).await;
    managed.process.stop().await?;
    served
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
/// token is held; the backend's own AppRole checks the store's bootstrap version first,
/// then keeps session and job records. Any number of instances may serve the same store.
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
    announce(&listener, None)?;
    let state = AppState::new(bao, args.server.settings(), creds);
    serve_instance(listener, state).await
}

/// Serve one instance until SIGTERM (or Ctrl-C), with its background loops: the store's
/// health, the sweeps of ended sessions and old jobs, notifications' delivery and the
/// freeze watcher. On the signal it stops taking requests and hands its running jobs
/// over, within 10 s.
pub(super) async fn serve_instance(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    let mut loops = vec![
        state.bao.spawn_health_loop(),
        state.sessions.spawn_sweeper(),
        state.jobs.spawn_sweeper(),
        crate::notifications::deliver::spawn(
            state.activity.clone(),
            state.records.clone(),
            crate::notifications::deliver::Schedule::default(),
        ),
        crate::approvals::carry::spawn(state.carrier.clone(), std::time::Duration::from_secs(2)),
        crate::approvals::bypass::spawn(
            state.activity.clone(),
            state.records.clone(),
            std::time::Duration::from_secs(1),
        ),
        crate::notifications::watch::spawn(
            state.activity.clone(),
            state.records.clone(),
            std::time::Duration::from_secs(1),
        ),
        crate::notifications::reminders::spawn(
            state.records.clone(),
            crate::notifications::reminders::Schedule {
                every: state.settings.reminders_every,
            },
        ),
    ];
    if let Some(s) = state.settings.restore_points {
        let records = state.records.clone();
        loops.push(crate::restore_points::schedule::spawn(
            state.bao.clone(),
            records,
            s,
        ));
    }
    let signal = async {
        tokio::select! {
            () = shutdown_signal() => {},
            () = super::instances::parent_gone() => {},
        }
    };
    let served = serve_and_drain(listener, state, signal).await;
    for task in loops {
        task.abort();
    }
    served.context("serving HTTP")
}

/// Refuse to start over a store bootstrapped by an older release, naming the command that
/// upgrades it.
pub(super) async fn check_store(bao: &Bao, creds: &BackendCredentials) -> anyhow::Result<()> {
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

pub(super) async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
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
pub(super) fn announce(listener: &TcpListener, admin_password: Option<&str>) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    println!("Crypter console: http://{addr}");
    if let Some(p) = admin_password {
        println!("  log in as admin with password: {p}");
        println!("  (shown once; it is not stored by Crypter)");
    }
    Ok(())
}
