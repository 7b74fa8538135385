//! The one route table. Each entry names a handler and declares what it writes in
//! OpenBao; its method, path and OpenAPI operation come from the handler's own
//! `#[utoipa::path]` attribute. The router (`routes::api`), the OpenAPI document
//! (`routes::openapi`) and the freeze's early refusal (`routes::middleware::freeze`) are all built
//! from this list, so a route cannot exist in one and be missing from another.
//!
//! Adding a route: write the handler with its `#[utoipa::path]`, then add one entry
//! below with what it writes (OpenBao path patterns in the syntax of
//! `freeze/levels.rs`: `+` one segment, a trailing `*` any rest).

use crate::freeze::glob::Pattern;
use crate::freeze::levels::{frozen_paths, Level};
use crate::state::AppState;
use axum::routing::{MethodFilter, MethodRouter};
use std::sync::LazyLock;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

/// The frozen path patterns of each level, lowest level first, parsed once.
static FROZEN: LazyLock<[(Level, Vec<Pattern>); 2]> = LazyLock::new(|| {
    [Level::Provisioning, Level::Full].map(|level| {
        let patterns = frozen_paths(level)
            .iter()
            .map(|p| Pattern::new(p))
            .collect();
        (level, patterns)
    })
});

/// Every path below `/api/v1` in the OpenAPI document starts with this.
pub const PREFIX: &str = "/api/v1";

/// What a route writes in OpenBao with the caller's token. Crypter's own bookkeeping
/// (sessions, jobs, digests), written with the backend's AppRole identity, is not listed:
/// no freeze covers it and no user can write it.
#[derive(Debug, Clone, Copy)]
pub enum Writes {
    /// Writes these path patterns.
    Paths(&'static [&'static str]),
    /// The request path's last segment names an action (`…/reveal`, `…/rotate`): what
    /// each action writes. An action not listed is refused by its handler.
    PerAction(&'static [(&'static str, &'static [&'static str])]),
}

/// Who a route is for, as far as a freeze goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callers {
    /// Anyone OpenBao lets through; refused early while a freeze covers what it writes.
    Anyone,
    /// The freeze's and the migration's own machinery (freeze, thaw, changesets,
    /// runbooks): only operators may write what it writes, and no freeze binds them, so it
    /// is never refused early. The integration test `routes::` checks that OpenBao
    /// refuses these writes to an admin who is not an operator.
    Operators,
}

type Schemas = Vec<(String, RefOr<Schema>)>;

/// One entry of the table.
#[derive(Clone, Copy)]
pub struct Route {
    /// `module::handler`, for messages and tests.
    pub name: &'static str,
    /// The path parameter that takes the rest of the path (`{*path}` in the router).
    tail: Option<&'static str>,
    pub writes: Writes,
    pub callers: Callers,
    doc: fn() -> (String, Vec<HttpMethod>, Operation),
    schemas: fn(&mut Schemas),
    service: fn(MethodFilter) -> MethodRouter<AppState>,
}

impl Route {
    /// The documented path, with `/api/v1`.
    pub fn doc_path(&self) -> String {
        (self.doc)().0
    }

    pub fn method(&self) -> HttpMethod {
        let (_, methods, _) = (self.doc)();
        match methods.as_slice() {
            [one] => one.clone(),
            // One handler, one method: a test pins this for every entry.
            _ => HttpMethod::Get,
        }
    }

    /// The method as the router and the middleware see it.
    pub fn http_method(&self) -> axum::http::Method {
        use axum::http::Method;
        match self.method() {
            HttpMethod::Get => Method::GET,
            HttpMethod::Post => Method::POST,
            HttpMethod::Put => Method::PUT,
            HttpMethod::Delete => Method::DELETE,
            HttpMethod::Patch => Method::PATCH,
            HttpMethod::Head => Method::HEAD,
            HttpMethod::Options => Method::OPTIONS,
            HttpMethod::Trace => Method::TRACE,
        }
    }

    pub fn operation(&self) -> Operation {
        (self.doc)().2
    }

    pub fn add_schemas(&self, into: &mut Schemas) {
        (self.schemas)(into);
    }

    /// The path below `/api/v1` as the router matches it: the tail parameter and
    /// everything after it become one `{*name}`.
    pub fn router_path(&self) -> String {
        let doc = self.doc_path();
        let below = doc.strip_prefix(PREFIX).unwrap_or(&doc).to_owned();
        match self.tail {
            Some(name) => {
                let marker = format!("{{{name}}}");
                match below.find(&marker) {
                    Some(at) => format!("{}{{*{name}}}", &below[..at]),
                    None => below,
                }
            }
            None => below,
        }
    }

