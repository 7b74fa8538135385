//! Changing credentials: new versions, rollback, soft delete, undelete, destroy. The
//! environment in the metadata always comes from the URL, `created_by` from the session.

use super::metadata::{from_custom, parse_expires, to_custom};
use super::read_data;
use crate::bao::kv::{self, KvError, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{CredentialClass, CredentialPath, CredentialWrite, CredentialWritten, EnvName};
use secrecy::SecretString;
use std::collections::BTreeMap;

/// A class given as text (a list filter's query parameter): a clear 400 when it is none.
pub fn parse_class(class: &str) -> Result<CredentialClass, AppError> {
    CredentialClass::parse(class).ok_or_else(|| {
        AppError::bad_request(
            ErrorCode::InvalidClass,
            format!(
                "invalid class {class:?}: use one of {}",
                CredentialClass::names()
            ),
        )
    })
}

/// A label: 1-64 characters of A-Z a-z 0-9 _ . - : (labels are stored comma-separated).
pub fn validate_label(label: &str) -> bool {
    (1..=64).contains(&label.len())
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':'))
}

/// Everything a write body must satisfy, before anything reaches OpenBao.
pub fn validate(req: &CredentialWrite) -> Result<(), AppError> {
    if req.data.is_empty() {
        return Err(AppError::bad_request(
            ErrorCode::InvalidData,
            "data is empty: give the value as at least one key, e.g. {\"password\": \"…\"}",
        ));
    }
    if let Some(key) = req.data.keys().find(|k| k.is_empty() || k.len() > 128) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidData,
            format!("the data key {key:?} must be 1-128 characters long"),
        ));
    }
    if req.owner.as_ref().is_some_and(|o| o.chars().count() > 128) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidOwner,
            "the owner is longer than 128 characters; shorten it",
        ));
    }
    if req
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        return Err(AppError::bad_request(
            ErrorCode::InvalidDescription,
            "the description is longer than 500 characters; shorten it",
        ));
    }
    if req.labels.len() > 20 || !req.labels.iter().all(|l| validate_label(l)) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidLabels,
            "use at most 20 labels, each 1-64 characters of A-Z a-z 0-9 _ . - :",
        ));
    }
    if req.rotate_after_days.is_some_and(|d| d > 3650) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidRotateAfterDays,
            "rotate_after_days must be between 0 and 3650 (0 makes rotation due at once)",
        ));
    }
    match req.expires.as_deref() {
        Some(d) if !d.is_empty() && parse_expires(d).is_none() => {
            return Err(AppError::bad_request(
                ErrorCode::InvalidExpires,
                format!(
                    "expires {d:?} is not a date: give it as YYYY-MM-DD (e.g. 2027-01-31), or \"\" \
                     to remove it"
                ),
            ))
        }
        _ => {}
    }
    Ok(())
}

/// OpenBao's check-and-set refusal becomes a 409 that says what to do.
fn cas_conflict(e: KvError, path: &CredentialPath) -> AppError {
    match e {
        KvError::CasFailed { .. } => AppError::Conflict(
            ErrorCode::StaleVersion,
            format!(
                "{path:?} changed since you read it (check-and-set failed); reload it and retry"
            ),
        ),
        other => other.into(),
    }
}

async fn write_data(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    data: &BTreeMap<String, String>,
    cas: Option<u64>,
) -> Result<u64, AppError> {
    kv::write(bao, token, &Mount::env(env), path.as_ref(), data, cas)
        .await
        .map_err(|e| cas_conflict(e, path))
}

async fn existing_metadata(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
) -> Result<Option<kv::Metadata>, AppError> {
    match kv::metadata(bao, token, &Mount::env(env), path.as_ref()).await {
        Ok(m) => Ok(m),
        Err(KvError::NoMount { .. }) => Err(crate::environments::not_found(env)),
        Err(e) => Err(e.into()),
    }
}

/// Replace a credential's metadata (Crypter's `custom_metadata`).
pub async fn write_metadata(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    metadata: &crypter_api::CredentialMetadata,
) -> Result<(), AppError> {
    let custom = to_custom(metadata);
    kv::write_metadata(
        bao,
        token,
        &Mount::env(env),
        path.as_ref(),
        &custom["custom_metadata"],
        None,
    )
    .await?;
    Ok(())
}

