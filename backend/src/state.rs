use crate::activity::AuditFeed;
use crate::bao::Bao;
use crate::config::Settings;
use crate::credentials::ListingCache;
use crate::freeze::guard::FreezeCache;
use crate::security::{ContentPolicy, LoginLimiter};
use crate::session::SessionStore;
use std::sync::Arc;

/// Shared by every request. Holds no privileged token: each request acts with the
/// session's own OpenBao token.
#[derive(Clone)]
pub struct AppState {
    pub bao: Bao,
    pub sessions: SessionStore,
    pub login_limiter: Arc<LoginLimiter>,
    pub settings: Arc<Settings>,
    pub csp: Arc<ContentPolicy>,
    /// The last freeze state seen, for the early refusal of frozen actions.
    pub freeze: FreezeCache,
    /// Each session's listing of each environment, kept briefly (credentials, search).
    pub listings: ListingCache,
    /// OpenBao's audit log, read for the Activity page, the Freeze page and reports.
    pub activity: AuditFeed,
}

impl AppState {
    pub fn new(bao: Bao, settings: Settings) -> Self {
        let login_limiter = Arc::new(LoginLimiter::new(
            settings.login_per_minute,
            settings.login_burst,
        ));
        let csp = Arc::new(ContentPolicy::for_console(&settings.dist_dir));
        let activity = AuditFeed::new(
            settings.audit_logs.clone(),
            settings.audit_ingest_file.clone(),
        );
        Self {
            bao,
            sessions: SessionStore::default(),
            login_limiter,
            settings: Arc::new(settings),
            csp,
            freeze: FreezeCache::default(),
            listings: ListingCache::default(),
            activity,
        }
    }
}
