//! Random stores and random changesets, and the TOML of a changeset.
//!
//! Stores: three environments (`pa`, `pb`, `pc`) and two legacy mounts (`lv1`, KV v1;
//! `lv2`, KV v2), paths nested up to three segments deep over a tiny alphabet (so that
//! prefixes contain each other), one to three versions from a tiny set of values (so that
//! targets often hold the same value), some current versions deleted, some old versions
//! destroyed. Changesets: one to five operations of every kind, on the same few paths,
//! self-targeting and overlapping ones included; keys (`pk0`, `pk1`) there before or not,
//! created and rotated.

use proptest::prelude::*;

pub const ENVS: [&str; 3] = ["pa", "pb", "pc"];
const SEGS: [&str; 2] = ["a", "b"];
const VALUES: [&str; 3] = ["x", "y", "z"];
pub const KEYS: [&str; 2] = ["pk0", "pk1"];

#[derive(Debug, Clone)]
pub struct Seed {
    pub env: usize,
    pub path: String,
    /// One value per version, in order.
    pub versions: Vec<usize>,
    pub owner: Option<usize>,
    pub label: bool,
    pub delete_current: bool,
    pub destroy_first: bool,
}

#[derive(Debug, Clone)]
pub enum Op {
    CreateEnv {
        named: bool,
    },
    CreateRole {
        role: usize,
        machine: bool,
        env: usize,
    },
    UpdateGrants {
        role: usize,
        env: usize,
    },
    DeleteRole {
        role: usize,
    },
    PutGenerate {
        path: String,
        length: u16,
        overwrite: bool,
    },
    PutFrom {
        path: String,
        env: usize,
        from: String,
        overwrite: bool,
    },
    Copy {
        mv: bool,
        from_env: usize,
        as_mount: bool,
        from: String,
        to_env: Option<usize>,
        to: String,
        overwrite: bool,
    },
    Import {
        v2: bool,
        from: String,
        to: String,
        class: bool,
        overwrite: bool,
    },
    Retag {
        prefix: String,
        owner: bool,
        add: bool,
        remove: bool,
    },
    Delete {
        prefix: String,
    },
    /// In the changeset's environment.
    CreateKey {
        key: usize,
    },
    RotateKey {
        key: usize,
    },
    /// `rewrap_credentials` of field `v` with `pk0`.
    Rewrap {
        prefix: String,
    },
}

#[derive(Debug, Clone)]
pub struct Case {
    pub seeds: Vec<Seed>,
    pub legacy: Vec<(bool, String, usize)>,
    /// Roles there before: (which, a machine class).
    pub roles: Vec<(usize, bool)>,
    /// Keys there before (made directly in OpenBao): (`ENVS` index, which, rotations).
    pub keys: Vec<(usize, usize, u8)>,
    /// Credentials whose `v` is a ciphertext of `pk0` (`ENVS` index, used when the case's
    /// environment is a new one; path), written before the key is rotated once more.
    pub ciphers: Vec<(usize, String)>,
    /// `ENVS` index, or 3 for the environment the case may create.
    pub env: usize,
    pub ops: Vec<Op>,
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(&SEGS[..]), 1..=3).prop_map(|s| s.join("/"))
}

fn prefix() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        4 => path().prop_map(|p| format!("{p}/")),
        1 => path(),
    ]
}

fn seed() -> impl Strategy<Value = Seed> {
    (
        0..3usize,
        path(),
        prop::collection::vec(0..3usize, 1..=3),
        prop::option::of(0..2usize),
        any::<bool>(),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(env, path, versions, owner, label, delete_current, destroy_first)| Seed {
                env,
                path,
                versions,
                owner,
                label,
                delete_current,
                destroy_first,
            },
        )
}

fn env_or_new() -> impl Strategy<Value = usize> {
    prop_oneof![12 => 0..3usize, 1 => Just(3usize)]
}

fn op() -> impl Strategy<Value = Op> {
    let overwrite = || prop::bool::weighted(0.85);
    prop_oneof![
        2 => any::<bool>().prop_map(|named| Op::CreateEnv { named }),
        1 => (0..2usize, any::<bool>(), 0..3usize)
            .prop_map(|(role, machine, env)| Op::CreateRole { role, machine, env }),
        3 => (0..2usize, 0..3usize).prop_map(|(role, env)| Op::UpdateGrants { role, env }),
        1 => (0..2usize).prop_map(|role| Op::DeleteRole { role }),
        2 => (path(), 8..12u16, overwrite())
            .prop_map(|(path, length, overwrite)| Op::PutGenerate { path, length, overwrite }),
        2 => (path(), 0..3usize, path(), overwrite())
            .prop_map(|(path, env, from, overwrite)| Op::PutFrom { path, env, from, overwrite }),
        5 => (any::<bool>(), 0..3usize, prop::bool::weighted(0.1), prefix(),
              prop::option::of(env_or_new()), prefix(), overwrite())
            .prop_map(|(mv, from_env, as_mount, from, to_env, to, overwrite)| Op::Copy {
                mv, from_env, as_mount, from, to_env, to, overwrite,
            }),
        2 => (any::<bool>(), prefix(), prefix(), any::<bool>(), overwrite())
            .prop_map(|(v2, from, to, class, overwrite)| Op::Import { v2, from, to, class, overwrite }),
        2 => (prefix(), any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(prefix, owner, add, remove)| Op::Retag { prefix, owner, add, remove }),
        2 => path().prop_map(|prefix| Op::Delete { prefix }),
        3 => (0..2usize).prop_map(|key| Op::CreateKey { key }),
        1 => (0..2usize).prop_map(|key| Op::RotateKey { key }),
        3 => prop_oneof![2 => Just(String::new()), 1 => prefix()]
            .prop_map(|prefix| Op::Rewrap { prefix }),
    ]
}