///
/// `alongside(version)` runs once the new version exists, at the same time as the
/// metadata write (the route keeps the value's digest there): across data centers each is
/// a round trip to the leader, and they need not wait for each other.
pub async fn put<Fut: std::future::Future<Output = ()>>(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    env: &EnvName,
    path: &CredentialPath,
    req: &CredentialWrite,
    alongside: impl FnOnce(u64) -> Fut,
) -> Result<CredentialWritten, AppError> {
    validate(req)?;
    let existing = existing_metadata(bao, token, env, path).await?;
    if existing.is_none() && req.class.is_none() {
        return Err(AppError::bad_request(
            ErrorCode::ClassRequired,
            format!(
                "{path:?} is new, so it needs a class: one of {}",
                CredentialClass::names()
            ),
        ));
    }
    let version = write_data(bao, token, env, path, &req.data, req.cas).await?;
    let mut meta = existing
        .as_ref()
        .map(|m| from_custom(&m.custom))
        .unwrap_or_default();
    if let Some(class) = req.class {
        meta.class = Some(class.as_str().to_owned());
    }
    if req.owner.is_some() {
        meta.owner.clone_from(&req.owner);
    }
    if req.description.is_some() {
        meta.description.clone_from(&req.description);
    }
    if req.rotate_after_days.is_some() {
        meta.rotate_after_days = req.rotate_after_days;
    }
    if let Some(expires) = &req.expires {
        meta.expires = Some(expires.clone()).filter(|e| !e.is_empty());
    }
    meta.labels.clone_from(&req.labels);
    meta.environment = Some(env.to_string());
    if meta.created_by.is_none() {
        meta.created_by = Some(actor.to_owned());
    }
    let (meta, ()) = tokio::join!(
        write_metadata(bao, token, env, path, &meta),
        alongside(version)
    );
    meta?;
    Ok(written(env, path, version))
}

fn written(env: &EnvName, path: &CredentialPath, version: u64) -> CredentialWritten {
    CredentialWritten {
        environment: env.to_string(),
        path: path.to_string(),
        version,
        row: None,
    }
}

/// The metadata of an existing credential, or the 404 that names it.
async fn current(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
) -> Result<kv::Metadata, AppError> {
    existing_metadata(bao, token, env, path)
        .await?
        .ok_or_else(|| super::not_found(env, path))
}

/// Writes the data of `version` again as a new version (check-and-set on the current one).
pub async fn rollback(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    version: u64,
) -> Result<CredentialWritten, AppError> {
    let meta = current(bao, token, env, path).await?;
    let (_, data) = read_data(bao, token, env, path, Some(version)).await?;
    let new = write_data(bao, token, env, path, &data, Some(meta.current_version)).await?;
    Ok(written(env, path, new))
}

pub async fn soft_delete(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
) -> Result<CredentialWritten, AppError> {
    let meta = current(bao, token, env, path).await?;
    let versions = [meta.current_version];
    kv::delete_versions(bao, token, &Mount::env(env), path.as_ref(), &versions).await?;
    Ok(written(env, path, meta.current_version))
}

/// `versions`, or the current one when none are named.
async fn chosen_versions(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    versions: &[u64],
) -> Result<(u64, Vec<u64>), AppError> {
    let current = current(bao, token, env, path).await?.current_version;
    let versions = if versions.is_empty() {
        vec![current]
    } else {
        versions.to_vec()
    };
    Ok((current, versions))
}

pub async fn undelete(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    versions: &[u64],
) -> Result<CredentialWritten, AppError> {
    let (current, versions) = chosen_versions(bao, token, env, path, versions).await?;
    kv::undelete(bao, token, &Mount::env(env), path.as_ref(), &versions).await?;
    Ok(written(env, path, current))
}

pub async fn destroy(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    versions: &[u64],
) -> Result<CredentialWritten, AppError> {
    let (current, versions) = chosen_versions(bao, token, env, path, versions).await?;
    kv::destroy(bao, token, &Mount::env(env), path.as_ref(), &versions).await?;
    Ok(written(env, path, current))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> CredentialWrite {
        CredentialWrite {
            data: [("password".to_owned(), "x".to_owned())].into(),
            class: Some(CredentialClass::Service),
            ..Default::default()
        }
    }

    #[test]
    fn writes_are_validated() {
        assert!(validate(&body()).is_ok());
        for expires in ["2027-01-31", ""] {
            let req = CredentialWrite {
                expires: Some(expires.into()),
                ..body()
            };
            assert!(validate(&req).is_ok(), "{expires:?}");
        }
        let cases: Vec<(CredentialWrite, &str)> = vec![
            (
                CredentialWrite {
                    data: BTreeMap::new(),
                    ..body()
                },
                "invalid_data",
            ),
            (
                CredentialWrite {
                    labels: vec!["a,b".into()],
                    ..body()
                },
                "invalid_labels",
            ),
            (
                CredentialWrite {
                    rotate_after_days: Some(3651),
                    ..body()
                },
                "invalid_rotate_after_days",
            ),
            (
                CredentialWrite {
                    expires: Some("31/01/2027".into()),
                    ..body()
                },
                "invalid_expires",
            ),
            (
                CredentialWrite {
                    owner: Some("o".repeat(129)),
                    ..body()
                },
                "invalid_owner",
            ),
        ];
        for (req, code) in cases {
            match validate(&req) {
                Err(AppError::BadRequest { code: got, .. }) => assert_eq!(got.as_str(), code),
                other => panic!("{code}: {other:?}"),
            }
        }
    }
}
