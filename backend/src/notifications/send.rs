//! One delivery: the body for the target's kind, signed, POSTed with a timeout and without
//! following redirects (a redirect could lead into the store), the receiver's answer kept
//! short. A 2xx is delivered; anything else is retried by the caller.

use super::sign;
use crypter_api::{ActivityEvent, DeliveryResult, NotificationPayload, TargetKind};
use std::time::{Duration, Instant};

/// What a receiver's answer is cut to.
const DETAIL_BYTES: usize = 512;

/// The payload of `event` for subscription `subscription`: never a value (the feed keeps
/// none), nor a token or a digest.
pub fn payload(event: &ActivityEvent, subscription: &str) -> NotificationPayload {
    let path = match &event.environment {
        Some(env) => event
            .target
            .strip_prefix(&format!("{env}/"))
            .unwrap_or(&event.target)
            .to_owned(),
        None => event.target.clone(),
    };
    let link = match (&event.environment, event.action.noun()) {
        (Some(env), "credential" | "reminder") => {
            format!("/credentials?environment={}&path={}", enc(env), enc(&path))
        }
        (_, "freeze") => "/freeze".to_owned(),
        (_, "changeset") => format!("/changesets?id={}", enc(&path)),
        _ => format!("/activity?action={}", event.action),
    };
    NotificationPayload {
        id: event.id.clone(),
        action: event.action,
        environment: event.environment.clone(),
        path,
        actor: event.actor.clone(),
        detail: event.detail.clone(),
        at: event.time.clone(),
        link,
        subscription: subscription.to_owned(),
        test: false,
    }
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The raw body for `kind`: the payload itself, or Slack's `{"text": …}`.
pub fn body(kind: TargetKind, p: &NotificationPayload) -> Vec<u8> {
    let value = match kind {
        TargetKind::Webhook => serde_json::to_value(p).unwrap_or_default(),
        TargetKind::Slack => {
            let place = match &p.environment {
                Some(env) => format!("{env}/{}", p.path),
                None => p.path.clone(),
            };
            let test = if p.test { " (test)" } else { "" };
            serde_json::json!({
                "text": format!("{}{test}: `{place}` by {} at {} (event {})", p.action, p.actor, p.at, p.id)
            })
        }
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

/// The one HTTP client of deliveries.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// POST `body` to `url`, signed with `secret`.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: Vec<u8>,
) -> DeliveryResult {
    let started = Instant::now();
    let t = time::OffsetDateTime::now_utc().unix_timestamp();
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::USER_AGENT, "Crypter-Notifications/1")
        .header(sign::HEADER, sign::signature(secret, t, &body))
        .body(body)
        .send()
        .await;
    let (delivered, status, detail) = match sent {
        Ok(resp) => {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            let cut = text
                .char_indices()
                .take_while(|(i, _)| *i < DETAIL_BYTES)
                .map(|(_, c)| c)
                .collect();
            (status.is_success(), Some(status.as_u16()), cut)
        }
        Err(e) if e.is_timeout() => (
            false,
            None,
            "the receiver did not answer in time".to_owned(),
        ),
        Err(e) if e.is_connect() => (
            false,
            None,
            "the receiver refused or could not be reached".to_owned(),
        ),
        Err(e) => (false, None, format!("the request failed: {e}")),
    };
    DeliveryResult {
        delivered,
        status,
        detail,
        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}
