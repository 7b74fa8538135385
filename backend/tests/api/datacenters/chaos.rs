//! The history checker under faults: sessions in all three data centers write and read
//! registers through Crypter while the nemesis cuts a data center off, heals it, and
//! SIGKILLs the leader (then starts it again), one fault every period. Then the whole
//! history is judged (see `history`). `make test` runs 100 s; `make chaos` runs the long
//! one (`CRYPTER_CHAOS_SECS=600`).

use super::dev::DevWan;
use super::history::{check, Op};
use super::session::Session;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How old an unmarked read may be: Crypter's staleness bound, and a little for the
/// request's own time in flight.
const BOUND: Duration = Duration::from_millis(3_000 + 500);
const SESSIONS_PER_DC: usize = 2;

fn secs(var: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_history_under_partitions_and_leader_kills_loses_nothing_and_marks_every_stale_read() {
    let run_for = secs("CRYPTER_CHAOS_SECS", 100);
    let period = secs("CRYPTER_CHAOS_PERIOD_SECS", 20);
    let mut dev = DevWan::start("80ms").await;
    dev.keep_all_versions().await;
    let history = Arc::new(Mutex::new(Vec::<Op>::new()));
    let stop_at = Instant::now() + run_for;
    let mut clients = Vec::new();
    for s in 0..3 * SESSIONS_PER_DC {
        let base = dev.instances[s % 3].clone();
        let session = Session::login(&base)
            .await
            .expect("log in before the faults");
        let history = history.clone();
        clients.push(tokio::spawn(client(s, base, session, history, stop_at)));
    }
    let faults = nemesis(&mut dev, period, stop_at).await;
    for c in clients {
        c.await.unwrap();
    }
    // Heal everything, then let every data center catch up before the final read.
    for dc in ["dc1", "dc2", "dc3"] {
        dev.relay("heal", dc).await;
    }
    dev.converged(Duration::from_secs(90)).await;
    let history = history.lock().unwrap().clone();
    let finals = dev.finals(history.iter().map(|o| o.register.clone())).await;
    let report = check(&history, &finals, BOUND);
    println!(
        "chaos {run_for:?}: {faults} faults; writes {} acknowledged, {} refused (slowest {:?}), {} unknown; reads {} ({} marked stale); {} violations",
        report.writes_acked, report.writes_refused, report.slowest_refusal, report.writes_unknown,
        report.reads_ok, report.reads_marked, report.violations.len()
    );
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    // Nothing here may pass vacuously: the run wrote, read, met a cut, and was refused.
    assert!(
        report.writes_acked >= 30,
        "too few writes to judge: {report:?}"
    );
    assert!(report.reads_ok >= 60, "too few reads to judge: {report:?}");
    assert!(
        report.reads_marked >= 1,
        "no read was served from a cut-off data center: {report:?}"
    );
    assert!(
        report.writes_refused >= 1,
        "no write met a cut-off data center: {report:?}"
    );
    assert!(
        report.slowest_refusal <= Duration::from_secs(1),
        "a refusal took {:?}",
        report.slowest_refusal
    );
    assert!(faults >= 3, "the nemesis injected only {faults} faults");
}

/// One session: write its own registers, read its own and others', until `stop_at`.
async fn client(
    s: usize,
    base: String,
    session: Session,
    history: Arc<Mutex<Vec<Op>>>,
    stop_at: Instant,
) {
    let mut seq = 0u64;
    let mut n = 0usize;
    while Instant::now() < stop_at {
        n += 1;
        // Own registers: two each; reads alternate between own and a neighbour's.
        let own = format!("chaos/s{s}-{}", n % 2);
        let (register, write) = match n % 3 {
            0 => (own, true),
            1 => (own, false),
            _ => (
                format!("chaos/s{}-{}", (s + 1) % (3 * SESSIONS_PER_DC), n % 2),
                false,
            ),
        };
        let value = write.then(|| {
            seq += 1;
            format!("s{s}-{seq}")
        });
        let op = session.register_op(s, &base, register, value).await;
        let failed = op.status == 0 || op.status >= 500;
        history.lock().unwrap().push(op);
        if failed {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// One fault every `period`, alternating: cut a data center off (dc3, dc1, dc2, …) and heal
/// it; SIGKILL the leader and start it again. How many faults it injected.
async fn nemesis(dev: &mut DevWan, period: Duration, stop_at: Instant) -> usize {
    let mut faults = 0;
    let mut step = 0usize;
    while Instant::now() + period <= stop_at + period / 2 {
        let cut = ["dc3", "dc1", "dc2"][(step / 2) % 3];
        if step.is_multiple_of(2) {
            let (status, _) = dev.relay("partition", cut).await;
            assert_eq!(status, 200);
            tokio::time::sleep(period.min(stop_at.saturating_duration_since(Instant::now()))).await;
            dev.relay("heal", cut).await;
        } else if let Some(leader) = dev.leader().await {
            dev.kill(leader).await;
            tokio::time::sleep(period / 2).await;
            dev.restart(leader).await;
            tokio::time::sleep(period / 2).await;
        }
        faults += 1;
        step += 1;
        // Let the heal settle a moment before the next fault.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    faults
}
