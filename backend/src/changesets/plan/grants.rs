//! The plan predicts permissions too: for every item it asks OpenBao, through
//! `sys/capabilities-self` with the token that will apply, whether each of the item's
//! writes will be allowed. Nothing here assumes who may write what; OpenBao answers. An
//! item that will be refused (by a freeze, or a missing grant) is marked `refused` and
//! blocks the plan, so a plan that passes is an apply that can run.

use super::model::Model;
use super::Work;
use crate::bao::Bao;
use crate::changesets::format::Operation;
use crate::error::AppError;
use crate::freeze::glob::Pattern;
use crate::freeze::levels::frozen_paths;
use crate::roles::policy_name;
use crypter_api::{FreezeLevel, ItemAction, ItemTarget, PlanItem, RoleClass, RoleName};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// One write an item makes: the path and the ACL capability OpenBao checks on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub path: String,
    pub capability: &'static str,
}

fn need(path: String, capability: &'static str) -> Need {
    Need { path, capability }
}

/// OpenBao limits the strings in one request body (about 1,000): paths per request.
const PATHS_PER_CALL: usize = 400;

/// The writes of one item, as OpenBao will see them (a path's first write is a `create`).
pub fn needs(item: &PlanItem, op: &Operation, model: &Model<'_>) -> Vec<Need> {
    match (&item.action, &item.target) {
        (ItemAction::DeleteSource, _) => item
            .source
            .iter()
            .map(|s| match s.version {
                Some(_) => need(format!("{}/metadata/{}", s.mount, s.path), "delete"),
                None => need(format!("{}/{}", s.mount, s.path), "delete"),
            })
            .collect(),
        (ItemAction::CreateEnvironment, ItemTarget::Environment { name }) => vec![
            need(format!("sys/mounts/env/{name}"), "update"),
            need(format!("sys/mounts/transit/{name}"), "update"),
            need(format!("transit/{name}/config/keys"), "update"),
            need(format!("crypter/data/environments/{name}"), "create"),
        ],
        (_, ItemTarget::Role { name, .. }) => role_needs(item.action, name, op, model),
        (_, ItemTarget::Credential { .. }) => credential_needs(item),
        (
            ItemAction::CreateKey,
            ItemTarget::Key {
                environment, name, ..
            },
        ) => vec![
            need(format!("crypter/data/keys/{environment}/{name}"), "create"),
            need(format!("transit/{environment}/keys/{name}"), "create"),
        ],
        (
            ItemAction::RotateKey,
            ItemTarget::Key {
                environment, name, ..
            },
        ) => vec![need(
            format!("transit/{environment}/keys/{name}/rotate"),
            "update",
        )],
        _ => Vec::new(),
    }
}

fn role_needs(action: ItemAction, name: &str, op: &Operation, model: &Model<'_>) -> Vec<Need> {
    match action {
        ItemAction::CreateRole => {
            let machine = matches!(op, Operation::CreateRole { class, .. } if class.is_machine());
            role_writes(name, machine.then_some("create"), "create")
        }
        ItemAction::UpdateRole => {
            let machine = known_class(model, name).is_some_and(RoleClass::is_machine);
            role_writes(name, machine.then_some("update"), "update")
        }
        ItemAction::DeleteRole => {
            let class = known_class(model, name);
            let mut out = Vec::new();
            if class.is_some_and(RoleClass::is_machine) {
                out.push(need(format!("auth/approle/role/{name}"), "delete"));
            }
            if class == Some(RoleClass::E2e) {
                out.push(need(format!("crypter/metadata/e2e/{name}"), "delete"));
            }
            out.push(need(policy_path(name), "delete"));
            out.push(need(format!("crypter/metadata/roles/{name}"), "delete"));
            out
        }
        _ => Vec::new(),
    }
}

fn credential_needs(item: &PlanItem) -> Vec<Need> {
    let ItemTarget::Credential {
        environment,
        path,
        version,
    } = &item.target
    else {
        return Vec::new();
    };
    match item.action {
        ItemAction::Create | ItemAction::Update => {
            let first = if version.is_none() {
                "create"
            } else {
                "update"
            };
            vec![
                need(format!("env/{environment}/data/{path}"), first),
                need(format!("env/{environment}/metadata/{path}"), "update"),
            ]
        }
        ItemAction::Restore => vec![
            need(format!("env/{environment}/data/{path}"), "update"),
            need(format!("env/{environment}/metadata/{path}"), "update"),
        ],
        ItemAction::Undelete => {
            let mut out = vec![need(format!("env/{environment}/undelete/{path}"), "update")];
            if item.metadata.is_some() {
                out.push(need(format!("env/{environment}/metadata/{path}"), "update"));
            }
            out
        }
        ItemAction::Retag => {
            vec![need(format!("env/{environment}/metadata/{path}"), "update")]
        }
        ItemAction::Delete => {
            let mut out = vec![need(format!("env/{environment}/delete/{path}"), "update")];
            if item.metadata.is_some() {
                out.push(need(format!("env/{environment}/metadata/{path}"), "update"));
            }
            out
        }
        ItemAction::Rewrap => {
            let key = item.key_move.as_ref().map(|m| m.key.as_str()).unwrap_or("");
            vec![
                need(format!("transit/{environment}/rewrap/{key}"), "update"),
                need(format!("env/{environment}/data/{path}"), "update"),
            ]
        }
        _ => Vec::new(),
    }
}

