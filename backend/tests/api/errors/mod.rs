//! Errors: a failed job keeps its real cause, every response carries a request id that the
//! log repeats with OpenBao's own reason, and messages name Crypter's nouns, not OpenBao's
//! paths.

mod jobs;
mod logs;
mod messages;
mod typed;
