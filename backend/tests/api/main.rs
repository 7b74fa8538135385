#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Crypter's backend integration tests: one binary, every test against a real `bao`
//! started on a free loopback port.

mod helpers;

mod activity;
mod bootstrap;
mod changesets;
mod cluster;
mod compare;
mod console;
mod credentials;
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
mod roles;
mod runbooks;
mod search;
mod security;
mod session;
mod trust;
