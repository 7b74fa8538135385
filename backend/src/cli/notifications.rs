//! `crypter notifications list|add|remove|test`: subscriptions of a running Crypter, from a
//! terminal. It logs in to that Crypter with `BAO_TOKEN` (a token session that keeps the
//! token), because only the backend can seal a new subscription's signing secret; OpenBao
//! still decides, with that token, who may manage subscriptions.

use super::freeze::EXIT_ERROR;
use super::remote::{decode, error, Api, Remote};
use clap::{Args, Subcommand};
use crypter_api::{
    DeliveryResult, NotificationTarget, Subscription, SubscriptionCreate, SubscriptionCreated,
    TargetKind,
};
use reqwest::Method;
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct NotificationsArgs {
    #[command(subcommand)]
    pub what: NotificationsWhat,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Subcommand, Debug)]
pub enum NotificationsWhat {
    /// Every subscription.
    List,
    /// Subscribe a webhook (or Slack) to events; prints the signing secret, once.
    Add {
        name: String,
        /// The receiver: https://… (http:// only to a loopback address).
        url: String,
        /// `webhook` or `slack`.
        #[arg(long, default_value = "webhook")]
        kind: String,
        /// An environment to watch (repeat; none: all).
        #[arg(long = "env")]
        environments: Vec<String>,
        /// Only paths starting with this.
        #[arg(long, default_value = "")]
        path_prefix: String,
        /// An action (repeat), e.g. credential.write.
        #[arg(long = "action", required = true)]
        actions: Vec<String>,
    },
    /// Remove a subscription.
    Remove { id: String },
    /// Send a sample event to the subscription's receiver and print its answer.
    Test { id: String },
}

pub async fn run(args: NotificationsArgs) -> ExitCode {
    let api = match Api::login(&args.remote.url).await {
        Ok(a) => a,
        Err(code) => return code,
    };
    let done = act(&api, &args.what, args.remote.json).await;
    api.logout().await;
    done.err().unwrap_or(ExitCode::SUCCESS)
}

async fn act(api: &Api, what: &NotificationsWhat, json: bool) -> Result<(), ExitCode> {
    let answer = match what {
        NotificationsWhat::List => {
            api.send(api.req(Method::GET, "/notifications/subscriptions"))
                .await?
        }
        NotificationsWhat::Add {
            name,
            url,
            kind,
            environments,
            path_prefix,
            actions,
        } => {
            let kind =
                TargetKind::parse(kind).ok_or_else(|| error("--kind is webhook or slack"))?;
            let body = SubscriptionCreate {
                name: name.clone(),
                target: NotificationTarget {
                    kind,
                    url: url.clone(),
                },
                environments: environments.clone(),
                path_prefix: path_prefix.clone(),
                actions: actions.clone(),
            };
            api.send(
                api.req(Method::POST, "/notifications/subscriptions")
                    .json(&body),
            )
            .await?
        }
        NotificationsWhat::Remove { id } => {
            api.send(api.req(
                Method::DELETE,
                &format!("/notifications/subscriptions/{id}"),
            ))
            .await?
        }
        NotificationsWhat::Test { id } => {
            let path = format!("/notifications/subscriptions/{id}/test");
            api.send(api.req(Method::POST, &path).json(&json!({})))
                .await?
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
        return Ok(());
    }
    print(what, answer)
}

fn print(what: &NotificationsWhat, answer: Value) -> Result<(), ExitCode> {
    match what {
        NotificationsWhat::List => {
            for s in decode::<Vec<Subscription>>(answer)? {
                let envs = if s.environments.is_empty() {
                    "*".into()
                } else {
                    s.environments.join(",")
                };
                let actions: Vec<&str> = s.actions.iter().map(|a| a.as_str()).collect();
                println!(
                    "{}  {:<24} {:<7} {}  envs={envs} prefix={:?} actions={}",
                    s.id,
                    s.name,
                    s.target.kind.as_str(),
                    s.target.url,
                    s.path_prefix,
                    actions.join(",")
                );
            }
        }
        NotificationsWhat::Add { .. } => {
            let made: SubscriptionCreated = decode(answer)?;
            println!("subscription {} made", made.subscription.id);
            println!(
                "signing secret (shown once, keep it with the receiver): {}",
                made.secret
            );
        }
        NotificationsWhat::Remove { id } => println!("subscription {id} removed"),
        NotificationsWhat::Test { .. } => {
            let r: DeliveryResult = decode(answer)?;
            let status = r.status.map_or("no answer".into(), |s| format!("HTTP {s}"));
            println!(
                "{} ({status}, {} ms): {}",
                if r.delivered {
                    "delivered"
                } else {
                    "not delivered"
                },
                r.millis,
                r.detail
            );
            if !r.delivered {
                return Err(ExitCode::from(EXIT_ERROR));
            }
        }
    }
    Ok(())
}
