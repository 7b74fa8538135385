//! Everything a case's plan could touch, read back from OpenBao: every version's value and
//! state, each credential's metadata, the roles (record, policy, AppRole) and the
//! environments (record, mount), the keys (latest version, Crypter's record). And the oracle: the store that a list of items leaves,
//! worked out here from the items alone, independently of the engine's own model.

use super::gen::{role, ENVS, KEYS};
use crypter::bao::kv::{self, KvError, Mount};
use crypter::bao::Bao;
use crypter::changesets::format::{Changeset, Operation};
use crypter::credentials::{from_custom, to_custom};
use crypter_api::{CredentialMetadata, ItemAction, ItemTarget, PlanItem, Role, RoleName};
use secrecy::SecretString;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub type Data = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Exact(Data),
    /// Generated when applied: only its key and length are known.
    Generated {
        key: String,
        length: usize,
    },
    /// Rewrapped when applied: `field` a ciphertext at key version `version`, the rest as is.
    Rewrapped {
        rest: Data,
        field: String,
        version: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ver {
    /// `None` when it cannot be read (deleted or destroyed).
    pub value: Option<Val>,
    pub deleted: bool,
    pub destroyed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cred {
    pub current: u64,
    pub metadata_version: u64,
    pub metadata: CredentialMetadata,
    /// KV v1 keys have one "version", 0.
    pub versions: BTreeMap<u64, Ver>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoleSnap {
    pub record: Option<Value>,
    pub policy: Option<String>,
    pub approle: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snap {
    pub creds: BTreeMap<(String, String), Cred>,
    pub roles: BTreeMap<String, RoleSnap>,
    /// Environment name: (Crypter's record exists, its mount exists).
    pub envs: BTreeMap<String, (bool, bool)>,
    /// (environment, key): (its latest version in transit, Crypter's record exists).
    pub keys: BTreeMap<(String, String), (u64, bool)>,
}

fn mounts(new_env: &str) -> Vec<Mount> {
    let mut out: Vec<Mount> = ENVS.iter().map(|e| Mount::v2(format!("env/{e}"))).collect();
    out.push(Mount::v2(format!("env/{new_env}")));
    out.push(Mount {
        path: "lv1".into(),
        v2: false,
    });
    out.push(Mount::v2("lv2"));
    out
}

pub async fn take(bao: &Bao, root: &SecretString, new_env: &str) -> Snap {
    let mut snap = Snap::default();
    for m in mounts(new_env) {
        let entries = match kv::scan(bao, root, &m).await {
            Ok(e) => e,
            Err(KvError::NoMount { .. }) => continue,
            Err(e) => panic!("scan {}: {e}", m.path),
        };
        for (path, meta) in entries {
            let cred = if m.v2 {
                let mut versions = BTreeMap::new();
                for (n, v) in &meta.versions {
                    let readable = v.deletion_time.is_none() && !v.destroyed;
                    let value = if readable {
                        let s = kv::read(bao, root, &m, &path, Some(*n)).await.unwrap();
                        s.map(|s| Val::Exact(s.data))
                    } else {
                        None
                    };
                    let ver = Ver {
                        value,
                        deleted: v.deletion_time.is_some(),
                        destroyed: v.destroyed,
                    };
                    versions.insert(*n, ver);
                }
                Cred {
                    current: meta.current_version,
                    metadata_version: meta.metadata_version,
                    metadata: from_custom(&meta.custom),
                    versions,
                }
            } else {
                let s = kv::read(bao, root, &m, &path, None).await.unwrap();
                let ver = Ver {
                    value: s.map(|s| Val::Exact(s.data)),
                    deleted: false,
                    destroyed: false,
                };
                Cred {
                    current: 0,
                    metadata_version: 0,
                    metadata: CredentialMetadata::default(),
                    versions: BTreeMap::from([(0, ver)]),
                }
            };
            snap.creds.insert((m.path.clone(), path), cred);
        }
    }
    let crypter = Mount::v2("crypter");
    for r in 0..2 {
        let name = role(r);
        let record = kv::read_json(bao, root, &crypter, &format!("roles/{name}"))
            .await
            .unwrap()
            .map(|(v, _)| v);
        let policy = bao
            .read(&format!("sys/policies/acl/crypter-role-{name}"), root)
            .await
            .unwrap()
            .and_then(|v| v["data"]["policy"].as_str().map(str::to_owned));
        let approle = bao
            .read(&format!("auth/approle/role/{name}"), root)
            .await
            .unwrap()
            .is_some();
        snap.roles.insert(
            name,
            RoleSnap {
                record,
                policy,
                approle,
            },
        );
    }
    for env in ENVS.iter().copied().chain([new_env]) {
        let record = kv::read_json(bao, root, &crypter, &format!("environments/{env}"))
            .await
            .unwrap()
            .is_some();
        let mount = !matches!(
            kv::scan(bao, root, &Mount::v2(format!("env/{env}"))).await,
            Err(KvError::NoMount { .. })
        );
        snap.envs.insert(env.to_owned(), (record, mount));
        for key in KEYS {
            let latest = bao
                .read(&format!("transit/{env}/keys/{key}"), root)
                .await
                .ok()
                .flatten()
                .and_then(|v| v["data"]["latest_version"].as_u64());
            let record = kv::read_json(bao, root, &crypter, &format!("keys/{env}/{key}"))
                .await
                .unwrap()
                .is_some();
            if let Some(latest) = latest {
                snap.keys
                    .insert((env.to_owned(), key.to_owned()), (latest, record));
            }
        }
    }
    snap
}

/// Metadata as OpenBao keeps it (empty strings are no value).
fn stored(m: &CredentialMetadata) -> CredentialMetadata {
    from_custom(&to_custom(m)["custom_metadata"])
}

/// The store `items` leave, starting from `before`; `Err` when an item's precondition does
/// not hold where the items put it (the plan would contradict itself).
/// KV v2 keeps a key's newest 10 versions (the mount's default `max_versions`): a write
/// past the tenth drops the oldest.
fn keep_newest(c: &mut Cred) {
    const MAX_VERSIONS: u64 = 10;
    let oldest_kept = c.current.saturating_sub(MAX_VERSIONS - 1);
    c.versions.retain(|v, _| *v >= oldest_kept);
}

pub fn expect(before: &Snap, items: &[PlanItem], cs: &Changeset) -> Result<Snap, String> {
    let mut s = before.clone();
    for (n, it) in items.iter().enumerate() {
        let op = &cs.operations[it.operation];
        let here = || format!("item {n} ({} {})", it.action, it.target.label());
        match (it.action, &it.target) {
            (ItemAction::Skip | ItemAction::Conflict, _) => {}
            (ItemAction::CreateEnvironment, ItemTarget::Environment { name }) => {
                s.envs.insert(name.clone(), (true, true));
            }
            (ItemAction::CreateRole | ItemAction::UpdateRole, ItemTarget::Role { name, .. }) => {
                let role = match op {
                    Operation::CreateRole {
                        name,
                        class,
                        description,
                        grants,
                    } => Role {
                        name: name.clone(),
                        class: *class,
                        description: description.clone(),
                        grants: grants.clone(),
                        canaries: Vec::new(),
                        forbidden: Vec::new(),
                    },
                    Operation::UpdateGrants { grants, .. } => {
                        let old = s.roles[name]
                            .record
                            .clone()
                            .ok_or_else(|| format!("{}: no role", here()))?;
                        let mut r: Role = serde_json::from_value(old).map_err(|e| e.to_string())?;
                        r.grants = grants.clone();
                        r
                    }
                    _ => return Err(format!("{}: not a role operation", here())),
                };
                let rn = RoleName::parse(name).unwrap();
                let snap = RoleSnap {
                    record: Some(serde_json::to_value(&role).unwrap()),
                    policy: Some(crypter::roles::derive(&rn, &role.grants)),
                    approle: role.class.is_machine(),
                };
                s.roles.insert(name.clone(), snap);
            }
            (ItemAction::DeleteRole, ItemTarget::Role { name, .. }) => {
                s.roles.insert(name.clone(), RoleSnap::default());
            }
            (
                ItemAction::Create | ItemAction::Update,
                ItemTarget::Credential {
                    environment, path, ..
                },
            ) => {
                let value = match &it.source {
                    Some(src) => {
                        let c = s
                            .creds
                            .get(&(src.mount.clone(), src.path.clone()))
                            .ok_or_else(|| format!("{}: no source", here()))?;
                        let v = src.version.unwrap_or(0);
                        c.versions
                            .get(&v)
                            .and_then(|v| v.value.clone())
                            .ok_or_else(|| format!("{}: source version {v} unreadable", here()))?
                    }
                    None => match op {
                        Operation::PutCredential {
                            generate: Some(g),
                            key,
                            ..
                        } => Val::Generated {
                            key: key.clone().unwrap_or_else(|| "value".into()),
                            length: usize::from(g.length),
                        },
                        _ => return Err(format!("{}: no source and nothing generated", here())),
                    },
                };
                let key = (format!("env/{environment}"), path.clone());
                let cas = it.precondition.cas.unwrap_or(0);
                let mc = it.precondition.metadata_cas.unwrap_or(0);
                let (current, meta_v) = s
                    .creds
                    .get(&key)
                    .map_or((0, 0), |c| (c.current, c.metadata_version));
                if current != cas || meta_v != mc {
                    return Err(format!(
                        "{}: planned at v{cas}/m{mc}, found v{current}/m{meta_v}",
                        here()
                    ));
                }
                let c = s.creds.entry(key).or_insert_with(|| Cred {
                    current: 0,
                    metadata_version: 0,
                    metadata: CredentialMetadata::default(),
                    versions: BTreeMap::new(),
                });
                c.current = cas + 1;
                c.metadata_version = mc + 1;
                c.metadata = stored(&it.metadata.clone().unwrap_or_default());
                c.versions.insert(
                    cas + 1,
                    Ver {
                        value: Some(value),
                        deleted: false,
                        destroyed: false,
                    },
                );
                keep_newest(c);
            }
            (
                ItemAction::Retag,
                ItemTarget::Credential {
                    environment, path, ..
                },
            ) => {
                let c = s
                    .creds
                    .get_mut(&(format!("env/{environment}"), path.clone()))
                    .ok_or_else(|| format!("{}: nothing to retag", here()))?;
                c.metadata = stored(&it.metadata.clone().unwrap_or_default());
                c.metadata_version = it.precondition.metadata_cas.unwrap_or(0) + 1;
            }
            (
                ItemAction::Delete,
                ItemTarget::Credential {
                    environment, path, ..
                },
            ) => {
                let c = s
                    .creds
                    .get_mut(&(format!("env/{environment}"), path.clone()))
                    .ok_or_else(|| format!("{}: nothing to delete", here()))?;
                let v = it.precondition.cas.unwrap_or(0);
                let ver = c
                    .versions
                    .get_mut(&v)
                    .ok_or_else(|| format!("{}: no version {v}", here()))?;
                ver.deleted = true;
                ver.value = None;
            }
            (
                ItemAction::CreateKey,
                ItemTarget::Key {
                    environment, name, ..
                },
            ) => {
                let k = (environment.clone(), name.clone());
                if s.keys.insert(k, (1, true)).is_some() {
                    return Err(format!("{}: the key was there", here()));
                }
            }
            (
                ItemAction::RotateKey,
                ItemTarget::Key {
                    environment,
                    name,
                    version,
                },
            ) => {
                let k = s
                    .keys
                    .get_mut(&(environment.clone(), name.clone()))
                    .ok_or_else(|| format!("{}: no key", here()))?;
                if Some(k.0) != *version {
                    return Err(format!(
                        "{}: planned at {version:?}, found v{}",
                        here(),
                        k.0
                    ));
                }
                k.0 += 1;
            }
            (
                ItemAction::Rewrap,
                ItemTarget::Credential {
                    environment, path, ..
                },
            ) => {
                let m = it
                    .key_move
                    .as_ref()
                    .ok_or_else(|| format!("{}: no key versions", here()))?;
                let cas = it.precondition.cas.unwrap_or(0);
                let c = s
                    .creds
                    .get_mut(&(format!("env/{environment}"), path.clone()))
                    .ok_or_else(|| format!("{}: nothing to rewrap", here()))?;
                if c.current != cas {
                    return Err(format!(
                        "{}: planned at v{cas}, found v{}",
                        here(),
                        c.current
                    ));
                }
                let rest = match c.versions.get(&cas).and_then(|v| v.value.clone()) {
                    Some(Val::Exact(mut d)) => {
                        d.remove(&m.field);
                        d
                    }
                    Some(Val::Rewrapped { rest, .. }) => rest,
                    other => return Err(format!("{}: cannot rewrap {other:?}", here())),
                };
                let value = Val::Rewrapped {
                    rest,
                    field: m.field.clone(),
                    version: m.to,
                };
                c.current = cas + 1;
                c.versions.insert(
                    cas + 1,
                    Ver {
                        value: Some(value),
                        deleted: false,
                        destroyed: false,
                    },
                );
                keep_newest(c);
            }
            (ItemAction::DeleteSource, _) => {
                let src = it
                    .source
                    .as_ref()
                    .ok_or_else(|| format!("{}: no source", here()))?;
                if s.creds
                    .remove(&(src.mount.clone(), src.path.clone()))
                    .is_none()
                {
                    return Err(format!("{}: the source was not there", here()));
                }
            }
            _ => return Err(format!("{}: does not fit its action", here())),
        }
    }
    Ok(s)
}

fn same_value(a: &Option<Val>, b: &Option<Val>) -> bool {
    match (a, b) {
        (
            Some(Val::Rewrapped {
                rest,
                field,
                version,
            }),
            Some(Val::Exact(d)),
        )
        | (
            Some(Val::Exact(d)),
            Some(Val::Rewrapped {
                rest,
                field,
                version,
            }),
        ) => {
            let mut others = d.clone();
            let ct = others.remove(field);
            &others == rest && ct.is_some_and(|c| c.starts_with(&format!("vault:v{version}:")))
        }
        (Some(Val::Generated { key, length }), Some(Val::Exact(d)))
        | (Some(Val::Exact(d)), Some(Val::Generated { key, length })) => {
            d.len() == 1 && d.get(key).is_some_and(|v| v.len() == *length)
        }
        _ => a == b,
    }
}

/// Where two stores differ, in words; `generated`: versions whose values were generated
/// (in both stores) and are compared by key and length only.
/// `seeded_apart`: the two stores were seeded separately, so their ciphertexts differ from
/// the start (a new nonce each time): those compare by key version and length.
pub fn differences(
    want: &Snap,
    got: &Snap,
    generated: &BTreeSet<(String, String, u64)>,
    seeded_apart: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let keys: BTreeSet<&(String, String)> = want.creds.keys().chain(got.creds.keys()).collect();
    for k in keys {
        match (want.creds.get(k), got.creds.get(k)) {
            (Some(a), Some(b)) => {
                if (a.current, a.metadata_version, &a.metadata)
                    != (b.current, b.metadata_version, &b.metadata)
                {
                    out.push(format!(
                        "{k:?}: want v{}/m{} {:?}, got v{}/m{} {:?}",
                        a.current,
                        a.metadata_version,
                        a.metadata,
                        b.current,
                        b.metadata_version,
                        b.metadata
                    ));
                }
                let vs: BTreeSet<&u64> = a.versions.keys().chain(b.versions.keys()).collect();
                for v in vs {
                    let (x, y) = (a.versions.get(v), b.versions.get(v));
                    let ok = match (x, y) {
                        (Some(x), Some(y)) => {
                            let value_ok = if generated.contains(&(k.0.clone(), k.1.clone(), *v)) {
                                lengths_match(&x.value, &y.value)
                            } else if seeded_apart {
                                same_value(&x.value, &y.value)
                                    || same_ciphertexts(&x.value, &y.value)
                            } else {
                                same_value(&x.value, &y.value)
                            };
                            value_ok && x.deleted == y.deleted && x.destroyed == y.destroyed
                        }
                        _ => false,
                    };
                    if !ok {
                        out.push(format!("{k:?} version {v}: want {x:?}, got {y:?}"));
                    }
                }
            }
            (a, b) => out.push(format!("{k:?}: want {a:?}, got {b:?}")),
        }
    }
    for (name, a) in &want.roles {
        if got.roles.get(name) != Some(a) {
            out.push(format!(
                "role {name}: want {a:?}, got {:?}",
                got.roles.get(name)
            ));
        }
    }
    if want.keys != got.keys {
        out.push(format!("keys: want {:?}, got {:?}", want.keys, got.keys));
    }
    if want.envs != got.envs {
        out.push(format!(
            "environments: want {:?}, got {:?}",
            want.envs, got.envs
        ));
    }
    out
}

/// The same fields, and where they differ, ciphertexts of the same key version and length.
fn same_ciphertexts(a: &Option<Val>, b: &Option<Val>) -> bool {
    let (Some(Val::Exact(a)), Some(Val::Exact(b))) = (a, b) else {
        return false;
    };
    let version = |c: &str| crypter_api::ciphertext_version(c);
    a.len() == b.len()
        && a.iter().all(|(k, x)| {
            b.get(k).is_some_and(|y| {
                x == y || (version(x).is_some() && version(x) == version(y) && x.len() == y.len())
            })
        })
}

fn lengths_match(a: &Option<Val>, b: &Option<Val>) -> bool {
    let shape = |v: &Option<Val>| -> Option<Vec<(String, usize)>> {
        match v {
            Some(Val::Exact(d)) => Some(d.iter().map(|(k, v)| (k.clone(), v.len())).collect()),
            Some(Val::Generated { key, length }) => Some(vec![(key.clone(), *length)]),
            // Only ever compared with `same_value`; never equal to a read value here.
            Some(Val::Rewrapped { .. }) => Some(vec![("\0rewrapped".into(), usize::MAX)]),
            None => None,
        }
    };
    shape(a) == shape(b)
}
