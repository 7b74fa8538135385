//! One operation's units, run as a sliding window: a unit starts as soon as one of the
//! `PARALLELISM` slots is free, never waiting for the slowest unit of a batch. The cursor
//! reserves up to `BATCH` items ahead: no item at or past the saved `in_flight` starts
//! before the changelog record that says so is written, and every item before the saved
//! `done` is done. The next reservation is written while the units of the current one
//! run, so OpenBao is not left idle while the cursor is saved. The runner stops starting
//! units as soon as its job must stop (or its lock is lost), and those running finish.

use super::{fail, hand_over, keep_digests, runnable, Halt, Runner, BATCH};
use crate::changesets::changelog::{self, Record};
use crate::changesets::exec::{self, Carry, DigestSink, Exec, Stop};
use crate::changesets::plan::{Work, PARALLELISM};
use crate::error::AppError;
use crypter_api::PlanItem;
use futures_util::future::{BoxFuture, OptionFuture};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

pub(super) struct Window<'a> {
    pub r: &'a Runner,
    pub w: &'a Work,
    pub items: &'a [PlanItem],
    /// The operation's units, in order.
    pub units: &'a [Range<usize>],
    pub sink: &'a DigestSink,
    pub lost: &'a AtomicBool,
}

/// Why the window stops starting units.
enum Halting {
    Stop(String),
    Lost,
}

type Outcome = (usize, Result<(), (usize, Stop)>);

/// Where the window is.
struct State<'a> {
    /// The next unit to start; units before it started.
    next: usize,
    /// The first unit not done; every unit before it is done.
    low: usize,
    finished: Vec<bool>,
    /// Items before `reserved` may start: the record saying so is written.
    reserved: usize,
    /// A reservation being written: where it ends, and the write.
    saving: Option<(usize, BoxFuture<'a, Result<(), AppError>>)>,
    failed: Vec<(usize, Stop)>,
    halting: Option<Halting>,
    /// A cursor that could not be saved: the units running finish, then the apply fails.
    broken: Option<AppError>,
    /// Items done and not yet added to the job's progress.
    counted: u64,
}

impl State<'_> {
    fn starting(&self) -> bool {
        self.failed.is_empty() && self.halting.is_none() && self.broken.is_none()
    }
}

impl<'a> Window<'a> {
    /// Run every unit; on the first item that stops, no further unit starts, those
    /// running finish, and the apply fails at the first item not known done.
    pub async fn run(&self, x: &Exec<'_>, record: &mut Record) -> Result<(), Halt> {
        let units = self.units;
        let mut s = State {
            next: 0,
            low: 0,
            finished: vec![false; units.len()],
            reserved: units[0].start,
            saving: None,
            failed: Vec::new(),
            halting: None,
            broken: None,
            counted: 0,
        };
        let mut running = FuturesUnordered::new();
        loop {
            if s.starting() {
                s.halting = self.halting();
            }
            while s.starting()
                && running.len() < PARALLELISM
                && s.next < units.len()
                && units[s.next].end <= s.reserved
            {
                running.push(self.unit(x, s.next));
                s.next += 1;
            }
            self.reserve(&mut s, record);
            if running.is_empty() && s.saving.is_none() {
                break;
            }
            tokio::select! {
                Some(outcome) = running.next(), if !running.is_empty() => {
                    self.ended(&mut s, outcome);
                }
                Some(saved) = OptionFuture::from(s.saving.as_mut().map(|(_, f)| f)),
                    if s.saving.is_some() =>
                {
                    let to = s.saving.take().map_or(s.reserved, |(to, _)| to);
                    match saved {
                        Ok(()) => s.reserved = to,
                        Err(e) => s.broken = Some(e),
                    }
                }
                else => break,
            }
        }
        self.finish(s, record).await
    }

    /// Whether the runner must stop starting units: the lock was taken over, or the job
    /// was asked to stop (the instance shuts down).
    fn halting(&self) -> Option<Halting> {
        if self.lost.load(Ordering::SeqCst) {
            return Some(Halting::Lost);
        }
        self.r.job.stop_reason().map(Halting::Stop)
    }

