//! What a subscription may ask for: a target that is `https://` (plain `http://` only to a
//! loopback address, which never leaves the host: `crypter dev` and the tests), never the
//! store's own address, known actions, and filters of bounded size.

use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{ActivityAction, EnvName, SubscriptionCreate};
use reqwest::Url;
use std::net::IpAddr;

pub const MAX_NAME: usize = 64;
pub const MAX_ENVIRONMENTS: usize = 50;
pub const MAX_PATH_PREFIX: usize = 256;
pub const MAX_URL: usize = 2048;

/// The filter of a valid request: its environments and actions, parsed.
pub struct Valid {
    pub environments: Vec<String>,
    pub actions: Vec<ActivityAction>,
}

fn bad(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::bad_request(code, message)
}

/// Check `req`; `store` are the OpenBao nodes' addresses, which a target must not name.
pub fn check(req: &SubscriptionCreate, store: &[String]) -> Result<Valid, AppError> {
    let name = req.name.trim();
    if name.is_empty()
        || name.len() > MAX_NAME
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
    {
        return Err(bad(
            ErrorCode::InvalidName,
            format!(
                "name a subscription with 1 to {MAX_NAME} letters, digits, spaces, `-`, `_` or `.`"
            ),
        ));
    }
    target(&req.target.url, store)?;
    if req.environments.len() > MAX_ENVIRONMENTS || req.path_prefix.len() > MAX_PATH_PREFIX {
        return Err(bad(
            ErrorCode::FilterTooLarge,
            format!(
                "a subscription names at most {MAX_ENVIRONMENTS} environments and a path prefix \
                 of at most {MAX_PATH_PREFIX} characters; split it into several subscriptions"
            ),
        ));
    }
    if req.actions.len() > ActivityAction::ALL.len() {
        return Err(bad(
            ErrorCode::FilterTooLarge,
            format!("at most {} actions (each once)", ActivityAction::ALL.len()),
        ));
    }
    let mut environments = Vec::new();
    for env in &req.environments {
        environments.push(EnvName::parse(env)?.as_str().to_owned());
    }
    let mut actions = Vec::new();
    for text in &req.actions {
        let Some(action) = ActivityAction::parse(text) else {
            let known: Vec<&str> = ActivityAction::ALL.iter().map(|a| a.as_str()).collect();
            return Err(bad(
                ErrorCode::UnknownAction,
                format!(
                    "{text:?} is not an action; the actions are: {}",
                    known.join(", ")
                ),
            ));
        };
        if !actions.contains(&action) {
            actions.push(action);
        }
    }
    if actions.is_empty() {
        return Err(bad(
            ErrorCode::NoActions,
            "name at least one action to be notified of (e.g. credential.write)",
        ));
    }
    Ok(Valid {
        environments,
        actions,
    })
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The host and port a URL reaches, loopback names made one.
fn endpoint(url: &Url) -> Option<(String, u16)> {
    let host = url.host_str()?.to_ascii_lowercase();
    let host = if is_loopback(&host) {
        "loopback".to_owned()
    } else {
        host
    };
    Some((host, url.port_or_known_default()?))
}

fn target(url: &str, store: &[String]) -> Result<(), AppError> {
    if url.len() > MAX_URL {
        return Err(bad(
            ErrorCode::InvalidTarget,
            format!("a target URL has at most {MAX_URL} characters"),
        ));
    }
    let parsed = Url::parse(url).map_err(|e| {
        bad(
            ErrorCode::InvalidTarget,
            format!("{url:?} is not a URL ({e}); give the receiver's https:// address"),
        )
    })?;
    let host = parsed.host_str().unwrap_or_default().to_owned();
    match parsed.scheme() {
        "https" if !host.is_empty() => {}
        "http" if is_loopback(&host) => {}
        _ => {
            return Err(bad(
                ErrorCode::InsecureTarget,
                format!(
                    "{url:?}: a target must be https:// (plain http:// only to a loopback address, \
                     for a receiver on this host)"
                ),
            ))
        }
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            ErrorCode::InvalidTarget,
            "put no credentials in a target URL: receivers verify the X-Crypter-Signature header",
        ));
    }
    let mine = endpoint(&parsed);
    let into_store = store
        .iter()
        .filter_map(|s| Url::parse(s).ok())
        .any(|s| endpoint(&s) == mine);
    if into_store {
        return Err(bad(
            ErrorCode::TargetIsStore,
            format!("{url:?} is the OpenBao store itself; point the subscription at a receiver"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::{NotificationTarget, TargetKind};

    fn req(url: &str, actions: &[&str]) -> SubscriptionCreate {
        SubscriptionCreate {
            name: "ops".into(),
            target: NotificationTarget {
                kind: TargetKind::Webhook,
                url: url.into(),
            },
            environments: vec!["staging".into()],
            path_prefix: String::new(),
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    fn code(r: Result<Valid, AppError>) -> &'static str {
        match r {
            Err(AppError::BadRequest { code, .. }) => code.as_str(),
            Err(e) => panic!("not a 400: {e}"),
            Ok(_) => "ok",
        }
    }

    #[test]
    fn targets() {
        let store = vec!["http://127.0.0.1:8200".to_owned()];
        let w = &["credential.write"];
        assert_eq!(
            code(check(&req("https://hooks.example.com/x", w), &store)),
            "ok"
        );
        assert_eq!(
            code(check(&req("http://127.0.0.1:9000/x", w), &store)),
            "ok"
        );
        assert_eq!(code(check(&req("http://[::1]:9000/x", w), &store)), "ok");
        assert_eq!(
            code(check(&req("http://hooks.example.com/x", w), &store)),
            "insecure_target"
        );
        assert_eq!(code(check(&req("ftp://x/y", w), &store)), "insecure_target");
        assert_eq!(
            code(check(&req("http://localhost:8200/v1/sys", w), &store)),
            "target_is_store"
        );
        assert_eq!(code(check(&req("not a url", w), &store)), "invalid_target");
        assert_eq!(
            code(check(&req("https://u:p@x.example/", w), &store)),
            "invalid_target"
        );
    }

    #[test]
    fn filters() {
        let ok = "https://x.example/";
        assert_eq!(
            code(check(&req(ok, &["credential.nope"]), &[])),
            "unknown_action"
        );
        assert_eq!(code(check(&req(ok, &[]), &[])), "no_actions");
        let mut big = req(ok, &["credential.write"]);
        big.environments = (0..=MAX_ENVIRONMENTS).map(|i| format!("e{i}")).collect();
        assert_eq!(code(check(&big, &[])), "filter_too_large");
        let mut long = req(ok, &["credential.write"]);
        long.path_prefix = "a".repeat(MAX_PATH_PREFIX + 1);
        assert_eq!(code(check(&long, &[])), "filter_too_large");
    }
}
