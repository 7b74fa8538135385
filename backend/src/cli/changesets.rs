//! `crypter changesets status|plan|apply --dir DIR`: the changesets engine from a terminal,
//! straight against OpenBao with the caller's own token (`BAO_TOKEN`), with a progress bar.

use super::freeze::{connect, fail, print_json, Operator, StoreArgs, EXIT_CONFLICT, EXIT_ERROR};
use crate::changesets;
use clap::{Args, ValueEnum};
use crypter_api::{ApplyRequest, ChangesetState, JobState, NumberedItem, PlanItem};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `status`: there are pending changesets (nothing is wrong).
pub const EXIT_PENDING: u8 = 4;
/// `apply`: the job started and failed; `apply` again resumes it.
pub const EXIT_APPLY_FAILED: u8 = 5;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ChangesetsWhat {
    /// Each changeset's status (exit 0 all applied, 4 some pending, 3 changed/failed/invalid).
    Status,
    /// A dry run: counts, warnings and the plan hash (exit 0 can apply, 3 blocked).
    Plan,
    /// Apply the plan (exit 0 done, 3 refused or locked, 5 failed part-way: apply again).
    Apply,
    /// Undo an applied changeset (`undo ID`): its inverse plan from the restore point made
    /// before its apply, applied like any plan; for an undone changeset, its redo. With
    /// --dry-run only the inverse plan is shown (exit 0 can apply, 3 blocked).
    Undo,
}

