//! The plan: the complete list of items apply would run, computed against the live store
//! by reading only. Each item names its source and target with the versions it was
//! planned against, its action, and the precondition apply checks before it acts. The
//! plan's hash covers every item, so a plan that differs in any item is another plan.

mod copy;
mod grants;
pub mod keys;
pub mod model;
mod ops;
mod put;
mod resume;
mod roles;
pub mod undo;
pub mod view;

use super::changelog::{self, Direction};
use super::checksum;
use super::format::{Changeset, Operation};
use super::restore;
use super::source;
use crate::bao::kv::{self, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use crate::freeze;
use crypter_api::{
    ChangesetPlan, ChangesetState, ItemAction, ItemTarget, PlanItem, PlanWarning, Precondition,
};
use grants::Need;
use model::Model;
use secrecy::SecretString;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// How many OpenBao calls a bulk operation runs at once (plan reads and apply items).
pub const PARALLELISM: usize = 32;

/// One changeset that apply runs: its items are `items` of the plan's list.
#[derive(Debug, Clone)]
pub struct Work {
    pub cs: Changeset,
    pub checksum: String,
    pub text: String,
    pub items: Range<usize>,
    /// `pending`, or `failed` when its interrupted apply is resumed.
    pub status: ChangesetState,
    /// Each operation's summary, by index.
    pub summaries: Vec<String>,
    /// The ciphertext counts its rewrap operations leave, recorded once it is applied.
    pub key_counts: Vec<keys::Counts>,
    /// What its items touch, before and after: kept as its restore point when it runs.
    pub restore: Vec<restore::Entry>,
    /// An apply, or an undo (or redo) planned from a restore point.
    pub direction: Direction,
}

impl Work {
    /// (id, checksum) as the plan hash covers it: an undo is another plan than the apply.
    pub fn hashed_as(&self) -> (String, String) {
        match self.direction {
            Direction::Apply => (self.cs.id.clone(), self.checksum.clone()),
            d => (format!("{}:{d:?}", self.cs.id), self.checksum.clone()),
        }
    }
}

/// A plan: its hash, its complete item list, and what the console shows of it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub hash: String,
    pub items: Arc<Vec<PlanItem>>,
    pub view: ChangesetPlan,
    pub work: Vec<Work>,
}

impl Plan {
    /// (id, checksum) of each changeset, in order: the part of the hash beside the items.
    pub fn changesets(&self) -> Vec<(String, String)> {
        self.work.iter().map(Work::hashed_as).collect()
    }
}

/// Every value the plan reads goes through here: values are compared inside the backend,
/// never returned.
pub async fn read_value(
    bao: &Bao,
    token: &SecretString,
    mount: &Mount,
    path: &str,
    version: Option<u64>,
) -> Result<Option<BTreeMap<String, String>>, AppError> {
    Ok(kv::read(bao, token, mount, path, version)
        .await?
        .map(|s| s.data))
}

/// Builds the item list, keeping the store model and each item's grants beside it.
pub struct Planner<'a> {
    pub model: Model<'a>,
    pub items: Vec<PlanItem>,
    needs: Vec<Vec<Need>>,
    pub warnings: Vec<PlanWarning>,
    /// The targets the current changeset's items touch, in order, as they were before.
    before: Vec<(restore::Target, Option<restore::State>)>,
    seen: HashSet<restore::Target>,
}

