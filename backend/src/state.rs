use crate::activity::AuditFeed;
use crate::approvals::carry::Carrier;
use crate::bao::Bao;
use crate::bootstrap::BackendCredentials;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::credentials::ListingCache;
use crate::freeze::guard::FreezeCache;
use crate::jobs::Jobs;
use crate::records::Records;
use crate::security::{ContentPolicy, LoginLimiter};
use crate::session::{HasSessions, SessionStore};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Shared by every request. Holds no privileged token: each request acts with the
/// session's own OpenBao token. The backend's own identity (`records`) reaches only
/// session and job records.
#[derive(Clone)]
pub struct AppState {
    pub bao: Bao,
    pub records: Records,
    pub sessions: SessionStore,
    pub jobs: Jobs,
    pub clock: Arc<dyn Clock>,
    pub login_limiter: Arc<LoginLimiter>,
    pub settings: Arc<Settings>,
    pub csp: Arc<ContentPolicy>,
    /// The last freeze state seen, for the early refusal of frozen actions.
    pub freeze: FreezeCache,
    /// Each session's listing of each environment, kept briefly (credentials, search).
    pub listings: ListingCache,
    /// OpenBao's audit log, read for the Activity page, the Freeze page and reports.
    pub activity: AuditFeed,
    /// Carries out approved requests as `crypter-carrier`.
    pub carrier: Carrier,
    draining: Arc<AtomicBool>,
}

impl AppState {
    pub fn new(bao: Bao, settings: Settings, credentials: BackendCredentials) -> Self {
        Self::with_clock(bao, settings, credentials, Arc::new(SystemClock))
    }

    /// As [`AppState::new`], reading the time from `clock` (tests move it).
    pub fn with_clock(
        bao: Bao,
        settings: Settings,
        credentials: BackendCredentials,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let login_limiter = Arc::new(LoginLimiter::new(
            settings.login_per_minute,
            settings.login_burst,
        ));
        let csp = Arc::new(ContentPolicy::for_console(&settings.dist_dir));
        let activity = AuditFeed::new(
            settings.audit_logs.clone(),
            settings.audit_ingest_file.clone(),
        );
        let carrier_credentials = credentials.carrier.clone();
        let records = Records::new(bao.clone(), credentials);
        let carrier = Carrier {
            bao: bao.clone(),
            records: records.clone(),
            credentials: carrier_credentials,
            clock: clock.clone(),
        };
        let sessions = SessionStore::new(
            records.clone(),
            clock.clone(),
            settings.lifetimes,
            settings.session_revalidate,
        );
        let jobs = Jobs::new(Some(records.clone()), clock.clone(), settings.jobs);
        Self {
            bao,
            records,
            sessions,
            jobs,
            clock,
            login_limiter,
            settings: Arc::new(settings),
            csp,
            freeze: FreezeCache::default(),
            listings: ListingCache::default(),
            activity,
            carrier,
            draining: Arc::default(),
        }
    }

    /// The instance is shutting down: readiness answers 503 from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

impl HasSessions for AppState {
    fn sessions(&self) -> &SessionStore {
        &self.sessions
    }
}