fn policy_path(name: &str) -> String {
    match RoleName::parse(name) {
        Ok(n) => format!("sys/policies/acl/{}", policy_name(&n)),
        Err(_) => format!("sys/policies/acl/crypter-role-{name}"),
    }
}

fn role_writes(name: &str, approle: Option<&'static str>, record: &'static str) -> Vec<Need> {
    let mut out = vec![need(policy_path(name), "update")];
    if let Some(cap) = approle {
        out.push(need(format!("auth/approle/role/{name}"), cap));
    }
    out.push(need(format!("crypter/data/roles/{name}"), record));
    out
}

fn known_class(model: &Model<'_>, name: &str) -> Option<RoleClass> {
    let name = RoleName::parse(name).ok()?;
    model.known_role(&name).map(|r| r.class)
}

/// What applying needs beside the items: the changelog records, the lock, and the stored
/// item list.
pub async fn process_needs(
    bao: &Bao,
    token: &SecretString,
    work: &[Work],
) -> Result<Vec<Need>, AppError> {
    let mut out = vec![
        need(super::super::lock::LOCK_PATH.to_owned(), "create"),
        need(super::super::lock::LOCK_PATH.to_owned(), "update"),
        need(super::super::store::probe_path(), "create"),
    ];
    for w in work {
        let exists = super::super::changelog::load(bao, token, &w.cs.id)
            .await?
            .is_some();
        let cap = if exists { "update" } else { "create" };
        out.push(need(super::super::changelog::record_path(&w.cs.id), cap));
        // A rewrap's apply records the ciphertext counts it leaves.
        for (env, key, ..) in super::keys::rewrap_counts(&w.cs, &[]) {
            out.push(need(
                format!("crypter/data/key-usage/{env}/{key}"),
                "update",
            ));
        }
    }
    Ok(out)
}

/// Ask OpenBao about every path, mark the items it will refuse, and return a blocker for
/// each of the process's own writes it will refuse.
pub async fn check(
    items: &mut [PlanItem],
    needs: &[Vec<Need>],
    process: &[Need],
    token: &SecretString,
    bao: &Bao,
    frozen: FreezeLevel,
) -> Result<Vec<String>, AppError> {
    let paths: BTreeSet<&str> = needs
        .iter()
        .flatten()
        .chain(process)
        .map(|n| n.path.as_str())
        .collect();
    let caps = capabilities(bao, token, paths.into_iter().collect()).await?;
    let patterns: Vec<Pattern> = frozen_paths(frozen).into_iter().map(Pattern::new).collect();
    let refusal = |n: &Need| -> Option<String> {
        let got = caps.get(&n.path).cloned().unwrap_or_default();
        if got.iter().any(|c| c == n.capability || c == "root") {
            return None;
        }
        if patterns.iter().any(|p| p.matches(&n.path)) {
            return Some(format!(
                "the store is frozen at `{frozen}`: OpenBao will refuse `{}` on {} with this token",
                n.capability, n.path
            ));
        }
        Some(format!(
            "this token may not `{}` {} (OpenBao grants it: {}); ask for a grant",
            n.capability,
            n.path,
            if got.is_empty() {
                "nothing".into()
            } else {
                got.join(", ")
            }
        ))
    };
    for (item, needs) in items.iter_mut().zip(needs) {
        // An undo refuses what cannot be undone before OpenBao is asked.
        if item.refused.is_none() {
            item.refused = needs.iter().find_map(refusal);
        }
    }
    Ok(process
        .iter()
        .filter_map(|n| refusal(n).map(|why| format!("applying needs to write {}: {why}", n.path)))
        .collect())
}

/// `sys/capabilities-self` for many paths, a few hundred per request.
async fn capabilities(
    bao: &Bao,
    token: &SecretString,
    paths: Vec<&str>,
) -> Result<HashMap<String, Vec<String>>, AppError> {
    let batches: Vec<Vec<String>> = paths
        .chunks(PATHS_PER_CALL)
        .map(|c| c.iter().map(|p| (*p).to_owned()).collect())
        .collect();
    let answers: Vec<Result<Option<Value>, crate::bao::BaoError>> = stream::iter(batches)
        .map(|batch| async move {
            bao.write_idempotent("sys/capabilities-self", token, &json!({ "paths": batch }))
                .await
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut out = HashMap::new();
    for answer in answers {
        let answer = answer?.unwrap_or_default();
        if let Some(map) = answer["data"].as_object() {
            for (path, caps) in map {
                let caps = caps
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|c| c.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(path.clone(), caps);
            }
        }
    }
    Ok(out)
}
