//! `crypter bootstrap --bao-addr URL`: install or upgrade everything Crypter needs in an
//! OpenBao that operators run, with an operator's token from `BAO_TOKEN` (root the very
//! first time, when no operator policy exists yet). Prints every change; a second run
//! prints that nothing changed. The same code runs in the embedded and dev modes.

use super::freeze::{StoreArgs, EXIT_ERROR};
use crate::bao::Bao;
use crate::bootstrap::{BackendCredentials, BOOTSTRAP_VERSION};
use clap::Args;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Write the backend's AppRole credentials (role-id and secret-id, JSON, mode 0600) to
    /// this file for `crypter serve --backend-credentials`. Kept as they are while they
    /// still log in.
    #[arg(long)]
    pub backend_credentials: Option<PathBuf>,
    /// Create the `admin` user (policies crypter-admin, crypter-operator and crypter-own)
    /// with this password, if there is no such user yet.
    #[arg(long, env = "CRYPTER_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
}

pub async fn run(args: BootstrapArgs) -> ExitCode {
    match bootstrap(&args).await {
        Ok(changes) => {
            if changes.is_empty() {
                println!(
                    "nothing to change: the store is at bootstrap version {BOOTSTRAP_VERSION}"
                );
            } else {
                for change in &changes {
                    println!("changed: {change}");
                }
                println!("the store is at bootstrap version {BOOTSTRAP_VERSION}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("crypter: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn bootstrap(args: &BootstrapArgs) -> anyhow::Result<Vec<String>> {
    let token = std::env::var("BAO_TOKEN").map_err(|_| {
        anyhow::anyhow!("set BAO_TOKEN to an operator's OpenBao token (root the first time)")
    })?;
    let token = SecretString::from(token);
    let bao = Bao::new(&args.store.bao_addr)?;
    let password = args.admin_password.clone().map(SecretString::from);
    let mut report = crate::bootstrap::bootstrap(&bao, &token, password.as_ref()).await?;
    if let Some(file) = &args.backend_credentials {
        if write_credentials(&bao, &token, file).await? {
            report.changes.push(format!(
                "wrote the backend's credentials to {}",
                file.display()
            ));
        }
    } else {
        eprintln!(
            "note: `crypter serve --bao-addr` needs the backend's credentials: run again with \
             --backend-credentials FILE"
        );
    }
    Ok(report.changes)
}

/// Keep `file` if its credentials still log in; otherwise issue new ones. True if written.
async fn write_credentials(bao: &Bao, token: &SecretString, file: &Path) -> anyhow::Result<bool> {
    if let Ok(creds) = BackendCredentials::read(file) {
        if creds.login(bao).await.is_ok() {
            return Ok(false);
        }
    }
    crate::bootstrap::issue_credentials(bao, token)
        .await?
        .write(file)?;
    Ok(true)
}
