//! The grants of the built-in policies: one table, by record kind, with a column per
//! built-in role. Every built-in policy is rendered from it (`policies.rs`), so a
//! permission change is one row here; the golden files in `golden/` show the result. A
//! row whose path names the caller's entity (`{{identity.entity.id}}`) is rendered into
//! `crypter-own`, beside the admins' and operators' policies, rather than into them.
//!
//! OpenBao applies, across *all* of a token's policies, the rule with the most specific
//! path, and merges rules whose paths are identical. So wherever an admin rule can reach a
//! frozen path, the operators' column repeats that exact path with at least the same
//! rights: a freeze strips the admin copy, the operator copy survives, and an admin who is
//! also an operator keeps every right the migration needs. Admin rules that reach frozen
//! paths are each contained in one frozen pattern, so the freeze never needs a carve-out (a
//! more specific rule that would outrank the operator's). `policies.rs`'s tests check both.

/// What one role may do at one path: OpenBao's capabilities, and the request parameters
/// it may not set there.
#[derive(Debug, Clone, Copy)]
pub struct Rights {
    pub capabilities: &'static [&'static str],
    pub denied_parameters: &'static [&'static str],
}

const fn caps(capabilities: &'static [&'static str]) -> Rights {
    Rights {
        capabilities,
        denied_parameters: &[],
    }
}

/// No rule at this path.
const NO: Rights = caps(&[]);
const READ: Rights = caps(&["read"]);
const LIST: Rights = caps(&["list"]);
const UPDATE: Rights = caps(&["update"]);
const DELETE: Rights = caps(&["delete"]);
const DENY: Rights = caps(&["deny"]);
const READ_LIST: Rights = caps(&["read", "list"]);
const READ_UPDATE: Rights = caps(&["read", "update"]);
const READ_SUDO: Rights = caps(&["read", "sudo"]);
const LIST_SUDO: Rights = caps(&["list", "sudo"]);
const UPDATE_LIST: Rights = caps(&["update", "list"]);
const DELETE_LIST: Rights = caps(&["delete", "list"]);
const SCAN_LIST: Rights = caps(&["scan", "list"]);
const CREATE_READ: Rights = caps(&["create", "read"]);
const CREATE_UPDATE: Rights = caps(&["create", "update"]);
const READ_DELETE_LIST: Rights = caps(&["read", "delete", "list"]);
/// Create, read, update.
const CRU: Rights = caps(&["create", "read", "update"]);
/// Create, read, update, delete.
const CRUD: Rights = caps(&["create", "read", "update", "delete"]);
const CRUD_LIST: Rights = caps(&["create", "read", "update", "delete", "list"]);
const CRUD_SUDO: Rights = caps(&["create", "read", "update", "delete", "sudo"]);
/// Everything on a KV v2 record (`patch` included).
const ALL: Rights = caps(&["create", "read", "update", "patch", "delete", "list"]);
/// Everything on a credential, `scan` (a listing of a whole tree) included.
const ALL_SCAN: Rights = caps(&[
    "create", "read", "update", "patch", "delete", "list", "scan",
]);
/// Keys made by admins are never exportable nor backed up in plaintext.
const KEY_NOT_EXPORTABLE: Rights = Rights {
    capabilities: &["create", "read", "delete"],
    denied_parameters: &["exportable", "allow_plaintext_backup"],
};
/// …and their configuration keeps them so, with deletion off.
const KEY_CONFIG_NOT_EXPORTABLE: Rights = Rights {
    capabilities: &["update"],
    denied_parameters: &["exportable", "allow_plaintext_backup", "deletion_allowed"],
};

/// The built-in roles, in the table's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Operator,
    Backend,
    AuditIngest,
}

