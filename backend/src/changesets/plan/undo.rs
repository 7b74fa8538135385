//! The inverse plan: the way back from an applied changeset, planned from the restore point
//! made before its apply, under the same contract as the way in. Each target goes back to
//! how the restore point found it, under the precondition that it is still as the apply
//! left it: a target changed since is a `conflict`, left as it is (an undo runs around its
//! conflicts and lists them). What cannot be undone is `refused` with the reason.
//!
//! Undoing an undone changeset redoes it, from the restore point made before the undo.
//! An undo that stopped part-way resumes its own stored item list from its cursor.

use super::{item, requirements, Plan, Planner, Work, PARALLELISM};
use crate::bao::kv::{self, Mount};
use crate::bao::Bao;
use crate::changesets::changelog::{self, Direction, Record};
use crate::changesets::format::{self, Changeset, Operation};
use crate::changesets::restore::{self, Entry, State, Target};
use crate::changesets::store;
use crate::error::AppError;
use crate::freeze;
use crypter_api::ErrorCode;
use crypter_api::{
    ChangelogResult, ChangesetState, ItemAction, ItemSource, ItemTarget, PlanItem,
    RestorePointKind, RoleName,
};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use serde_json::json;
use std::collections::BTreeSet;

fn refuse(code: ErrorCode, message: String, id: &str) -> AppError {
    AppError::ConflictDetails {
        code,
        message,
        details: json!({ "changeset": id }),
    }
}

/// Which way the next undo of a changeset goes, from its changelog record.
fn direction(id: &str, r: &Record) -> Result<(Direction, RestorePointKind, bool), AppError> {
    Ok(match (r.direction, r.result) {
        (_, ChangelogResult::Applied) => (Direction::Undo, RestorePointKind::BeforeApply, false),
        (_, ChangelogResult::Undone) => (Direction::Redo, RestorePointKind::BeforeUndo, false),
        (Direction::Undo, _) => (Direction::Undo, RestorePointKind::BeforeApply, true),
        (Direction::Redo, _) => (Direction::Redo, RestorePointKind::BeforeUndo, true),
        (Direction::Apply, _) => {
            return Err(refuse(
                ErrorCode::ApplyUnfinished,
                format!(
                    "{id}'s apply did not finish; resume it (or repair it) before undoing it: an \
                     undo runs from a finished apply"
                ),
                id,
            ))
        }
    })
}

/// The inverse plan of changesets `ids`, in that order (reads only): undo the last
/// applied first. One plan, one hash, like a plan of several changesets.
pub async fn make(bao: &Bao, token: &SecretString, ids: &[String]) -> Result<Plan, AppError> {
    let (freeze_record, _) = freeze::load_record(bao, token).await?;
    let level = freeze_record.level;
    let mut p = Planner::new(bao, token);
    let mut blockers = Vec::new();
    let mut work = Vec::new();
    for id in ids {
        let w = match id.strip_prefix('@').and_then(|r| r.split_once('.')) {
            Some((env, label)) => named(&mut p, &mut blockers, env, label, level).await?,
            None => one(&mut p, &mut blockers, id, level).await?,
        };
        work.push(w);
    }
    super::finish(p, work, blockers, level, Some(ids.join(","))).await
}

/// The changelog record of an applied (or undone) changeset.
async fn record(bao: &Bao, token: &SecretString, id: &str) -> Result<Record, AppError> {
    match changelog::load(bao, token, id).await? {
        None => Err(refuse(
            ErrorCode::NeverApplied,
            format!("changeset {id} was never applied: there is nothing to undo, and nothing was changed"),
            id,
        )),
        Some(Err(why)) => Err(refuse(
            ErrorCode::ChangelogDamaged,
            format!("the changelog record of {id} cannot be read: {why}"),
            id,
        )),
        Some(Ok(r)) => Ok(r),
    }
}

