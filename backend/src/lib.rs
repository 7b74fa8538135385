//! Crypter's backend: an axum server that proxies and orchestrates OpenBao. OpenBao holds
//! all state and makes every authorization decision; this crate holds sessions (the user's
//! own OpenBao token, kept server-side) and the logic that spans several OpenBao calls.

pub mod activity;
pub mod approvals;
pub mod bao;
pub mod bootstrap;
pub mod changesets;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod credentials;
pub mod demo;
pub mod embedded;
pub mod environments;
pub mod error;
pub mod freeze;
pub mod jobs;
pub mod keys;
pub mod lint;
pub mod notifications;
pub mod private_file;
pub mod records;
pub mod request_id;
pub mod restore_points;
pub mod roles;
pub mod routes;
pub mod runbooks;
pub mod search;
pub mod security;
pub mod session;
pub mod snapshots;
pub mod sso;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod wan;

pub use startup::app;
pub use state::AppState;
