//! Sessions kept in OpenBao, with a per-instance cache. A cached session is used as is for
//! `revalidate` (2 s by default); after that its record is read again, so a logout or an
//! expiry on any instance is seen here within that time (and at once when OpenBao refuses
//! the token, see [`super::gone`]). A session's last use is written back to its record at
//! most once a minute, with check-and-set, so a touch never brings back a deleted record.

use super::record::{self, Lifetimes, SessionRecord};
use super::Session;
use crate::bao::kv::KvError;
use crate::bao::BaoError;
use crate::clock::{unix, Clock};
use crate::error::AppError;
use crate::records::Records;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use time::OffsetDateTime;

/// How often a session's last use is written back to its record, at most.
const TOUCH_EVERY: u64 = 60;

#[derive(Clone)]
pub(super) struct Cached {
    session: Session,
    record: SessionRecord,
    version: u64,
    checked_at: OffsetDateTime,
    pub(super) last_seen: u64,
}

/// Sessions of every instance, as this instance sees them. Cheap to clone.
#[derive(Clone)]
pub struct SessionStore {
    pub(super) records: Records,
    clock: Arc<dyn Clock>,
    pub lifetimes: Lifetimes,
    revalidate: Duration,
    cache: Arc<RwLock<HashMap<String, Cached>>>,
}

/// What a login hands over to become a session.
pub struct NewSession {
    pub token: SecretString,
    pub username: String,
    pub method: String,
    pub policies: Vec<String>,
    pub entity_id: Option<String>,
    pub token_ttl_secs: i64,
    pub keep_token: bool,
}

fn at(secs: u64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()
}

impl SessionStore {
    pub fn new(
        records: Records,
        clock: Arc<dyn Clock>,
        lifetimes: Lifetimes,
        revalidate: Duration,
    ) -> Self {
        Self {
            records,
            clock,
            lifetimes,
            revalidate,
            cache: Arc::default(),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    fn session(&self, id: &str, r: &SessionRecord, token: SecretString) -> Session {
        Session {
            id: id.to_owned(),
            token,
            csrf_token: r.csrf_token.clone(),
            username: r.username.clone(),
            method: r.method.clone(),
            policies: r.policies.clone(),
            expires_at: r.token_expires_at.and_then(at),
            ends_at: at(self.lifetimes.hard_end(r)),
            entity_id: r.entity_id.clone(),
            keep_token: r.keep_token,
        }
    }

    pub(super) fn cached(&self, hash: &str) -> Option<Cached> {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache.get(hash).cloned()
    }

    fn keep(&self, hash: String, entry: Cached) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        cache.insert(hash, entry);
    }

    pub(super) fn drop_cached(&self, hash: &str) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        cache.remove(hash);
    }

