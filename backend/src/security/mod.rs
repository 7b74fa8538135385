//! The request guards: security headers, CSRF, and the login rate limit.

mod csrf;
mod headers;
mod rate_limit;

pub use csrf::require_csrf;
pub use headers::{security_headers, ContentPolicy};
pub use rate_limit::LoginLimiter;
