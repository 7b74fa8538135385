//! Plans made by this process, by hash, so that their items can be paged and an apply that
//! refuses a changed plan can name the items that changed. A plan is served from here only
//! to the token that made it (its items show what that token may read); any other token
//! reads a stored list from OpenBao, which decides. Bounded by items held.

use super::plan::Plan;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::sync::{Arc, LazyLock, Mutex};

/// At most this many items across the plans kept (a 10,000-item plan is a few MB).
const MAX_ITEMS: usize = 40_000;

struct Kept {
    /// SHA-256 of the token that made it: the token itself is not kept.
    maker: [u8; 32],
    plan: Arc<Plan>,
}

static PLANS: LazyLock<Mutex<VecDeque<Kept>>> = LazyLock::new(Default::default);

fn fingerprint(token: &SecretString) -> [u8; 32] {
    Sha256::digest(token.expose_secret().as_bytes()).into()
}

pub fn remember(plan: Arc<Plan>, token: &SecretString) {
    let maker = fingerprint(token);
    let Ok(mut plans) = PLANS.lock() else {
        return;
    };
    plans.retain(|k| !(k.plan.hash == plan.hash && k.maker == maker));
    plans.push_back(Kept { maker, plan });
    let mut held: usize = plans.iter().map(|k| k.plan.items.len()).sum();
    while held > MAX_ITEMS && plans.len() > 1 {
        if let Some(old) = plans.pop_front() {
            held -= old.plan.items.len();
        }
    }
}

pub fn get(hash: &str, token: &SecretString) -> Option<Arc<Plan>> {
    let maker = fingerprint(token);
    PLANS
        .lock()
        .ok()?
        .iter()
        .find(|k| k.plan.hash == hash && k.maker == maker)
        .map(|k| k.plan.clone())
}