/// One changeset's part of the inverse plan.
async fn one(
    p: &mut Planner<'_>,
    blockers: &mut Vec<String>,
    id: &str,
    level: crypter_api::FreezeLevel,
) -> Result<Work, AppError> {
    let (bao, token) = (p.model.bao, p.model.token);
    let record = record(bao, token, id).await?;
    let (dir, kind, resuming) = direction(id, &record)?;
    let cs = format::parse(&format!("changelog:{id}"), &record.body).map_err(|e| {
        let why = format!("{id}'s applied text in its changelog record does not parse: {e}");
        refuse(ErrorCode::ChangelogDamaged, why, id)
    })?;
    let rp = restore::load(bao, token, id, kind).await?.ok_or_else(|| {
        let why = format!(
            "{id} has no restore point ({kind}): it was applied before restore points existed, \
             or the restore point was removed; it cannot be undone"
        );
        refuse(ErrorCode::NoRestorePoint, why, id)
    })?;
    let (ops, role_ops) = operations(&rp.entries, dir);
    let undo_cs = Changeset {
        description: format!("{dir:?} of {id}: {}", cs.description),
        operations: ops,
        ..cs
    };
    load(p, &rp.entries).await?;
    p.restore_entries();
    let start = p.items.len();
    if resuming {
        if let Err(b) = resume(p, &undo_cs, &record).await? {
            blockers.push(b);
        }
    } else {
        for (it, op) in inverse(p, &undo_cs, &rp.entries, &role_ops).await? {
            let op = undo_cs.operations[op].clone();
            p.push(it, &op).await?;
        }
    }
    requirements(p, blockers, &undo_cs, level).await;
    let status = match (resuming, dir) {
        (true, _) => ChangesetState::Failed,
        (false, Direction::Redo) => ChangesetState::Undone,
        (false, _) => ChangesetState::Applied,
    };
    let summaries = undo_cs
        .operations
        .iter()
        .map(|op| format!("{dir:?} of {id}: {}", op.name()))
        .collect();
    Ok(Work {
        cs: undo_cs,
        checksum: record.checksum.clone(),
        text: record.body.clone(),
        items: start..p.items.len(),
        status,
        summaries,
        key_counts: Vec::new(),
        restore: p.restore_entries(),
        direction: dir,
    })
}

/// Put environment `env` back as its named restore point `label` holds it: each credential
/// that differs now gets its version back (written back, or undeleted) and its metadata;
/// each one created since is deleted. The precondition of each item is the store as this
/// plan reads it. Applying it is an undo like any other (undoing it again redoes it).
async fn named(
    p: &mut Planner<'_>,
    blockers: &mut Vec<String>,
    env: &str,
    label: &str,
    level: crypter_api::FreezeLevel,
) -> Result<Work, AppError> {
    let (bao, token) = (p.model.bao, p.model.token);
    let rp = restore::load_named(bao, token, label, RestorePointKind::Named, Some(env))
        .await?
        .ok_or_else(|| {
            AppError::NotFound(
                ErrorCode::RestorePointNotFound,
                format!("environment {env} has no restore point {label}"),
            )
        })?;
    let id = format!("restore-{env}-{label}");
    let text = format!(
        "id = \"{id}\"\nauthor = \"crypter\"\ndescription = \"put {env} back as restore point \
         {label} holds it\"\nenvironment = \"{env}\"\n"
    );
    let cs = format::parse(&id, &text).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let cs = Changeset {
        operations: vec![Operation::Undo],
        ..cs
    };
    let mount = Mount::v2(format!("env/{env}"));
    let now = p.model.entries(&mount, "").await?;
    let mut entries: Vec<Entry> = rp
        .entries
        .iter()
        .map(|e| Entry {
            target: e.target.clone(),
            before: e.before.clone(),
            after: p.model.state_of(&e.target),
        })
        .collect();
    let then: std::collections::HashSet<Target> =
        rp.entries.iter().map(|e| e.target.clone()).collect();
    for (path, _) in now {
        let target = Target::Credential {
            mount: mount.path.clone(),
            path,
        };
        if !then.contains(&target) {
            let after = p.model.state_of(&target);
            entries.push(Entry {
                target,
                before: None,
                after,
            });
        }
    }
    entries.retain(|e| e.before != e.after);
    p.restore_entries();
    let start = p.items.len();
    for (it, op) in inverse(p, &cs, &entries, &[]).await? {
        let op = cs.operations[op].clone();
        p.push(it, &op).await?;
    }
    requirements(p, blockers, &cs, level).await;
    Ok(Work {
        checksum: format!("named:{env}:{label}:{}", rp.at),
        text,
        items: start..p.items.len(),
        status: ChangesetState::Applied,
        summaries: vec![format!(
            "put {env} back as restore point {label} ({})",
            rp.at
        )],
        key_counts: Vec::new(),
        restore: p.restore_entries(),
        direction: Direction::Undo,
        cs,
    })
}