    /// Write the next reservation once half of the current one started.
    fn reserve(&self, s: &mut State<'a>, record: &mut Record) {
        let units = self.units;
        let end = units[units.len() - 1].end;
        let started_to = units.get(s.next).map_or(end, |u| u.start);
        let left = s.reserved.saturating_sub(started_to);
        if !s.starting() || s.saving.is_some() || s.reserved >= end || left > BATCH / 2 {
            return;
        }
        let to = reservation(units, s.next, s.reserved);
        if let Some(c) = record.cursor.as_mut() {
            c.done = units.get(s.low).map_or(end, |u| u.start);
            c.in_flight = to;
        }
        let (r, sink, saved) = (self.r, self.sink, record.clone());
        let save: BoxFuture<'a, Result<(), AppError>> = Box::pin(async move {
            keep_digests(r, sink).await;
            changelog::save(&r.bao, &r.token, &saved).await
        });
        s.saving = Some((to, save));
    }

    fn ended(&self, s: &mut State<'_>, (u, outcome): Outcome) {
        match outcome {
            Ok(()) => {
                s.finished[u] = true;
                while s.low < s.finished.len() && s.finished[s.low] {
                    s.low += 1;
                }
                s.counted += runnable(&self.items[self.units[u].clone()]);
                if s.counted >= 256 {
                    self.r.job.add_done(std::mem::take(&mut s.counted));
                }
            }
            Err(f) => s.failed.push(f),
        }
    }

    /// Nothing runs any more: the operation is done, or the apply stops where it must.
    async fn finish(&self, mut s: State<'_>, record: &mut Record) -> Result<(), Halt> {
        keep_digests(self.r, self.sink).await;
        self.r.job.add_done(s.counted);
        if let Some(e) = s.broken {
            return Err(Halt::Failed(e));
        }
        s.failed.sort_by_key(|(i, _)| *i);
        if let Some((at, stop)) = s.failed.into_iter().next() {
            let why = self.why(at, stop);
            return Err(Halt::Failed(fail(self.r, record, at, why).await));
        }
        // Every unit started is done: the first not started is where it stops.
        let units = self.units;
        let at = units
            .get(s.next)
            .map_or(units[units.len() - 1].end, |u| u.start);
        match s.halting {
            None => Ok(()),
            Some(Halting::Lost) => Err(Halt::Failed(
                fail(
                    self.r,
                    record,
                    at,
                    "the lock was taken over; stopped".into(),
                )
                .await,
            )),
            Some(Halting::Stop(why)) => Err(hand_over(self.r, record, at, why).await),
        }
    }

    /// Unit `u`'s items in order: `Err` holds the item that stopped and why.
    fn unit<'b>(&self, x: &'b Exec<'b>, u: usize) -> BoxFuture<'b, Outcome>
    where
        'a: 'b,
    {
        let (w, items, range) = (self.w, self.items, self.units[u].clone());
        Box::pin(async move {
            let mut carry = Carry::default();
            for i in range {
                let it = &items[i];
                let op = &w.cs.operations[it.operation];
                if let Err(e) = exec::item(x, it, op, &mut carry).await {
                    return (u, Err((i, e)));
                }
            }
            (u, Ok(()))
        })
    }

    /// Why the apply stopped at item `i`, in words.
    fn why(&self, i: usize, stop: Stop) -> String {
        let it = &self.items[i];
        let what = format!(
            "item {} ({} {})",
            self.w.items.start + i + 1,
            it.action,
            it.target.label()
        );
        match stop {
            Stop::Conflict(why) => format!(
                "conflict at {what}: {why}. The apply stopped; make the store match the plan \
                 again and apply to resume, or remove its changelog record to plan it afresh"
            ),
            Stop::Error(e) => format!("{what} failed: {}", e.cause_chain()),
        }
    }
}

/// Where the next reservation ends: `BATCH` items past the first unit not started (at a
/// unit's end, and at least that unit's), never past the operation.
fn reservation(units: &[Range<usize>], next: usize, reserved: usize) -> usize {
    let from = units.get(next).map_or(reserved, |u| u.start);
    let mut to = reserved;
    for u in &units[next..] {
        if u.end <= reserved {
            continue;
        }
        if u.end > from + BATCH && to > reserved {
            break;
        }
        to = u.end;
    }
    to
}

#[cfg(test)]
mod tests {
    use super::reservation;

    #[test]
    fn a_reservation_ends_at_a_unit_and_reaches_batch_items_past_the_first_not_started() {
        let units: Vec<_> = (0..3000).map(|i| i..i + 1).collect();
        assert_eq!(reservation(&units, 0, 0), 1024);
        // Half of it started: the next one reaches BATCH past the first not started.
        assert_eq!(reservation(&units, 600, 1024), 1624);
        assert_eq!(reservation(&units, 2900, 2950), 3000);
        let pairs: Vec<_> = (0..10).map(|i| 2 * i..2 * i + 2).collect();
        assert_eq!(reservation(&pairs, 0, 0), 20);
        assert_eq!(reservation(&pairs, 3, 8), 20);
    }
}
