//! Plans made by this process, by hash, so that their items can be paged and an apply that
//! refuses a changed plan can name the items that changed. Bounded by items held; a plan
//! not found here is read from the store, or made again.

use super::plan::Plan;
use std::collections::VecDeque;
use std::sync::{Arc, LazyLock, Mutex};

/// At most this many items across the plans kept (a 10,000-item plan is a few MB).
const MAX_ITEMS: usize = 40_000;

static PLANS: LazyLock<Mutex<VecDeque<Arc<Plan>>>> = LazyLock::new(Default::default);

pub fn remember(plan: Arc<Plan>) {
    let Ok(mut plans) = PLANS.lock() else {
        return;
    };
    plans.retain(|p| p.hash != plan.hash);
    plans.push_back(plan);
    let mut held: usize = plans.iter().map(|p| p.items.len()).sum();
    while held > MAX_ITEMS && plans.len() > 1 {
        if let Some(old) = plans.pop_front() {
            held -= old.items.len();
        }
    }
}

pub fn get(hash: &str) -> Option<Arc<Plan>> {
    PLANS.lock().ok()?.iter().find(|p| p.hash == hash).cloned()
}
