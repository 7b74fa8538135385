//! The layers around `/api/v1` and the console that need the app's state: the session's
//! store index and its end, CSRF, the early refusal of frozen actions, security headers.
//! `startup::app` puts them in order.

mod csrf;
mod freeze;
mod headers;
mod session;

pub use csrf::require_csrf;
pub use freeze::refuse_frozen;
pub use headers::security_headers;
pub use session::{carry_index, session_gone};
