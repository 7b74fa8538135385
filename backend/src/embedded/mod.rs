//! Managed OpenBao processes: the in-memory dev server behind `crypter dev`, and the
//! persistent single-node Raft store behind `crypter serve` with no `--bao-addr`.

mod cluster;
mod managed;
mod process;

pub use cluster::{LocalCluster, LocalNode, NodeInfo};
pub use managed::{start_managed, Managed, INIT_FILE};
pub use process::{find_bao, free_loopback_port, BaoProcess};

use crate::bao::Bao;
use secrecy::SecretString;
use std::net::SocketAddr;

/// Start `bao server -dev` on `listen` with a known root token. Used by `crypter dev` and
/// by the tests. The store lives in memory and disappears with the process.
pub async fn start_dev(
    listen: SocketAddr,
    root_token: &SecretString,
) -> anyhow::Result<(BaoProcess, Bao)> {
    use secrecy::ExposeSecret;
    process::ensure_port_free(listen, "--bao-listen")?;
    let args = vec![
        "server".to_owned(),
        "-dev".to_owned(),
        format!("-dev-listen-address={listen}"),
        format!("-dev-root-token-id={}", root_token.expose_secret()),
        "-dev-no-store-token".to_owned(),
    ];
    let log = std::env::temp_dir().join(format!("crypter-dev-bao-{}.log", listen.port()));
    let mut proc = BaoProcess::spawn(&args, &log, listen)?;
    let bao = Bao::new(&format!("http://{listen}"))?;
    proc.wait_active(&bao).await?;
    Ok((proc, bao))
}
