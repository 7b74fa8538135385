//! The `crypter` command line: `serve` (production, or the embedded default), `dev`,
//! `bootstrap`, the release lead's `freeze`, `thaw`, `runbook` and `changesets`, and `keys`.

mod bootstrap;
mod changesets;
mod dev;
mod freeze;
mod instances;
mod jobs;
mod keys;
mod notifications;
mod remote;
mod requests;
mod runbook;
mod serve;
mod snapshot;
mod wan;

use crate::config::Settings;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Install or upgrade Crypter's policies, mounts, token roles and backend identity in
    /// an OpenBao you run. Uses BAO_TOKEN (an operator's; root the first time).
    Bootstrap(bootstrap::BootstrapArgs),
    /// Freeze the store (provisioning | full), verify the freeze, or show it. Uses BAO_TOKEN.
    Freeze(freeze::FreezeArgs),
    /// Thaw the store: restore every policy from the freeze snapshot. Uses BAO_TOKEN.
    Thaw(freeze::ThawArgs),
    /// Runbooks: start a run, show it, act on a step, print the report. Uses BAO_TOKEN.
    Runbook(runbook::RunbookArgs),
    /// Changesets: status, plan or apply a folder of changesets. Uses BAO_TOKEN.
    Changesets(changesets::ChangesetsArgs),
    /// Jobs on a running Crypter: list, show, or resume an interrupted apply (with a
    /// progress bar). Logs in to it with BAO_TOKEN, which it keeps.
    Jobs(jobs::JobsArgs),
    /// Keys: list an environment's keys, or rotate one. Uses BAO_TOKEN.
    Keys(keys::KeysArgs),
    /// Store snapshots: take one (encrypted), drill its restore on a scratch store, list them.
    Snapshot(snapshot::SnapshotArgs),
    /// Notifications on a running Crypter: list, add (prints the signing secret once),
    /// remove, test. Logs in to it with BAO_TOKEN.
    Notifications(notifications::NotificationsArgs),
    /// Approval requests on a running Crypter: list, show, approve, reject (with a
    /// comment). Logs in to it with BAO_TOKEN: OpenBao decides who may approve.
    Requests(requests::RequestsArgs),
    /// The simulated WAN between data centers that `crypter dev --wan` starts.
    #[command(hide = true)]
    Relay(RelayArgs),
}

#[derive(Args, Debug)]
pub struct RelayArgs {
    /// The relay's spec (JSON), written by `crypter dev --wan`.
    #[arg(long)]
    pub spec: PathBuf,
}

/// Flags every server mode shares. Each can also be set as a `CRYPTER_…` variable.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// Address the console and API listen on.
    #[arg(long, env = "CRYPTER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The console's files (`scripts/build-console.sh` builds them into `dist/`).
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
    /// OpenBao audit log files (file audit devices) the activity feed reads, one per node.
    /// Embedded, dev and `--nodes` modes add their nodes' logs themselves.
    #[arg(long = "audit-log", env = "CRYPTER_AUDIT_LOGS", value_delimiter = ',')]
    pub audit_logs: Vec<PathBuf>,
    /// Where `POST /api/v1/audit/ingest` appends the audit lines a log shipper posts (and
    /// the feed reads them back). Without it, the endpoint answers 404.
    #[arg(long, env = "CRYPTER_AUDIT_INGEST_FILE")]
    pub audit_ingest_file: Option<PathBuf>,
    /// Where the runbook's snapshot step keeps store snapshots, encrypted (default for the
    /// embedded store: <data-dir>/snapshots; over --bao-addr it is needed for the step).
    #[arg(long, env = "CRYPTER_SNAPSHOTS_DIR")]
    pub snapshots_dir: Option<PathBuf>,
    /// A session ends after this many minutes without a request (whatever its token's TTL).
    #[arg(long, env = "CRYPTER_SESSION_IDLE_MINUTES", default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=10_080))]
    pub session_idle_minutes: u64,
    /// A session ends this many hours after login at the latest (root tokens included).
    #[arg(long, env = "CRYPTER_SESSION_LIFETIME_HOURS", default_value_t = 12,
        value_parser = clap::value_parser!(u64).range(1..=720))]
    pub session_lifetime_hours: u64,
    /// How often a running job writes its heartbeat (and the apply lock's).
    #[arg(long, env = "CRYPTER_JOB_HEARTBEAT_SECS", default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=300))]
    pub job_heartbeat_secs: u64,
    /// A running job without a heartbeat for this long is `interrupted` (resumable).
    #[arg(long, env = "CRYPTER_JOB_STALE_SECS", default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(2..=3_600))]
    pub job_stale_secs: u64,
    /// Ended jobs are kept this many hours, then removed.
    #[arg(long, env = "CRYPTER_JOB_RETENTION_HOURS", default_value_t = 168,
        value_parser = clap::value_parser!(u64).range(1..=8_760))]
    pub job_retention_hours: u64,
    /// Make a named restore point of every environment every this many hours (`auto-…`,
    /// with the backend's own identity); 0: only by hand.
    #[arg(long, env = "CRYPTER_RESTORE_POINTS_EVERY_HOURS", default_value_t = 0,
        value_parser = clap::value_parser!(u64).range(0..=8_760))]
    pub restore_points_every_hours: u64,
    /// How many scheduled restore points each environment keeps (the oldest go first).
    #[arg(long, env = "CRYPTER_RESTORE_POINTS_KEEP", default_value_t = 14,
        value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub restore_points_keep: u64,
    /// How often credentials' `expires` dates are swept for reminders, in seconds.
    #[arg(long, env = "CRYPTER_REMINDERS_EVERY_SECS", default_value_t = 600, hide = true,
        value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub reminders_every_secs: u64,
}