impl<'a> Planner<'a> {
    pub fn new(bao: &'a Bao, token: &'a SecretString) -> Self {
        Self {
            model: Model::new(bao, token),
            items: Vec::new(),
            needs: Vec::new(),
            warnings: Vec::new(),
            before: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Add an item: what it needs from OpenBao is noted, and its effect applied to the
    /// model so that later items see it.
    pub async fn push(&mut self, item: PlanItem, op: &Operation) -> Result<(), AppError> {
        self.load_for(&item).await?;
        for t in restore::targets(&item) {
            if self.seen.insert(t.clone()) {
                let state = self.model.state_of(&t);
                self.before.push((t, state));
            }
        }
        self.needs.push(grants::needs(&item, op, &self.model));
        self.model.apply(&item, op);
        self.items.push(item);
        Ok(())
    }

    /// The model must know what an item touches before its effect is applied to it.
    async fn load_for(&mut self, item: &PlanItem) -> Result<(), AppError> {
        if let Some(s) = &item.source {
            let mount = Mount {
                path: s.mount.clone(),
                v2: s.version.is_some(),
            };
            self.model.mount(&mount).await?;
        }
        match &item.target {
            ItemTarget::Credential { environment, .. } => {
                self.model
                    .mount(&Mount::v2(format!("env/{environment}")))
                    .await?;
            }
            ItemTarget::Role { name, .. } => {
                if let Ok(name) = crypter_api::RoleName::parse(name) {
                    self.model.role(&name).await?;
                }
            }
            ItemTarget::Environment { name } => {
                self.model.env_record(name).await?;
            }
            ItemTarget::Key {
                environment, name, ..
            } => {
                if let (Ok(env), Ok(name)) = (
                    crypter_api::EnvName::parse(environment),
                    crypter_api::KeyName::parse(name),
                ) {
                    self.model.key(&env, &name).await?;
                }
            }
        }
        Ok(())
    }

    /// What the items pushed since the last call touched: as they were before the
    /// first of them, and as the plan leaves them.
    pub fn restore_entries(&mut self) -> Vec<restore::Entry> {
        self.seen.clear();
        std::mem::take(&mut self.before)
            .into_iter()
            .map(|(target, before)| {
                let after = self.model.state_of(&target);
                restore::Entry {
                    target,
                    before,
                    after,
                }
            })
            .collect()
    }

    pub fn warn(&mut self, cs: &str, operation: Option<usize>, code: &str, message: String) {
        self.warnings.push(PlanWarning {
            changeset: cs.to_owned(),
            operation,
            code: code.into(),
            message,
        });
    }
}

/// A new item of operation `index` of `cs`, with no source, precondition or metadata yet.
pub fn item(cs: &Changeset, index: usize, action: ItemAction, target: ItemTarget) -> PlanItem {
    PlanItem {
        changeset: cs.id.clone(),
        operation: index,
        action,
        source: None,
        target,
        value: None,
        precondition: Precondition::default(),
        metadata: None,
        reason: None,
        refused: None,
        resumed: false,
        key_move: None,
    }
}

/// A dry run against the live store: reads only.
pub async fn make(bao: &Bao, token: &SecretString, dir: Option<&Path>) -> Result<Plan, AppError> {
    let loaded = source::load(bao, token, dir).await?;
    let (freeze_record, _) = freeze::load_record(bao, token).await?;
    let mut p = Planner::new(bao, token);
    let mut blockers = Vec::new();
    let mut work = Vec::new();
    for l in &loaded {
        let record = match &l.parsed {
            Ok(cs) => changelog::load(bao, token, &cs.id).await?,
            Err(_) => None,
        };
        let st = changelog::status_of(l, record.as_ref(), false);
        // An undo (or redo) runs from its restore point, never in a plan of the folder.
        if matches!(&record, Some(Ok(r)) if r.direction != Direction::Apply) {
            continue;
        }
        p.restore_entries();
        let start = p.items.len();
        let (cs, summaries, key_counts) = match (&l.parsed, st.status, &record) {
            (Err(_), ..) | (_, ChangesetState::Invalid, _) => {
                let why = st.error.clone().unwrap_or_default();
                p.warn(&st.id, None, "invalid", why.clone());
                blockers.push(format!("{} cannot be applied: {why}", l.file));
                continue;
            }
            (Ok(_), ChangesetState::Changed, _) => {
                changed(&mut p, &mut blockers, &st);
                continue;
            }
            (Ok(_), ChangesetState::Applied | ChangesetState::Accepted, _) => continue,
            (Ok(cs), ChangesetState::Pending, _) => {
                let mut summaries = Vec::new();
                for (i, op) in cs.operations.iter().enumerate() {
                    summaries.push(ops::plan_operation(&mut p, cs, i, op).await?);
                }
                let counts = keys::rewrap_counts(cs, &p.items[start..]);
                (cs, summaries, counts)
            }
            (Ok(cs), _, Some(Ok(r))) => match resume::items(&mut p, cs, r).await? {
                Ok((summaries, counts)) => (cs, summaries, counts),
                Err(blocker) => {
                    blockers.push(blocker);
                    continue;
                }
            },
            (Ok(_), ..) => continue,
        };
        requirements(&mut p, &mut blockers, cs, freeze_record.level).await;
        work.push(Work {
            cs: cs.clone(),
            checksum: checksum::checksum(cs),
            text: l.text.clone(),
            items: start..p.items.len(),
            status: st.status,
            summaries,
            key_counts,
            restore: p.restore_entries(),
            direction: Direction::Apply,
        });
    }
    finish(p, work, blockers, freeze_record.level, None).await
}

/// The plan's last steps, for changesets and undos alike: ask OpenBao what the applying
/// token may write, gather the blockers, hash every item.
async fn finish(
    mut p: Planner<'_>,
    work: Vec<Work>,
    mut blockers: Vec<String>,
    level: crypter_api::FreezeLevel,
    undo_of: Option<String>,
) -> Result<Plan, AppError> {
    let (bao, token) = (p.model.bao, p.model.token);
    let extra = grants::process_needs(bao, token, &work).await?;
    blockers.extend(grants::check(&mut p.items, &p.needs, &extra, token, bao, level).await?);
    view::blockers(&p.items, &work, &mut blockers);
    let changesets: Vec<(String, String)> = work.iter().map(Work::hashed_as).collect();
    let hash = checksum::plan_hash(&changesets, &p.items);
    let mut view = view::build(&hash, &p.items, &work, p.warnings, blockers);
    view.undo_of = undo_of;
    Ok(Plan {
        hash,
        items: Arc::new(p.items),
        view,
        work,
    })
}

fn changed(p: &mut Planner<'_>, blockers: &mut Vec<String>, st: &crypter_api::ChangesetStatus) {
    p.warn(
        &st.id,
        None,
        "changed",
        format!(
            "{} was edited after it was applied (checksum {} was applied); see its diff",
            st.id,
            st.applied_checksum.clone().unwrap_or_default()
        ),
    );
    blockers.push(format!(
        "{} is changed: revert the edit, or add its new checksum {} to valid_checksums with a \
         reason",
        st.id,
        st.checksum.clone().unwrap_or_default()
    ));
}

/// The freeze a changeset requires, and a warning for a protected target environment.
async fn requirements(
    p: &mut Planner<'_>,
    blockers: &mut Vec<String>,
    cs: &Changeset,
    frozen: crypter_api::FreezeLevel,
) {
    if let Some(level) = cs.requires_freeze {
        if !frozen.satisfies(level) {
            p.warn(
                &cs.id,
                None,
                "freeze_missing",
                format!(
                    "{} requires a `{level}` freeze, but the store's freeze is `{frozen}`; freeze first",
                    cs.id
                ),
            );
            blockers.push(format!("{} needs a `{level}` freeze", cs.id));
        }
    }
    let (bao, token) = (p.model.bao, p.model.token);
    if let Ok(env) = crate::environments::record(bao, token, &cs.environment).await {
        if env.protected {
            p.warn(
                &cs.id,
                None,
                "protected_environment",
                format!("the target environment {} is protected", cs.environment),
            );
        }
    }
}
