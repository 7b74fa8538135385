//! `crypter snapshot take|drill|list`: store snapshots from a terminal. Without
//! `--bao-addr`, the embedded store under `--data-dir` (its address, root token and unseal
//! key come from the files its first start wrote); with it, an OpenBao you run, with
//! `BAO_TOKEN`, and for a drill the unseal key(s) from `CRYPTER_UNSEAL_KEYS` or stdin.

use super::freeze::{print_json, EXIT_ERROR, EXIT_NOT_VERIFIED};
use crate::bao::Bao;
use crate::snapshots::{self, DrillOptions, DrillReport, Folder, SnapshotRecord};
use clap::{Args, Subcommand};
use secrecy::SecretString;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum SnapshotCommand {
    /// Take a Raft snapshot of the store into the snapshots folder, encrypted, with its
    /// checksums and the store's identity in a record beside it.
    Take,
    /// Restore a snapshot on a scratch OpenBao (never on the live store), unseal it with
    /// the store's own key(s), compare sampled credentials and the policy set with the
    /// live store, and report the time to recover (RTO). Exit 2 when it does not pass.
    Drill {
        /// The snapshot's id (default: the latest).
        id: Option<String>,
        /// How many credentials to compare, drawn from every environment.
        #[arg(long, default_value_t = 20)]
        sample: usize,
        /// With --bao-addr: read the unseal key(s) from stdin, one a line (else from
        /// CRYPTER_UNSEAL_KEYS, comma-separated). They are used and never stored.
        #[arg(long)]
        unseal_keys_stdin: bool,
    },
    /// The snapshots in the folder: id, time, size, checksum and the last drill.
    List,
}

#[derive(Args, Debug)]
pub struct SnapshotArgs {
    #[command(subcommand)]
    pub command: SnapshotCommand,
    /// An OpenBao you run (token in BAO_TOKEN). Without it: the embedded store.
    #[arg(long, env = "BAO_ADDR", global = true)]
    pub bao_addr: Option<String>,
    /// The embedded store's data directory (as given to `crypter serve`).
    #[arg(long, env = "CRYPTER_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// The snapshots folder (default: <data-dir>/snapshots).
    #[arg(long, env = "CRYPTER_SNAPSHOTS_DIR", global = true)]
    pub dir: Option<PathBuf>,
    /// The key that encrypts snapshots, made on the first take (default:
    /// <dir>/snapshot.key). Keep it apart from the snapshots to keep them apart from it.
    #[arg(long, env = "CRYPTER_SNAPSHOT_KEY_FILE", global = true)]
    pub key_file: Option<PathBuf>,
    /// Print JSON instead of a summary.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The store a command acts on, and what it acts with.
struct Target {
    bao: Bao,
    token: SecretString,
    /// The embedded store's own unseal key; empty for a store you run.
    unseal_keys: Vec<SecretString>,
}

fn target(args: &SnapshotArgs) -> Result<Target, String> {
    let env_token = std::env::var("BAO_TOKEN").ok().map(SecretString::from);
    if let Some(addr) = &args.bao_addr {
        let token = env_token.ok_or(
            "set BAO_TOKEN to an OpenBao token with sudo on sys/storage/raft (root's or an \
             operator's)",
        )?;
        let bao = Bao::new(addr).map_err(|e| e.to_string())?;
        return Ok(Target {
            bao,
            token,
            unseal_keys: Vec::new(),
        });
    }
    let files = crate::embedded::read_embedded(&args.data_dir).map_err(|e| format!("{e:#}"))?;
    let bao = Bao::new(&format!("http://{}", files.addr)).map_err(|e| e.to_string())?;
    Ok(Target {
        bao,
        token: env_token.unwrap_or(files.root_token),
        unseal_keys: vec![files.unseal_key],
    })
}

pub async fn run(args: SnapshotArgs) -> ExitCode {
    let folder = match &args.dir {
        Some(dir) => Folder::new(dir.clone(), args.key_file.clone()),
        None => Folder::new(args.data_dir.join("snapshots"), args.key_file.clone()),
    };
    let result = match &args.command {
        SnapshotCommand::List => list(&folder, args.json),
        SnapshotCommand::Take => take(&args, &folder).await,
        SnapshotCommand::Drill {
            id,
            sample,
            unseal_keys_stdin,
        } => drill(&args, &folder, id.as_deref(), *sample, *unseal_keys_stdin).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("crypter: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn take(args: &SnapshotArgs, folder: &Folder) -> Result<ExitCode, String> {
    let t = target(args)?;
    let record = snapshots::take(&t.bao, &t.token, folder)
        .await
        .map_err(|e| e.to_string())?;
    if args.json {
        print_json(&record);
    } else {
        println!(
            "took snapshot {} of {} (cluster {}): {}, sha256:{}, in {:.1} s",
            record.id,
            record.store.addr,
            record.store.cluster_id,
            size(record.size_bytes),
            record.sha256,
            record.take_seconds
        );
        println!(
            "  kept encrypted in {}",
            folder.dir.join(&record.file).display()
        );
        println!("next: crypter snapshot drill {}", record.id);
    }
    Ok(ExitCode::SUCCESS)
}

async fn drill(
    args: &SnapshotArgs,
    folder: &Folder,
    id: Option<&str>,
    sample: usize,
    keys_from_stdin: bool,
) -> Result<ExitCode, String> {
    let mut t = target(args)?;
    if args.bao_addr.is_some() {
        t.unseal_keys = supplied_unseal_keys(keys_from_stdin)?;
    }
    let id = match id {
        Some(id) => id.to_owned(),
        None => snapshots::list(folder)
            .map_err(|e| e.to_string())?
            .pop()
            .map(|r| r.id)
            .ok_or_else(|| {
                format!(
                    "there is no snapshot in {}: take one with `crypter snapshot take`",
                    folder.dir.display()
                )
            })?,
    };
    let options = DrillOptions {
        unseal_keys: t.unseal_keys,
        sample,
    };
    // On Ctrl-C or SIGTERM the drill is dropped, which kills the scratch store and
    // deletes its folder.
    let drilled = snapshots::drill(&t.bao, &t.token, folder, &id, &options);
    let report = tokio::select! {
        r = drilled => r.map_err(|e| e.to_string())?,
        () = crate::startup::shutdown_signal() => {
            return Err("interrupted: the scratch store was stopped and deleted".into());
        }
    };
    if args.json {
        print_json(&report);
    } else {
        print_drill(&report);
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_VERIFIED)
    })
}

/// The unseal keys of a store you run: from stdin, or `CRYPTER_UNSEAL_KEYS`.
fn supplied_unseal_keys(from_stdin: bool) -> Result<Vec<SecretString>, String> {
    let text = if from_stdin {
        let mut lines = Vec::new();
        for line in std::io::stdin().lock().lines() {
            lines.push(line.map_err(|e| format!("reading the unseal keys from stdin: {e}"))?);
        }
        lines.join(",")
    } else {
        std::env::var("CRYPTER_UNSEAL_KEYS").unwrap_or_default()
    };
    let keys: Vec<SecretString> = text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| SecretString::from(k.to_owned()))
        .collect();
    if keys.is_empty() {
        return Err(
            "a drill unseals the restored copy with the store's own unseal key(s): set \
                    CRYPTER_UNSEAL_KEYS (comma-separated) or pipe them, one a line, with \
                    --unseal-keys-stdin. They are used and never stored"
                .into(),
        );
    }
    Ok(keys)
}