pub fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(seed(), 4..=16),
        prop::collection::vec((any::<bool>(), path(), 0..3usize), 0..=4),
        prop::collection::vec((0..2usize, any::<bool>()), 0..=2),
        prop_oneof![16 => 0..3usize, 1 => Just(3usize)],
        prop::collection::vec(op(), 1..=5),
        prop::collection::vec((0..3usize, 0..2usize, 0..3u8), 0..=2),
        prop::collection::vec((0..3usize, path()), 1..=4),
    )
        .prop_map(|(seeds, legacy, roles, env, ops, keys, ciphers)| Case {
            seeds,
            legacy,
            roles,
            keys,
            ciphers,
            env,
            ops,
        })
}

pub fn value(i: usize) -> &'static str {
    VALUES[i % VALUES.len()]
}

/// The names a case uses: its own new environment, changeset id, and the fixed ones.
pub struct Names {
    pub new_env: String,
    pub id: String,
}

impl Names {
    pub fn env(&self, i: usize) -> &str {
        ENVS.get(i).copied().unwrap_or(&self.new_env)
    }
}

pub fn role(i: usize) -> String {
    format!("pr{i}")
}

/// The changeset's TOML.
pub fn toml(case: &Case, names: &Names) -> String {
    let mut t = format!(
        "id = \"{}\"\nauthor = \"prop\"\ndescription = \"random\"\nenvironment = \"{}\"\n",
        names.id,
        names.env(case.env)
    );
    for op in &case.ops {
        t.push_str("\n[[operations]]\n");
        t.push_str(&op_toml(op, names));
    }
    t
}

fn op_toml(op: &Op, n: &Names) -> String {
    match op {
        Op::CreateEnv { named: true } => format!(
            "op = \"create_environment\"\nname = \"{}\"\ndescription = \"made by a property\"\n",
            n.new_env
        ),
        Op::CreateEnv { named: false } => "op = \"create_environment\"\n".into(),
        Op::CreateRole { role: r, machine, env } => format!(
            "op = \"create_role\"\nname = \"{}\"\nclass = \"{}\"\ngrants = [{{ environment = \"{}\", scope = \"a/*\", capabilities = [\"read\"], effect = \"allow\" }}]\n",
            role(*r),
            if *machine { "service" } else { "human" },
            ENVS[*env]
        ),
        Op::UpdateGrants { role: r, env } => format!(
            "op = \"update_grants\"\nrole = \"{}\"\ngrants = [{{ environment = \"{}\", scope = \"*\", capabilities = [\"read\", \"list\"], effect = \"allow\" }}]\n",
            role(*r),
            ENVS[*env]
        ),
        Op::DeleteRole { role: r } => format!("op = \"delete_role\"\nrole = \"{}\"\n", role(*r)),
        Op::PutGenerate { path, length, overwrite } => format!(
            "op = \"put_credential\"\npath = \"{path}\"\nclass = \"service\"\nowner = \"gen\"\ngenerate = {{ length = {length}, charset = \"hex\" }}\noverwrite = {overwrite}\n"
        ),
        Op::PutFrom { path, env, from, overwrite } => format!(
            "op = \"put_credential\"\npath = \"{path}\"\nclass = \"integration\"\nfrom = {{ environment = \"{}\", path = \"{from}\" }}\noverwrite = {overwrite}\n",
            ENVS[*env]
        ),
        Op::Copy { mv, from_env, as_mount, from, to_env, to, overwrite } => {
            let source = if *as_mount {
                format!("mount = \"env/{}\"", ENVS[*from_env])
            } else {
                format!("environment = \"{}\"", ENVS[*from_env])
            };
            let target = match to_env {
                Some(e) => format!("environment = \"{}\", ", n.env(*e)),
                None => String::new(),
            };
            format!(
                "op = \"{}\"\nfrom = {{ {source}, prefix = \"{from}\" }}\nto = {{ {target}prefix = \"{to}\" }}\noverwrite = {overwrite}\n",
                if *mv { "move_credentials" } else { "copy_credentials" }
            )
        }
        Op::Import { v2, from, to, class, overwrite } => format!(
            "op = \"import_kv\"\nmount = \"{}\"\nprefix = \"{from}\"\nto = {{ prefix = \"{to}\" }}\n{}overwrite = {overwrite}\n",
            if *v2 { "lv2" } else { "lv1" },
            if *class { "class = \"integration\"\n" } else { "" }
        ),
        Op::Retag { prefix, owner, add, remove } => format!(
            "op = \"retag_credentials\"\nprefix = \"{prefix}\"\n{}{}{}",
            if *owner { "owner = \"retagged\"\n" } else { "" },
            if *add { "add_labels = [\"new\"]\n" } else { "" },
            if *remove { "remove_labels = [\"old\"]\n" } else { "" }
        ),
        Op::Delete { prefix } => format!("op = \"delete_credentials\"\nprefix = \"{prefix}\"\n"),
        Op::CreateKey { key } => format!(
            "op = \"create_key\"\nname = \"{}\"\nkey_type = \"aes256-gcm96\"\n",
            KEYS[*key]
        ),
        Op::RotateKey { key } => format!("op = \"rotate_key\"\nname = \"{}\"\n", KEYS[*key]),
        Op::Rewrap { prefix } => format!(
            "op = \"rewrap_credentials\"\nprefix = \"{prefix}\"\nkey = \"{}\"\nfield = \"v\"\n",
            KEYS[0]
        ),
    }
}
