//! The apply lock at `crypter/data/changesets/lock`: written with check-and-set, it names its
//! holder and host and carries a heartbeat; stale after the holder's `stale_after` (60 s by
//! default) without one. Taking over a live lock needs `force` and a reason.

use crate::bao::kv::{self, KvError, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ChangesetLock;
use crypter_api::ErrorCode;
use secrecy::SecretString;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The lock's path, for permission checks.
pub const LOCK_PATH: &str = "crypter/data/changesets/lock";
const LOCK_KEY: &str = "changesets/lock";

pub fn now_secs() -> u64 {
    OffsetDateTime::now_utc().unix_timestamp().max(0) as u64
}

pub use crate::jobs::host;

/// A holder on this host whose process is gone (killed) cannot heartbeat again.
fn holder_gone(lock: &ChangesetLock) -> bool {
    let me = host();
    let (Some((name, pid)), Some((my_name, _))) =
        (lock.host.rsplit_once(" pid "), me.rsplit_once(" pid "))
    else {
        return false;
    };
    let Ok(pid) = pid.parse::<i32>() else {
        return false;
    };
    name == my_name
        && pid != std::process::id() as i32
        && nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err()
}

fn crypter() -> Mount {
    Mount::v2("crypter")
}

/// The lock and its KV version; `None` when nobody holds it.
pub async fn read(
    bao: &Bao,
    token: &SecretString,
) -> Result<Option<(ChangesetLock, u64)>, AppError> {
    let Some((data, version)) = kv::read_json(bao, token, &crypter(), LOCK_KEY).await? else {
        return Ok(None);
    };
    let Ok(mut lock) = serde_json::from_value::<ChangesetLock>(data) else {
        return Ok(None);
    };
    lock.stale = now_secs().saturating_sub(lock.heartbeat) > lock.stale_after || holder_gone(&lock);
    Ok(Some((lock, version)))
}

async fn write(
    bao: &Bao,
    token: &SecretString,
    lock: &ChangesetLock,
    cas: u64,
) -> Result<(), KvError> {
    let data = serde_json::to_value(lock).map_err(|e| {
        KvError::Store(crate::bao::BaoError::Decode(format!(
            "changesets lock: {e}"
        )))
    })?;
    kv::write_json(bao, token, &crypter(), LOCK_KEY, &data, Some(cas)).await?;
    Ok(())
}

/// A lock held by someone else, as a 409 naming them.
pub fn held_by(lock: &ChangesetLock) -> AppError {
    AppError::ConflictDetails {
        code: ErrorCode::ChangesetsLocked,
        message: format!(
            "{} on {} is applying changesets (heartbeat {} s ago); wait for it to finish, or take \
             the lock over with force and a reason",
            lock.holder,
            lock.host,
            now_secs().saturating_sub(lock.heartbeat)
        ),
        details: json!({ "lock": lock }),
    }
}

/// Take the lock. Returns its KV version (for heartbeats) and the holder it replaced, if it
/// was live and taken over by force.
pub async fn acquire(
    bao: &Bao,
    token: &SecretString,
    holder: &str,
    job_id: &str,
    force: bool,
    stale_after: u64,
) -> Result<(u64, Option<ChangesetLock>), AppError> {
    let current = read(bao, token).await?;
    let (cas, taken_over) = match &current {
        None => (0, None),
        Some((l, v)) if l.stale => (*v, None),
        Some((l, v)) if force => (*v, Some(l.clone())),
        Some((l, _)) => return Err(held_by(l)),
    };
    let lock = ChangesetLock {
        holder: holder.to_owned(),
        host: host(),
        acquired_at: OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default(),
        heartbeat: now_secs(),
        job_id: Some(job_id.to_owned()),
        stale: false,
        stale_after,
    };
    match write(bao, token, &lock, cas).await {
        Ok(()) => Ok((cas + 1, taken_over)),
        Err(KvError::CasFailed { .. }) => match read(bao, token).await? {
            Some((l, _)) => Err(held_by(&l)),
            None => Err(AppError::Conflict(
                ErrorCode::ChangesetsLocked,
                "the changesets lock changed while taking it; try again".into(),
            )),
        },
        Err(e) => Err(e.into()),
    }
}

/// Refresh the heartbeat; fails when someone else took the lock meanwhile.
pub async fn heartbeat(bao: &Bao, token: &SecretString, version: u64) -> Result<u64, AppError> {
    let Some((mut lock, v)) = read(bao, token).await? else {
        return Err(AppError::Conflict(
            ErrorCode::LockLost,
            "the changesets lock was released".into(),
        ));
    };
    if v != version {
        return Err(held_by(&lock));
    }
    lock.heartbeat = now_secs();
    lock.stale = false;
    match write(bao, token, &lock, v).await {
        Ok(()) => Ok(v + 1),
        Err(KvError::CasFailed { .. }) => Err(AppError::Conflict(
            ErrorCode::LockLost,
            "someone took the changesets lock over".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Release the lock (all versions, so the next holder writes with cas 0 again).
pub async fn release(bao: &Bao, token: &SecretString) -> Result<(), AppError> {
    kv::remove(bao, token, &crypter(), LOCK_KEY).await?;
    Ok(())
}