/// The undo's operations: one for its credential items, then one per role it puts back
/// (its grants as they were) or removes; and the index of each role's operation.
fn operations(entries: &[Entry], dir: Direction) -> (Vec<Operation>, Vec<(String, usize)>) {
    let mut ops = vec![Operation::Undo];
    let mut roles = Vec::new();
    for e in entries.iter().rev() {
        let Target::Role { name } = &e.target else {
            continue;
        };
        let Ok(role) = RoleName::parse(name) else {
            continue;
        };
        let op = match (&e.before, &e.after) {
            (None, Some(_)) => Operation::DeleteRole { role },
            (Some(State::Role { role: before, .. }), Some(_)) => Operation::UpdateGrants {
                role,
                grants: before.grants.clone(),
            },
            (Some(State::Role { role: before, .. }), None) if recreatable(before, dir) => {
                Operation::CreateRole {
                    name: role,
                    class: before.class,
                    description: before.description.clone(),
                    grants: before.grants.clone(),
                }
            }
            _ => continue,
        };
        roles.push((name.clone(), ops.len()));
        ops.push(op);
    }
    (ops, roles)
}

/// A role that the run being undone deleted comes back when nothing of it is lost: a
/// human role (its users keep its policy's name), or any role an undo deleted (the apply
/// that created it had issued it nothing). A machine role's secret-ids cannot come back.
fn recreatable(role: &crypter_api::Role, dir: Direction) -> bool {
    dir == Direction::Redo || !role.class.is_machine()
}

/// Read what the restore point names: each credential mount once (one SCAN), each role.
async fn load(p: &mut Planner<'_>, entries: &[Entry]) -> Result<(), AppError> {
    let mounts: BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| match &e.target {
            Target::Credential { mount, .. } => Some(mount.as_str()),
            _ => None,
        })
        .collect();
    let mut wanted = Vec::new();
    for m in mounts {
        // A KV v1 mount (an import's source) has no versions: nothing there is put back.
        if m.starts_with("env/") {
            wanted.push(Mount::v2(m));
        } else {
            wanted.push(kv::mount_of(p.model.bao, p.model.token, m).await?);
        }
    }
    p.model.load(&wanted).await?;
    for e in entries {
        match &e.target {
            Target::Role { name } => {
                if let Ok(n) = RoleName::parse(name) {
                    p.model.role(&n).await?;
                }
            }
            Target::Environment { name } => {
                p.model.env_record(name).await?;
            }
            Target::Key { environment, name } => {
                if let (Ok(env), Ok(key)) = (
                    crypter_api::EnvName::parse(environment),
                    crypter_api::KeyName::parse(name),
                ) {
                    p.model.key(&env, &key).await?;
                }
            }
            Target::Credential { .. } => {}
        }
    }
    Ok(())
}

