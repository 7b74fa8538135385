//! A history of register operations across data centers, and the checker, in the spirit
//! of Jepsen: every operation is recorded with when it started and ended and what Crypter
//! answered; the checker then judges the whole history, not single requests.
//!
//! Registers have one writer each (their session), which writes unique values in order.
//! The checks:
//! - no acknowledged write is lost, and none is applied twice (the store's final
//!   versions, read from OpenBao itself, hold each acknowledged value exactly once and
//!   any other value at most once); a write refused with `leader_unreachable` ("nothing
//!   was changed") is not there at all, while one answered `leader_lost` (in flight when
//!   the cut came) may or may not be;
//! - read-your-writes per session: an unmarked read by the writer sees at least the
//!   version of its last acknowledged write;
//! - monotonic reads per session: a session's unmarked reads of a register never go back;
//! - every stale read is marked: an unmarked read sees every write acknowledged more than
//!   the staleness bound before it started (Crypter's promise for an unmarked answer).

use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub enum Kind {
    Write { value: String },
    Read,
}

#[derive(Debug, Clone)]
pub struct Op {
    pub session: usize,
    pub register: String,
    pub kind: Kind,
    pub start: Instant,
    pub end: Instant,
    pub status: u16,
    pub code: Option<String>,
    /// The version the write made, or the read saw.
    pub version: Option<u64>,
    pub stale: bool,
}

impl Op {
    fn acked_write(&self) -> bool {
        matches!(self.kind, Kind::Write { .. }) && matches!(self.status, 200 | 201)
    }

    fn refused(&self) -> bool {
        matches!(self.kind, Kind::Write { .. })
            && self.status == 503
            && self.code.as_deref() == Some("leader_unreachable")
    }

