//! `crypter freeze …` and `crypter thaw`: the freeze engine from a terminal, straight
//! against OpenBao with the operator's own token (`BAO_TOKEN`).

use crate::bao::Bao;
use crate::error::AppError;
use clap::{Args, ValueEnum};
use crypter_api::FreezeTarget;
use secrecy::SecretString;
use serde_json::Value;
use std::process::ExitCode;

/// Where the store is and who acts. The token is read from the environment only, so it
/// never shows in `ps` or shell history.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// The OpenBao address.
    #[arg(long, env = "BAO_ADDR", default_value = "http://127.0.0.1:8200")]
    pub bao_addr: String,
    /// Print the full JSON result instead of a summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FreezeWhat {
    /// Freeze roles, grants, policies, auth roles, users, environments and mounts.
    Provisioning,
    /// Also freeze every credential write, delete and destroy, and secret-ids.
    Full,
    /// Prove the freeze with live write probes (exit 2 if it does not hold).
    Verify,
    /// Show the current freeze.
    Status,
}

#[derive(Args, Debug)]
pub struct FreezeArgs {
    pub what: FreezeWhat,
    /// Why (required to freeze); shown to everyone.
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Args, Debug)]
pub struct ThawArgs {
    /// Restore even policies that changed while frozen (needs --reason).
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub reason: Option<String>,
    /// Restore from this version of the freeze snapshot (with --force and --reason), when
    /// the current one is damaged: a refused thaw names the good versions.
    #[arg(long)]
    pub snapshot_version: Option<u64>,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Exit codes scripts can rely on.
pub const EXIT_ERROR: u8 = 1;
pub const EXIT_NOT_VERIFIED: u8 = 2;
pub const EXIT_CONFLICT: u8 = 3;

pub(super) struct Operator {
    pub(super) bao: Bao,
    pub(super) token: SecretString,
    pub(super) name: String,
    pub(super) policies: Vec<String>,
}

pub(super) async fn connect(store: &StoreArgs) -> Result<Operator, String> {
    let token = std::env::var("BAO_TOKEN")
        .map_err(|_| "set BAO_TOKEN to your OpenBao token (an operator's)".to_owned())?;
    let token = SecretString::from(token);
    let bao = Bao::new(&store.bao_addr).map_err(|e| e.to_string())?;
    let me = bao
        .request(
            reqwest::Method::GET,
            "auth/token/lookup-self",
            Some(&token),
            None,
        )
        .await
        .map_err(|e| format!("cannot use BAO_TOKEN: {e}"))?
        .unwrap_or_default();
    let data = me.get("data").cloned().unwrap_or_default();
    Ok(Operator {
        bao,
        token,
        name: data["display_name"].as_str().unwrap_or("token").to_owned(),
        policies: data["policies"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

pub(super) fn fail(e: &AppError) -> ExitCode {
    eprintln!("crypter: {}", e.cause_chain());
    if let AppError::ConflictDetails { details, .. } = e {
        if let Some(conflicts) = details.get("conflicts").and_then(Value::as_array) {
            for c in conflicts {
                eprintln!("{}", c["diff"].as_str().unwrap_or_default());
            }
        }
    }
    match e {
        AppError::Conflict(..) | AppError::ConflictDetails { .. } => ExitCode::from(EXIT_CONFLICT),
        _ => ExitCode::from(EXIT_ERROR),
    }
}

pub(super) fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

pub async fn run_freeze(args: FreezeArgs) -> ExitCode {
    let op = match connect(&args.store).await {
        Ok(op) => op,
        Err(e) => {
            eprintln!("crypter: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let level = match args.what {
        FreezeWhat::Status => {
            return match crate::freeze::load_record(&op.bao, &op.token).await {
                Ok((record, _)) => {
                    let s = record.to_state();
                    if args.store.json {
                        print_json(&s);
                    } else {
                        println!("level: {}", s.level);
                        if s.level != "none" {
                            println!(
                                "since: {} by {}",
                                s.since.unwrap_or_default(),
                                s.by.unwrap_or_default()
                            );
                            println!("reason: {}", s.reason.unwrap_or_default());
                            println!("policies rewritten: {}", s.policies.join(", "));
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            };
        }
        FreezeWhat::Verify => return run_verify(&op, args.store.json).await,
        FreezeWhat::Provisioning => FreezeTarget::Provisioning,
        FreezeWhat::Full => FreezeTarget::Full,
    };
    let Some(reason) = args.reason.filter(|r| !r.trim().is_empty()) else {
        eprintln!("crypter: give a --reason for the freeze; it is shown to everyone");
        return ExitCode::from(EXIT_ERROR);
    };
    let actor = crate::freeze::Actor {
        name: &op.name,
        policies: &op.policies,
    };
    match crate::freeze::freeze(&op.bao, &op.token, &actor, level, &reason).await {
        Ok(state) => {
            if args.store.json {
                print_json(&state);
            } else {
                println!(
                    "frozen at {}: {} policies rewritten ({})",
                    state.level,
                    state.policies.len(),
                    state.policies.join(", ")
                );
                println!("next: crypter freeze verify");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

async fn run_verify(op: &Operator, json: bool) -> ExitCode {
    match crate::freeze::verify::verify(&op.bao, &op.token, &op.name).await {
        Ok(v) => {
            if json {
                print_json(&v);
            } else {
                for p in &v.probes {
                    println!(
                        "{:4}  {:<20} {:<22} {:<55} expected {:<8} got {}",
                        p.status, p.policy, p.operation, p.path, p.expected, p.got
                    );
                }
                for e in &v.exemptions {
                    println!("exempt: {} ({})", e.name, e.why);
                }
                let failed = v.probes.iter().filter(|p| p.status != "pass").count();
                println!(
                    "{}: {} probes, {failed} did not match",
                    if v.verified {
                        "VERIFIED"
                    } else {
                        "NOT VERIFIED"
                    },
                    v.probes.len()
                );
            }
            if v.verified {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_NOT_VERIFIED)
            }
        }
        Err(e) => fail(&e),
    }
}

pub async fn run_thaw(args: ThawArgs) -> ExitCode {
    let op = match connect(&args.store).await {
        Ok(op) => op,
        Err(e) => {
            eprintln!("crypter: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match crate::freeze::thaw(
        &op.bao,
        &op.token,
        &op.name,
        crate::freeze::ThawOptions {
            force: args.force,
            reason: args.reason.as_deref(),
            snapshot_version: args.snapshot_version,
        },
    )
    .await
    {
        Ok(r) => {
            if args.store.json {
                print_json(&r);
            } else {
                for p in &r.restored {
                    println!(
                        "{} {} sha256:{}",
                        if p.matches_snapshot {
                            "restored"
                        } else {
                            "MISMATCH"
                        },
                        p.policy,
                        p.sha256
                    );
                }
                println!("thawed ({} policies restored)", r.restored.len());
            }
            if r.restored.iter().all(|p| p.matches_snapshot) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_ERROR)
            }
        }
        Err(e) => fail(&e),
    }
}
