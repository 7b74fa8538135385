//! Key items: a key created (Crypter's record first, then OpenBao's key), a key rotated
//! from its planned latest version, and a ciphertext rewrapped by OpenBao and written with
//! `cas`, then read back. A resumed item is done when the store shows exactly its effect.

use super::{conflict, Data, Exec, Stop};
use crate::bao::kv::{self, KvError, Mount};
use crate::bao::transit::{self, TransitError};
use crate::changesets::fault;
use crate::changesets::format::Operation;
use crate::error::AppError;
use crate::keys::record::{self, KeyRecord};
use crypter_api::{ciphertext_version, EnvName, KeyMove, KeyName, PlanItem};

fn names(environment: &str, name: &str) -> Result<(EnvName, KeyName), Stop> {
    Ok((EnvName::parse(environment)?, KeyName::parse(name)?))
}

fn transit_stop(e: TransitError) -> Stop {
    match e {
        TransitError::NotFound { .. } => conflict(e.to_string()),
        other => Stop::Error(other.into()),
    }
}

pub async fn create_key(
    x: &Exec<'_>,
    it: &PlanItem,
    op: &Operation,
    environment: &str,
    name: &str,
) -> Result<(), Stop> {
    let Operation::CreateKey {
        key_type,
        owner,
        description,
        labels,
        auto_rotate_period,
        rotation_period,
        ..
    } = op
    else {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "not create_key"
        ))));
    };
    let (env, name) = names(environment, name)?;
    let key = transit::read_key(x.bao, x.token, &env, &name)
        .await
        .map_err(transit_stop)?;
    let recorded = record::read(x.bao, x.token, &env, &name).await?.is_some();
    match (&key, recorded) {
        (None, false) => {
            let rec = KeyRecord {
                owner: owner.clone(),
                description: description.clone(),
                labels: labels.clone(),
                rotation_period: rotation_period.filter(|p| *p > 0),
                deletion: None,
                created_by: Some(format!("changeset {}", it.changeset)),
            };
            match record::write(x.bao, x.token, &env, &name, &rec, 0).await {
                Ok(_) => fault::wrote(),
                Err(AppError::Conflict(_, why)) => return Err(conflict(why)),
                Err(e) => return Err(e.into()),
            }
        }
        // The interrupted apply wrote the record; the key is still to make.
        (None, true) if it.resumed => {}
        (Some(k), true) if it.resumed && k.key_type == key_type.as_str() => return Ok(()),
        _ => {
            return Err(conflict(format!(
                "key {env}/{name} (or Crypter's record of it) exists now; it was left as it is"
            )))
        }
    }
    let auto = auto_rotate_period.unwrap_or(0);
    transit::create_key(x.bao, x.token, &env, &name, key_type.as_str(), auto)
        .await
        .map_err(transit_stop)?;
    fault::wrote();
    Ok(())
}

pub async fn rotate_key(
    x: &Exec<'_>,
    it: &PlanItem,
    environment: &str,
    name: &str,
) -> Result<(), Stop> {
    let (env, name) = names(environment, name)?;
    let planned = it.precondition.key_version.unwrap_or(0);
    let Some(key) = transit::read_key(x.bao, x.token, &env, &name)
        .await
        .map_err(transit_stop)?
    else {
        return Err(conflict(format!("key {env}/{name} is gone")));
    };
    match key.latest_version {
        v if v == planned => {
            transit::rotate(x.bao, x.token, &env, &name)
                .await
                .map_err(transit_stop)?;
            fault::wrote();
            Ok(())
        }
        v if it.resumed && v == planned + 1 => Ok(()),
        v => Err(conflict(format!(
            "key {env}/{name} changed since the plan: version {planned} was to be the latest, \
             and {v} is; it was left as it is"
        ))),
    }
}

/// The value with its field holding `ciphertext`.
fn with_field(mut data: Data, field: &str, ciphertext: String) -> Data {
    data.insert(field.to_owned(), ciphertext);
    data
}

/// `after` is exactly what this rewrap writes over `before`: the same fields, and the
/// field a ciphertext at the target version.
fn rewrapped(before: &Data, after: &Data, m: &KeyMove) -> bool {
    let field_ok = after
        .get(&m.field)
        .and_then(|v| ciphertext_version(v))
        .is_some_and(|v| v == m.to);
    let mut rest_before = before.clone();
    let mut rest_after = after.clone();
    rest_before.remove(&m.field);
    rest_after.remove(&m.field);
    field_ok && rest_before == rest_after
}

pub async fn rewrap(
    x: &Exec<'_>,
    it: &PlanItem,
    environment: &str,
    path: &str,
) -> Result<(), Stop> {
    let Some(m) = &it.key_move else {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "a rewrap item without its key versions"
        ))));
    };
    let (env, key) = names(environment, &m.key)?;
    let mount = Mount::env(&env);
    let cas = it.precondition.cas.unwrap_or(0);
    let planned = kv::read(x.bao, x.token, &mount, path, Some(cas)).await?;
    let Some(before) = planned.map(|s| s.data) else {
        return Err(conflict(format!(
            "its version {cas} is no longer readable; it was left as it is"
        )));
    };
    let current = kv::read(x.bao, x.token, &mount, path, None).await?;
    match current {
        Some(now) if now.version == cas => {}
        // The interrupted apply wrote it: done when that version is exactly its effect.
        Some(now) if it.resumed && now.version == cas + 1 && rewrapped(&before, &now.data, m) => {
            return Ok(())
        }
        _ => {
            return Err(conflict(format!(
                "it changed since the plan (version {cas} was planned); it was left as it is"
            )))
        }
    }
    let old = before.get(&m.field).cloned().unwrap_or_default();
    if ciphertext_version(&old) != Some(m.from) {
        return Err(conflict(format!(
            "its field {} no longer holds a ciphertext at version {}",
            m.field, m.from
        )));
    }
    let new = transit::rewrap(x.bao, x.token, &env, &key, &old, Some(m.to))
        .await
        .map_err(transit_stop)?;
    let value = with_field(before.clone(), &m.field, new);
    match kv::write(x.bao, x.token, &mount, path, &value, Some(cas)).await {
        Ok(_) => fault::wrote(),
        Err(KvError::CasFailed { .. }) => {
            return Err(conflict(format!(
                "it changed while it was rewrapped (version {cas} was planned); it was left as \
                 it is"
            )))
        }
        Err(e) => return Err(e.into()),
    }
    let back = kv::read(x.bao, x.token, &mount, path, Some(cas + 1)).await?;
    if back.as_ref().map(|b| &b.data) != Some(&value) {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "verification failed: {} does not read back the rewrapped value",
            it.target.label()
        ))));
    }
    x.wrote(env.as_str(), path, cas + 1, &value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrap_changes_its_field_only() {
        let m = KeyMove {
            key: "k".into(),
            field: "pan".into(),
            from: 1,
            to: 3,
        };
        let before = Data::from([
            ("pan".into(), "vault:v1:a".into()),
            ("x".into(), "1".into()),
        ]);
        let after = with_field(before.clone(), "pan", "vault:v3:b".into());
        assert!(rewrapped(&before, &after, &m));
        let wrong_version = with_field(before.clone(), "pan", "vault:v2:b".into());
        assert!(!rewrapped(&before, &wrong_version, &m));
        let mut other = after.clone();
        other.insert("x".into(), "2".into());
        assert!(!rewrapped(&before, &other, &m));
    }
}