/// An interrupted undo: the rest of its stored item list, from its cursor.
async fn resume(
    p: &mut Planner<'_>,
    cs: &Changeset,
    record: &Record,
) -> Result<Result<(), String>, AppError> {
    let id = &cs.id;
    let Some(cursor) = &record.cursor else {
        return Ok(Err(format!(
            "{id}'s undo stopped with no saved item list; check the store by hand"
        )));
    };
    let (bao, token) = (p.model.bao, p.model.token);
    let Some(list) = store::load(bao, token, &cursor.plan_hash).await? else {
        return Ok(Err(format!(
            "the item list of {id}'s interrupted undo (plan {}) is missing from the store",
            cursor.plan_hash
        )));
    };
    let rest = list
        .items
        .get(record.first_item + cursor.done..record.first_item + cursor.total)
        .unwrap_or_default();
    let in_flight = cursor.in_flight.saturating_sub(cursor.done);
    for (k, stored) in rest.iter().enumerate() {
        let mut it = stored.clone();
        it.resumed = k < in_flight;
        it.refused = None;
        let Some(op) = cs.operations.get(it.operation).cloned() else {
            return Ok(Err(format!(
                "{id}'s stored undo items name an operation its restore point does not give"
            )));
        };
        p.push(it, &op).await?;
    }
    Ok(Ok(()))
}

fn cred_target(mount: &str, path: &str, version: Option<u64>) -> ItemTarget {
    ItemTarget::Credential {
        environment: mount.strip_prefix("env/").unwrap_or(mount).to_owned(),
        path: path.to_owned(),
        version,
    }
}

fn describe(s: Option<&State>) -> String {
    match s {
        None => "absent".into(),
        Some(State::Credential {
            version,
            metadata_version,
            readable,
            ..
        }) => format!(
            "version {version}{}, metadata version {metadata_version}",
            if *readable { "" } else { " (deleted)" }
        ),
        Some(State::Role { version, .. }) => format!("record version {version}"),
        Some(State::Key { latest, .. }) => format!("latest version {latest}"),
        Some(State::Environment) => "present".into(),
    }
}

/// The state an undo compares: versions and whether readable, not the metadata's text.
fn same(live: Option<&State>, after: Option<&State>) -> bool {
    match (live, after) {
        (
            Some(State::Credential {
                version: a,
                metadata_version: am,
                readable: ar,
                ..
            }),
            Some(State::Credential {
                version: b,
                metadata_version: bm,
                readable: br,
                ..
            }),
        ) => a == b && am == bm && ar == br,
        (Some(State::Role { version: a, .. }), Some(State::Role { version: b, .. })) => a == b,
        (Some(State::Key { latest: a, .. }), Some(State::Key { latest: b, .. })) => a == b,
        (a, b) => a.is_some() == b.is_some(),
    }
}

/// One item (and its operation) per entry, last touched first.
async fn inverse(
    p: &mut Planner<'_>,
    cs: &Changeset,
    entries: &[Entry],
    role_ops: &[(String, usize)],
) -> Result<Vec<(PlanItem, usize)>, AppError> {
    let mut out = Vec::new();
    let mut restores = Vec::new();
    for e in entries.iter().rev() {
        let live = p.model.state_of(&e.target);
        let (it, op) = match &e.target {
            Target::Credential { mount, path } => {
                let it = credential(cs, mount, path, e, live.as_ref());
                if it.action == ItemAction::Restore {
                    restores.push(out.len());
                }
                (it, 0)
            }
            Target::Role { name } => {
                let op = role_ops
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(0, |(_, i)| *i);
                (role(cs, op, name, e, live.as_ref(), op != 0), op)
            }
            Target::Key { environment, name } => (key(cs, environment, name, e), 0),
            Target::Environment { name } => {
                let mut it = item(
                    cs,
                    0,
                    ItemAction::Skip,
                    ItemTarget::Environment { name: name.clone() },
                );
                it.reason = Some(if e.before.is_none() {
                    "the environment the apply created is kept: delete it on the Environments \
                     page once it is empty"
                        .into()
                } else {
                    "unchanged by the apply".into()
                });
                (it, 0)
            }
        };
        out.push((it, op));
    }
    gone_versions(p, &mut out, &restores).await?;
    Ok(out)
}

