//! Named restore points of a whole environment: every credential's current version and
//! metadata, kept under a name (made by hand, or on a schedule by [`schedule`]). "Compare"
//! shows what differs now; "restore" is an inverse plan like an undo's, applied with the
//! ordinary apply (see `changesets::plan::undo`). Stored beside the changesets' restore
//! points, as operator-owned records.

pub mod schedule;

use crate::bao::kv::{self, Mount};
use crate::bao::Bao;
use crate::changesets::restore::{self, Entry, RestorePoint, State, Target};
use crate::credentials::from_custom;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{
    Drift, DriftLine, EnvName, RestorePointComparison, RestorePointKind, RestorePointSummary,
};
use secrecy::SecretString;
use std::collections::BTreeMap;

/// A restore point's name: `^[a-z0-9][a-z0-9-]{0,62}$`.
pub fn validate_name(name: &str) -> Result<(), AppError> {
    let ok = (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_request(
            ErrorCode::InvalidRestorePointName,
            format!(
                "{name:?} is not a restore point name: 1-63 of a-z 0-9 -, starting with a letter \
                 or digit"
            ),
        ))
    }
}

/// Each credential of `env` as it is now: a named restore point's entries.
async fn states(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
) -> Result<BTreeMap<String, State>, AppError> {
    let mount = Mount::env(env);
    Ok(kv::scan(bao, token, &mount)
        .await?
        .into_iter()
        .map(|(path, m)| {
            let state = State::Credential {
                version: m.current_version,
                metadata_version: m.metadata_version,
                readable: m.readable(),
                metadata: from_custom(&m.custom),
            };
            (path, state)
        })
        .collect())
}

/// Make (or replace) restore point `name` of `env` now.
pub async fn make(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &str,
    by: &str,
) -> Result<RestorePointSummary, AppError> {
    validate_name(name)?;
    crate::environments::record(bao, token, env).await?;
    let entries: Vec<Entry> = states(bao, token, env)
        .await?
        .into_iter()
        .map(|(path, state)| Entry {
            target: Target::Credential {
                mount: format!("env/{env}"),
                path,
            },
            before: Some(state.clone()),
            after: Some(state),
        })
        .collect();
    let rp = RestorePoint {
        changeset: name.to_owned(),
        kind: RestorePointKind::Named,
        at: crate::clock::now_rfc3339(),
        by: by.to_owned(),
        plan_hash: String::new(),
        entries,
        environment: Some(env.to_string()),
    };
    restore::save(bao, token, &rp).await?;
    Ok(RestorePointSummary {
        changeset: rp.changeset,
        kind: rp.kind,
        at: rp.at,
        by: rp.by,
        plan_hash: rp.plan_hash,
        entries: rp.entries.len() as u64,
        environment: rp.environment,
    })
}

/// The named restore points of `env`, newest first.
pub async fn list(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
) -> Result<Vec<RestorePointSummary>, AppError> {
    let mut all = restore::list(bao, token).await?;
    all.retain(|r| {
        r.kind == RestorePointKind::Named && r.environment.as_deref() == Some(env.as_ref())
    });
    Ok(all)
}

async fn load(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &str,
) -> Result<RestorePoint, AppError> {
    validate_name(name)?;
    restore::load_named(
        bao,
        token,
        name,
        RestorePointKind::Named,
        Some(env.as_ref()),
    )
    .await?
    .ok_or_else(|| {
        AppError::NotFound(
            ErrorCode::RestorePointNotFound,
            format!("environment {env} has no restore point {name}"),
        )
    })
}

fn version(s: Option<&State>) -> Option<u64> {
    match s {
        Some(State::Credential { version, .. }) => Some(*version),
        _ => None,
    }
}

/// What a reader sees of a credential's state: its version, whether it reads, its
/// metadata (not the metadata's own version number).
fn seen(s: Option<&State>) -> Option<(u64, bool, &crypter_api::CredentialMetadata)> {
    match s {
        Some(State::Credential {
            version,
            readable,
            metadata,
            ..
        }) => Some((*version, *readable, metadata)),
        _ => None,
    }
}

/// How a credential now differs from the restore point.
fn drift(then: Option<&State>, now: Option<&State>) -> Drift {
    let readable = |s: Option<&State>| matches!(s, Some(State::Credential { readable: true, .. }));
    match (then, now) {
        (a, b) if seen(a) == seen(b) => Drift::Same,
        // Absent then, deleted now: nothing to read either way.
        (None, n) if !readable(n) => Drift::Same,
        (None, _) => Drift::Created,
        (Some(_), None) => Drift::Removed,
        (t, n) if readable(t) && !readable(n) && version(t) == version(n) => Drift::Deleted,
        _ => Drift::Changed,
    }
}

/// What differs now from restore point `name` (versions only, never a value).
pub async fn compare(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &str,
) -> Result<RestorePointComparison, AppError> {
    let rp = load(bao, token, env, name).await?;
    let mut now = states(bao, token, env).await?;
    let mut lines = Vec::new();
    let mut counts = crypter_api::ItemCounts::new();
    let mut note = |path: String, then: Option<&State>, now: Option<&State>| {
        let d = drift(then, now);
        *counts.entry(d.as_str().to_owned()).or_default() += 1;
        if d != Drift::Same {
            lines.push(DriftLine {
                path,
                drift: d,
                then: version(then),
                now: version(now),
            });
        }
    };
    for e in &rp.entries {
        if let Target::Credential { path, .. } = &e.target {
            let current = now.remove(path);
            note(path.clone(), e.before.as_ref(), current.as_ref());
        }
    }
    for (path, state) in now {
        note(path, None, Some(&state));
    }
    lines.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(RestorePointComparison {
        environment: env.to_string(),
        name: name.to_owned(),
        at: rp.at,
        counts,
        lines,
    })
}

/// Remove restore point `name` of `env`.
pub async fn remove(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &str,
) -> Result<(), AppError> {
    validate_name(name)?;
    if restore::remove_named(bao, token, env.as_ref(), name).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(
            ErrorCode::RestorePointNotFound,
            format!("environment {env} has no restore point {name}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(version: u64, readable: bool) -> State {
        State::Credential {
            version,
            metadata_version: 1,
            readable,
            metadata: Default::default(),
        }
    }

    #[test]
    fn drift_names_what_a_restore_would_do() {
        assert_eq!(
            drift(Some(&cred(2, true)), Some(&cred(2, true))),
            Drift::Same
        );
        assert_eq!(drift(None, Some(&cred(1, true))), Drift::Created);
        assert_eq!(drift(None, Some(&cred(1, false))), Drift::Same);
        assert_eq!(drift(Some(&cred(2, true)), None), Drift::Removed);
        assert_eq!(
            drift(Some(&cred(2, true)), Some(&cred(2, false))),
            Drift::Deleted
        );
        assert_eq!(
            drift(Some(&cred(2, true)), Some(&cred(3, true))),
            Drift::Changed
        );
    }

    #[test]
    fn names_are_short_lowercase_words() {
        assert!(validate_name("before-q4").is_ok());
        assert!(validate_name("2026-12-07").is_ok());
        for bad in ["", "-x", "Q4", "a.b", "a/b", &"x".repeat(64)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }
}
