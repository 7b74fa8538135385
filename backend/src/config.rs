//! Runtime settings of the HTTP server. The CLI (`cli.rs`) fills them from flags and
//! `CRYPTER_`-prefixed environment variables; tests build them directly.

pub use crate::error::BODY_LIMIT;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the console's files are (`dist/`, from `scripts/build-console.sh`).
    pub dist_dir: PathBuf,
    /// Login attempts allowed per client address per minute.
    pub login_per_minute: u32,
    /// Login attempts a client may make at once before the per-minute rate applies.
    pub login_burst: u32,
    /// Mark the session cookie `Secure` even without `X-Forwarded-Proto: https`
    /// (set this when a TLS proxy sits in front of Crypter).
    pub secure_cookies: bool,
    /// The changesets folder (`--changesets-dir`), read afresh on every status, plan and apply.
    pub changesets_dir: Option<PathBuf>,
    /// OpenBao's audit logs (file audit devices) the activity feed reads: one per node.
    pub audit_logs: Vec<PathBuf>,
    /// Where the ingest endpoint appends the audit lines a log shipper posts.
    pub audit_ingest_file: Option<PathBuf>,
    /// Every session's idle timeout and absolute lifetime.
    pub lifetimes: Lifetimes,
    /// How long an instance trusts its cached copy of a session record.
    pub session_revalidate: Duration,
    /// Jobs' heartbeat, when a silent one is interrupted, and how long ended ones are kept.
    pub jobs: JobTiming,
    /// Where the runbook's snapshot step keeps store snapshots (`--snapshots-dir`); the
    /// embedded store's default is `<data-dir>/snapshots`.
    pub snapshots_dir: Option<PathBuf>,
    /// The embedded store's data directory, when this server runs it: its bao-init.json
    /// unseals a snapshot drill's copy.
    pub embedded_data_dir: Option<PathBuf>,
    /// Named restore points of every environment on a schedule (`None`: by hand only).
    pub restore_points: Option<Schedule>,
    /// How often an instance sweeps credentials' `expires` dates for reminders.
    pub reminders_every: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            dist_dir: PathBuf::from("dist"),
            login_per_minute: 10,
            login_burst: 5,
            secure_cookies: false,
            changesets_dir: None,
            audit_logs: Vec::new(),
            audit_ingest_file: None,
            lifetimes: Lifetimes::default(),
            session_revalidate: Duration::from_secs(2),
            jobs: JobTiming::default(),
            snapshots_dir: None,
            embedded_data_dir: None,
            restore_points: None,
            reminders_every: Duration::from_secs(600),
        }
    }
}

/// How often jobs write their heartbeat, when a silent one is interrupted, and how long
/// ended jobs are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobTiming {
    pub heartbeat: Duration,
    pub stale_after: Duration,
    pub retention: Duration,
}

impl Default for JobTiming {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(10),
            stale_after: Duration::from_secs(60),
            retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The idle timeout and absolute lifetime every session gets, whatever its token's TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 60 * 60),
        }
    }
}

/// Named restore points on a schedule (`restore_points::schedule`): how often, and how many scheduled restore points each environment keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub every: Duration,
    pub keep: usize,
}
