//! Approvals: nobody changes a protected environment alone, and OpenBao, not Crypter's
//! code, holds that.
//!
//! - `rules`: an environment's rule (N approvals from a list of users or a role). Setting
//!   one takes every change out of every role's policy there (`roles::policy::guard`), gives
//!   the approver group the right to vote, and the carrier the right to write there.
//! - `requests`: a change under a rule becomes a request, a record at
//!   `crypter/data/approvals/requests/<requester's entity>/<id>` that only its requester
//!   can write (`{{identity.entity.id}}` in the policy); a write's value is sealed in it
//!   with the backend's transit key, bound to the request.
//! - `votes`: an approval or rejection is a record at
//!   `crypter/data/approvals/votes/<env>/<requester>/<id>/<voter's entity>` that only that
//!   voter can write, and never on a request of its own.
//! - `bypass`: changes to a ruled environment that no approved request made (an
//!   admin's, or anyone's straight at OpenBao), from the audit log, listed and announced.
//! - `carry`: once the approvals are in, the change is made by the AppRole
//!   `crypter-carrier`, which exists for nothing else: its policy reaches the ruled
//!   environments' credentials and nothing more.
//!
//! OpenBao 2.7.2's own control groups were tried first: a policy with a `control_group`
//! factor parses, but a controlled KV v2 write answers 200 with `wrap_info: null` and
//! writes nothing, so nothing can be approved with them.

pub mod bypass;
pub mod carry;
pub mod policy;
pub mod requests;
pub mod rules;
pub mod votes;

pub use crate::roles::rules::RULES;

/// Record prefixes under `crypter/data/`.
pub const REQUESTS: &str = "approvals/requests";
pub const VOTES: &str = "approvals/votes";
/// The backend's own: which entity made request `<id>`, and what carrying it out did.
pub const INDEX: &str = "approvals/index";
pub const OUTCOMES: &str = "approvals/outcomes";

/// How long a request waits for its approvals.
pub const REQUEST_TTL_HOURS: i64 = 72;
