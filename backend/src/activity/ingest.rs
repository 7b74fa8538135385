//! The ingest endpoint's logic: when operators' OpenBao nodes cannot share their audit
//! files with Crypter, their log shipper posts the lines here. Only a token whose policies
//! grant `update` on [`INGEST_PATH`] may post (bootstrap installs the policy
//! `crypter-audit-ingest` for it); OpenBao answers that question, not Crypter. Lines are
//! validated first, then appended in one write to `--audit-ingest-file`, which the feed
//! reads like any node's log: all of a batch is kept, or none of it.

use super::entry::{self, Skip};
use super::visibility::capabilities_self;
use super::{source, AuditFeed};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use secrecy::SecretString;

/// Stands for the right to post audit lines (no data lives there).
pub const INGEST_PATH: &str = "crypter/audit/ingest";
/// Lines per request at most (the body is also capped at 1 MiB).
pub const MAX_LINES: usize = 5_000;

/// Append the audit lines in `body`; returns how many were kept.
pub async fn ingest(
    feed: &AuditFeed,
    bao: &Bao,
    token: &SecretString,
    body: &str,
) -> Result<usize, AppError> {
    let caps = capabilities_self(bao, token, &[INGEST_PATH.to_owned()]).await?;
    let allowed = caps
        .get(INGEST_PATH)
        .is_some_and(|c| c.iter().any(|x| x == "update" || x == "root"));
    if !allowed {
        return Err(AppError::Forbidden(format!(
            "this token may not post audit lines: it needs `update` on {INGEST_PATH} \
             (policy crypter-audit-ingest)"
        )));
    }
    let Some(file) = feed.ingest_file().cloned() else {
        return Err(AppError::NotFound(
            ErrorCode::AuditIngestOff,
            "this Crypter takes no audit lines: start it with --audit-ingest-file FILE".into(),
        ));
    };
    let lines = validate(body)?;
    let count = lines.len();
    let owned: Vec<String> = lines.into_iter().map(str::to_owned).collect();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
        source::append(&file, &refs)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("ingest task: {e}")))?
    .map_err(|e| AppError::Internal(anyhow::anyhow!("appending audit lines: {e}")))?;
    Ok(count)
}

/// Every non-empty line must be an OpenBao audit entry; otherwise 400 naming the lines.
fn validate(body: &str) -> Result<Vec<&str>, AppError> {
    let lines: Vec<&str> = body.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return Err(AppError::bad_request(
            ErrorCode::NoLines,
            "send OpenBao audit entries, one JSON object per line",
        ));
    }
    if lines.len() > MAX_LINES {
        return Err(AppError::bad_request(
            ErrorCode::TooManyLines,
            format!("send at most {MAX_LINES} lines per request"),
        ));
    }
    let bad: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(entry::parse(l), Err(Skip::Malformed(_))))
        .map(|(i, _)| i + 1)
        .collect();
    if !bad.is_empty() {
        let shown: Vec<String> = bad.iter().take(10).map(usize::to_string).collect();
        return Err(AppError::bad_request(
            ErrorCode::InvalidAuditLines,
            format!(
                "{} line(s) are not OpenBao audit entries (line {}{}); nothing was kept. Send \
                 the audit device's lines unchanged, one JSON object per line",
                bad.len(),
                shown.join(", "),
                if bad.len() > shown.len() { ", …" } else { "" }
            ),
        ));
    }
    Ok(lines)
}
