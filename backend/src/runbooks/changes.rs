//! The changeset steps, over the changesets engine (`crate::changesets`).

use super::steps::{Actor, Outcome};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::Runbook;
use secrecy::SecretString;

fn missing() -> AppError {
    AppError::Conflict("the changesets engine is not in this build".into())
}

pub async fn validate(
    _bao: &Bao,
    _token: &SecretString,
    _run: &Runbook,
) -> Result<Outcome, AppError> {
    Err(missing())
}

pub async fn plan(_bao: &Bao, _token: &SecretString, _run: &Runbook) -> Result<Outcome, AppError> {
    Err(missing())
}

pub async fn apply(
    _bao: &Bao,
    _token: &SecretString,
    _actor: &Actor<'_>,
    _run: &Runbook,
    _signed: Option<String>,
) -> Result<Outcome, AppError> {
    Err(missing())
}

/// The changeset steps' evidence in the report: changesets with checksums, the plan hash.
pub fn report(md: &mut String, kind: &str, e: &serde_json::Value) {
    use std::fmt::Write;
    if let Some(h) = e.get("plan_hash").and_then(serde_json::Value::as_str) {
        let _ = writeln!(md, "- Plan hash: `{h}`");
    }
    let list = e
        .get("changesets")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    for c in list {
        let s = |k: &str| {
            c.get(k)
                .and_then(serde_json::Value::as_str)
                .unwrap_or("-")
                .to_owned()
        };
        let _ = writeln!(
            md,
            "  - changeset `{}` ({}) {} `{}`",
            s("id"),
            s("environment"),
            s("status"),
            s("checksum")
        );
    }
    let _ = kind;
}
