//! Creating, configuring, rotating and deleting keys. Input is checked here so a person
//! gets a clear message; what a caller may do, OpenBao decides.

use super::record::{self, KeyRecord};
use super::{get, not_found};
use crate::bao::transit::{self, TransitError};
use crate::bao::Bao;
use crate::credentials::validate_label;
use crate::environments;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{DeletionNote, EnvName, KeyCreate, KeyDetail, KeyName, KeyUpdate};
use secrecy::SecretString;
use serde_json::{json, Map};
use time::OffsetDateTime;

/// OpenBao rotates no more often than hourly.
const MIN_AUTO_ROTATE: u64 = 3_600;
/// Ten years, in seconds: longer periods are mistakes.
const MAX_PERIOD: u64 = 10 * 366 * 86_400;

fn bad(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::bad_request(code, message)
}

fn check_periods(auto: Option<u64>, rotation: Option<u64>) -> Result<(), AppError> {
    if let Some(a) = auto.filter(|a| *a != 0) {
        if !(MIN_AUTO_ROTATE..=MAX_PERIOD).contains(&a) {
            return Err(bad(
                ErrorCode::InvalidAutoRotatePeriod,
                "auto_rotate_period is in seconds: 0 (off), or from 3600 (an hour, OpenBao's \
                 minimum) to ten years",
            ));
        }
    }
    if rotation.is_some_and(|r| r > MAX_PERIOD) {
        return Err(bad(
            ErrorCode::InvalidRotationPeriod,
            "rotation_period is in seconds, at most ten years (0 removes it)",
        ));
    }
    Ok(())
}

