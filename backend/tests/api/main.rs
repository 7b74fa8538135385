#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(
    clippy::too_many_lines,
    reason = "a test reads as one scenario, from its set-up to its last assertion; the 80-line rule is for backend/src and frontend/src"
)]
//! Crypter's backend integration tests: one binary, every test against a real `bao`
//! started on a free loopback port.

mod helpers;

mod activity;
mod approvals;
mod bootstrap;
mod busy_store;
mod changesets;
mod cluster;
mod compare;
mod console;
mod credentials;
mod datacenters;
mod embedded;
mod environments;
mod errors;
mod freeze;
mod frozen;
mod health;
mod identities;
mod instances;
mod keys;
mod lint;
mod listing;
mod notifications;
mod reminders;
mod restore_points;
mod roles;
mod routes;
mod runbooks;
mod search;
mod security;
mod session;
mod snapshots;
mod sso;
mod trust;
