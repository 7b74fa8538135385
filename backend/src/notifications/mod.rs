//! Notifications: the activity feed's events (OpenBao's own audit log, so writes made
//! straight in OpenBao too) delivered to webhooks and Slack, at least once and in order per
//! subscription, signed, never with a value, a token or a digest.
//!
//! - `subscriptions`: the records, managed with the caller's own token (OpenBao decides who).
//! - `validate`: what a subscription may name.
//! - `deliver`: the background loop; `lease`: one instance per subscription delivers;
//!   `state`: cursors and dead letters; `send` and `sign`: one signed POST.
//! - `reminders`: `reminder.due` events before and on credentials' `expires` dates.
//! - `watch`: the freeze watcher, which records freezes, thaws and breaches as events.

pub mod deliver;
pub mod lease;
pub mod reminders;
pub mod send;
pub mod sign;
pub mod state;
pub mod subscriptions;
pub mod validate;
pub mod watch;

/// Record prefixes under `crypter/data/`. Subscriptions are admins' and operators'
/// records; the others are the backend's own bookkeeping.
pub const SUBSCRIPTIONS: &str = "notifications/subscriptions";
pub const CURSORS: &str = "notifications/cursors";
pub const LEASES: &str = "notifications/leases";
pub const DEAD_LETTERS: &str = "notifications/dead-letters";