    /// Keep a new session in the store. Returns it with its fresh id.
    pub async fn create(&self, new: NewSession) -> Result<Session, AppError> {
        let id = super::random_token();
        let hash = record::hash(&id);
        let now = unix(self.now());
        let sealed = self
            .records
            .seal(&hash, new.token.expose_secret().as_bytes())
            .await?;
        let r = SessionRecord {
            username: new.username,
            method: new.method,
            policies: new.policies,
            entity_id: new.entity_id,
            csrf_token: super::random_token(),
            token: sealed,
            token_expires_at: (new.token_ttl_secs > 0)
                .then(|| now.saturating_add(new.token_ttl_secs.unsigned_abs())),
            created_at: now,
            last_seen: now,
            keep_token: new.keep_token,
        };
        let data = serde_json::to_value(&r)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("session record: {e}")))?;
        let version = self
            .records
            .write(&record::key(&id), &data, Some(0))
            .await?;
        let session = self.session(&id, &r, new.token);
        self.keep(
            hash,
            Cached {
                session: session.clone(),
                record: r,
                version,
                checked_at: self.now(),
                last_seen: now,
            },
        );
        Ok(session)
    }

    /// The live session for `id`, or `None` when there is none (never was, logged out, or
    /// ended: an ended session's token is revoked and its record removed here).
    pub async fn get(&self, id: &str) -> Result<Option<Session>, AppError> {
        self.lookup(id, false).await
    }

    /// As [`Self::get`], reading the record whatever the cache holds.
    pub async fn get_fresh(&self, id: &str) -> Result<Option<Session>, AppError> {
        self.lookup(id, true).await
    }

    async fn lookup(&self, id: &str, fresh: bool) -> Result<Option<Session>, AppError> {
        let hash = record::hash(id);
        let now = self.now();
        let mut entry = match self.cached(&hash) {
            Some(c) if !fresh && (now - c.checked_at).unsigned_abs() < self.revalidate => c,
            cached => match self.load(id, &hash, cached).await? {
                Some(c) => c,
                None => {
                    self.drop_cached(&hash);
                    return Ok(None);
                }
            },
        };
        if unix(now) >= self.lifetimes.end(&entry.record, entry.last_seen) {
            self.finish(id, &entry.session, &entry.record).await;
            return Ok(None);
        }
        entry.last_seen = unix(now);
        if entry.last_seen >= entry.record.last_seen + TOUCH_EVERY {
            self.touch(id, &entry);
        }
        let session = entry.session.clone();
        self.keep(hash, entry);
        Ok(Some(session))
    }

    /// Read the record again. A store that does not answer keeps the cached session (the
    /// user's own request will meet the same store); an unknown session is then an error.
    async fn load(
        &self,
        id: &str,
        hash: &str,
        cached: Option<Cached>,
    ) -> Result<Option<Cached>, AppError> {
        let found = match self.records.read(&record::key(id)).await {
            Ok(found) => found,
            Err(KvError::Store(e))
                if cached.is_some() && !matches!(e, BaoError::Forbidden { .. }) =>
            {
                tracing::warn!(error = %e, "cannot revalidate a session; using the cached one");
                return Ok(cached);
            }
            Err(e) => return Err(e.into()),
        };
        let Some((data, version)) = found else {
            // Cut off from the leader, the local node may not have the record yet: that
            // is no proof the session ended.
            let unsure =
                crate::bao::consistency::RequestScope::current().is_some_and(|s| s.below_session());
            if let Some(refused) = self
                .records
                .bao()
                .leader_unreachable(false)
                .filter(|_| unsure)
            {
                return Err(refused.into());
            }
            return Ok(None);
        };
        let Ok(r) = serde_json::from_value::<SessionRecord>(data) else {
            tracing::warn!("a session record does not decode; treating it as logged out");
            return Ok(None);
        };
        let token = match cached.as_ref() {
            Some(c) if c.record.token == r.token => c.session.token.clone(),
            _ => {
                let plain = self.records.open(hash, &r.token).await?;
                SecretString::from(String::from_utf8_lossy(&plain).into_owned())
            }
        };
        let last_seen = cached.map_or(r.last_seen, |c| c.last_seen.max(r.last_seen));
        Ok(Some(Cached {
            session: self.session(id, &r, token),
            record: r,
            version,
            checked_at: self.now(),
            last_seen,
        }))
    }

    /// Write the last use back, in the background, only over the version we read.
    fn touch(&self, id: &str, entry: &Cached) {
        let mut r = entry.record.clone();
        r.last_seen = entry.last_seen;
        let (store, key, hash, version) = (
            self.clone(),
            record::key(id),
            record::hash(id),
            entry.version,
        );
        tokio::spawn(async move {
            let Ok(data) = serde_json::to_value(&r) else {
                return;
            };
            match store.records.write(&key, &data, Some(version)).await {
                Ok(v) => {
                    let mut cache = store.cache.write().unwrap_or_else(|p| p.into_inner());
                    if let Some(c) = cache.get_mut(&hash).filter(|c| c.version == version) {
                        c.version = v;
                        c.record.last_seen = r.last_seen;
                    }
                }
                // Someone else wrote it (another instance's touch, or a logout): read it
                // again next time, keeping the last use seen here (the read merges it).
                Err(_) => {
                    let mut cache = store.cache.write().unwrap_or_else(|p| p.into_inner());
                    if let Some(c) = cache.get_mut(&hash) {
                        c.checked_at = OffsetDateTime::UNIX_EPOCH;
                    }
                }
            }
        });
    }

    /// End a session everywhere: revoke its token (unless it asked to keep it), remove its
    /// record, forget it here.
    pub async fn end(&self, session: &Session) -> Result<(), AppError> {
        if !session.keep_token {
            revoke(&self.records, &session.token).await?;
        }
        self.records.remove(&record::key(&session.id)).await?;
        self.drop_cached(&record::hash(&session.id));
        Ok(())
    }

    /// The token died behind Crypter's back (expired, revoked): the session is over.
    pub async fn forget(&self, session: &Session) -> Result<(), AppError> {
        self.records.remove(&record::key(&session.id)).await?;
        self.drop_cached(&record::hash(&session.id));
        Ok(())
    }

    /// An ended session: best effort, logged; the request answers 401 either way.
    async fn finish(&self, id: &str, session: &Session, r: &SessionRecord) {
        if !r.keep_token {
            if let Err(e) = revoke(&self.records, &session.token).await {
                tracing::warn!(error = %e, "could not revoke an ended session's token");
            }
        }
        if let Err(e) = self.records.remove(&record::key(id)).await {
            tracing::warn!(error = %e, "could not remove an ended session's record");
        }
        self.drop_cached(&record::hash(id));
        tracing::info!(user = %r.username, "session ended (idle timeout or lifetime)");
    }

    /// Sessions cached here (for tests and the load benchmark's report).
    pub fn cached_count(&self) -> usize {
        self.cache.read().map(|c| c.len()).unwrap_or(0)
    }
}

/// Revoke a user's token with itself; one already gone is fine.
pub(super) async fn revoke(records: &Records, token: &SecretString) -> Result<(), AppError> {
    match records
        .bao()
        .request(
            reqwest::Method::POST,
            "auth/token/revoke-self",
            Some(token),
            None,
        )
        .await
    {
        Ok(_) | Err(BaoError::Forbidden { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
