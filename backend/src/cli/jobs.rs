//! `crypter jobs list|show|resume`: jobs of a running Crypter, from a terminal. It logs in
//! to that Crypter with `BAO_TOKEN` (a token session that keeps the token: ending it
//! revokes nothing) and follows a resumed job's progress over its event stream.

use super::remote::{error, refused, Api, Remote};
use clap::{Args, Subcommand};
use crypter_api::{ApplyStarted, JobProgress, JobState};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::Method;
use serde_json::json;
use std::process::ExitCode;

const EXIT_APPLY_FAILED: u8 = 5;

#[derive(Args, Debug)]
pub struct JobsArgs {
    #[command(subcommand)]
    pub what: JobsWhat,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Subcommand, Debug)]
pub enum JobsWhat {
    /// The jobs you may follow, newest first.
    List,
    /// One job's progress.
    Show { id: String },
    /// Resume an interrupted apply from its saved cursor, here, and follow it to the end.
    Resume {
        id: String,
        /// Why (recorded on the job).
        #[arg(long)]
        reason: Option<String>,
    },
}

pub async fn run(args: JobsArgs) -> ExitCode {
    let api = match Api::login(&args.remote.url).await {
        Ok(a) => a,
        Err(code) => return code,
    };
    let code = match &args.what {
        JobsWhat::List => list(&api, args.remote.json).await,
        JobsWhat::Show { id } => show(&api, id, args.remote.json).await,
        JobsWhat::Resume { id, reason } => resume(&api, id, reason.as_deref()).await,
    };
    api.logout().await;
    code
}

async fn list(api: &Api, json: bool) -> ExitCode {
    let resp = match api.req(Method::GET, "/jobs").send().await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => return refused(r).await,
        Err(e) => return error(e),
    };
    let jobs: Vec<JobProgress> = match resp.json().await {
        Ok(j) => j,
        Err(e) => return error(e),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&jobs).unwrap_or_default()
        );
        return ExitCode::SUCCESS;
    }
    for j in jobs {
        println!(
            "{} {:<11} {:>6}/{:<6} {:<12} {} {}",
            j.id, j.state, j.done, j.total, j.kind, j.owner, j.started_at
        );
    }
    ExitCode::SUCCESS
}

async fn show(api: &Api, id: &str, json: bool) -> ExitCode {
    let resp = match api.req(Method::GET, &format!("/jobs/{id}")).send().await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => return refused(r).await,
        Err(e) => return error(e),
    };
    let p: JobProgress = match resp.json().await {
        Ok(p) => p,
        Err(e) => return error(e),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&p).unwrap_or_default());
    } else {
        println!(
            "{} {} {}/{} on {} (owner {})",
            p.id, p.state, p.done, p.total, p.instance, p.owner
        );
        if let Some(e) = &p.error {
            println!("  {e}");
        }
        for e in &p.events {
            println!("  {} {} {}: {}", e.at, e.actor, e.kind, e.message);
        }
    }
    ExitCode::SUCCESS
}

async fn resume(api: &Api, id: &str, reason: Option<&str>) -> ExitCode {
    let resp = api
        .req(Method::POST, &format!("/jobs/{id}/resume"))
        .json(&json!({ "reason": reason }))
        .send()
        .await;
    let started: ApplyStarted = match resp {
        Ok(r) if r.status().is_success() => match r.json().await {
            Ok(s) => s,
            Err(e) => return error(e),
        },
        Ok(r) => return refused(r).await,
        Err(e) => return error(e),
    };
    eprintln!("resumed {}; following it", started.job_id);
    follow(api, &started.job_id).await
}

/// Follow the job's event stream with a progress bar until it ends.
async fn follow(api: &Api, id: &str) -> ExitCode {
    let mut resp = match api
        .req(Method::GET, &format!("/jobs/{id}/events"))
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => return refused(r).await,
        Err(e) => return error(e),
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut buffer = String::new();
    let mut last: Option<JobProgress> = None;
    while let Ok(Some(chunk)) = resp.chunk().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let data = event
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim)
                .collect::<String>();
            if let Ok(p) = serde_json::from_str::<JobProgress>(&data) {
                bar.set_length(p.total);
                bar.set_position(p.done);
                bar.set_message(p.current.clone());
                last = Some(p);
            }
        }
    }
    match last {
        Some(p) if p.state == JobState::Done => {
            bar.finish_with_message("done");
            ExitCode::SUCCESS
        }
        Some(p) => {
            bar.abandon_with_message(p.state.as_str());
            eprintln!(
                "crypter: job {} {}: {}",
                p.id,
                p.state,
                p.error.unwrap_or_default()
            );
            ExitCode::from(EXIT_APPLY_FAILED)
        }
        None => error("the job's event stream ended without a word"),
    }
}
