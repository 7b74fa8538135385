//! Key operations: `create_key`, `rotate_key` (one item each, checked against the key's
//! latest version) and `rewrap_credentials` (one item per credential under the prefix whose
//! field holds a ciphertext, each naming the key versions it moves between).

use super::model::{Cred, KeyState};
use super::{item, Planner, PARALLELISM};
use crate::bao::kv::{self, Mount};
use crate::changesets::format::{Changeset, Operation};
use crate::error::AppError;
use crypter_api::{
    ciphertext_version, EnvName, ItemAction, ItemTarget, KeyMove, KeyName, PlanItem,
};
use futures_util::stream::{self, StreamExt};
use std::collections::BTreeMap;

fn key_target(env: &EnvName, name: &KeyName, version: Option<u64>) -> ItemTarget {
    ItemTarget::Key {
        environment: env.to_string(),
        name: name.to_string(),
        version,
    }
}

fn conflict(mut it: PlanItem, why: String) -> PlanItem {
    it.action = ItemAction::Conflict;
    it.reason = Some(why);
    it
}

async fn env_exists(p: &mut Planner<'_>, env: &EnvName) -> Result<bool, AppError> {
    Ok(p.model.env_record(env.as_ref()).await? || p.model.mount(&Mount::env(env)).await?.is_some())
}

pub async fn create_key(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
) -> Result<String, AppError> {
    let (Operation::CreateKey { name, key_type, .. }, Some(env)) = (op, op.key_environment(cs))
    else {
        return Err(AppError::Internal(anyhow::anyhow!("not create_key")));
    };
    let env = env.clone();
    let summary = format!("create key {env}/{name} ({key_type})");
    let found = p.model.key(&env, name).await?;
    let it = item(
        cs,
        index,
        ItemAction::CreateKey,
        key_target(&env, name, found.as_ref().map(|k| k.latest)),
    );
    let it = match found {
        _ if !env_exists(p, &env).await? => conflict(
            it,
            format!("environment {env} does not exist; create it first"),
        ),
        Some(k) if k.recorded && k.key_type == key_type.as_str() => {
            let mut it = it;
            it.action = ItemAction::Skip;
            it.reason = Some(format!("key {env}/{name} exists with this type"));
            it
        }
        Some(k) => conflict(
            it,
            format!(
                "a key {env}/{name} exists already ({}{}); pick another name",
                k.key_type,
                if k.recorded {
                    ""
                } else {
                    ", made outside Crypter"
                }
            ),
        ),
        None => {
            let mut it = it;
            it.precondition.key_version = Some(0);
            it
        }
    };
    p.push(it, op).await?;
    Ok(summary)
}

pub async fn rotate_key(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
) -> Result<String, AppError> {
    let (Operation::RotateKey { name, .. }, Some(env)) = (op, op.key_environment(cs)) else {
        return Err(AppError::Internal(anyhow::anyhow!("not rotate_key")));
    };
    let env = env.clone();
    let summary = format!("rotate key {env}/{name}");
    let it = match p.model.key(&env, name).await? {
        Some(k) => {
            let mut it = item(
                cs,
                index,
                ItemAction::RotateKey,
                key_target(&env, name, Some(k.latest)),
            );
            it.precondition.key_version = Some(k.latest);
            it
        }
        None => conflict(
            item(
                cs,
                index,
                ItemAction::RotateKey,
                key_target(&env, name, None),
            ),
            format!("there is no key {env}/{name}; create it first (create_key)"),
        ),
    };
    p.push(it, op).await?;
    Ok(summary)
}

/// The field of each credential, read at the version the plan knows (marked as the plan's
/// reads); `None` where the credential has no such field.
async fn fields(
    p: &Planner<'_>,
    mount: &Mount,
    creds: &[(String, Cred)],
    field: &str,
) -> Result<BTreeMap<String, Option<String>>, AppError> {
    let (bao, token) = (p.model.bao, p.model.token);
    let wanted: Vec<(String, u64)> = creds.iter().map(|(p, c)| (p.clone(), c.version)).collect();
    let read: Vec<Result<(String, Option<String>), AppError>> = stream::iter(wanted)
        .map(|(path, version)| async move {
            let value = kv::read(bao, token, mount, &path, Some(version)).await?;
            Ok((path, value.and_then(|mut s| s.data.remove(field))))
        })
        .buffer_unordered(PARALLELISM)
        .collect()
        .await;
    read.into_iter().collect()
}