    pub fn method_router(&self) -> MethodRouter<AppState> {
        (self.service)(filter(&self.method()))
    }

    /// What a request to this route writes; `action` is the last segment of its path.
    pub fn writes_for(&self, action: &str) -> &'static [&'static str] {
        match self.writes {
            Writes::Paths(paths) => paths,
            Writes::PerAction(actions) => actions
                .iter()
                .find(|(name, _)| *name == action)
                .map_or(&[], |(_, paths)| paths),
        }
    }

    /// Every path the route may write, whatever the action.
    pub fn all_writes(&self) -> Vec<&'static str> {
        match self.writes {
            Writes::Paths(paths) => paths.to_vec(),
            Writes::PerAction(actions) => actions
                .iter()
                .flat_map(|(_, p)| p.iter().copied())
                .collect(),
        }
    }

    /// The lowest freeze level that covers what a request to this route writes, if
    /// any: derived from the frozen paths of `freeze/levels.rs`, never listed here.
    pub fn frozen_at(&self, action: &str) -> Option<Level> {
        if self.callers == Callers::Operators {
            return None;
        }
        let writes: Vec<Pattern> = self
            .writes_for(action)
            .iter()
            .map(|w| Pattern::new(w))
            .collect();
        FROZEN
            .iter()
            .find(|(_, frozen)| frozen.iter().any(|f| writes.iter().any(|w| w.overlaps(f))))
            .map(|(level, _)| *level)
    }

    /// [`Route::frozen_at`] for every action the route knows (`""` when it has none),
    /// worked out once: the early refusal looks the answer up on each request.
    pub fn frozen_levels(&self) -> Vec<(&'static str, Option<Level>)> {
        match self.writes {
            Writes::Paths(_) => vec![("", self.frozen_at(""))],
            Writes::PerAction(actions) => actions
                .iter()
                .map(|(action, _)| (*action, self.frozen_at(action)))
                .collect(),
        }
    }
}

fn filter(method: &HttpMethod) -> MethodFilter {
    match method {
        HttpMethod::Get => MethodFilter::GET,
        HttpMethod::Post => MethodFilter::POST,
        HttpMethod::Put => MethodFilter::PUT,
        HttpMethod::Delete => MethodFilter::DELETE,
        HttpMethod::Patch => MethodFilter::PATCH,
        HttpMethod::Head => MethodFilter::HEAD,
        HttpMethod::Options => MethodFilter::OPTIONS,
        HttpMethod::Trace => MethodFilter::TRACE,
    }
}

/// One entry: `route!(module::handler, writes: &[…])`; `tail: "param"` for a path that
/// ends in the rest of the URL, `operators` for the freeze's own machinery, `actions:`
/// for a route whose last path segment names what it does.
macro_rules! route {
    (@build $module:ident :: $handler:ident, $tail:expr, $callers:expr, $writes:expr) => {
        paste::paste! {
            Route {
                name: concat!(stringify!($module), "::", stringify!($handler)),
                tail: $tail,
                writes: $writes,
                callers: $callers,
                doc: || {
                    use utoipa::Path as _;
                    type P = super::$module::[<__path_ $handler>];
                    (P::path(), P::methods(), P::operation())
                },
                schemas: |into| {
                    <super::$module::[<__path_ $handler>] as utoipa::__dev::SchemaReferences>::schemas(into)
                },
                service: |f| axum::routing::on(f, super::$module::$handler),
            }
        }
    };
    ($module:ident :: $handler:ident, writes: $w:expr) => {
        route!(@build $module::$handler, None, Callers::Anyone, Writes::Paths($w))
    };
    ($module:ident :: $handler:ident, tail: $tail:literal, writes: $w:expr) => {
        route!(@build $module::$handler, Some($tail), Callers::Anyone, Writes::Paths($w))
    };
    ($module:ident :: $handler:ident, operators, writes: $w:expr) => {
        route!(@build $module::$handler, None, Callers::Operators, Writes::Paths($w))
    };
    ($module:ident :: $handler:ident, tail: $tail:literal, actions: $a:expr) => {
        route!(@build $module::$handler, Some($tail), Callers::Anyone, Writes::PerAction($a))
    };
    ($module:ident :: $handler:ident, actions: $a:expr) => {
        route!(@build $module::$handler, None, Callers::Anyone, Writes::PerAction($a))
    };
}

