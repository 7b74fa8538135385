//! The session carries the store index it has seen, so that any instance, in any data
//! center, answers its next request at least as fresh (read-your-writes and monotonic
//! reads per session; see `bao::consistency`). Browsers carry it in an HttpOnly cookie
//! beside the session's; scripts may echo the `X-Crypter-Index` response header instead.
//!
//! Every API answer also says how fresh it is: `X-Crypter-Stale-Since` when this
//! instance cannot prove its reads include every write acknowledged in the last few
//! seconds (its data center is cut off, or its node lags), and `X-Crypter-Store-Node`,
//! the node(s) that answered, which the request's log line names too. The layer that does
//! both is `routes::middleware::session::carry_index` (it needs the app's state).

pub const INDEX_COOKIE: &str = "crypter_index";
pub const INDEX_HEADER: &str = "x-crypter-index";
pub const STALE_HEADER: &str = "x-crypter-stale-since";
pub const STORE_NODE_HEADER: &str = "x-crypter-store-node";