fn check_text(
    owner: Option<&String>,
    description: Option<&String>,
    labels: Option<&Vec<String>>,
) -> Result<(), AppError> {
    if owner.is_some_and(|o| o.chars().count() > 128) {
        return Err(bad(
            ErrorCode::InvalidOwner,
            "the owner is longer than 128 characters; shorten it",
        ));
    }
    if description.is_some_and(|d| d.chars().count() > 500) {
        return Err(bad(
            ErrorCode::InvalidDescription,
            "the description is longer than 500 characters; shorten it",
        ));
    }
    if labels.is_some_and(|l| l.len() > 20 || !l.iter().all(|l| validate_label(l))) {
        return Err(bad(
            ErrorCode::InvalidLabels,
            "use at most 20 labels, each 1-64 characters of A-Z a-z 0-9 _ . - :",
        ));
    }
    Ok(())
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Create a key: Crypter's record is reserved first (check-and-set 0, so two creates
/// cannot both win), then OpenBao makes the key. A key of that name that Crypter did not
/// make is refused (409), and a create that fails half-way releases the reservation.
pub async fn create(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    env: &EnvName,
    req: &KeyCreate,
) -> Result<KeyDetail, AppError> {
    let name = req.name.clone();
    check_text(
        req.owner.as_ref(),
        req.description.as_ref(),
        Some(&req.labels),
    )?;
    check_periods(req.auto_rotate_period, req.rotation_period)?;
    environments::record(bao, token, env).await?;
    if transit::read_key(bao, token, env, &name).await?.is_some() {
        return Err(AppError::Conflict(
            ErrorCode::KeyExists,
            format!(
                "a transit key named {name} exists in {env} already (made outside Crypter, or \
             being created); pick another name"
            ),
        ));
    }
    let rec = KeyRecord {
        owner: req.owner.clone().filter(|o| !o.is_empty()),
        description: req.description.clone().filter(|d| !d.is_empty()),
        labels: req.labels.clone(),
        rotation_period: req.rotation_period.filter(|p| *p > 0),
        deletion: None,
        created_by: Some(actor.to_owned()),
    };
    record::write(bao, token, env, &name, &rec, 0).await?;
    let made = transit::create_key(
        bao,
        token,
        env,
        &name,
        req.key_type.as_str(),
        req.auto_rotate_period.unwrap_or(0),
    )
    .await;
    if let Err(e) = made {
        let _ = record::remove(bao, token, env, &name).await;
        return Err(e.into());
    }
    get(bao, token, env, &name, now()).await
}

/// Change what the request names. Crypter's record first (with check-and-set), then the
/// key's configuration in OpenBao; turning deletion on needs a reason, and OpenBao lets
/// only operators do it.
pub async fn update(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    env: &EnvName,
    name: &KeyName,
    req: &KeyUpdate,
) -> Result<KeyDetail, AppError> {
    check_text(
        req.owner.as_ref(),
        req.description.as_ref(),
        req.labels.as_ref(),
    )?;
    check_periods(req.auto_rotate_period, req.rotation_period)?;
    let reason = req.reason.as_deref().map(str::trim).unwrap_or_default();
    if req.deletion_allowed == Some(true) && reason.is_empty() {
        return Err(bad(
            ErrorCode::ReasonRequired,
            "turning deletion on needs a reason; it is kept beside the key",
        ));
    }
    if req.min_decryption_version == Some(0) {
        return Err(bad(
            ErrorCode::InvalidMinDecryptionVersion,
            "min_decryption_version starts at 1 (every version decrypts)",
        ));
    }
    let (info, found) = super::load(bao, token, env, name).await?;
    for (field, v) in [
        ("min_decryption_version", req.min_decryption_version),
        ("min_encryption_version", req.min_encryption_version),
    ] {
        if v.is_some_and(|v| v > info.latest_version) {
            return Err(bad(
                ErrorCode::InvalidVersion,
                format!(
                    "{field} cannot be above the latest version ({}); rotate first",
                    info.latest_version
                ),
            ));
        }
    }
    let (mut rec, version) = found.unwrap_or_default();
    apply_record(&mut rec, req, actor, reason);
    let mut config = Map::new();
    for (k, v) in [
        ("min_decryption_version", req.min_decryption_version),
        ("min_encryption_version", req.min_encryption_version),
        ("auto_rotate_period", req.auto_rotate_period),
    ] {
        if let Some(v) = v {
            config.insert(k.into(), json!(v));
        }
    }
    if let Some(d) = req.deletion_allowed {
        config.insert("deletion_allowed".into(), json!(d));
    }
    if !config.is_empty() {
        transit::configure(bao, token, env, name, &config).await?;
    }
    record::write(bao, token, env, name, &rec, version).await?;
    get(bao, token, env, name, now()).await
}

fn apply_record(rec: &mut KeyRecord, req: &KeyUpdate, actor: &str, reason: &str) {
    if let Some(o) = &req.owner {
        rec.owner = Some(o.clone()).filter(|o| !o.is_empty());
    }
    if let Some(d) = &req.description {
        rec.description = Some(d.clone()).filter(|d| !d.is_empty());
    }
    if let Some(l) = &req.labels {
        rec.labels.clone_from(l);
    }
    if let Some(p) = req.rotation_period {
        rec.rotation_period = Some(p).filter(|p| *p > 0);
    }
    match req.deletion_allowed {
        Some(true) => {
            rec.deletion = Some(DeletionNote {
                by: actor.to_owned(),
                at: crate::freeze::now(),
                reason: reason.to_owned(),
            })
        }
        Some(false) => rec.deletion = None,
        None => {}
    }
}

/// A new version of the key; the latest version encrypts from now on, older ones still
/// decrypt down to `min_decryption_version`.
pub async fn rotate(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
) -> Result<KeyDetail, AppError> {
    match transit::rotate(bao, token, env, name).await {
        Err(TransitError::NotFound { .. }) => return Err(not_found(env, name)),
        other => other?,
    }
    get(bao, token, env, name, now()).await
}

/// Delete the key in OpenBao (refused unless an operator turned deletion on for it), then
/// Crypter's records of it.
pub async fn delete(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    name: &KeyName,
) -> Result<(), AppError> {
    let (info, _) = super::load(bao, token, env, name).await?;
    if !info.deletion_allowed {
        return Err(AppError::Conflict(
            ErrorCode::DeletionNotAllowed,
            format!(
                "deletion is off for key {env}/{name}: an operator must turn it on for this key, \
             with a reason, before it can be deleted"
            ),
        ));
    }
    transit::delete_key(bao, token, env, name).await?;
    record::remove(bao, token, env, name).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_checked() {
        assert!(check_periods(Some(0), None).is_ok());
        assert!(check_periods(Some(3_600), Some(1)).is_ok());
        assert!(check_periods(Some(60), None).is_err());
        assert!(check_periods(None, Some(MAX_PERIOD + 1)).is_err());
    }

    #[test]
    fn deletion_notes_follow_the_switch() {
        let mut rec = KeyRecord::default();
        let on = KeyUpdate {
            deletion_allowed: Some(true),
            ..KeyUpdate::default()
        };
        apply_record(&mut rec, &on, "olga", "retired with the v1 API");
        let note = rec.deletion.clone().unwrap();
        assert_eq!(
            (note.by.as_str(), note.reason.as_str()),
            ("olga", "retired with the v1 API")
        );
        let off = KeyUpdate {
            deletion_allowed: Some(false),
            ..KeyUpdate::default()
        };
        apply_record(&mut rec, &off, "olga", "");
        assert!(rec.deletion.is_none());
    }
}