// What Crypter writes in OpenBao, by the thing it is.
/// A role's derived policy (and, for the freeze, every policy).
const POLICY: &str = "sys/policies/acl/+";
/// An environment's KV v2 mount `env/<name>` and transit mount `transit/<name>`.
const MOUNTS: &str = "sys/mounts/*";
/// The transit mount's settings (encrypting with a missing key never creates one).
const TRANSIT_CONFIG: &str = "transit/+/config/keys";
const APPROLE: &str = "auth/approle/role/+";
const SECRET_ID: &str = "auth/approle/role/+/secret-id";
const SECRET_ID_DESTROY: &str = "auth/approle/role/+/secret-id-accessor/destroy";
const USER: &str = "auth/userpass/users/+";
/// The tokens of a deleted person (each login's lease), and every token those made.
const USER_TOKENS: &str = "sys/leases/revoke/auth/userpass/login/*";
/// A user's login (`auth/userpass/login/<name>`).
const LOGIN: &str = "auth/+/login/*";
/// A machine identity's login, as the identity checks make it.
const APPROLE_LOGIN: &str = "auth/approle/login";
const REVOKE_SELF: &str = "auth/token/revoke-self";
/// A short-lived token of the access checks' probe role.
const CHECK_TOKEN: &str = "auth/token/create/crypter-check";
/// A short-lived token of the freeze verification's probe role.
const PROBE_TOKEN: &str = "auth/token/create/crypter-freeze-probe";
const PROBE_REVOKE: &str = "auth/token/revoke-accessor";
const CREDENTIAL: &str = "env/+/data/*";
const CREDENTIAL_META: &str = "env/+/metadata/*";
const CREDENTIAL_DELETE: &str = "env/+/delete/*";
const CREDENTIAL_UNDELETE: &str = "env/+/undelete/*";
const CREDENTIAL_DESTROY: &str = "env/+/destroy/*";
const KEY: &str = "transit/+/keys/+";
const KEY_CONFIG: &str = "transit/+/keys/+/config";
const KEY_ROTATE: &str = "transit/+/keys/+/rotate";
/// Rewrapping keeps no plaintext: the new ciphertext is written as a credential.
const KEY_REWRAP: &str = "transit/+/rewrap/+";
const ROLE_RECORD: &str = "crypter/+/roles/+";
const ENVIRONMENT_RECORD: &str = "crypter/+/environments/+";
const KEY_RECORD: &str = "crypter/+/keys/+/+";
const KEY_USAGE: &str = "crypter/+/key-usage/+/+";
/// The secret-ids of e2e roles, kept for the identity checks.
const E2E_SECRET: &str = "crypter/+/e2e/+";
const SETTINGS: &str = "crypter/+/settings/+";
/// The SSO mount `auth/oidc` (enabled, labelled, listed to the login page).
const SSO_MOUNT: &str = "sys/auth/*";
/// The identity provider's configuration and the login role.
const SSO_CONFIG: &str = "auth/+/config";
const SSO_ROLE: &str = "auth/+/role/+";
/// Provider groups mapped to roles (the login settings' records).
const SSO_MAPPINGS: &str = "crypter/+/settings/*";
/// The provider groups' aliases on `auth/oidc`.
const GROUP_ALIASES: &str = "identity/group-alias*";
const FREEZE_RECORDS: &str = "crypter/+/freeze/*";
const CHANGESETS: &str = "crypter/+/changesets/*";
const CHANGELOG: &str = "crypter/+/changelog/*";
const RUNBOOKS: &str = "crypter/+/runbooks/*";
/// Approval rules (frozen at provisioning), and what OpenBao holds them with: the
/// approvers' identity groups (found by their entities) and policies.
const APPROVAL_RULES: &str = "crypter/+/approvals/rules/+";
const APPROVER_GROUPS: &str = "identity/group/name/+";
const ENTITY_LOOKUP: &str = "identity/lookup/entity";
/// A request (the requester's own record) and a vote (the voter's own): not frozen.
const REQUESTS: &str = "crypter/+/approvals/requests/*";
const VOTES: &str = "crypter/+/approvals/votes/*";
/// Notification subscriptions (not frozen: they change no access).
const SUBSCRIPTIONS: &str = "crypter/+/notifications/subscriptions/+";
const TEMPLATES: &str = "crypter/+/runbook-templates/*";
/// Freeze verification tries a write on every frozen path, as a probe token that must be
/// refused.
const PROBES: &str = "*";