fn conflict(mut it: PlanItem, live: Option<&State>, after: Option<&State>) -> PlanItem {
    it.action = ItemAction::Conflict;
    it.reason = Some(format!(
        "changed since the apply: it is {}, and the apply left it {}; it is left as it is",
        describe(live),
        describe(after)
    ));
    it
}

/// A credential's state: (version, metadata version, readable, metadata).
fn cred(s: Option<&State>) -> Option<(u64, u64, bool, &crypter_api::CredentialMetadata)> {
    match s {
        Some(State::Credential {
            version,
            metadata_version,
            readable,
            metadata,
        }) => Some((*version, *metadata_version, *readable, metadata)),
        _ => None,
    }
}

fn credential(
    cs: &Changeset,
    mount: &str,
    path: &str,
    e: &Entry,
    live: Option<&State>,
) -> PlanItem {
    let live_version = cred(live).map(|c| c.0);
    let it = item(
        cs,
        0,
        ItemAction::Skip,
        cred_target(mount, path, live_version),
    );
    if !same(live, e.after.as_ref()) {
        return conflict(it, live, e.after.as_ref());
    }
    let Some((av, amv, ar, am)) = cred(e.after.as_ref()) else {
        return match e.before {
            None => skip(it, "absent before and after the apply"),
            Some(_) => refused(
                it,
                "every version of it was removed (e.g. a move's source): the store keeps \
                 nothing to put back",
            ),
        };
    };
    let mut it = it;
    it.precondition.cas = Some(av);
    it.precondition.metadata_cas = Some(amv);
    // The action, and the metadata put back: always for a restore or a retag; for a delete
    // or an undelete, when the apply changed it beside the version.
    let back = |mut it: PlanItem, action, bm: &crypter_api::CredentialMetadata, always| {
        it.action = action;
        if always || bm != am {
            it.metadata = Some(bm.clone());
        }
        it
    };
    match cred(e.before.as_ref()).map(|(v, _, r, m)| (v, r, m)) {
        // Created: its version is deleted again.
        None if ar => back(it, ItemAction::Delete, am, false),
        // Written over a deleted version: deleted again.
        Some((_, false, bm)) if ar => back(it, ItemAction::Delete, bm, false),
        // An earlier readable version: written back (also over a version the apply wrote
        // and then deleted).
        Some((bv, true, bm)) if bv < av => {
            let mut it = back(it, ItemAction::Restore, bm, true);
            it.source = Some(ItemSource {
                environment: mount.strip_prefix("env/").map(str::to_owned),
                mount: mount.to_owned(),
                path: path.to_owned(),
                version: Some(bv),
            });
            it
        }
        Some((bv, true, bm)) if !ar && bv == av => back(it, ItemAction::Undelete, bm, false),
        Some((bv, true, bm)) if ar && bv == av && bm != am => back(it, ItemAction::Retag, bm, true),
        Some((bv, true, _)) if ar && bv == av => skip(it, "unchanged by the apply"),
        _ => skip(it, "nothing readable to put back"),
    }
}

fn skip(mut it: PlanItem, why: &str) -> PlanItem {
    it.action = ItemAction::Skip;
    it.precondition = Default::default();
    it.reason = Some(why.into());
    it
}

fn refused(mut it: PlanItem, why: &str) -> PlanItem {
    it.action = ItemAction::Skip;
    it.precondition = Default::default();
    it.refused = Some(format!("cannot be undone: {why}"));
    it
}

