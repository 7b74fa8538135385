//! Changing credentials: new versions, rollback, soft delete, undelete, destroy. The
//! environment in the metadata always comes from the URL, `created_by` from the session.

use super::metadata::{from_custom, to_custom};
use super::{metadata_of, read_data};
use crate::bao::{Bao, BaoError};
use crate::error::AppError;
use crypter_api::{
    CredentialPath, CredentialWrite, CredentialWritten, EnvName, CREDENTIAL_CLASSES,
};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn validate_class(class: &str) -> Result<(), AppError> {
    if CREDENTIAL_CLASSES.contains(&class) {
        Ok(())
    } else {
        Err(AppError::bad_request(
            "invalid_class",
            format!(
                "invalid class {class:?}: use one of {}",
                CREDENTIAL_CLASSES.join(", ")
            ),
        ))
    }
}

fn validate_label(label: &str) -> bool {
    (1..=64).contains(&label.len())
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':'))
}

/// Everything a write body must satisfy, before anything reaches OpenBao.
pub fn validate(req: &CredentialWrite) -> Result<(), AppError> {
    if req.data.is_empty() {
        return Err(AppError::bad_request(
            "invalid_data",
            "data is empty: give the value as at least one key, e.g. {\"password\": \"…\"}",
        ));
    }
    if let Some(key) = req.data.keys().find(|k| k.is_empty() || k.len() > 128) {
        return Err(AppError::bad_request(
            "invalid_data",
            format!("the data key {key:?} must be 1-128 characters long"),
        ));
    }
    if let Some(class) = &req.class {
        validate_class(class)?;
    }
    if req.owner.as_ref().is_some_and(|o| o.chars().count() > 128) {
        return Err(AppError::bad_request(
            "invalid_owner",
            "the owner is longer than 128 characters; shorten it",
        ));
    }
    if req
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        return Err(AppError::bad_request(
            "invalid_description",
            "the description is longer than 500 characters; shorten it",
        ));
    }
    if req.labels.len() > 20 || !req.labels.iter().all(|l| validate_label(l)) {
        return Err(AppError::bad_request(
            "invalid_labels",
            "use at most 20 labels, each 1-64 characters of A-Z a-z 0-9 _ . - :",
        ));
    }
    if req.rotate_after_days.is_some_and(|d| d > 3650) {
        return Err(AppError::bad_request(
            "invalid_rotate_after_days",
            "rotate_after_days must be between 0 and 3650 (0 makes rotation due at once)",
        ));
    }
    Ok(())
}

/// OpenBao's check-and-set refusal becomes a 409 that says what to do.
fn cas_conflict(e: BaoError, path: &CredentialPath) -> AppError {
    match e {
        BaoError::Rejected {
            status: 400,
            ref message,
            ..
        } if message.contains("check-and-set") => AppError::Conflict(format!(
            "{path:?} changed since you read it (check-and-set failed); reload it and retry"
        )),
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
    let mut body = json!({ "data": data });
    if let Some(cas) = cas {
        body["options"] = json!({ "cas": cas });
    }
    let answer = bao
        .write(&format!("{}/data/{path}", env.mount()), token, &body)
        .await
        .map_err(|e| cas_conflict(e, path))?;
    Ok(answer
        .and_then(|a| a["data"]["version"].as_u64())
        .unwrap_or_default())
}

async fn existing_metadata(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
) -> Result<Option<Value>, AppError> {
    match metadata_of(bao, token, env, path).await {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound(m)) if m.starts_with("no credential") => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn write_metadata(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    metadata: &crypter_api::CredentialMetadata,
) -> Result<(), AppError> {
    bao.write(
        &format!("{}/metadata/{path}", env.mount()),
        token,
        &to_custom(metadata),
    )
    .await?;
    Ok(())
}

pub async fn put(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    env: &EnvName,
    path: &CredentialPath,
    req: &CredentialWrite,
) -> Result<CredentialWritten, AppError> {
    validate(req)?;
    let existing = existing_metadata(bao, token, env, path).await?;
    if existing.is_none() && req.class.is_none() {
        return Err(AppError::bad_request(
            "class_required",
            format!(
                "{path:?} is new, so it needs a class: one of {}",
                CREDENTIAL_CLASSES.join(", ")
            ),
        ));
    }
    let version = write_data(bao, token, env, path, &req.data, req.cas).await?;
    let mut meta = existing
        .as_ref()
        .map(|m| from_custom(&m["custom_metadata"]))
        .unwrap_or_default();
    if req.class.is_some() {
        meta.class.clone_from(&req.class);
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
    meta.labels.clone_from(&req.labels);
    meta.environment = Some(env.to_string());
    if meta.created_by.is_none() {
        meta.created_by = Some(actor.to_owned());
    }
    write_metadata(bao, token, env, path, &meta).await?;
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

/// Writes the data of `version` again as a new version (check-and-set on the current one).
pub async fn rollback(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    version: u64,
) -> Result<CredentialWritten, AppError> {
    let meta = metadata_of(bao, token, env, path).await?;
    let current = meta["current_version"].as_u64().unwrap_or_default();
    let (_, data) = read_data(bao, token, env, path, Some(version)).await?;
    let new = write_data(bao, token, env, path, &data, Some(current)).await?;
    Ok(written(env, path, new))
}

pub async fn soft_delete(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
) -> Result<CredentialWritten, AppError> {
    let meta = metadata_of(bao, token, env, path).await?;
    bao.delete(&format!("{}/data/{path}", env.mount()), token)
        .await?;
    Ok(written(
        env,
        path,
        meta["current_version"].as_u64().unwrap_or_default(),
    ))
}

async fn versions_action(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    action: &str,
    versions: &[u64],
) -> Result<CredentialWritten, AppError> {
    let meta = metadata_of(bao, token, env, path).await?;
    let current = meta["current_version"].as_u64().unwrap_or_default();
    let versions = if versions.is_empty() {
        vec![current]
    } else {
        versions.to_vec()
    };
    bao.write(
        &format!("{}/{action}/{path}", env.mount()),
        token,
        &json!({ "versions": versions }),
    )
    .await?;
    Ok(written(env, path, current))
}

pub async fn undelete(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    versions: &[u64],
) -> Result<CredentialWritten, AppError> {
    versions_action(bao, token, env, path, "undelete", versions).await
}

pub async fn destroy(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
    path: &CredentialPath,
    versions: &[u64],
) -> Result<CredentialWritten, AppError> {
    versions_action(bao, token, env, path, "destroy", versions).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> CredentialWrite {
        CredentialWrite {
            data: [("password".to_owned(), "x".to_owned())].into(),
            class: Some("service".into()),
            ..Default::default()
        }
    }

    #[test]
    fn writes_are_validated() {
        assert!(validate(&body()).is_ok());
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
                    class: Some("root".into()),
                    ..body()
                },
                "invalid_class",
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
                    owner: Some("o".repeat(129)),
                    ..body()
                },
                "invalid_owner",
            ),
        ];
        for (req, code) in cases {
            match validate(&req) {
                Err(AppError::BadRequest { code: got, .. }) => assert_eq!(got, code),
                other => panic!("{code}: {other:?}"),
            }
        }
    }
}
