//! Running a plan's items, changeset by changeset: the items of one operation
//! `PARALLELISM` at once in a sliding window (a move's copy and its `delete_source`
//! together, in order; see [`window`]). Before items start, the changelog records how far
//! the list is done and which items may be running, so a killed process resumes the same
//! list where it stopped. The lock's heartbeat runs beside it. The runner stops starting
//! items as soon as its job is asked to stop (the instance shuts down): the units running
//! finish, the cursor is saved, the lock released, and the job handed over as
//! `interrupted`, for anyone to resume at once.

mod window;

use super::changelog::{self, Direction, Record};
use super::exec::{DigestSink, Exec};
use super::lock;
use super::plan::{Plan, Work};
use crate::bao::Bao;
use crate::error::AppError;
use crate::jobs::JobHandle;
use crate::records::ProductEvent;
use crypter_api::ErrorCode;
use crypter_api::{
    ActivityAction, ChangelogResult, ChangesetCursor, EnvName, ItemAction, PlanItem,
};
use secrecy::SecretString;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use window::Window;

/// Items the cursor reserves ahead, at most: a resumed apply checks at most this many
/// items as possibly started. A new reservation is saved once half of one has started,
/// while the rest runs.
const BATCH: usize = 1024;

pub struct Runner {
    pub bao: Bao,
    pub token: SecretString,
    pub actor: String,
    pub runbook_run: Option<String>,
    pub job: JobHandle,
    pub lock_version: u64,
    pub heartbeat: Duration,
    pub plan: Arc<Plan>,
    /// The backend's own records, for the digests of written values (`None`: the CLI).
    pub records: Option<crate::records::Records>,
}

/// Why a changeset's run stopped early.
enum Halt {
    /// The apply failed (a conflict, an error, the lock taken over): the job fails.
    Failed(AppError),
    /// The job was asked to stop (shutdown) and saved its cursor: it is handed over.
    HandedOver(String),
}

use crate::clock::now_rfc3339 as now;

pub async fn run(r: Runner) {
    let lost = Arc::new(AtomicBool::new(false));
    let beat = {
        let (bao, token, lost) = (r.bao.clone(), r.token.clone(), lost.clone());
        let (mut version, every) = (r.lock_version, r.heartbeat);
        let job = r.job.id().to_owned();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match lock::heartbeat(&bao, &token, version).await {
                    Ok(v) => version = v,
                    Err(e) => {
                        tracing::warn!(job = %job, error = %e.cause_chain(), "changesets lock lost");
                        lost.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            }
        })
    };
    let mut halt = None;
    for w in &r.plan.work {
        match run_changeset(&r, w, &lost).await {
            Ok(()) => {}
            Err(Halt::Failed(e)) => {
                halt = Some(Err(format!("{}: {}", w.cs.id, e.cause_chain())));
                break;
            }
            Err(Halt::HandedOver(why)) => {
                halt = Some(Ok(why));
                break;
            }
        }
    }
    beat.abort();
    if !lost.load(Ordering::SeqCst) {
        if let Err(e) = lock::release(&r.bao, &r.token).await {
            tracing::warn!(job = %r.job.id(), error = %e.cause_chain(),
                "could not release the changesets lock");
        }
    }
    match halt {
        None => r.job.finish(Ok(())).await,
        Some(Err(e)) => r.job.finish(Err(e)).await,
        Some(Ok(why)) => r.job.hand_over(why).await,
    }
}

