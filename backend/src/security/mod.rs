//! What the request guards hold: the Content-Security-Policy and the login rate limit.
//! The guards themselves (headers, CSRF) need the app's state: `routes::middleware`.

mod headers;
mod rate_limit;

pub use headers::{index_files, ContentPolicy};
pub use rate_limit::LoginLimiter;
