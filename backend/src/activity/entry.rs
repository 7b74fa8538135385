//! One line of OpenBao's file audit log → one activity event, or nothing.
//!
//! Only `response` entries are used: each carries the request too, and the outcome. The
//! actor comes from the entry's `auth` block (the token's display name, policies and
//! entity), which OpenBao fills from the token itself; nothing a client sent is trusted
//! for it. Values in the entry are HMAC'd by OpenBao and never copied here.

use super::actions;
use crate::bao::Purpose;
use crate::records::ProductEvent;
use crypter_api::ActivityEvent;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An event with the key it sorts by: nanoseconds since the epoch, then the request id.
#[derive(Debug, Clone)]
pub struct Stored {
    pub nanos: i128,
    pub event: ActivityEvent,
}

impl Stored {
    pub fn key(&self) -> (i128, &str) {
        (self.nanos, self.event.id.as_str())
    }
}

/// Why a line was not an event.
#[derive(Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not JSON, or not shaped like an audit entry.
    Malformed(String),
    /// A request entry (its response entry carries everything), or a read or lookup that
    /// is neither a change nor a reveal.
    NotAnEvent,
}

pub fn parse(line: &str) -> Result<Stored, Skip> {
    let v: Value = serde_json::from_str(line).map_err(|e| Skip::Malformed(e.to_string()))?;
    let kind = v["type"].as_str().ok_or_else(|| malformed("type"))?;
    let time = v["time"].as_str().ok_or_else(|| malformed("time"))?;
    let request = &v["request"];
    let id = request["id"]
        .as_str()
        .ok_or_else(|| malformed("request.id"))?;
    let path = request["path"]
        .as_str()
        .ok_or_else(|| malformed("request.path"))?;
    let operation = request["operation"]
        .as_str()
        .ok_or_else(|| malformed("request.operation"))?;
    let nanos = OffsetDateTime::parse(time, &Rfc3339)
        .map_err(|e| Skip::Malformed(format!("time {time:?}: {e}")))?
        .unix_timestamp_nanos();
    if kind != "response" {
        return Err(Skip::NotAnEvent);
    }
    let purpose = request["headers"]["x-crypter-purpose"][0]
        .as_str()
        .and_then(Purpose::parse);
    let mapped = actions::map(path, operation, purpose.as_ref()).ok_or(Skip::NotAnEvent)?;
    let auth = actor_auth(&v);
    let mut stored = Stored {
        nanos,
        event: ActivityEvent {
            id: id.to_owned(),
            time: time.to_owned(),
            actor: actor(auth),
            entity_id: auth["entity_id"]
                .as_str()
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
            action: mapped.action,
            target: mapped.target,
            environment: mapped.environment,
            path: path.to_owned(),
            operation: operation.to_owned(),
            outcome: outcome(&v).to_owned(),
            purpose: purpose.map(|p| p.as_header().into_owned()),
            detail: None,
        },
    };
    product_event(&mut stored.event);
    approved_change(&mut stored.event);
    Ok(stored)
}

/// A change the carrier made for an approved request names who asked and who approved,
/// from its purpose (the carrier's own label; nobody else's writes carry it as the actor).
fn approved_change(event: &mut ActivityEvent) {
    let carrier = format!("approle:{}", crate::bootstrap::CARRIER_ROLE);
    if event.actor != carrier {
        return;
    }
    let purpose = event.purpose.as_deref().and_then(Purpose::parse);
    if let Some((id, requester, approvers)) = purpose.as_ref().and_then(Purpose::approval) {
        event.detail = Some(format!(
            "requested by {requester}, approved by {} (request {id})",
            approvers.join(", ")
        ));
    }
}

/// A product event's marker (`records::events`), written by the backend's own identity,
/// reads as that event: its action, environment, target, and the person it names. A
/// marker anyone else wrote stays the record write it is.
fn product_event(event: &mut ActivityEvent) {
    let backend = format!("approle:{}", crate::bootstrap::BACKEND_ROLE);
    if event.actor != backend || !actions::is_write(&event.operation) {
        return;
    }
    if let Some(p) = ProductEvent::from_path(&event.path) {
        event.action = p.action;
        event.target = match &p.environment {
            Some(env) => format!("{env}/{}", p.target),
            None => p.target,
        };
        event.environment = p.environment;
        event.detail = p.detail;
        event.actor = p.actor;
        event.entity_id = None;
    }
}

fn malformed(field: &str) -> Skip {
    Skip::Malformed(format!("no {field}"))
}

/// The token that acted: the entry's `auth`, or for a login (which has no token yet) the
/// token the login handed out.
fn actor_auth(v: &Value) -> &Value {
    let auth = &v["auth"];
    let named = |a: &Value| {
        a["display_name"].as_str().is_some_and(|d| !d.is_empty())
            || a["policies"].as_array().is_some_and(|p| !p.is_empty())
    };
    if named(auth) {
        auth
    } else {
        &v["response"]["auth"]
    }
}

/// A name for people. Userpass logins are `userpass-<name>`; AppRole logins carry the role
/// in their metadata; tokens made with `auth/token/create` may choose a display name, so
/// they stay marked as tokens (`token:<name>`) and can never pass for a user.
pub fn actor(auth: &Value) -> String {
    let policies = auth["policies"].as_array();
    if policies.is_some_and(|p| p.iter().any(|x| x == "root")) {
        return "root".into();
    }
    let display = auth["display_name"].as_str().unwrap_or("");
    if let Some(user) = display.strip_prefix("userpass-") {
        return user.to_owned();
    }
    if display == "approle" {
        let role = auth["metadata"]["role_name"].as_str().unwrap_or("?");
        return format!("approle:{role}");
    }
    if let Some(name) = display.strip_prefix("token-") {
        return format!("token:{name}");
    }
    match display {
        "" => "anonymous".into(),
        other => other.to_owned(),
    }
}

