//! One file per page.

mod activity;
mod approvals;
mod changesets;
mod cluster;
mod credentials;
mod environments;
mod freeze;
mod keys;
mod not_found;
mod notifications;
mod overview;
mod restore_points;
mod roles;
mod runbooks;
mod search;

pub use activity::{Activity, ActivityTable, FeedStatus, NoFeed};
pub use approvals::Approvals;
pub use changesets::Changesets;
pub use cluster::Cluster;
pub use credentials::Credentials;
pub use environments::Environments;
pub use freeze::Freeze;
pub use keys::Keys;
pub use not_found::NotFound;
pub use notifications::Notifications;
pub use overview::Overview;
pub use roles::Roles;
pub use runbooks::{RunbookRun, Runbooks};
pub use search::Search;