/// What an apply (or its resume) may write: every operation kind of a changeset.
const APPLY: &[&str] = &[
    CREDENTIAL,
    CREDENTIAL_META,
    CREDENTIAL_DELETE,
    // An undo makes a version it deleted readable again.
    CREDENTIAL_UNDELETE,
    CREDENTIAL_DESTROY,
    POLICY,
    APPROLE,
    ROLE_RECORD,
    MOUNTS,
    TRANSIT_CONFIG,
    ENVIRONMENT_RECORD,
    KEY,
    KEY_ROTATE,
    KEY_REWRAP,
    KEY_RECORD,
    KEY_USAGE,
    CHANGESETS,
    CHANGELOG,
];

/// What a runbook step writes on top of an apply: the freeze and its verification, the
/// identity checks, the thaw, and the run's own record.
const RUNBOOK_MACHINERY: &[&str] = &[
    RUNBOOKS,
    FREEZE_RECORDS,
    PROBE_TOKEN,
    PROBE_REVOKE,
    PROBES,
    APPROLE_LOGIN,
    REVOKE_SELF,
];

/// What a runbook step may write.
const RUNBOOK_STEPS: &[&str] =
    &join::<{ APPLY.len() + RUNBOOK_MACHINERY.len() }>(APPLY, RUNBOOK_MACHINERY);

/// `a` then `b`, as one list (`N` is their total length).
const fn join<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    assert!(a.len() + b.len() == N);
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