    fn unmarked_read(&self) -> bool {
        matches!(self.kind, Kind::Read) && self.status == 200 && !self.stale
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub writes_acked: usize,
    pub writes_refused: usize,
    pub writes_unknown: usize,
    pub reads_ok: usize,
    pub reads_marked: usize,
    /// The slowest `leader_unreachable` refusal.
    pub slowest_refusal: Duration,
    pub violations: Vec<String>,
}

/// Judge `history` against the store's final state (`finals`: each register's versions
/// and their values, read from OpenBao). `bound`: how old an unmarked read may be.
pub fn check(
    history: &[Op],
    finals: &HashMap<String, Vec<(u64, String)>>,
    bound: Duration,
) -> Report {
    let mut r = Report::default();
    for op in history {
        match (&op.kind, op.status) {
            (Kind::Write { .. }, 200 | 201) => r.writes_acked += 1,
            (Kind::Write { .. }, 503) if op.code.as_deref() == Some("leader_unreachable") => {
                r.writes_refused += 1;
                r.slowest_refusal = r.slowest_refusal.max(op.end - op.start);
            }
            (Kind::Write { .. }, _) => r.writes_unknown += 1,
            (Kind::Read, 200) => {
                r.reads_ok += 1;
                r.reads_marked += usize::from(op.stale);
            }
            (Kind::Read, _) => {}
        }
    }
    lost_or_twice(history, finals, &mut r.violations);
    sessions(history, &mut r.violations);
    unmarked_stale(history, bound, &mut r.violations);
    r
}

fn lost_or_twice(
    history: &[Op],
    finals: &HashMap<String, Vec<(u64, String)>>,
    out: &mut Vec<String>,
) {
    let mut count: HashMap<(&str, &str), usize> = HashMap::new();
    for (reg, versions) in finals {
        for (_, value) in versions {
            *count.entry((reg.as_str(), value.as_str())).or_default() += 1;
        }
    }
    for op in history {
        let Kind::Write { value } = &op.kind else {
            continue;
        };
        let n = count
            .get(&(op.register.as_str(), value.as_str()))
            .copied()
            .unwrap_or(0);
        if op.refused() && n > 0 {
            out.push(format!(
                "refused yet applied: {} = {value} was refused as not changed, and is in the store",
                op.register
            ));
        }
        if op.acked_write() && n == 0 {
            out.push(format!(
                "lost: {} = {value} was acknowledged (version {:?}) and is not in the store",
                op.register, op.version
            ));
        }
        if n > 1 {
            out.push(format!(
                "applied twice: {} = {value} is in {n} versions",
                op.register
            ));
        }
    }
}

fn sessions(history: &[Op], out: &mut Vec<String>) {
    // Each session runs one operation at a time, so its operations are in order by start.
    let mut by_session: HashMap<(usize, &str), Vec<&Op>> = HashMap::new();
    for op in history {
        by_session
            .entry((op.session, &op.register))
            .or_default()
            .push(op);
    }
    for ((session, reg), mut ops) in by_session {
        ops.sort_by_key(|o| o.start);
        let (mut written, mut read) = (0u64, 0u64);
        for op in ops {
            if op.acked_write() {
                written = written.max(op.version.unwrap_or(0));
            } else if op.unmarked_read() {
                let v = op.version.unwrap_or(0);
                if v < written {
                    out.push(format!("read-your-writes: session {session} read {reg} at version {v} after its own write of version {written}"));
                }
                if v < read {
                    out.push(format!("monotonic reads: session {session} read {reg} at version {v} after version {read}"));
                }
                read = read.max(v);
            }
        }
    }
}

fn unmarked_stale(history: &[Op], bound: Duration, out: &mut Vec<String>) {
    let mut acked: HashMap<&str, Vec<(Instant, u64)>> = HashMap::new();
    for op in history.iter().filter(|o| o.acked_write()) {
        acked
            .entry(&op.register)
            .or_default()
            .push((op.end, op.version.unwrap_or(0)));
    }
    for op in history.iter().filter(|o| o.unmarked_read()) {
        let Some(cutoff) = op.start.checked_sub(bound) else {
            continue;
        };
        let due = acked
            .get(op.register.as_str())
            .into_iter()
            .flatten()
            .filter(|(end, _)| *end < cutoff)
            .map(|(_, v)| *v)
            .max()
            .unwrap_or(0);
        let v = op.version.unwrap_or(0);
        if v < due {
            out.push(format!("unmarked stale read: session {} read {} at version {v}, but version {due} was acknowledged more than {bound:?} before", op.session, op.register));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(session: usize, kind: Kind, at: u64, version: u64, stale: bool) -> Op {
        let t0 = Instant::now();
        Op {
            session,
            register: "r".into(),
            kind,
            start: t0 + Duration::from_secs(at),
            end: t0 + Duration::from_secs(at) + Duration::from_millis(100),
            status: 200,
            code: None,
            version: Some(version),
            stale,
        }
    }

    fn write(session: usize, at: u64, version: u64) -> Op {
        op(
            session,
            Kind::Write {
                value: format!("v{version}"),
            },
            at,
            version,
            false,
        )
    }

    fn finals(values: &[&str]) -> HashMap<String, Vec<(u64, String)>> {
        let versions = values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64 + 1, (*v).to_owned()))
            .collect();
        HashMap::from([("r".to_owned(), versions)])
    }

    #[test]
    fn a_sound_history_passes() {
        let h = [
            write(0, 0, 1),
            op(0, Kind::Read, 1, 1, false),
            op(1, Kind::Read, 9, 1, false),
        ];
        let r = check(&h, &finals(&["v1"]), Duration::from_secs(3));
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert_eq!((r.writes_acked, r.reads_ok), (1, 2));
    }

    #[test]
    fn each_kind_of_violation_is_caught() {
        let bound = Duration::from_secs(3);
        let lost = check(&[write(0, 0, 1), write(0, 1, 2)], &finals(&["v1"]), bound);
        assert!(
            lost.violations.iter().any(|v| v.starts_with("lost")),
            "{:?}",
            lost.violations
        );
        let twice = check(&[write(0, 0, 1)], &finals(&["v1", "v1"]), bound);
        assert!(twice
            .violations
            .iter()
            .any(|v| v.starts_with("applied twice")));
        let ryw = check(
            &[write(0, 0, 2), op(0, Kind::Read, 1, 1, false)],
            &finals(&["v1", "v2"]),
            bound,
        );
        assert!(ryw
            .violations
            .iter()
            .any(|v| v.starts_with("read-your-writes")));
        let mono = check(
            &[
                op(1, Kind::Read, 0, 2, false),
                op(1, Kind::Read, 1, 1, false),
            ],
            &finals(&[]),
            bound,
        );
        assert!(mono.violations.iter().any(|v| v.starts_with("monotonic")));
        let stale = check(
            &[write(0, 0, 1), op(1, Kind::Read, 9, 0, false)],
            &finals(&["v1"]),
            bound,
        );
        assert!(stale
            .violations
            .iter()
            .any(|v| v.starts_with("unmarked stale")));
    }

    #[test]
    fn a_marked_read_may_be_old() {
        let h = [write(0, 0, 1), op(0, Kind::Read, 9, 0, true)];
        let r = check(&h, &finals(&["v1"]), Duration::from_secs(3));
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert_eq!(r.reads_marked, 1);
    }
}