/// Consecutive items that run in order, as one: a copy and the `delete_source` after it.
fn units(items: &[PlanItem]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        match out.last_mut() {
            Some(last) if it.action == ItemAction::DeleteSource => last.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// The units of each operation, in order: an operation's units may run at the same time,
/// and an operation starts once the one before it is done.
fn operations(items: &[PlanItem], units: Vec<Range<usize>>) -> Vec<Vec<Range<usize>>> {
    let mut out: Vec<Vec<Range<usize>>> = Vec::new();
    for u in units {
        match out.last_mut() {
            Some(o) if items[o[0].start].operation == items[u.start].operation => o.push(u),
            _ => out.push(vec![u]),
        }
    }
    out
}

/// Items that write something: what a job counts.
pub fn runnable(items: &[PlanItem]) -> u64 {
    items.iter().filter(|i| !i.action.is_noop()).count() as u64
}

async fn run_changeset(r: &Runner, w: &Work, lost: &AtomicBool) -> Result<(), Halt> {
    let items = &r.plan.items[w.items.clone()];
    let mut record = Record {
        id: w.cs.id.clone(),
        checksum: w.checksum.clone(),
        body: w.text.clone(),
        by: r.actor.clone(),
        at: now(),
        result: ChangelogResult::Running,
        error: None,
        runbook_run: r.runbook_run.clone(),
        cursor: Some(ChangesetCursor {
            plan_hash: r.plan.hash.clone(),
            done: 0,
            total: items.len(),
            in_flight: 0,
        }),
        first_item: w.items.start,
        direction: w.direction,
    };
    let sink = DigestSink::default();
    let x = Exec {
        bao: &r.bao,
        token: &r.token,
        digests: r.records.as_ref().map(|_| &sink),
    };
    for operation in operations(items, units(items)) {
        let first = &items[operation[0].start];
        r.job.set_current(format!(
            "{}: {} (operation {}/{})",
            w.cs.id,
            w.cs.operations[first.operation].name(),
            first.operation + 1,
            w.cs.operations.len()
        ));
        let window = Window {
            r,
            w,
            items,
            units: &operation,
            sink: &sink,
            lost,
        };
        window.run(&x, &mut record).await?;
    }
    if let Err(e) = record_counts(r, w).await {
        let end = items.len();
        let why = format!("recording ciphertext counts: {}", e.cause_chain());
        return Err(Halt::Failed(fail(r, &mut record, end, why).await));
    }
    record.result = finished(r, w, items);
    record.cursor = None;
    record.at = now();
    changelog::save(&r.bao, &r.token, &record)
        .await
        .map_err(Halt::Failed)?;
    announce(r, w, record.result).await;
    Ok(())
}

/// The product event of a finished run (`changeset.apply` or `changeset.undo`), recorded
/// by the backend's own identity; the CLI, which has none, records nothing.
async fn announce(r: &Runner, w: &Work, result: ChangelogResult) {
    let Some(records) = &r.records else {
        return;
    };
    let action = match result {
        ChangelogResult::Undone => ActivityAction::ChangesetUndo,
        _ => ActivityAction::ChangesetApply,
    };
    let event = ProductEvent {
        action,
        environment: None,
        actor: r.actor.clone(),
        target: w.cs.id.clone(),
        detail: None,
    };
    records.emit(event).await;
}

/// What the changelog records once a changeset's items all ran; an undo (or redo) also
/// notes in the job the conflicts it left as they were.
fn finished(r: &Runner, w: &Work, items: &[PlanItem]) -> ChangelogResult {
    if w.direction != Direction::Apply {
        r.job.note(left_as_they_were(w, items));
    }
    match w.direction {
        Direction::Undo => ChangelogResult::Undone,
        Direction::Apply | Direction::Redo => ChangelogResult::Applied,
    }
}

/// An undo's last word: what it did, and each conflict it left as it was.
fn left_as_they_were(w: &Work, items: &[PlanItem]) -> String {
    let conflicts: Vec<String> = items
        .iter()
        .filter(|i| i.action == ItemAction::Conflict)
        .map(|i| i.target.label())
        .collect();
    let done = format!("{}: {:?} done", w.cs.id, w.direction).to_lowercase();
    match conflicts.len() {
        0 => format!("{done}; no conflicts"),
        n => format!(
            "{done}; {n} conflict(s) left as they were: {}",
            conflicts.join(", ")
        ),
    }
}

/// The digests of the values written so far, kept with each cursor saved, by environment.
async fn keep_digests(r: &Runner, sink: &DigestSink) {
    let Some(records) = &r.records else {
        return;
    };
    let written = match sink.lock() {
        Ok(mut s) => std::mem::take(&mut *s),
        Err(_) => return,
    };
    let mut by_env: std::collections::BTreeMap<String, Vec<_>> = Default::default();
    for (env, w) in written {
        by_env.entry(env).or_default().push(w);
    }
    for (env, written) in by_env {
        if let Ok(env) = EnvName::parse(&env) {
            crate::credentials::digests::keep_or_log(records, &env, written).await;
        }
    }
}

/// Stop with nothing running: every item before `done` is done and none is in flight.
async fn hand_over(r: &Runner, record: &mut Record, done: usize, why: String) -> Halt {
    record.result = ChangelogResult::Failed;
    record.error = Some(format!("interrupted: {why}; resume the job to continue"));
    if let Some(c) = record.cursor.as_mut() {
        c.done = done;
        c.in_flight = done;
    }
    match changelog::save(&r.bao, &r.token, record).await {
        Ok(()) => Halt::HandedOver(why),
        Err(e) => Halt::Failed(e),
    }
}

/// The ciphertext counts the changeset's rewraps leave, into each key's usage record
/// (where the lint reads them, never the values).
async fn record_counts(r: &Runner, w: &Work) -> Result<(), AppError> {
    for (env, key, prefix, field, by_version) in &w.key_counts {
        let count = crypter_api::CiphertextCount {
            prefix: prefix.clone(),
            field: field.clone(),
            by_version: by_version.clone(),
            source: "rewrap".into(),
            by: r.actor.clone(),
            at: now(),
        };
        crate::keys::record::record_usage(&r.bao, &r.token, env, key, count).await?;
    }
    Ok(())
}

async fn fail(r: &Runner, record: &mut Record, done: usize, error: String) -> AppError {
    record.result = ChangelogResult::Failed;
    record.error = Some(error.clone());
    if let Some(c) = record.cursor.as_mut() {
        c.done = done;
    }
    match changelog::save(&r.bao, &r.token, record).await {
        Ok(()) => AppError::Conflict(ErrorCode::ApplyFailed, error),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::{ItemTarget, Precondition};

    fn it(operation: usize, action: ItemAction) -> PlanItem {
        PlanItem {
            changeset: "c".into(),
            operation,
            action,
            source: None,
            target: ItemTarget::Environment { name: "qa".into() },
            value: None,
            precondition: Precondition::default(),
            metadata: None,
            reason: None,
            refused: None,
            resumed: false,
            key_move: None,
        }
    }

    #[test]
    fn a_move_runs_as_one_unit_and_units_are_grouped_by_operation() {
        let items = vec![
            it(0, ItemAction::Create),
            it(1, ItemAction::Create),
            it(1, ItemAction::DeleteSource),
            it(1, ItemAction::Skip),
            it(1, ItemAction::DeleteSource),
            it(2, ItemAction::Retag),
        ];
        let u = units(&items);
        assert_eq!(u, vec![0..1, 1..3, 3..5, 5..6]);
        let o = operations(&items, u);
        assert_eq!(o, vec![vec![0..1], vec![1..3, 3..5], vec![5..6]]);
        let many: Vec<PlanItem> = (0..2500).map(|_| it(0, ItemAction::Create)).collect();
        let sizes: Vec<usize> = operations(&many, units(&many))
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, vec![2500]);
    }
}