pub async fn rewrap_credentials(
    p: &mut Planner<'_>,
    cs: &Changeset,
    index: usize,
    op: &Operation,
) -> Result<String, AppError> {
    let (
        Operation::RewrapCredentials {
            prefix, key, field, ..
        },
        Some(env),
    ) = (op, op.key_environment(cs))
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "not rewrap_credentials"
        )));
    };
    let env = env.clone();
    let Some(k) = p.model.key(&env, key).await? else {
        let it = item(cs, index, ItemAction::Conflict, key_target(&env, key, None));
        let why = format!("there is no key {env}/{key}; create it first (create_key)");
        p.push(conflict(it, why), op).await?;
        return Ok(format!(
            "rewrap {env}/{prefix}* field {field} with key {key}"
        ));
    };
    let mount = Mount::env(&env);
    let creds: Vec<(String, Cred)> = p
        .model
        .entries(&mount, prefix)
        .await?
        .into_iter()
        .filter(|(_, c)| c.readable)
        .collect();
    let (fresh, touched): (Vec<_>, Vec<_>) = creds
        .into_iter()
        .partition(|(path, _)| !p.model.touched(&mount.path, path));
    let values = fields(p, &mount, &fresh, field).await?;
    let mut moved: BTreeMap<u64, u64> = BTreeMap::new();
    let mut items = Vec::new();
    for (path, c) in &fresh {
        let Some(v) = values.get(path).cloned().flatten() else {
            continue;
        };
        let Some(from) = ciphertext_version(&v) else {
            continue;
        };
        let it = rewrap_item(cs, index, (&env, key, field), &k, (path, c.version), from);
        if it.action == ItemAction::Rewrap {
            *moved.entry(from).or_default() += 1;
        }
        items.push(it);
    }
    for (path, c) in touched {
        let target = ItemTarget::Credential {
            environment: env.to_string(),
            path,
            version: Some(c.version),
        };
        let why = "an earlier operation of this plan writes it; rewrap it in a later changeset";
        items.push(conflict(
            item(cs, index, ItemAction::Rewrap, target),
            why.into(),
        ));
    }
    for it in items {
        p.push(it, op).await?;
    }
    let per_version: Vec<String> = moved
        .iter()
        .map(|(v, n)| format!("{n} from v{v}"))
        .collect();
    Ok(format!(
        "rewrap {env}/{prefix}* field {field} with key {key} to v{}: {}",
        k.latest,
        if per_version.is_empty() {
            "nothing to move".into()
        } else {
            per_version.join(", ")
        }
    ))
}

/// The rewrap of one credential's ciphertext (at key version `from`): a move, a skip when
/// it is at the latest version already, a conflict when OpenBao could not decrypt it.
fn rewrap_item(
    cs: &Changeset,
    index: usize,
    (env, key, field): (&EnvName, &KeyName, &str),
    k: &KeyState,
    (path, version): (&str, u64),
    from: u64,
) -> PlanItem {
    let mut it = item(
        cs,
        index,
        ItemAction::Rewrap,
        ItemTarget::Credential {
            environment: env.to_string(),
            path: path.to_owned(),
            version: Some(version),
        },
    );
    it.key_move = Some(KeyMove {
        key: key.to_string(),
        field: field.to_owned(),
        from,
        to: k.latest,
    });
    it.precondition.cas = Some(version);
    it.precondition.key_version = Some(from);
    if from < k.min_decryption {
        conflict(
            it,
            format!(
                "its ciphertext is at version {from}, below the key's min_decryption_version {}: \
                 OpenBao cannot rewrap it; lower min_decryption_version first",
                k.min_decryption
            ),
        )
    } else if from >= k.latest {
        it.action = ItemAction::Skip;
        it.reason = Some(format!("already at the latest version {}", k.latest));
        it
    } else {
        it
    }
}

/// (environment, key, prefix, field, ciphertexts per key version).
pub type Counts = (EnvName, KeyName, String, String, BTreeMap<u64, u64>);

/// What an apply of `items` leaves in the usage record of each rewrap operation's key:
/// per (environment, key, prefix, field), the ciphertexts per key version.
pub fn rewrap_counts(cs: &Changeset, items: &[PlanItem]) -> Vec<Counts> {
    let mut out = Vec::new();
    for (index, op) in cs.operations.iter().enumerate() {
        let (
            Operation::RewrapCredentials {
                prefix, key, field, ..
            },
            Some(env),
        ) = (op, op.key_environment(cs))
        else {
            continue;
        };
        let mut by_version = BTreeMap::new();
        for it in items.iter().filter(|i| i.operation == index) {
            if let (Some(m), ItemAction::Rewrap | ItemAction::Skip) = (&it.key_move, it.action) {
                *by_version.entry(m.to.max(m.from)).or_default() += 1;
            }
        }
        out.push((
            env.clone(),
            key.clone(),
            prefix.clone(),
            field.clone(),
            by_version,
        ));
    }
    out
}