fn print_drill(r: &DrillReport) {
    println!(
        "{} snapshot {}: restored and unsealed on a scratch store in {:.1} s (RTO)",
        if r.passed { "PASSED" } else { "FAILED" },
        r.snapshot,
        r.rto_seconds.unwrap_or_default()
    );
    if let Some(c) = &r.credentials {
        println!(
            "  credentials: {} sampled of {} in {} environment(s): {} matched, {} changed since \
             the snapshot, {} mismatched",
            c.sampled,
            c.in_snapshot,
            c.mounts.len(),
            c.matched,
            c.changed_since,
            c.mismatched.len()
        );
        for path in &c.mismatched {
            println!("    MISMATCH {path}");
        }
    }
    if let Some(p) = &r.policies {
        if p.matched {
            println!("  policies: {} policies, all matched", p.count);
        } else {
            println!("  policies: DIFFER: {}", p.differing.join(", "));
        }
    }
    if let Some(ph) = &r.phases {
        println!(
            "  {:.1} s in all: verify {:.1}, start scratch {:.1}, restore {:.1}, unseal {:.1}, \
             compare {:.1}",
            r.total_seconds, ph.verify_file, ph.start_scratch, ph.restore, ph.unseal, ph.compare
        );
    }
}

fn list(folder: &Folder, json: bool) -> Result<ExitCode, String> {
    let all = snapshots::list(folder).map_err(|e| e.to_string())?;
    if json {
        print_json(&all);
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        println!("no snapshots in {}", folder.dir.display());
    }
    for r in &all {
        println!(
            "{:<24} {:<22} {:>10}  sha256:{}  {}",
            r.id,
            r.taken_at,
            size(r.size_bytes),
            &r.sha256[..r.sha256.len().min(16)],
            drill_summary(r)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn drill_summary(r: &SnapshotRecord) -> String {
    match &r.drill {
        None => "not drilled".into(),
        Some(d) if d.passed => format!(
            "drill PASSED {} (RTO {:.1} s)",
            d.drilled_at,
            d.rto_seconds.unwrap_or_default()
        ),
        Some(d) => format!("drill FAILED {}", d.drilled_at),
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}