#[derive(Args, Debug)]
pub struct ChangesetsArgs {
    pub what: ChangesetsWhat,
    /// undo: the changeset's id.
    pub id: Option<String>,
    /// The folder of changeset files (*.toml); an undo needs none.
    #[arg(long, env = "CRYPTER_CHANGESETS_DIR")]
    pub dir: Option<PathBuf>,
    /// undo: show the inverse plan, apply nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// apply: the plan hash you reviewed; without it, the plan made now is applied.
    #[arg(long)]
    pub plan_hash: Option<String>,
    /// plan, apply: write every item of the plan to this file, one JSON object a line.
    #[arg(long)]
    pub items: Option<PathBuf>,
    /// apply: take the lock over from a live holder (needs --reason).
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub async fn run(args: ChangesetsArgs) -> ExitCode {
    let op = match connect(&args.store).await {
        Ok(op) => op,
        Err(e) => {
            eprintln!("crypter: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let needs_dir = !matches!(args.what, ChangesetsWhat::Undo);
    if needs_dir && args.dir.is_none() {
        eprintln!("crypter: give the folder of changesets with --dir (or CRYPTER_CHANGESETS_DIR)");
        return ExitCode::from(EXIT_ERROR);
    }
    match args.what {
        ChangesetsWhat::Status => status(&op, &args).await,
        ChangesetsWhat::Plan => plan(&op, &args).await,
        ChangesetsWhat::Apply => apply(&op, args).await,
        ChangesetsWhat::Undo => undo(&op, args).await,
    }
}

async fn undo(op: &Operator, args: ChangesetsArgs) -> ExitCode {
    let Some(id) = args.id.clone() else {
        eprintln!("crypter: name the changeset to undo: crypter changesets undo ID");
        return ExitCode::from(EXIT_ERROR);
    };
    let plan = match changesets::undo(&op.bao, &op.token, &id).await {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    if let Err(code) = write_items(args.items.as_deref(), &plan.items) {
        return code;
    }
    if args.store.json && args.dry_run {
        print_json(&plan.view);
    } else {
        print_plan(&plan.view);
    }
    if !plan.view.blockers.is_empty() {
        return ExitCode::from(EXIT_CONFLICT);
    }
    if args.dry_run {
        return ExitCode::SUCCESS;
    }
    let hash = plan.hash.clone();
    apply(
        op,
        ChangesetsArgs {
            plan_hash: Some(args.plan_hash.clone().unwrap_or(hash)),
            ..args
        },
    )
    .await
}

async fn status(op: &Operator, args: &ChangesetsArgs) -> ExitCode {
    let all = match changesets::status(&op.bao, &op.token, args.dir.as_deref()).await {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    if args.store.json {
        print_json(&all);
    } else {
        for s in &all {
            println!(
                "{:<9} {:<32} {}",
                s.status,
                s.id,
                s.checksum.as_deref().unwrap_or("-")
            );
            for extra in [&s.error, &s.accepted_reason, &s.diff]
                .into_iter()
                .flatten()
            {
                println!("  {}", extra.replace('\n', "\n  "));
            }
        }
    }
    if all.iter().any(|s| {
        matches!(
            s.status,
            ChangesetState::Changed | ChangesetState::Failed | ChangesetState::Invalid
        )
    }) {
        ExitCode::from(EXIT_CONFLICT)
    } else if all.iter().any(|s| s.status == ChangesetState::Pending) {
        ExitCode::from(EXIT_PENDING)
    } else {
        ExitCode::SUCCESS
    }
}

async fn plan(op: &Operator, args: &ChangesetsArgs) -> ExitCode {
    match changesets::plan(&op.bao, &op.token, args.dir.as_deref()).await {
        Ok(plan) => {
            if let Err(code) = write_items(args.items.as_deref(), &plan.items) {
                return code;
            }
            if args.store.json {
                print_json(&plan.view);
            } else {
                print_plan(&plan.view);
            }
            if plan.view.blockers.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_CONFLICT)
            }
        }
        Err(e) => fail(&e),
    }
}

async fn apply(op: &Operator, args: ChangesetsArgs) -> ExitCode {
    let dir = args.dir.as_deref();
    let plan_hash = match args.plan_hash {
        Some(h) => h,
        None => match changesets::plan(&op.bao, &op.token, dir).await {
            Ok(p) => {
                if let Err(code) = write_items(args.items.as_deref(), &p.items) {
                    return code;
                }
                print_plan(&p.view);
                p.view.plan_hash.clone()
            }
            Err(e) => return fail(&e),
        },
    };
    let req = ApplyRequest {
        plan_hash,
        force: args.force,
        reason: args.reason,
    };
    // The job lives in this process only: the CLI holds no backend identity.
    let jobs = crate::jobs::Jobs::new(
        None,
        std::sync::Arc::new(crate::clock::SystemClock),
        crate::jobs::JobTiming::default(),
    );
    let cx = changesets::ApplyContext::new(&op.bao, &jobs, &op.token, dir, &op.name, None);
    let started = match changesets::apply(&cx, &req, None).await {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if let Some(old) = &started.taken_over_from {
        eprintln!("took the lock over from {} on {}", old.holder, old.host);
    }
    let code = watch(&started.job).await;
    // The runner releases the lock after the job's last progress: wait for it.
    while jobs.local(&started.job_id).is_some() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    code
}

/// Every item, one JSON object a line (versions and same/different; never a value).
fn write_items(file: Option<&std::path::Path>, items: &[PlanItem]) -> Result<(), ExitCode> {
    let Some(file) = file else {
        return Ok(());
    };
    let mut text = String::new();
    for (n, item) in items.iter().enumerate() {
        let line = serde_json::to_string(&NumberedItem {
            n: n as u64,
            item: item.clone(),
        })
        .unwrap_or_default();
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(file, text).map_err(|e| {
        eprintln!("crypter: cannot write {}: {e}", file.display());
        ExitCode::from(EXIT_ERROR)
    })?;
    eprintln!("{} items written to {}", items.len(), file.display());
    Ok(())
}

fn counts_line(counts: &crypter_api::ItemCounts) -> String {
    if counts.is_empty() {
        return "nothing to do".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join("  ")
}

fn print_plan(plan: &crypter_api::ChangesetPlan) {
    for cs in &plan.changesets {
        println!(
            "{} ({}) -> {}: {} items",
            cs.id, cs.status, cs.environment, cs.items
        );
        for o in &cs.operations {
            println!(
                "  {:>2}. {:<60} {}",
                o.index + 1,
                o.summary,
                counts_line(&o.counts)
            );
        }
    }
    println!("items: {}", counts_line(&plan.counts));
    for w in &plan.warnings {
        println!("warning [{}] {}: {}", w.code, w.changeset, w.message);
    }
    for b in &plan.blockers {
        println!("blocked: {b}");
    }
    println!("plan_hash: {}", plan.plan_hash);
}

async fn watch(job: &crate::jobs::JobHandle) -> ExitCode {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut rx = job.subscribe();
    loop {
        let p = rx.borrow_and_update().clone();
        bar.set_length(p.total);
        bar.set_position(p.done);
        bar.set_message(p.current.clone());
        match p.state {
            JobState::Running => {
                if rx.changed().await.is_err() {
                    bar.abandon();
                    return ExitCode::from(EXIT_ERROR);
                }
            }
            JobState::Done => {
                bar.finish_with_message("done");
                return ExitCode::SUCCESS;
            }
            JobState::Failed | JobState::Interrupted => {
                bar.abandon_with_message(p.state.as_str());
                eprintln!(
                    "crypter: the apply {}: {}; run apply again to resume",
                    p.state,
                    p.error.unwrap_or_default()
                );
                return ExitCode::from(EXIT_APPLY_FAILED);
            }
        }
    }
}
