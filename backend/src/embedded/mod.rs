//! Managed OpenBao processes: the in-memory dev server behind `crypter dev`, and the
//! persistent single-node Raft store behind `crypter serve` with no `--bao-addr`.

pub mod audit;
mod cluster;
pub mod idp;
mod managed;
mod process;

pub use cluster::{LocalCluster, LocalNode, NodeInfo, NodePorts};
pub use managed::{read_embedded, start_managed, EmbeddedFiles, Managed, INIT_FILE};
pub use process::{find_bao, free_loopback_port, BaoProcess, SpawnOptions};

use crate::bao::Bao;
use anyhow::Context;
use secrecy::SecretString;
use std::net::SocketAddr;

/// Start `bao server -dev` on `listen` with a known root token. Used by `crypter dev` and
/// by the tests. The store lives in memory and disappears with the process. The root
/// token goes to bao through its environment (`BAO_DEV_ROOT_TOKEN_ID`), never on its
/// command line, where `ps` would show it. A file audit device is declared in a small
/// configuration file; the process's [`BaoProcess::audit_log`] names the file.
pub async fn start_dev(
    listen: SocketAddr,
    root_token: &SecretString,
) -> anyhow::Result<(BaoProcess, Bao)> {
    process::ensure_port_free(listen, "--bao-listen")?;
    let scratch = std::env::temp_dir().join(format!("crypter-dev-{}", listen.port()));
    let _ = std::fs::remove_dir_all(&scratch);
    private_dir(&scratch)?;
    let audit_log = scratch.join("audit.log");
    let config = scratch.join("bao.hcl");
    std::fs::write(&config, audit::stanza(&audit_log))
        .with_context(|| format!("cannot write {}", config.display()))?;
    let args = vec![
        "server".to_owned(),
        "-dev".to_owned(),
        format!("-dev-listen-address={listen}"),
        "-dev-no-store-token".to_owned(),
        format!("-config={}", config.display()),
    ];
    let log = std::env::temp_dir().join(format!("crypter-dev-bao-{}.log", listen.port()));
    let options = SpawnOptions {
        cwd: None,
        secret_env: Some(("BAO_DEV_ROOT_TOKEN_ID", root_token)),
    };
    let mut proc = BaoProcess::spawn_with(&args, &log, listen, options)?
        .with_audit_log(audit_log)
        .with_scratch(scratch);
    let bao = Bao::new(&format!("http://{listen}"))?;
    proc.wait_active(&bao).await?;
    Ok((proc, bao))
}

/// A folder only its owner may enter: audit logs name every path that was touched.
pub(crate) fn private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}
