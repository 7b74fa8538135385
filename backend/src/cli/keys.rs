//! `crypter keys list ENV` and `crypter keys rotate ENV NAME`: an environment's keys from a
//! terminal, straight against OpenBao with the caller's own token (`BAO_TOKEN`), so
//! OpenBao's policies decide as they do for the console.

use super::freeze::{connect, fail, print_json, StoreArgs, EXIT_ERROR};
use clap::{Args, Subcommand};
use crypter_api::{EnvName, KeyName};
use std::process::ExitCode;
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// The environment's keys: type, latest version, last rotated, rotation due.
    List { env: String },
    /// Make a new version of the key: it encrypts and signs from now on; older versions
    /// still decrypt down to the key's minimum decryption version.
    Rotate { env: String, name: String },
}

#[derive(Args, Debug)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub async fn run(args: KeysArgs) -> ExitCode {
    let op = match connect(&args.store).await {
        Ok(op) => op,
        Err(e) => {
            eprintln!("crypter: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let (bao, token) = (&op.bao, &op.token);
    let result = match &args.command {
        KeysCommand::List { env } => match EnvName::parse(env) {
            Ok(env) => list(bao, token, &env, args.store.json).await,
            Err(e) => Err(e.into()),
        },
        KeysCommand::Rotate { env, name } => match (EnvName::parse(env), KeyName::parse(name)) {
            (Ok(env), Ok(name)) => rotate(bao, token, &env, &name, args.store.json).await,
            (Err(e), _) | (_, Err(e)) => Err(e.into()),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

type Token = secrecy::SecretString;

async fn list(
    bao: &crate::bao::Bao,
    token: &Token,
    env: &EnvName,
    json: bool,
) -> Result<(), crate::error::AppError> {
    let keys = crate::keys::list(bao, token, env, OffsetDateTime::now_utc()).await?;
    if json {
        print_json(&keys);
        return Ok(());
    }
    if keys.is_empty() {
        println!("no keys in {env}");
    }
    for k in &keys {
        println!(
            "{:<32} {:<18} v{:<4} last rotated {:<25} {}",
            k.name.as_str(),
            k.key_type.as_str(),
            k.latest_version,
            k.last_rotated,
            if k.rotation_due { "ROTATION DUE" } else { "" }
        );
    }
    Ok(())
}

async fn rotate(
    bao: &crate::bao::Bao,
    token: &Token,
    env: &EnvName,
    name: &KeyName,
    json: bool,
) -> Result<(), crate::error::AppError> {
    let detail = crate::keys::rotate(bao, token, env, name).await?;
    if json {
        print_json(&detail);
    } else {
        println!(
            "rotated {env}/{}: now at v{} (decrypts down to v{})",
            name.as_str(),
            detail.key.latest_version,
            detail.key.min_decryption_version
        );
    }
    Ok(())
}
