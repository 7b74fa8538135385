//! Named restore points on a schedule (`--restore-points-every HOURS`): at each period's
//! start, every environment gets a restore point named after the period (`auto-<UTC date>-
//! <hour>`), with the backend's own identity, whose policy may read credentials' metadata
//! (versions, never values) and write only named restore points. Several instances make
//! the same name for the same period: the last write wins, nothing is doubled. The oldest
//! `auto-` restore points beyond `--restore-points-keep` are removed.

pub use crate::config::Schedule;

use crate::bao::Bao;
use crate::changesets::restore;
use crate::error::AppError;
use crate::records::Records;
use crypter_api::EnvName;
use std::time::Duration;

/// The period that `unix` falls in: its start (seconds) and its restore point's name.
pub fn period(unix: u64, every: Duration) -> (u64, String) {
    let every = every.as_secs().max(3600);
    let start = unix - unix % every;
    let at = time::OffsetDateTime::from_unix_timestamp(i64::try_from(start).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let name = format!(
        "auto-{:04}{:02}{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour()
    );
    (start, name)
}

/// One round: every environment's restore point of the current period, then retention.
pub async fn round(
    bao: &Bao,
    records: &Records,
    s: Schedule,
    unix: u64,
) -> Result<usize, AppError> {
    let (_, name) = period(unix, s.every);
    let envs = records.list("environments").await?;
    let mut made = 0;
    for env in envs.iter().filter_map(|e| EnvName::parse(e).ok()) {
        records
            .as_backend(|t| {
                let (env, name) = (env.clone(), name.clone());
                async move { super::make(bao, &t, &env, &name, "crypter (schedule)").await }
            })
            .await?;
        made += 1;
        let mut autos: Vec<String> = records
            .as_backend(|t| {
                let env = env.clone();
                async move { super::list(bao, &t, &env).await }
            })
            .await?
            .into_iter()
            .map(|r| r.changeset)
            .filter(|n| n.starts_with("auto-"))
            .collect();
        autos.sort_unstable();
        let excess = autos.len().saturating_sub(s.keep);
        for old in &autos[..excess] {
            let env = env.as_ref();
            records
                .as_backend(|t| async move { restore::remove_named(bao, &t, env, old).await })
                .await?;
        }
    }
    Ok(made)
}

/// Run [`round`] at the start of every period until the task is aborted.
pub fn spawn(bao: Bao, records: Records, s: Schedule) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let now = crate::clock::unix_now();
            let (start, _) = period(now, s.every);
            match round(&bao, &records, s, now).await {
                Ok(n) => tracing::info!(environments = n, "made the scheduled restore points"),
                Err(e) => tracing::warn!(error = %e.cause_chain(), "scheduled restore points"),
            }
            let next = start + s.every.as_secs().max(3600);
            let wait = next.saturating_sub(crate::clock::unix_now()).max(60);
            tokio::time::sleep(Duration::from_secs(wait)).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_named_after_its_start() {
        let day = Duration::from_secs(86_400);
        // 2026-12-07 06:50:00 UTC
        let (start, name) = period(1_796_626_200, day);
        assert_eq!(name, "auto-20261207-00");
        assert_eq!(start % 86_400, 0);
        let (_, hourly) = period(1_796_626_200, Duration::from_secs(3600));
        assert_eq!(hourly, "auto-20261207-06");
    }
}
