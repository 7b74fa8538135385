//! `crypter runbook start|status|run-step|report`: the runbook flow from a terminal,
//! straight against OpenBao with the operator's own token (`BAO_TOKEN`).

use super::freeze::{
    connect, fail, print_json, Operator, StoreArgs, EXIT_ERROR, EXIT_NOT_VERIFIED,
};
use crate::error::AppError;
use crate::runbooks::{self, store, Actor};
use clap::{Args, Subcommand, ValueEnum};
use crypter_api::StepState;
use crypter_api::{EnvName, Runbook, RunbookStart, SignoffRequest};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct RunbookArgs {
    #[command(subcommand)]
    pub command: RunbookCommand,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Subcommand, Debug)]
pub enum RunbookCommand {
    /// Start a run from a template; prints its id.
    Start {
        #[arg(long, default_value = "store-migration")]
        template: String,
        #[arg(long)]
        title: String,
        /// A target environment (repeat for several).
        #[arg(long = "env", required = true, value_parser = EnvName::parse)]
        environments: Vec<EnvName>,
        /// Every go/no-go must be signed by an approver of each target environment that
        /// has an approval rule.
        #[arg(long)]
        signoff_by_approvers: bool,
    },
    /// Every run, or one run's checklist.
    Status { id: Option<String> },
    /// Act on a step: run it (default), sign it off, skip it or complete it.
    RunStep {
        id: String,
        step: String,
        #[arg(long, value_enum, default_value = "run")]
        action: StepAction,
        /// The plan hash you read (for a sign-off).
        #[arg(long)]
        plan_hash: Option<String>,
        /// Why the step is skipped.
        #[arg(long)]
        reason: Option<String>,
        /// A note for a completed step or a sign-off.
        #[arg(long)]
        note: Option<String>,
        /// Where the changesets are (besides the uploaded ones).
        #[arg(long)]
        changesets_dir: Option<PathBuf>,
    },
    /// Print the Markdown report.
    Report { id: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StepAction {
    Run,
    Signoff,
    Skip,
    Complete,
}

fn print_run(run: &Runbook) {
    println!(
        "{} {} [{}] lead {}",
        run.id, run.title, run.status, run.lead
    );
    let current = runbooks::current(run).map(|s| s.step.id.clone());
    for s in &run.steps {
        let mark = if current.as_deref() == Some(s.step.id.as_str()) {
            ">"
        } else {
            " "
        };
        println!(
            "{mark} {:<16} {:<20} {:<16} {}",
            s.state,
            s.step.id,
            s.step.kind,
            s.summary.as_deref().unwrap_or("")
        );
    }
}

pub async fn run(args: RunbookArgs) -> ExitCode {
    let op = match connect(&args.store).await {
        Ok(op) => op,
        Err(e) => {
            eprintln!("crypter: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let (bao, token, who, json) = (&op.bao, &op.token, op.name.as_str(), args.store.json);
    match args.command {
        RunbookCommand::Start {
            template,
            title,
            environments,
            signoff_by_approvers,
        } => {
            let req = RunbookStart {
                template,
                title,
                environments,
                signoff_by_approvers,
            };
            show(runbooks::start(bao, token, who, &req).await, json)
        }
        RunbookCommand::Status { id: None } => list_runs(&op, json).await,
        RunbookCommand::Status { id: Some(id) } => {
            show(store::load(bao, token, &id).await.map(|r| r.0), json)
        }
        RunbookCommand::Report { id } => match store::load(bao, token, &id).await {
            Ok((run, _)) => {
                print!("{}", runbooks::report::render(&run));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        RunbookCommand::RunStep {
            id,
            step,
            action,
            plan_hash,
            reason,
            note,
            changesets_dir,
        } => {
            let inputs = StepInputs {
                plan_hash,
                reason,
                note,
                changesets_dir,
            };
            match act_on_step(&op, &id, &step, action, inputs).await {
                Ok(run) => {
                    show_run(&run, json);
                    let failed = run
                        .steps
                        .iter()
                        .any(|s| s.step.id == step && s.state == StepState::Failed);
                    if failed {
                        ExitCode::from(EXIT_NOT_VERIFIED)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => fail(&e),
            }
        }
    }
}

fn show(result: Result<Runbook, AppError>, json: bool) -> ExitCode {
    match result {
        Ok(run) => {
            show_run(&run, json);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn show_run(run: &Runbook, json: bool) {
    if json {
        print_json(run);
    } else {
        print_run(run);
    }
}

/// `runbook status` without an id: one line per run.
async fn list_runs(op: &Operator, json: bool) -> ExitCode {
    match store::list(&op.bao, &op.token).await {
        Ok(list) if json => {
            print_json(&list);
            ExitCode::SUCCESS
        }
        Ok(list) => {
            for r in list {
                println!(
                    "{} {:<12} {}/{} {} ({})",
                    r.id,
                    r.status,
                    r.passed,
                    r.total,
                    r.title,
                    r.current_step.unwrap_or_default()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

/// What `run-step` was given besides the run, the step and the action.
struct StepInputs {
    plan_hash: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    changesets_dir: Option<PathBuf>,
}

async fn act_on_step(
    op: &Operator,
    id: &str,
    step: &str,
    action: StepAction,
    inputs: StepInputs,
) -> Result<Runbook, AppError> {
    let (bao, token, who) = (&op.bao, &op.token, op.name.as_str());
    match action {
        StepAction::Run => {
            // As `crypter snapshot`: the snapshot step keeps its snapshots here.
            let snapshots_dir = std::env::var_os("CRYPTER_SNAPSHOTS_DIR").map(PathBuf::from);
            // Jobs of this process only: the CLI holds no backend identity.
            let jobs = crate::jobs::Jobs::new(
                None,
                std::sync::Arc::new(crate::clock::SystemClock),
                crate::jobs::JobTiming::default(),
            );
            let actor = Actor {
                name: who,
                policies: &op.policies,
                changesets_dir: inputs.changesets_dir.as_deref(),
                feed: None,
                entity_id: None,
                jobs: &jobs,
                snapshots: runbooks::SnapshotPlace {
                    dir: snapshots_dir.as_deref(),
                    embedded_data_dir: None,
                },
            };
            let run = runbooks::run_step(bao, token, &actor, id, step).await?;
            wait_for_step(bao, token, &jobs, run, step).await
        }
        StepAction::Signoff => {
            let req = SignoffRequest {
                plan_hash: inputs.plan_hash,
                note: inputs.note,
            };
            runbooks::signoff(bao, token, who, id, step, &req).await
        }
        StepAction::Skip => {
            runbooks::skip(bao, token, who, id, step, inputs.reason.as_deref()).await
        }
        StepAction::Complete => {
            runbooks::complete(bao, token, who, id, step, inputs.note.as_deref()).await
        }
    }
}

/// The apply step answers at once and runs as a job of this process: wait for it to end
/// and record its outcome, then read the run again.
async fn wait_for_step(
    bao: &crate::bao::Bao,
    token: &secrecy::SecretString,
    jobs: &crate::jobs::Jobs,
    run: Runbook,
    step: &str,
) -> Result<Runbook, crate::error::AppError> {
    let job = run
        .steps
        .iter()
        .find(|s| s.step.id == step && s.state == StepState::Running)
        .and_then(|s| s.job.clone());
    let Some(job) = job else {
        return Ok(run);
    };
    if let Some(handle) = jobs.local(&job) {
        let p = crate::changesets::wait(&handle).await;
        eprintln!(
            "job {}: {} ({} of {} items)",
            p.id, p.state, p.done, p.total
        );
    }
    while jobs.local(&job).is_some() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    store::load(bao, token, &run.id).await.map(|(r, _)| r)
}