/// A restore reads its earlier version when it runs; if that version is gone now
/// (destroyed, deleted, or past `max_versions`), the item is refused, with the reason.
async fn gone_versions(
    p: &Planner<'_>,
    out: &mut [(PlanItem, usize)],
    restores: &[usize],
) -> Result<(), AppError> {
    let (bao, token) = (p.model.bao, p.model.token);
    let reads: Vec<(usize, Mount, String, u64)> = restores
        .iter()
        .filter_map(|&i| {
            let s = out[i].0.source.as_ref()?;
            Some((i, Mount::v2(s.mount.clone()), s.path.clone(), s.version?))
        })
        .collect();
    let found: Vec<Result<(usize, bool), AppError>> = stream::iter(reads)
        .map(|(i, m, path, v)| async move {
            let there = kv::metadata(bao, token, &m, &path)
                .await?
                .and_then(|meta| meta.versions.get(&v).cloned())
                .is_some_and(|s| !s.destroyed && s.deletion_time.is_none());
            Ok((i, there))
        })
        .buffer_unordered(PARALLELISM)
        .collect()
        .await;
    for f in found {
        let (i, there) = f?;
        if !there {
            let it = out[i].0.clone();
            let v = it.source.as_ref().and_then(|s| s.version).unwrap_or(0);
            out[i].0 = refused(
                it,
                &format!(
                    "version {v}, which the restore point names, is gone (destroyed, deleted, or \
                     past the mount's max_versions)"
                ),
            );
        }
    }
    Ok(())
}

/// `has_op`: the undo has an operation for this role (its grants, its deletion, or its
/// re-creation).
fn role(
    cs: &Changeset,
    op: usize,
    name: &str,
    e: &Entry,
    live: Option<&State>,
    has_op: bool,
) -> PlanItem {
    let version = match live {
        Some(State::Role { version, .. }) => Some(*version),
        _ => None,
    };
    let mut it = item(
        cs,
        op,
        ItemAction::Skip,
        ItemTarget::Role {
            name: name.to_owned(),
            version,
        },
    );
    if !same(live, e.after.as_ref()) {
        return conflict(it, live, e.after.as_ref());
    }
    match (&e.before, &e.after) {
        (None, Some(State::Role { version, .. })) => {
            it.action = ItemAction::DeleteRole;
            it.precondition.record_version = Some(*version);
            it
        }
        (Some(State::Role { role: b, .. }), Some(State::Role { role: a, version })) => {
            if a == b {
                return skip(it, "unchanged by the apply");
            }
            // Putting a role back writes its grants; a role the apply deleted and made
            // again with another class or description cannot be put back so.
            if a.class != b.class || a.description != b.description {
                return refused(
                    it,
                    "the apply deleted this role and made it again with another class or \
                     description; an undo puts back a role's grants only: edit the role by hand",
                );
            }
            it.action = ItemAction::UpdateRole;
            it.precondition.record_version = Some(*version);
            it
        }
        (Some(_), None) if has_op => {
            it.action = ItemAction::CreateRole;
            it.precondition.record_version = Some(0);
            it
        }
        (Some(_), None) => refused(
            it,
            "the apply deleted this role; its secret-ids and tokens are gone with it, so it is \
             not brought back",
        ),
        _ => skip(it, "absent before and after the apply"),
    }
}

fn key(cs: &Changeset, environment: &str, name: &str, e: &Entry) -> PlanItem {
    let latest = |s: &Option<State>| match s {
        Some(State::Key { latest, .. }) => Some(*latest),
        _ => None,
    };
    let it = item(
        cs,
        0,
        ItemAction::Skip,
        ItemTarget::Key {
            environment: environment.to_owned(),
            name: name.to_owned(),
            version: latest(&e.after),
        },
    );
    match (latest(&e.before), latest(&e.after)) {
        (None, Some(_)) => refused(
            it,
            "the apply created this transit key; data may be encrypted under it since, so an \
             undo does not delete it",
        ),
        (Some(b), Some(a)) if a > b => refused(
            it,
            &format!("transit cannot remove a key version: version {a} stays the latest"),
        ),
        _ => skip(it, "unchanged by the apply"),
    }
}
