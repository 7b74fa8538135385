//! Credential items: a value written with `cas` and read back, metadata with
//! `metadata_cas`, a soft delete of the planned version, a move's source removed.

use super::{conflict, Carry, Data, Exec, Stop};
use crate::bao::kv::{self, KvError, Mount};
use crate::changesets::fault;
use crate::changesets::format::{Charset, Operation};
use crate::credentials::{from_custom, to_custom};
use crate::error::AppError;
use crypter_api::{CredentialMetadata, EnvName, ItemSource, PlanItem};
use std::collections::BTreeMap;

fn source_mount(s: &ItemSource) -> Mount {
    Mount {
        path: s.mount.clone(),
        v2: s.version.is_some(),
    }
}

/// The source's value, if it is still at the planned version.
async fn read_source(x: &Exec<'_>, s: &ItemSource) -> Result<Option<Data>, Stop> {
    let Some(secret) = kv::read(x.bao, x.token, &source_mount(s), &s.path, None).await? else {
        return Ok(None);
    };
    match s.version {
        Some(v) if v != secret.version => Err(conflict(format!(
            "its source {}/{} changed: version {v} was planned, version {} is current",
            s.mount, s.path, secret.version
        ))),
        _ => Ok(Some(secret.data)),
    }
}

fn custom(m: &CredentialMetadata) -> serde_json::Value {
    to_custom(m)["custom_metadata"].clone()
}

pub async fn write(
    x: &Exec<'_>,
    it: &PlanItem,
    op: &Operation,
    environment: &str,
    path: &str,
    carry: &mut Carry,
) -> Result<(), Stop> {
    let target = Mount::env(&EnvName::parse(environment)?);
    let cas = it.precondition.cas.unwrap_or(0);
    let planned = match &it.source {
        Some(s) => match read_source(x, s).await? {
            Some(data) => {
                carry.source = Some((s.mount.clone(), s.path.clone(), data.clone()));
                Some(data)
            }
            // The interrupted apply may have finished this copy and, for a move, removed
            // its source after reading the copy back: then the target holds it.
            None if it.resumed => return copied_before(x, it, &target, path, cas).await,
            None => {
                return Err(conflict(format!(
                    "its source {}/{} has no readable version any more",
                    s.mount, s.path
                )))
            }
        },
        None => None,
    };
    let value = match &planned {
        Some(d) => d.clone(),
        None => generated(op)?,
    };
    let value = put_checked(x, it, environment, path, value, planned.as_ref()).await?;
    carry.target = Some((format!("{environment}/{path}"), cas + 1, value));
    Ok(())
}

/// Write `value` over version `cas` (0: absent), then the item's metadata, and read it
/// back: the value now stored. A resumed item whose write was done already (the version
/// after `cas` holds `expected`, or any value when it was generated) is accepted as done.
async fn put_checked(
    x: &Exec<'_>,
    it: &PlanItem,
    environment: &str,
    path: &str,
    mut value: Data,
    expected: Option<&Data>,
) -> Result<Data, Stop> {
    let target = Mount::env(&EnvName::parse(environment)?);
    let cas = it.precondition.cas.unwrap_or(0);
    match kv::write(x.bao, x.token, &target, path, &value, Some(cas)).await {
        Ok(_) => fault::wrote(),
        Err(KvError::CasFailed { .. }) => {
            let now = kv::read(x.bao, x.token, &target, path, None).await?;
            match now {
                // The interrupted apply wrote it: that value is the item's.
                Some(s)
                    if it.resumed
                        && s.version == cas + 1
                        && expected.is_none_or(|d| d == &s.data) =>
                {
                    value = s.data;
                }
                _ => {
                    return Err(conflict(format!(
                        "the target changed since the plan: its version was to be {cas} (0: \
                         absent), and it is not; it was left as it is"
                    )))
                }
            }
        }
        Err(e) => return Err(e.into()),
    }
    metadata(x, it, &target, path).await?;
    let back = kv::read(x.bao, x.token, &target, path, Some(cas + 1)).await?;
    if back.as_ref().map(|b| &b.data) != Some(&value) {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "verification failed: {} does not read back the value just written",
            it.target.label()
        ))));
    }
    x.wrote(environment, path, cas + 1, &value);
    Ok(value)
}

/// An undo's restore: the credential's earlier version (the item's source), written back
/// as its newest over the version the apply left, with that version's metadata.
pub async fn restore(
    x: &Exec<'_>,
    it: &PlanItem,
    environment: &str,
    path: &str,
) -> Result<(), Stop> {
    let mount = Mount::env(&EnvName::parse(environment)?);
    let Some(from) = it.source.as_ref().and_then(|s| s.version) else {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "restore without the version to put back"
        ))));
    };
    let Some(old) = kv::read(x.bao, x.token, &mount, path, Some(from)).await? else {
        return Err(conflict(format!(
            "version {from}, which was to be put back, is gone since the plan (destroyed, \
             deleted or past max_versions); it was left as it is"
        )));
    };
    put_checked(x, it, environment, path, old.data.clone(), Some(&old.data)).await?;
    Ok(())
}

/// A resumed copy whose source is gone: done only if the target is at the version the copy
/// wrote (its metadata is then finished like any resumed item's).
async fn copied_before(
    x: &Exec<'_>,
    it: &PlanItem,
    target: &Mount,
    path: &str,
    cas: u64,
) -> Result<(), Stop> {
    match kv::read(x.bao, x.token, target, path, None).await? {
        Some(t) if t.version == cas + 1 => metadata(x, it, target, path).await,
        _ => Err(conflict(format!(
            "its source is gone and the target is not at the version the copy was to write \
             ({}); it was left as it is",
            cas + 1
        ))),
    }
}

