//! A fault to test crash recovery with, off unless asked for: with
//! `CRYPTER_FAULT_KILL_AFTER_WRITES=N` in its environment, the process sends itself SIGKILL
//! right after the N-th store write an apply makes, which may be in the middle of an item.
//! The crash tests start a backend this way; nothing else sets it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;

static KILL_AFTER: LazyLock<Option<u64>> = LazyLock::new(|| {
    std::env::var("CRYPTER_FAULT_KILL_AFTER_WRITES")
        .ok()
        .and_then(|v| v.parse().ok())
});
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Count one write of an apply.
pub fn wrote() {
    if let Some(limit) = *KILL_AFTER {
        if WRITES.fetch_add(1, Ordering::SeqCst) + 1 >= limit {
            tracing::warn!("CRYPTER_FAULT_KILL_AFTER_WRITES reached: killing this process");
            let _ =
                nix::sys::signal::kill(nix::unistd::Pid::this(), nix::sys::signal::Signal::SIGKILL);
        }
    }
}
