use crate::Error;
use secrecy::SecretString;
use std::time::Duration;

/// How a [`Client`](crate::Client) logs in and how long it trusts what it read.
///
/// ```
/// use crypter_client::Config;
/// use std::time::Duration;
///
/// let config = Config::new("http://127.0.0.1:8200", "my-role-id", "my-secret-id".to_owned())
///     .max_staleness(Duration::from_secs(15 * 60));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) addrs: Vec<String>,
    pub(crate) role_id: String,
    pub(crate) secret_id: SecretString,
    pub(crate) approle_mount: String,
    pub(crate) relogin_interval: Duration,
    pub(crate) jitter: f64,
    pub(crate) cache_ttl: Duration,
    pub(crate) max_staleness: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) login_backoff: Duration,
}

impl Config {
    /// The store's address (an OpenBao node, `http://` or `https://`) and the AppRole
    /// credentials of the service. Everything else has a default.
    pub fn new(addr: &str, role_id: &str, secret_id: String) -> Self {
        Self {
            addrs: vec![addr.trim_end_matches('/').to_owned()],
            role_id: role_id.to_owned(),
            secret_id: SecretString::from(secret_id),
            approle_mount: "approle".to_owned(),
            relogin_interval: Duration::from_secs(5 * 60),
            jitter: 0.1,
            cache_ttl: Duration::from_secs(30),
            max_staleness: Duration::from_secs(10 * 60),
            request_timeout: Duration::from_secs(5),
            login_backoff: Duration::from_secs(2),
        }
    }

    /// Another node of the same store (e.g. in another data center), tried when the ones
    /// before it cannot answer. The client stays with the node that answered.
    pub fn fallback_addr(mut self, addr: &str) -> Self {
        self.addrs.push(addr.trim_end_matches('/').to_owned());
        self
    }

    /// Log in again at least this often (default 5 minutes), or at two-thirds of the
    /// token's TTL if that comes first.
    pub fn relogin_interval(mut self, interval: Duration) -> Self {
        self.relogin_interval = interval;
        self
    }

    /// The fraction (0.0 to 0.5, default 0.1) of the re-login delay that is taken off at
    /// random, so a fleet started together does not log in together.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction;
        self
    }

    /// How long a value read from the store is served without asking again (default 30 s).
    /// Zero asks the store on every `get`.
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// How old the last good value may be when it is served because the store or the login
    /// fails (default 10 minutes). Past that, `get` returns [`Error::TooStale`].
    pub fn max_staleness(mut self, max: Duration) -> Self {
        self.max_staleness = max;
        self
    }

    /// The timeout of each HTTP request to the store (default 5 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// After a failed login, how long callers share that failure instead of trying again
    /// (default 2 s), so a fleet does not hammer a store that is down or refusing it.
    pub fn login_backoff(mut self, backoff: Duration) -> Self {
        self.login_backoff = backoff;
        self
    }

    /// Where the AppRole auth method is mounted (default `approle`).
    pub fn approle_mount(mut self, mount: &str) -> Self {
        self.approle_mount = mount.trim_matches('/').to_owned();
        self
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        for addr in &self.addrs {
            if !(addr.starts_with("http://") || addr.starts_with("https://")) {
                return Err(Error::Config(format!(
                    "the store address {addr:?} must start with http:// or https://"
                )));
            }
        }
        if self.role_id.is_empty() {
            return Err(Error::Config("the role-id is empty".into()));
        }
        if !(0.0..=0.5).contains(&self.jitter) {
            return Err(Error::Config(format!(
                "jitter {} is out of range: use a fraction between 0.0 and 0.5",
                self.jitter
            )));
        }
        if self.relogin_interval.is_zero() {
            return Err(Error::Config(
                "the re-login interval must be longer than zero".into(),
            ));
        }
        Ok(())
    }
}
