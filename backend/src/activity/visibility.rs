//! Who may see the activity feed, decided by OpenBao. Crypter reads the audit files
//! itself, so it asks OpenBao (with `sys/capabilities-self` and the session's own token)
//! whether the session may read the path that stands for the feed, and which
//! environments it may list.

use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ActivityEvent;
use secrecy::SecretString;
use serde_json::json;
use std::collections::HashMap;

/// The path that stands for the feed: whoever may read OpenBao's audit configuration may
/// read its log. Admins and operators hold `read` on it.
pub const FEED_PATH: &str = "sys/audit";

/// Environments asked about at most per call (a feed could name many made-up ones).
const MAX_ENVS_PER_CALL: usize = 200;

/// What one session may see.
pub struct Viewer {
    envs: HashMap<String, bool>,
}

fn env_path(env: &str) -> String {
    format!("env/{env}/metadata/")
}

/// The capabilities `token` has on each of `paths`.
pub async fn capabilities_self(
    bao: &Bao,
    token: &SecretString,
    paths: &[String],
) -> Result<HashMap<String, Vec<String>>, AppError> {
    let answer = bao
        .write("sys/capabilities-self", token, &json!({ "paths": paths }))
        .await?
        .unwrap_or_default();
    Ok(paths
        .iter()
        .map(|p| {
            let caps = crate::bao::strings(
                Some(&answer["data"][p])
                    .filter(|v| v.is_array())
                    .or_else(|| answer.get(p)),
            );
            (p.clone(), caps)
        })
        .collect())
}

fn has(caps: &[String], wanted: &str) -> bool {
    caps.iter().any(|c| c == wanted || c == "root")
}

impl Viewer {
    /// 403 unless the session may read [`FEED_PATH`].
    pub async fn check(bao: &Bao, token: &SecretString) -> Result<Self, AppError> {
        let caps = capabilities_self(bao, token, &[FEED_PATH.to_owned()]).await?;
        if !caps.get(FEED_PATH).is_some_and(|c| has(c, "read")) {
            return Err(AppError::Forbidden(format!(
                "your OpenBao token may not see the activity feed: that needs `read` on \
                 {FEED_PATH} (admins and operators have it); ask an operator"
            )));
        }
        Ok(Self {
            envs: HashMap::new(),
        })
    }

    /// Ask OpenBao about the environments of `events` not asked about yet.
    pub async fn learn<'a>(
        &mut self,
        bao: &Bao,
        token: &SecretString,
        events: impl Iterator<Item = &'a ActivityEvent>,
    ) -> Result<(), AppError> {
        let mut unknown: Vec<String> = events
            .filter_map(|e| e.environment.clone())
            .filter(|env| !self.envs.contains_key(env))
            .collect();
        unknown.sort();
        unknown.dedup();
        for batch in unknown.chunks(MAX_ENVS_PER_CALL) {
            let paths: Vec<String> = batch.iter().map(|e| env_path(e)).collect();
            let caps = capabilities_self(bao, token, &paths).await?;
            for env in batch {
                let listable = caps.get(&env_path(env)).is_some_and(|c| has(c, "list"));
                self.envs.insert(env.clone(), listable);
            }
        }
        Ok(())
    }

    /// Events of an environment are seen only by those who may list it.
    pub fn sees(&self, event: &ActivityEvent) -> bool {
        event
            .environment
            .as_ref()
            .is_none_or(|env| self.envs.get(env).copied().unwrap_or(false))
    }
}