/// A path and its rights for each role: admin, operator, backend, audit ingest.
pub type Grant = (&'static str, Rights, Rights, Rights, Rights);

pub fn rights(grant: &Grant, role: Role) -> Rights {
    match role {
        Role::Admin => grant.1,
        Role::Operator => grant.2,
        Role::Backend => grant.3,
        Role::AuditIngest => grant.4,
    }
}

/// One kind of record, why each role holds what it holds there, and its grants.
pub struct Kind {
    pub why: &'static str,
    pub grants: &'static [Grant],
}

/// Every grant of the built-in policies, by record kind, in the order the policies list them.
#[rustfmt::skip]
pub const KINDS: &[Kind] = &[
    Kind {
        why: "Credentials, in every environment: KV v2 mounts under env/. The backend reads \
              each credential's metadata (versions, never a value) for scheduled restore points.",
        grants: &[
            //                                  admin     operator  backend    ingest
            ("env/*",                           ALL_SCAN, ALL_SCAN, NO,        NO),
            ("env/+/detailed-metadata/*",       NO,       NO,       SCAN_LIST, NO),
            ("sys/mounts",                      READ,     READ,     NO,        NO),
            ("sys/mounts/env/*",                CRUD,     CRUD,     NO,        NO),
        ],
    },
    Kind {
        why: "Crypter's records of what admins manage (environments, roles, settings). The \
              backend lists environments for scheduled restore points.",
        grants: &[
            ("crypter/+/environments/*",        ALL,      ALL,      NO,        NO),
            ("crypter/+/roles/*",               ALL,      ALL,      NO,        NO),
            ("crypter/+/settings/*",            ALL,      ALL,      NO,        NO),
            ("crypter/+/e2e/*",                 ALL,      ALL,      NO,        NO),
            ("crypter/metadata/environments/",  NO,       NO,       LIST,      NO),
            ("crypter/data/environments/*",     NO,       NO,       READ,      NO),
        ],
    },
    Kind {
        why: "The records that bind admins (freeze state and snapshot, changelog, apply lock \
              and uploads, runbook runs, sign-offs and templates): operators write them, admins \
              read them. The freeze watcher reads the freeze record. A Raft snapshot of the \
              store before a migration (the runbook's snapshot step, `crypter snapshot take`) \
              needs sudo.",
        grants: &[
            ("crypter/+/freeze/*",              READ_LIST, ALL,     NO,        NO),
            ("crypter/+/changelog/*",           READ_LIST, ALL,     NO,        NO),
            ("crypter/+/changesets/*",          READ_LIST, ALL,     NO,        NO),
            ("crypter/+/runbooks/*",            READ_LIST, ALL,     NO,        NO),
            ("crypter/+/runbook-templates/*",   READ_LIST, ALL,     NO,        NO),
            ("crypter/data/freeze/state",       NO,       NO,       READ,      NO),
            ("sys/storage/raft/snapshot",       NO,       READ_SUDO, NO,       NO),
        ],
    },
    Kind {
        why: "Scheduled restore points of whole environments (`--restore-points-every`): the \
              named restore points' records (`@<environment>.<name>.named`), nothing else of \
              the changesets', written by the backend alone.",
        grants: &[
            ("crypter/data/changesets/restore-points/@*",           NO, NO, CRU,         NO),
            ("crypter/data/changesets/restore-point-chunks/@*",     NO, NO, CRU,         NO),
            ("crypter/metadata/changesets/restore-points/",         NO, NO, LIST,        NO),
            ("crypter/metadata/changesets/restore-points/@*",       NO, NO, DELETE,      NO),
            ("crypter/metadata/changesets/restore-point-chunks/@*", NO, NO, DELETE_LIST, NO),
        ],
    },
    Kind {
        why: "The store's bootstrap version: operators run bootstrap, the backend checks it \
              at start.",
        grants: &[
            ("crypter/data/bootstrap",          READ,     CRU,      READ,      NO),
        ],
    },
    Kind {
        why: "Notification subscriptions: admins and operators manage them (not frozen: they \
              change no access), and read the dead letters. The backend delivers: it reads \
              the subscriptions (never writes them) and opens their signing secrets with the \
              sessions' transit key, and keeps its own delivery state, which only it writes: \
              per subscription a cursor, a lease (one instance delivers), and the dead letters.",
        grants: &[
            ("crypter/+/notifications/subscriptions/*",       ALL,       ALL,       NO,          NO),
            ("crypter/+/notifications/dead-letters/*",        READ_LIST, READ_LIST, NO,          NO),
            ("crypter/data/notifications/subscriptions/*",    NO,        NO,        READ,        NO),
            ("crypter/metadata/notifications/subscriptions/", NO,        NO,        LIST,        NO),
            ("crypter/data/notifications/cursors/*",          NO,        NO,        CRU,         NO),
            ("crypter/data/notifications/leases/*",           NO,        NO,        CRU,         NO),
            ("crypter/data/notifications/dead-letters/*",     NO,        NO,        CRU,         NO),
            ("crypter/metadata/notifications/cursors/*",      NO,        NO,        DELETE,      NO),
            ("crypter/metadata/notifications/leases/*",       NO,        NO,        DELETE,      NO),
            ("crypter/metadata/notifications/dead-letters/*", NO,        NO,        DELETE_LIST, NO),
        ],
    },
    Kind {
        why: "Jobs (applies, runbook steps) and sessions: records of the backend's own. It \
              keeps a marker per job under its owner's entity; reading it with the caller's \
              own token is how OpenBao decides who may follow a job. An owner reads their \
              own; operators read all (they follow and resume any job).",
        grants: &[
            ("crypter/data/sessions/*",                           NO,   NO,   ALL,              NO),
            ("crypter/metadata/sessions/*",                       NO,   NO,   READ_DELETE_LIST, NO),
            ("crypter/data/jobs/*",                               NO,   NO,   ALL,              NO),
            ("crypter/metadata/jobs/*",                           NO,   NO,   READ_DELETE_LIST, NO),
            ("crypter/data/job-owners/{{identity.entity.id}}/*",  READ, NO,   NO,               NO),
            ("crypter/data/job-owners/*",                         NO,   READ, CRUD,             NO),
            ("crypter/metadata/job-owners/*",                     NO,   NO,   DELETE_LIST,      NO),
        ],
    },
    Kind {
        why: "The backend's own transit keys: one seals the OpenBao tokens in session records \
              (so a copy of the records opens nothing without the backend), one makes the \
              lint's keyed digests of credential values. Only the backend may call them \
              (anyone else could test guesses against the digests) or write the digests \
              (anyone else could hide a shared value); bootstrap, run with an operator's \
              token, makes them if they are missing (their metadata only).",
        grants: &[
            ("crypter-backend-transit/keys/sessions",    NO, CRU, NO,     NO),
            ("crypter-backend-transit/keys/digests",     NO, CRU, NO,     NO),
            ("crypter-backend-transit/encrypt/sessions", NO, NO,  UPDATE, NO),
            ("crypter-backend-transit/decrypt/sessions", NO, NO,  UPDATE, NO),
            ("crypter-backend-transit/hmac/digests",     NO, NO,  UPDATE, NO),
            ("crypter/data/digests/*",                   NO, NO,  CRUD,   NO),
            ("crypter/metadata/digests/*",               NO, NO,  DELETE, NO),
        ],
    },
    Kind {
        why: "Keys: one transit mount per environment (transit/<env>/), mounted with it, and \
              Crypter's records of them (the ciphertexts known of each key: a scan's or a \
              rewrap's counts). Admins' keys are never exportable nor backed up in plaintext, \
              and their deletion stays off: only operators turn it on, one key at a time (the \
              operators' exact `…/config` rule outranks `…/config*`, so an admin who is also \
              an operator may). Operators hold every other transit path (trim, soft-delete, \
              restore, backups and exports of keys made so).",
        grants: &[
            ("crypter/+/keys/*",           ALL,                       ALL,         NO, NO),
            ("crypter/+/key-usage/*",      ALL,                       ALL,         NO, NO),
            ("sys/mounts/transit/*",       CRUD,                      CRUD,        NO, NO),
            ("transit/+/config/keys",      READ_UPDATE,               READ_UPDATE, NO, NO),
            ("transit/+/keys/",            LIST,                      NO,          NO, NO),
            ("transit/+/keys/+",           KEY_NOT_EXPORTABLE,        CRUD,        NO, NO),
            ("transit/+/keys/+/config*",   KEY_CONFIG_NOT_EXPORTABLE, UPDATE,      NO, NO),
            ("transit/+/keys/+/config",    NO,                        READ_UPDATE, NO, NO),
            ("transit/+/keys/+/rotate",    UPDATE,                    UPDATE,      NO, NO),
            // Trying a key. `update` only: with `create`, encrypting with a missing key
            // would make it.
            ("transit/+/encrypt/+",        UPDATE,                    NO,          NO, NO),
            ("transit/+/decrypt/+",        UPDATE,                    NO,          NO, NO),
            ("transit/+/rewrap/+",         UPDATE,                    NO,          NO, NO),
            ("transit/+/sign/*",           UPDATE,                    NO,          NO, NO),
            ("transit/+/verify/*",         UPDATE,                    NO,          NO, NO),
            ("transit/+/hmac/*",           UPDATE,                    NO,          NO, NO),
            ("transit/+/export/*",         DENY,                      NO,          NO, NO),
            ("transit/+/backup/*",         DENY,                      NO,          NO, NO),
            ("transit/+/byok-export/*",    DENY,                      NO,          NO, NO),
            ("transit/*",                  NO,                        CRUD_LIST,   NO, NO),
        ],
    },
    Kind {
        why: "Policies: every one may be read; admins write only the roles' policies. \
              Operators may write every policy, their own included: they are, in effect, root.",
        grants: &[
            ("sys/policies/acl",                LIST,      LIST,      NO, NO),
            ("sys/policies/acl/*",              READ_LIST, CRUD_LIST, NO, NO),
            ("sys/policies/acl/crypter-role-*", CRUD,      CRUD,      NO, NO),
        ],
    },
    Kind {
        why: "Approvals: the rule of each protected environment, the approver groups' policies \
              and identity groups it makes, the carrier's policy (the ruled environments \
              only), and requests of one's own (a record only its requester writes). The \
              backend reads rules, requests and votes (to show them and to know when one is \
              approved), keeps an index of requests (id → requester) and each request's \
              outcome, and reads entities to name voters. It never writes a request or a vote.",
        grants: &[
            ("crypter/+/approvals/rules/*",                              CRUD_LIST,   CRUD_LIST,   NO,          NO),
            ("sys/policies/acl/crypter-approvers-*",                     CRUD,        CRUD,        NO,          NO),
            ("sys/policies/acl/crypter-carrier",                         CRU,         CRU,         NO,          NO),
            ("identity/group/name/crypter-approvers-*",                  CRUD,        CRUD,        NO,          NO),
            ("identity/lookup/entity",                                   UPDATE,      UPDATE,      NO,          NO),
            ("crypter/data/approvals/requests/{{identity.entity.id}}/*", CREATE_READ, CREATE_READ, NO,          NO),
            ("crypter/data/approvals/*",                                 NO,          NO,          READ,        NO),
            ("crypter/metadata/approvals/*",                             NO,          NO,          LIST,        NO),
            ("crypter/data/approvals/index/*",                           NO,          NO,          CREATE_READ, NO),
            ("crypter/data/approvals/outcomes/*",                        NO,          NO,          CRU,         NO),
            ("identity/entity/id/*",                                     NO,          NO,          READ,        NO),
        ],
    },
    Kind {
        why: "Machine roles (AppRole) and their secret-ids.",
        grants: &[
            ("auth/approle/role",                        LIST,        LIST,        NO, NO),
            ("auth/approle/role/+",                      CRUD,        CRUD,        NO, NO),
            ("auth/approle/role/+/role-id",              READ,        READ,        NO, NO),
            ("auth/approle/role/+/secret-id",            UPDATE_LIST, UPDATE_LIST, NO, NO),
            ("auth/approle/role/+/secret-id-accessor/*", UPDATE,      UPDATE,      NO, NO),
        ],
    },
    Kind {
        why: "People (userpass). Deleting a person also ends every token they hold and every \
              token those made: OpenBao revokes none when a userpass user is deleted.",
        grants: &[
            ("auth/userpass/users",                      LIST,      LIST,      NO, NO),
            ("auth/userpass/users/+",                    CRUD,      CRUD,      NO, NO),
            ("sys/leases/lookup/auth/userpass/login/*",  LIST_SUDO, LIST_SUDO, NO, NO),
            ("sys/leases/revoke/auth/userpass/login/*",  UPDATE,    UPDATE,    NO, NO),
        ],
    },
    Kind {
        why: "Auth methods: admins see which are enabled; operators enable and tune them.",
        grants: &[
            ("sys/auth",                        READ,     READ,      NO, NO),
            ("sys/auth/*",                      NO,       CRUD_SUDO, NO, NO),
            ("sys/mounts/*",                    NO,       CRUD,      NO, NO),
        ],
    },
    Kind {
        why: "Check access: OpenBao answers, about a token that carries one role's policy \
              only. Freeze verification: probe tokens carrying one policy each, and their \
              revocation. The token roles that make both are the operators'.",
        grants: &[
            ("sys/capabilities",                      UPDATE, UPDATE,        NO, NO),
            ("auth/token/create/crypter-check",       UPDATE, UPDATE,        NO, NO),
            ("auth/token/roles/*",                    NO,     CRUD_LIST,     NO, NO),
            ("auth/token/create/crypter-freeze-probe", NO,    CREATE_UPDATE, NO, NO),
            ("auth/token/revoke-accessor",            NO,     UPDATE,        NO, NO),
        ],
    },
    Kind {
        why: "The activity feed (OpenBao's audit log) is shown to whoever may read sys/audit. \
              Operators choose which request headers OpenBao copies into it \
              (X-Crypter-Purpose). Product events (freeze, thaw, breach, changeset applied or \
              undone, reminder) are marker writes of the backend's own, which the audit log \
              carries to the feed: nobody else may write them, so nobody else can make one up.",
        grants: &[
            ("sys/audit",                              READ, READ,      NO,            NO),
            ("sys/config/auditing/request-headers",    NO,   READ_SUDO, NO,            NO),
            ("sys/config/auditing/request-headers/*",  NO,   CRUD_SUDO, NO,            NO),
            ("crypter/data/events/*",                  NO,   NO,        CREATE_UPDATE, NO),
        ],
    },
    Kind {
        why: "Log shippers post OpenBao audit lines to Crypter with a token carrying the \
              audit-ingest policy; Crypter asks OpenBao, with the shipper's token, whether it \
              holds the ingest rule.",
        grants: &[
            ("crypter/audit/ingest",            NO,       NO,       NO,        UPDATE),
            ("sys/capabilities-self",           NO,       NO,       NO,        UPDATE),
        ],
    },
    Kind {
        why: "Single sign-on: the OIDC auth method (auth/oidc), its login role, the external \
              groups Crypter keeps for provider groups (crypter-sso-*) with their aliases, and \
              the identity reads behind \"why can I do this?\". Operators hold the same rules, \
              so a freeze that strips the admins' keeps theirs. The backend reads the \
              provider's address (never its secret, which OpenBao does not return) to offer \
              the provider's sign-out after a logout.",
        grants: &[
            ("sys/auth/oidc", CRUD_SUDO, CRUD_SUDO, NO, NO),
            ("sys/auth/oidc/tune", CRUD_SUDO, CRUD_SUDO, NO, NO),
            ("auth/oidc/config", CRU, CRU, READ, NO),
            ("auth/oidc/role", LIST, LIST, NO, NO),
            ("auth/oidc/role/+", CRUD, CRUD, NO, NO),
            ("identity/group/name", LIST, LIST, NO, NO),
            ("identity/group/name/crypter-sso-*", CRUD, CRUD, NO, NO),
            ("identity/group-alias", CREATE_UPDATE, CREATE_UPDATE, NO, NO),
            ("identity/group-alias/id/*", CRUD, CRUD, NO, NO),
            ("identity/group/id/*", READ, READ, NO, NO),
            ("identity/entity/id/*", READ, READ, NO, NO),
        ],
    },
    Kind {
        why: "The cluster page.",
        grants: &[
            ("sys/storage/raft/configuration",   READ,     READ,     NO,        NO),
            ("sys/storage/raft/autopilot/state", READ,     READ,     NO,        NO),
            ("sys/ha-status",                    READ,     READ,     NO,        NO),
        ],
    },
];
