//! Environments: a KV v2 mount `env/<name>/` for credentials, a transit mount
//! `transit/<name>/` for keys, and a record at `crypter/data/environments/<name>`. Every
//! call uses the caller's own token.

use crate::bao::{transit, Bao, BaoError};
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{EnvName, Environment, EnvironmentCreate, EnvironmentUpdate};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use serde_json::{json, Value};

/// How many OpenBao calls one request runs at once when it fans out.
pub const FAN_OUT: usize = 16;

const DEFAULT_COLOR: &str = "#8a94a6";

fn record_path(name: &EnvName) -> String {
    format!("crypter/data/environments/{name}")
}

/// `#rrggbb`, so the console can put it in a style attribute without escaping.
pub fn validate_color(color: &str) -> Result<(), AppError> {
    let ok = color.len() == 7
        && color.starts_with('#')
        && color[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_request(
            ErrorCode::InvalidColor,
            format!("invalid colour {color:?}: use #rrggbb, e.g. #2f80ed"),
        ))
    }
}

fn validate_description(description: &str) -> Result<(), AppError> {
    if description.chars().count() > 500 {
        return Err(AppError::bad_request(
            ErrorCode::InvalidDescription,
            "the description is longer than 500 characters; shorten it",
        ));
    }
    Ok(())
}

fn from_record(name: &EnvName, data: &Value) -> Environment {
    Environment {
        name: name.clone(),
        description: data["description"].as_str().unwrap_or_default().to_owned(),
        color: data["color"].as_str().unwrap_or(DEFAULT_COLOR).to_owned(),
        protected: data["protected"].as_bool().unwrap_or(false),
        credential_count: None,
    }
}

/// The record alone, or `NotFound` with a message that names the environment.
pub async fn record(
    bao: &Bao,
    token: &SecretString,
    name: &EnvName,
) -> Result<Environment, AppError> {
    match bao.read(&record_path(name), token).await? {
        Some(v) => Ok(from_record(name, &v["data"]["data"])),
        None => Err(not_found(name)),
    }
}

pub fn not_found(name: &EnvName) -> AppError {
    AppError::NotFound(
        ErrorCode::EnvironmentNotFound,
        format!("environment {name:?} does not exist; create it first or pick another"),
    )
}