/// The item's metadata, written with `metadata_cas`.
pub async fn metadata(x: &Exec<'_>, it: &PlanItem, mount: &Mount, path: &str) -> Result<(), Stop> {
    let planned = it.metadata.clone().unwrap_or_default();
    let mc = it.precondition.metadata_cas.unwrap_or(0);
    match kv::write_metadata(x.bao, x.token, mount, path, &custom(&planned), Some(mc)).await {
        Ok(()) => {
            fault::wrote();
            Ok(())
        }
        Err(KvError::CasFailed { .. }) => {
            let now = kv::metadata(x.bao, x.token, mount, path).await?;
            let done = now.is_some_and(|m| {
                m.metadata_version == mc + 1
                    && from_custom(&m.custom) == from_custom(&custom(&planned))
            });
            if it.resumed && done {
                Ok(())
            } else {
                Err(conflict(format!(
                    "its metadata changed since the plan (metadata version {mc} was planned); it \
                     was left as it is"
                )))
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Soft-delete the planned version: it must still be current and readable.
pub async fn delete(
    x: &Exec<'_>,
    it: &PlanItem,
    environment: &str,
    path: &str,
) -> Result<(), Stop> {
    set_deleted(x, it, environment, path, true).await
}

/// An undo's undelete: the version the apply soft-deleted made readable again; it must
/// still be current and deleted.
pub async fn undelete(
    x: &Exec<'_>,
    it: &PlanItem,
    environment: &str,
    path: &str,
) -> Result<(), Stop> {
    set_deleted(x, it, environment, path, false).await
}

async fn set_deleted(
    x: &Exec<'_>,
    it: &PlanItem,
    environment: &str,
    path: &str,
    delete: bool,
) -> Result<(), Stop> {
    let mount = Mount::env(&EnvName::parse(environment)?);
    let v = it.precondition.cas.unwrap_or(0);
    let (verb, was) = if delete {
        ("deleted", "current and readable")
    } else {
        ("undeleted", "the current, deleted version")
    };
    match kv::metadata(x.bao, x.token, &mount, path).await? {
        Some(m) if m.current_version == v && m.readable() == delete => {
            if delete {
                kv::delete_versions(x.bao, x.token, &mount, path, &[v]).await?;
            } else {
                kv::undelete(x.bao, x.token, &mount, path, &[v]).await?;
            }
            fault::wrote();
        }
        Some(m) if it.resumed && m.current_version == v => {}
        _ => {
            return Err(conflict(format!(
                "it changed since the plan: its version {v} was to be {verb}, and it is not {was}"
            )))
        }
    }
    // An undo's delete or undelete also puts back the metadata the apply changed.
    if it.metadata.is_some() {
        metadata(x, it, &mount, path).await?;
    }
    Ok(())
}

/// Remove a move's source, only once the target holds its value (written and read back
/// by the copy before it, or read here).
pub async fn delete_source(
    x: &Exec<'_>,
    it: &PlanItem,
    environment: &str,
    path: &str,
    expected: u64,
    carry: &mut Carry,
) -> Result<(), Stop> {
    let Some(s) = &it.source else {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "delete_source without a source"
        ))));
    };
    let carried = carry
        .source
        .take()
        .filter(|(m, p, _)| m == &s.mount && p == &s.path)
        .map(|(_, _, d)| d);
    let source = match carried {
        Some(d) => d,
        None => match read_source(x, s).await? {
            Some(d) => d,
            None if it.resumed => return Ok(()),
            None => {
                return Err(conflict(format!(
                    "its source {}/{} is gone",
                    s.mount, s.path
                )))
            }
        },
    };
    let label = format!("{environment}/{path}");
    let carried = carry
        .target
        .take()
        .filter(|(l, v, _)| l == &label && *v == expected)
        .map(|(_, _, d)| d);
    let target = match carried {
        Some(d) => Some(d),
        None => {
            let mount = Mount::env(&EnvName::parse(environment)?);
            kv::read(x.bao, x.token, &mount, path, None)
                .await?
                .filter(|t| t.version == expected)
                .map(|t| t.data)
        }
    };
    if target.as_ref() != Some(&source) {
        return Err(conflict(format!(
            "{label} does not hold the source's value at version {expected}, so the source \
             {}/{} is kept",
            s.mount, s.path
        )));
    }
    kv::remove(x.bao, x.token, &source_mount(s), &s.path).await?;
    fault::wrote();
    Ok(())
}

/// A new random value for `put_credential … generate`.
fn generated(op: &Operation) -> Result<Data, Stop> {
    let Operation::PutCredential {
        generate: Some(g),
        key,
        ..
    } = op
    else {
        return Err(Stop::Error(AppError::Internal(anyhow::anyhow!(
            "an item without a source must generate its value"
        ))));
    };
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const HEX: &[u8] = b"0123456789abcdef";
    const SYMBOLS: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%&*+-=?@^_~";
    let set = match g.charset {
        Charset::Alphanumeric => ALNUM,
        Charset::Hex => HEX,
        Charset::Symbols => SYMBOLS,
    };
    let mut rng = rand::rng();
    let value: String = (0..g.length)
        .map(|_| set[rand::Rng::random_range(&mut rng, 0..set.len())] as char)
        .collect();
    let key = key.clone().unwrap_or_else(|| "value".into());
    Ok(BTreeMap::from([(key, value)]))
}