impl ServerArgs {
    fn settings(&self) -> Settings {
        Settings {
            dist_dir: self.dist_dir.clone(),
            login_per_minute: self.login_per_minute,
            login_burst: self.login_burst,
            secure_cookies: self.secure_cookies,
            changesets_dir: self.changesets_dir.clone(),
            audit_logs: self.audit_logs.clone(),
            audit_ingest_file: self.audit_ingest_file.clone(),
            snapshots_dir: self.snapshots_dir.clone(),
            lifetimes: crate::session::Lifetimes {
                idle: Duration::from_secs(self.session_idle_minutes * 60),
                absolute: Duration::from_secs(self.session_lifetime_hours * 3600),
            },
            jobs: crate::jobs::JobTiming {
                heartbeat: Duration::from_secs(self.job_heartbeat_secs),
                stale_after: Duration::from_secs(
                    self.job_stale_secs.max(self.job_heartbeat_secs * 2),
                ),
                retention: Duration::from_secs(self.job_retention_hours * 3600),
            },
            restore_points: (self.restore_points_every_hours > 0).then(|| {
                crate::restore_points::schedule::Schedule {
                    every: Duration::from_secs(self.restore_points_every_hours * 3600),
                    keep: usize::try_from(self.restore_points_keep).unwrap_or(14),
                }
            }),
            reminders_every: Duration::from_secs(self.reminders_every_secs),
            ..Settings::default()
        }
    }

    /// The same flags for another instance listening on `listen` (`crypter dev
    /// --instances N` starts the others with them).
    fn to_args(&self, listen: SocketAddr) -> Vec<String> {
        let mut out = vec![
            format!("--listen={listen}"),
            format!("--dist-dir={}", self.dist_dir.display()),
            format!("--login-per-minute={}", self.login_per_minute),
            format!("--login-burst={}", self.login_burst),
            format!("--session-idle-minutes={}", self.session_idle_minutes),
            format!("--session-lifetime-hours={}", self.session_lifetime_hours),
            format!("--job-heartbeat-secs={}", self.job_heartbeat_secs),
            format!("--job-stale-secs={}", self.job_stale_secs),
            format!("--job-retention-hours={}", self.job_retention_hours),
            format!(
                "--restore-points-every-hours={}",
                self.restore_points_every_hours
            ),
            format!("--restore-points-keep={}", self.restore_points_keep),
            format!("--reminders-every-secs={}", self.reminders_every_secs),
        ];
        if self.secure_cookies {
            out.push("--secure-cookies".into());
        }
        if let Some(dc) = &self.datacenter {
            out.push(format!("--datacenter={dc}"));
        }
        if let Some(dir) = &self.changesets_dir {
            out.push(format!("--changesets-dir={}", dir.display()));
        }
        if let Some(f) = &self.audit_ingest_file {
            out.push(format!("--audit-ingest-file={}", f.display()));
        }
        if let Some(dir) = &self.snapshots_dir {
            out.push(format!("--snapshots-dir={}", dir.display()));
        }
        out
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
    /// With --bao-addr: the backend's own AppRole credentials (JSON, written by `crypter
    /// bootstrap --backend-credentials FILE`). Used at start to check the store's
    /// bootstrap version.
    #[arg(long, env = "CRYPTER_BACKEND_CREDENTIALS")]
    pub backend_credentials: Option<PathBuf>,
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
    /// Run this many Crypter instances over the same store, on consecutive ports from
    /// --listen (the others as `crypter serve --bao-addr …` processes), to try what a
    /// balancer in front of several instances gives. Their pids and addresses go to
    /// `instances.json`, printed at start.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub instances: u8,
    /// Put each node and each instance in its own data center (dc1, dc2, …) and send all
    /// traffic between data centers through a relay that adds this one-way delay (e.g.
    /// `80ms`) and can cut a data center off (`wan.json` beside `nodes.json` gives its
    /// control address). Needs `--nodes` of 2 or more.
    #[arg(long, value_parser = crate::wan::parse_delay)]
    pub wan: Option<Duration>,
    /// Single sign-on against a local identity provider (`tools/idp.mjs`, needs Node):
    /// OpenBao's `auth/oidc` is configured with it, its group `payments-admins` is mapped
    /// to the role `payments-admin`, and the people `alice` (in that group) and `bob` (in
    /// none) are printed with their passwords.
    #[arg(long)]
    pub sso: bool,
}

/// Runs the command; the exit code is what scripts see.
pub async fn run(cli: Cli) -> std::process::ExitCode {
    let served = match cli.command {
        Command::Serve(args) => serve::run_serve(args).await,
        Command::Dev(args) => dev::run_dev(args).await,
        Command::Bootstrap(args) => return bootstrap::run(args).await,
        Command::Freeze(args) => return freeze::run_freeze(args).await,
        Command::Thaw(args) => return freeze::run_thaw(args).await,
        Command::Runbook(args) => return runbook::run(args).await,
        Command::Changesets(args) => return changesets::run(args).await,
        Command::Jobs(args) => return jobs::run(args).await,
        Command::Keys(args) => return keys::run(args).await,
        Command::Snapshot(args) => return snapshot::run(args).await,
        Command::Notifications(args) => return notifications::run(args).await,
        Command::Requests(args) => return requests::run(args).await,
        Command::Relay(args) => {
            let stop = async {
                tokio::select! {
                    () = crate::startup::shutdown_signal() => {},
                    () = instances::parent_gone() => {},
                }
            };
            crate::wan::run(&args.spec, stop).await
        }
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