/// Every route of `/api/v1`.
#[must_use]
#[allow(
    clippy::too_many_lines,
    reason = "the route table: one flat list, an entry per route, read top to bottom"
)]
pub fn routes() -> Vec<Route> {
    vec![
        route!(health::health, writes: &[]),
        route!(health::ready, writes: &[]),
        route!(openapi::openapi_json, writes: &[]),
        route!(cluster::cluster, writes: &[]),
        route!(session::whoami, writes: &[]),
        route!(session::login, writes: &[LOGIN]),
        route!(session::logout, writes: &[REVOKE_SELF]),
        route!(sso::methods, writes: &[]),
        // OpenBao keeps the login's state; the caller has no token yet.
        route!(sso::start, writes: &[]),
        route!(sso::callback, writes: &[]),
        route!(sso::get_settings, writes: &[]),
        route!(sso::put_settings, writes: &[SSO_MOUNT, SSO_CONFIG, SSO_ROLE]),
        route!(sso::list_groups, writes: &[]),
        route!(sso::put_group, writes: &[SSO_MAPPINGS, APPROVER_GROUPS, GROUP_ALIASES]),
        route!(sso::delete_group, writes: &[SSO_MAPPINGS, APPROVER_GROUPS]),
        route!(sso::explain, writes: &[CHECK_TOKEN, ENTITY_LOOKUP]),
        route!(freeze::state, writes: &[]),
        route!(freeze::writes, writes: &[]),
        route!(freeze::freeze, operators, writes: &[POLICY, FREEZE_RECORDS]),
        route!(freeze::thaw, operators, writes: &[POLICY, FREEZE_RECORDS]),
        route!(freeze::verify, operators, writes: &[PROBE_TOKEN, PROBE_REVOKE, PROBES, FREEZE_RECORDS]),
        route!(environments::list, writes: &[]),
        route!(environments::get, writes: &[]),
        route!(environments::create, writes: &[MOUNTS, TRANSIT_CONFIG, ENVIRONMENT_RECORD]),
        route!(environments::update, writes: &[ENVIRONMENT_RECORD]),
        route!(environments::delete, writes: &[MOUNTS, ENVIRONMENT_RECORD]),
        route!(credentials::list, writes: &[]),
        route!(credentials::detail, tail: "path", writes: &[]),
        // Under an approval rule a change is a request instead.
        route!(credentials::put, tail: "path", writes: &[CREDENTIAL, CREDENTIAL_META, REQUESTS]),
        route!(credentials::delete, tail: "path", writes: &[CREDENTIAL_DELETE, CREDENTIAL_META, REQUESTS]),
        route!(credentials::action, tail: "path", actions: &[
            ("reveal", &[]),
            ("rollback", &[CREDENTIAL, CREDENTIAL_META, REQUESTS]),
            ("undelete", &[CREDENTIAL_UNDELETE]),
            ("destroy", &[CREDENTIAL_DESTROY, REQUESTS]),
        ]),
        route!(approvals::get_rule, writes: &[]),
        route!(approvals::bypassed, writes: &[]),
        route!(approvals::set_rule, writes: &[APPROVAL_RULES, POLICY, APPROVER_GROUPS, ENTITY_LOOKUP, REQUESTS]),
        route!(approvals::list, writes: &[]),
        route!(approvals::get, writes: &[]),
        // The carrier, not the caller, makes an approved change (after its own login).
        route!(approvals::approve, writes: &[VOTES, APPROLE_LOGIN]),
        route!(approvals::reject, writes: &[VOTES]),
        // An admin carries out what writes policies or key settings: rules, role grants,
        // key configurations.
        route!(approvals::carry, writes: &[APPROVAL_RULES, POLICY, APPROVER_GROUPS, ENTITY_LOOKUP, APPROLE, ROLE_RECORD, E2E_SECRET, KEY_CONFIG, KEY_RECORD]),
        route!(keys::list, writes: &[]),
        route!(keys::get, writes: &[]),
        route!(keys::create, writes: &[KEY, KEY_CONFIG, KEY_RECORD]),
        route!(keys::update, writes: &[KEY_CONFIG, KEY_RECORD, REQUESTS]),
        route!(keys::delete, writes: &[KEY_CONFIG, KEY, KEY_RECORD, KEY_USAGE]),
        route!(keys::action, actions: &[
            ("rotate", &[KEY_ROTATE, REQUESTS]),
            ("scan", &[KEY_USAGE]),
            // Using a key changes nothing stored.
            ("encrypt", &[]),
            ("decrypt", &[]),
            ("rewrap", &[]),
            ("sign", &[]),
            ("verify", &[]),
            ("hmac", &[]),
        ]),
        route!(compare::compare, writes: &[]),
        route!(compare::promote, writes: &[CREDENTIAL, CREDENTIAL_META, REQUESTS]),
        route!(lint::lint, writes: &[]),
        route!(search::search, writes: &[]),
        route!(activity::list, writes: &[]),
        // The shipper's entries are kept by Crypter's activity feed, not in OpenBao.
        route!(activity::ingest, writes: &[]),
        route!(roles::list, writes: &[]),
        route!(roles::get, writes: &[]),
        route!(roles::policy, writes: &[]),
        // A change to the grants on a protected environment is a request instead.
        route!(roles::create, writes: &[POLICY, APPROLE, ROLE_RECORD, REQUESTS]),
        route!(roles::update, writes: &[POLICY, APPROLE, ROLE_RECORD, E2E_SECRET, REQUESTS]),
        route!(roles::delete, writes: &[POLICY, APPROLE, ROLE_RECORD, E2E_SECRET]),
        route!(roles::preview, writes: &[]),
        // A probe token of the role's policy, revoked after the check.
        route!(roles::check, writes: &[CHECK_TOKEN, REVOKE_SELF]),
        route!(roles::list_secret_ids, writes: &[]),
        route!(roles::issue_secret_id, writes: &[SECRET_ID, E2E_SECRET]),
        // Revoking a secret-id only narrows who can log in: no freeze stops it.
        route!(roles::revoke_secret_id, writes: &[SECRET_ID_DESTROY]),
        route!(users::list, writes: &[]),
        route!(users::create, writes: &[USER]),
        route!(users::set_roles, writes: &[USER]),
        route!(users::delete, writes: &[USER, USER_TOKENS]),
        route!(users::get_auth_settings, writes: &[]),
        route!(users::put_auth_settings, writes: &[SETTINGS]),
        // An AppRole login per e2e role, and that token's revocation.
        route!(identities::check, writes: &[APPROLE_LOGIN, REVOKE_SELF]),
        route!(changesets::list, writes: &[]),
        route!(changesets::plan_items, writes: &[]),
        route!(changesets::get_lock, writes: &[]),
        route!(changesets::upload, operators, writes: &[CHANGESETS]),
        // The plan is kept in memory; a runbook keeps it in the store as evidence.
        route!(changesets::plan, writes: &[]),
        route!(changesets::apply, operators, writes: APPLY),
        // The inverse plan is kept in the store, so that any instance can apply it.
        route!(changesets::undo, operators, writes: &[CHANGESETS]),
        route!(restore_points::list, writes: &[]),
        route!(restore_points::of_environment, writes: &[]),
        route!(restore_points::create, operators, writes: &[CHANGESETS]),
        route!(restore_points::compare, writes: &[]),
        // The inverse plan is kept in the store, like an undo's.
        route!(restore_points::restore, operators, writes: &[CHANGESETS]),
        route!(restore_points::delete, operators, writes: &[CHANGESETS]),
        route!(changesets::break_lock, operators, writes: &[CHANGESETS]),
        route!(jobs::list, writes: &[]),
        route!(jobs::job, writes: &[]),
        route!(jobs::events, writes: &[]),
        route!(jobs::resume, operators, writes: APPLY),
        route!(runbooks::list_templates, writes: &[]),
        route!(runbooks::list, writes: &[]),
        route!(runbooks::get, writes: &[]),
        route!(runbooks::report, writes: &[]),
        route!(runbooks::upload_template, operators, writes: &[TEMPLATES]),
        route!(runbooks::start, operators, writes: &[RUNBOOKS]),
        // A step runs the freeze, its verification, the apply, the checks, the thaw.
        route!(runbooks::step_action, operators, writes: RUNBOOK_STEPS),
        route!(runbooks::open_incident, operators, writes: &[RUNBOOKS]),
        route!(runbooks::update_incident, operators, writes: &[RUNBOOKS]),
        route!(runbooks::note, operators, writes: &[RUNBOOKS]),
        route!(runbooks::abort, operators, writes: &[RUNBOOKS]),
        route!(notifications::list, writes: &[]),
        route!(notifications::get, writes: &[]),
        route!(notifications::create, writes: &[SUBSCRIPTIONS]),
        route!(notifications::delete, writes: &[SUBSCRIPTIONS]),
        // Sending writes nothing with the caller's token; the backend keeps the dead letters.
        route!(notifications::test, writes: &[]),
        route!(notifications::dead_letters, writes: &[]),
        route!(notifications::retry, writes: &[]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_route_has_one_method_and_a_path_below_the_api() {
        let mut seen = HashSet::new();
        for route in routes() {
            let (path, methods, _) = (route.doc)();
            assert_eq!(methods.len(), 1, "{}: one handler, one method", route.name);
            assert!(path.starts_with(PREFIX), "{}: {path}", route.name);
            let key = format!("{} {}", route.http_method(), route.router_path());
            assert!(seen.insert(key.clone()), "{key} is in the table twice");
            if let Some(tail) = route.tail {
                assert!(
                    route.router_path().ends_with(&format!("{{*{tail}}}")),
                    "{}: its tail {tail} is a path parameter",
                    route.name
                );
            }
        }
    }

    #[test]
    fn every_route_declares_what_it_writes_in_openbao() {
        const NAMESPACES: &[&str] = &["sys/", "auth/", "env/", "transit/", "crypter/", "identity/"];
        for route in routes() {
            let writes = route.all_writes();
            // A read never writes: the early refusal need not look at it.
            if matches!(route.method(), HttpMethod::Get | HttpMethod::Head) {
                assert!(
                    writes.is_empty(),
                    "{}: a GET that writes {writes:?}",
                    route.name
                );
            }
            for w in &writes {
                assert!(
                    *w == PROBES || NAMESPACES.iter().any(|n| w.starts_with(n)),
                    "{}: {w} is not an OpenBao path Crypter writes",
                    route.name
                );
            }
            if let Writes::PerAction(actions) = route.writes {
                assert!(!actions.is_empty(), "{}: no action", route.name);
                assert!(route.router_path().ends_with('}'), "{}", route.name);
            }
        }
    }

    #[test]
    fn the_frozen_level_comes_from_the_frozen_paths() {
        let by_name = |name: &str| {
            routes()
                .into_iter()
                .find(|r| r.name == name)
                .unwrap_or_else(|| panic!("{name} is in the table"))
        };
        // Deprecated-login settings decide who may log in and how: provisioning.
        assert_eq!(
            by_name("users::put_auth_settings").frozen_at(""),
            Some(Level::Provisioning)
        );
        assert_eq!(by_name("credentials::put").frozen_at(""), Some(Level::Full));
        assert_eq!(by_name("keys::action").frozen_at("sign"), None);
        // An action the table does not know writes nothing, and its handler refuses it.
        assert_eq!(by_name("keys::action").frozen_at("bogus"), None);
        assert_eq!(by_name("freeze::freeze").frozen_at(""), None);
    }
}
