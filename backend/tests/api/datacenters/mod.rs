//! Across data centers: `crypter dev --wan` as the binary runs it, sessions in each data
//! center, partitions, leader kills, and the history checker.

mod chaos;
mod dev;
mod flags;
mod history;
mod migration;
mod partition;
mod session;
