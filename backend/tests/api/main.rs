#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Crypter's backend integration tests: one binary, every test against a real `bao`
//! started on a free loopback port.

mod helpers;

mod bootstrap;
mod cluster;
mod console;
mod embedded;
mod freeze;
mod health;
mod identities;
mod roles;
mod security;
mod session;
