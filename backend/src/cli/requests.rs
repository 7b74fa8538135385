//! `crypter requests list|show|approve|reject`: approval requests on a running Crypter,
//! from a terminal, with the caller's own `BAO_TOKEN` (so OpenBao decides who may vote).

use super::remote::{decode, Api, Remote};
use clap::{Args, Subcommand};
use crypter_api::{ApprovalRequest, VoteCast};
use reqwest::Method;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct RequestsArgs {
    #[command(subcommand)]
    pub what: RequestsWhat,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Subcommand, Debug)]
pub enum RequestsWhat {
    /// The requests you may see: your own, those you may approve (all, for admins).
    List,
    /// One request, with its votes.
    Show { id: String },
    /// Approve; the last approval carries the change out.
    Approve {
        id: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Reject; one rejection closes the request.
    Reject {
        id: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
}

pub async fn run(args: RequestsArgs) -> ExitCode {
    let api = match Api::login(&args.remote.url).await {
        Ok(a) => a,
        Err(code) => return code,
    };
    let done = act(&api, &args.what, args.remote.json).await;
    api.logout().await;
    done.err().unwrap_or(ExitCode::SUCCESS)
}

async fn act(api: &Api, what: &RequestsWhat, json: bool) -> Result<(), ExitCode> {
    let answer = match what {
        RequestsWhat::List => api.send(api.req(Method::GET, "/requests")).await?,
        RequestsWhat::Show { id } => {
            api.send(api.req(Method::GET, &format!("/requests/{id}")))
                .await?
        }
        RequestsWhat::Approve { id, comment } | RequestsWhat::Reject { id, comment } => {
            let verb = if matches!(what, RequestsWhat::Approve { .. }) {
                "approve"
            } else {
                "reject"
            };
            let body = VoteCast {
                comment: comment.clone(),
            };
            let path = format!("/requests/{id}/{verb}");
            api.send(api.req(Method::POST, &path).json(&body)).await?
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
        return Ok(());
    }
    let list: Vec<ApprovalRequest> = match what {
        RequestsWhat::List => decode(answer)?,
        _ => vec![decode::<ApprovalRequest>(answer)?],
    };
    for r in &list {
        println!("{}", line(r));
        if !matches!(what, RequestsWhat::List) {
            details(r);
        }
    }
    Ok(())
}

/// `<id>  <state>  <environment>  <change> <path>  by <requester>`.
pub fn line(r: &ApprovalRequest) -> String {
    let path = r.change.path().unwrap_or("(the approval rule)");
    format!(
        "{}  {:<8}  {}  {} {}  by {}",
        r.id,
        r.state.as_str(),
        r.environment,
        r.change.label(),
        path,
        r.requested_by
    )
}

fn details(r: &ApprovalRequest) {
    println!("  requested {}, expires {}", r.created_at, r.expires_at);
    println!(
        "  approvals needed: {} ({} vote(s))",
        r.required,
        r.votes.len()
    );
    for v in &r.votes {
        let verb = if v.approve { "approved" } else { "rejected" };
        println!("  {verb} by {} at {}: {}", v.by, v.at, v.comment);
    }
    if let Some(o) = &r.outcome {
        println!("  {o}");
    }
}