/// `denied` for an ACL refusal, `error` for any other failure (a read that returned
/// nothing, such as a missing credential, included), else `ok`.
fn outcome(v: &Value) -> &'static str {
    let error = v["error"].as_str().unwrap_or("");
    let read_nothing = v["request"]["operation"] == "read" && v["response"]["data"].is_null();
    if error.contains("permission denied") || v["auth"]["policy_results"]["allowed"] == false {
        "denied"
    } else if !error.is_empty() || !v["response"]["data"]["error"].is_null() || read_nothing {
        "error"
    } else {
        "ok"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::ActivityAction as A;
    use serde_json::json;

    fn entry(path: &str, op: &str, auth: Value, error: Option<&str>) -> String {
        json!({
            "time": "2026-11-28T19:20:13.043399572Z", "type": "response", "auth": auth,
            "request": {"id": "7f533cea-8e25", "operation": op, "path": path,
                "headers": {"x-crypter-purpose": ["plan"]}},
            "response": {"data": {"data": {"pw": "hmac-sha256:889a"}}},
            "error": error,
        })
        .to_string()
    }

    #[test]
    fn a_marker_is_a_product_event_only_when_the_backend_wrote_it() {
        let path = "crypter/data/events/reminder.due/staging/alice/3d/payments/db";
        let backend = json!({"display_name": "approle", "policies": ["crypter-backend"],
            "metadata": {"role_name": "crypter-backend"}});
        let e = parse(&entry(path, "update", backend, None)).unwrap().event;
        assert_eq!(
            (e.actor.as_str(), e.action, e.target.as_str()),
            ("alice", A::ReminderDue, "staging/payments/db")
        );
        assert_eq!(e.environment.as_deref(), Some("staging"));
        assert_eq!(e.detail.as_deref(), Some("3d"));
        let root = json!({"display_name": "root", "policies": ["root"]});
        let forged = parse(&entry(path, "update", root, None)).unwrap().event;
        assert_eq!(
            (forged.actor.as_str(), forged.action),
            ("root", A::RecordWrite)
        );
    }

    #[test]
    fn a_users_reveal_names_the_user_and_keeps_no_value() {
        let auth = json!({"display_name": "userpass-alice", "policies": ["default"],
            "entity_id": "459c", "metadata": {"username": "alice"}});
        let line = entry("env/staging/data/db", "read", auth, None).replace(
            "\"headers\":{\"x-crypter-purpose\":[\"plan\"]}",
            "\"headers\":{}",
        );
        let e = parse(&line).unwrap().event;
        assert_eq!(
            (e.actor.as_str(), e.action.as_str(), e.target.as_str()),
            ("alice", "credential.reveal", "staging/db")
        );
        assert_eq!(e.entity_id.as_deref(), Some("459c"));
        assert_eq!(e.outcome, "ok");
        assert!(!serde_json::to_string(&e).unwrap().contains("hmac"));
    }

    #[test]
    fn a_plan_read_is_not_a_reveal() {
        let auth = json!({"display_name": "token", "policies": ["root"]});
        let e = parse(&entry("env/staging/data/db", "read", auth, None))
            .unwrap()
            .event;
        assert_eq!(e.action, "credential.read");
        assert_eq!(e.purpose.as_deref(), Some("plan"));
        assert_eq!(e.actor, "root");
    }

    #[test]
    fn actors_come_from_the_token_not_from_what_it_chose() {
        let a = |v: Value| actor(&v);
        assert_eq!(
            a(json!({"display_name": "token-alice", "policies": ["x"]})),
            "token:alice"
        );
        assert_eq!(
            a(json!({"display_name": "approle", "metadata": {"role_name": "ci"}})),
            "approle:ci"
        );
        assert_eq!(a(json!({})), "anonymous");
    }

    #[test]
    fn denials_and_errors_are_outcomes() {
        let auth = json!({"display_name": "userpass-bob", "policy_results": {"allowed": false}});
        let denied = entry(
            "env/staging/data/db",
            "read",
            auth,
            Some("1 error occurred:\n\t* permission denied\n\n"),
        );
        assert_eq!(parse(&denied).unwrap().event.outcome, "denied");
        let login = json!({"time": "2026-11-28T19:20:13Z", "type": "response", "auth": {},
            "request": {"id": "x", "operation": "update", "path": "auth/userpass/login/bob"},
            "response": {"data": {"error": "hmac-sha256:8c87"}}});
        let e = parse(&login.to_string()).unwrap().event;
        assert_eq!(
            (e.outcome.as_str(), e.actor.as_str()),
            ("error", "anonymous")
        );
        let missing = json!({"time": "2026-11-28T19:20:13Z", "type": "response",
            "auth": {"display_name": "userpass-bob"},
            "request": {"id": "y", "operation": "read", "path": "env/qa/data/none"},
            "response": {"mount_point": "env/qa/"}});
        assert_eq!(parse(&missing.to_string()).unwrap().event.outcome, "error");
    }

    #[test]
    fn requests_reads_and_garbage_are_skipped() {
        let auth = json!({"display_name": "userpass-alice"});
        let req = entry("env/staging/data/db", "read", auth.clone(), None)
            .replace("\"type\":\"response\"", "\"type\":\"request\"");
        assert_eq!(parse(&req).unwrap_err(), Skip::NotAnEvent);
        let list = entry("env/staging/metadata/", "list", auth, None);
        assert_eq!(parse(&list).unwrap_err(), Skip::NotAnEvent);
        assert!(matches!(parse("{not json"), Err(Skip::Malformed(_))));
        assert!(matches!(parse("{}"), Err(Skip::Malformed(_))));
    }
}
