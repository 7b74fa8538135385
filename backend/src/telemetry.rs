use tracing_subscriber::EnvFilter;

/// Logs go to stderr, filtered by `RUST_LOG` (default: info for Crypter, warn elsewhere).
/// Nothing logged carries a token or a secret value: the types that hold them redact
/// themselves (`SecretString`, `LoginRequest`'s Debug).
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("crypter=info,tower_http=info,warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