/// Every environment's record, sorted by name, without counts.
pub async fn records(bao: &Bao, token: &SecretString) -> Result<Vec<Environment>, AppError> {
    let names: Vec<EnvName> = bao
        .list("crypter/metadata/environments/", token)
        .await?
        .iter()
        .filter_map(|k| EnvName::parse(k).ok())
        .collect();
    let mut envs: Vec<Environment> = stream::iter(names)
        .map(|name| async move { record(bao, token, &name).await })
        .buffer_unordered(FAN_OUT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .filter_map(|r| match r {
            Ok(env) => Some(Ok(env)),
            // Deleted between the LIST and the read.
            Err(AppError::NotFound(..)) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()?;
    envs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(envs)
}

/// Every environment with its credential count (one SCAN each, `FAN_OUT` at a time). A
/// count the caller may not see is left out rather than failing the whole list.
pub async fn list(bao: &Bao, token: &SecretString) -> Result<Vec<Environment>, AppError> {
    let envs = records(bao, token).await?;
    let mut counted: Vec<Environment> = stream::iter(envs)
        .map(|mut env| async move {
            env.credential_count = credential_count(bao, token, &env.name).await.ok();
            env
        })
        .buffer_unordered(FAN_OUT)
        .collect()
        .await;
    counted.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(counted)
}

pub async fn get(bao: &Bao, token: &SecretString, name: &EnvName) -> Result<Environment, AppError> {
    let mut env = record(bao, token, name).await?;
    env.credential_count = Some(credential_count(bao, token, name).await?);
    Ok(env)
}

pub async fn create(
    bao: &Bao,
    token: &SecretString,
    req: &EnvironmentCreate,
) -> Result<Environment, AppError> {
    let name = req.name.clone();
    let color = req
        .color
        .clone()
        .unwrap_or_else(|| DEFAULT_COLOR.to_owned());
    validate_color(&color)?;
    validate_description(&req.description)?;
    if bao.read(&record_path(&name), token).await?.is_some() {
        return Err(AppError::Conflict(
            ErrorCode::EnvironmentExists,
            format!("environment {name:?} already exists; pick another name"),
        ));
    }
    let mount = format!("sys/mounts/{}", name.mount());
    let body = json!({
        "type": "kv", "description": req.description, "options": { "version": "2" },
    });
    match bao.write(&mount, token, &body).await {
        Ok(_) => {}
        // OpenBao refuses a path in use with a 400; whether a mount is there now tells
        // that case from another refusal without reading the wording.
        Err(BaoError::Rejected { status: 400, .. }) if mount_exists(bao, token, &mount).await? => {
            return Err(AppError::Conflict(
                ErrorCode::MountTaken,
                format!(
                    "OpenBao already has a secrets engine where environment {name} would live \
                 ({}/); remove it in OpenBao or pick another name",
                    name.mount()
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    // A new KV v2 mount refuses requests while it upgrades itself; wait for that, so the
    // first credential write does not meet it.
    crate::bao::kv::wait_ready(bao, token, &crate::bao::kv::Mount::env(&name)).await?;
    if let Err(e) = ensure_transit(bao, token, &name).await {
        let _ = bao.delete(&mount, token).await;
        return Err(e);
    }
    let env = Environment {
        name: name.clone(),
        description: req.description.clone(),
        color,
        protected: req.protected,
        credential_count: Some(0),
    };
    if let Err(e) = write_record(bao, token, &name, &env, Some(0)).await {
        // Leave no mount without a record behind, or the name could never be created again.
        let _ = bao.delete(&mount, token).await;
        let _ = bao
            .delete(&format!("sys/mounts/{}", transit::mount(&name)), token)
            .await;
        return Err(e);
    }
    Ok(env)
}

/// The environment's transit mount, refusing key creation by encryption; mounted when
/// missing (an environment made before keys existed, or an apply that stopped between
/// the two mounts).
pub async fn ensure_transit(
    bao: &Bao,
    token: &SecretString,
    name: &EnvName,
) -> Result<(), AppError> {
    match transit::upsert_refused(bao, token, name).await? {
        Some(true) => Ok(()),
        Some(false) => Ok(transit::refuse_upsert(bao, token, name).await?),
        None => Ok(transit::mount_for(bao, token, name).await?),
    }
}

/// Write the record of an environment whose mount exists already (an apply that stopped
/// between the two writes); refuses if the record exists.
pub async fn record_mount(
    bao: &Bao,
    token: &SecretString,
    req: &EnvironmentCreate,
) -> Result<(), AppError> {
    let name = req.name.clone();
    let color = req
        .color
        .clone()
        .unwrap_or_else(|| DEFAULT_COLOR.to_owned());
    validate_color(&color)?;
    validate_description(&req.description)?;
    let env = Environment {
        name: name.clone(),
        description: req.description.clone(),
        color,
        protected: req.protected,
        credential_count: None,
    };
    ensure_transit(bao, token, &name).await?;
    write_record(bao, token, &name, &env, Some(0)).await
}

async fn write_record(
    bao: &Bao,
    token: &SecretString,
    name: &EnvName,
    env: &Environment,
    cas: Option<u64>,
) -> Result<(), AppError> {
    let mut body = json!({ "data": {
        "name": env.name, "description": env.description, "color": env.color,
        "protected": env.protected,
    }});
    if let Some(cas) = cas {
        body["options"] = json!({ "cas": cas });
    }
    let path = record_path(name);
    bao.write(&path, token, &body).await?;
    Ok(())
}

pub async fn update(
    bao: &Bao,
    token: &SecretString,
    name: &EnvName,
    req: &EnvironmentUpdate,
) -> Result<Environment, AppError> {
    let mut env = record(bao, token, name).await?;
    if let Some(color) = &req.color {
        validate_color(color)?;
        env.color = color.clone();
    }
    if let Some(description) = &req.description {
        validate_description(description)?;
        env.description = description.clone();
    }
    if let Some(protected) = req.protected {
        env.protected = protected;
    }
    write_record(bao, token, name, &env, None).await?;
    env.credential_count = credential_count(bao, token, name).await.ok();
    Ok(env)
}

/// Refuses while credentials or keys remain, so deleting an environment never destroys
/// data.
pub async fn delete(bao: &Bao, token: &SecretString, name: &EnvName) -> Result<(), AppError> {
    record(bao, token, name).await?;
    let count = credential_count(bao, token, name).await?;
    if count > 0 {
        return Err(AppError::Conflict(
            ErrorCode::EnvironmentNotEmpty,
            format!(
                "environment {name:?} still holds {count} credential(s); delete or move them first"
            ),
        ));
    }
    let keys = key_count(bao, token, name).await?;
    if keys > 0 {
        return Err(AppError::Conflict(
            ErrorCode::EnvironmentNotEmpty,
            format!(
                "environment {name:?} still holds {keys} key(s); an operator must allow their \
             deletion and delete them first"
            ),
        ));
    }
    bao.delete(&format!("sys/mounts/{}", name.mount()), token)
        .await?;
    bao.delete(&format!("sys/mounts/{}", transit::mount(name)), token)
        .await?;
    bao.delete(&format!("crypter/metadata/environments/{name}"), token)
        .await?;
    Ok(())
}

/// How many credentials (soft-deleted ones included) the environment holds: a SCAN of
/// `metadata/`, which returns keys only and is much cheaper than `detailed-metadata/`.
pub async fn credential_count(
    bao: &Bao,
    token: &SecretString,
    env: &EnvName,
) -> Result<u64, AppError> {
    let method = reqwest::Method::from_bytes(b"SCAN").map_err(|e| anyhow::anyhow!(e))?;
    let path = format!("{}/metadata/", env.mount());
    let answer = match bao.request(method, &path, Some(token), None).await {
        Ok(v) => v.unwrap_or_default(),
        Err(BaoError::NotFound { .. }) => return Err(not_found(env)),
        Err(e) => return Err(e.into()),
    };
    Ok(answer
        .pointer("/data/keys")
        .and_then(Value::as_array)
        .map_or(0, |keys| {
            keys.iter()
                .filter(|k| k.as_str().is_some_and(|k| !k.ends_with('/')))
                .count() as u64
        }))
}

/// How many keys the environment holds (deleting it is refused while any remain).
pub async fn key_count(bao: &Bao, token: &SecretString, env: &EnvName) -> Result<u64, AppError> {
    match transit::list_keys(bao, token, env).await {
        Ok(keys) => Ok(keys.len() as u64),
        // An environment made before keys existed, not yet upgraded by bootstrap.
        Err(transit::TransitError::NoMount { .. }) => Ok(0),
        Err(e) => Err(e.into()),
    }
}

/// A secrets engine is mounted at `sys/mounts/<path>` (OpenBao answers 400 when none is).
async fn mount_exists(bao: &Bao, token: &SecretString, mount: &str) -> Result<bool, AppError> {
    match bao
        .request(reqwest::Method::GET, mount, Some(token), None)
        .await
    {
        Ok(found) => Ok(found.is_some()),
        Err(BaoError::Rejected { status: 400, .. } | BaoError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_must_be_hex() {
        assert!(validate_color("#2f80eD").is_ok());
        for bad in ["", "red", "#fff", "#12345g", "2f80ed0", "#2f80ed\"><"] {
            assert!(validate_color(bad).is_err(), "{bad}");
        }
    }
}
