//! What a parsed changeset must also satisfy: the rules that serde's types cannot say.
//! Each refusal names what to change; `format::parse` adds the file and line.
//!
//! - `generate` and `from` are exclusive; `from` names one source;
//! - prefixes and mounts follow the credential path rules;
//! - a copy, move or import never reads and writes the same credentials: same mount, and
//!   one prefix contains the other (the empty prefix contains every other);
//! - a `put_credential` never takes its value from itself.

use super::format::{BulkSource, Changeset, CredentialRef, Generate, Operation};
use crypter_api::CredentialPath;

pub fn operation(cs: &Changeset, op: &Operation) -> Result<(), String> {
    match op {
        Operation::CreateEnvironment { color, .. } => match color {
            Some(c) => crate::environments::validate_color(c).map_err(|e| e.to_string()),
            None => Ok(()),
        },
        Operation::PutCredential {
            generate,
            from,
            path,
            labels,
            ..
        } => {
            labels_ok(labels)?;
            put_value(cs, path, generate.as_ref(), from.as_ref())
        }
        Operation::CopyCredentials { from, to, .. }
        | Operation::MoveCredentials { from, to, .. } => {
            let mount = source_mount(op.name(), from)?;
            prefix("from.prefix", &from.prefix)?;
            prefix("to.prefix", &to.prefix)?;
            let target = to.environment.as_ref().unwrap_or(&cs.environment).mount();
            disjoint(op.name(), &mount, &from.prefix, &target, &to.prefix)
        }
        Operation::ImportKv {
            mount,
            prefix: p,
            to,
            ..
        } => {
            let mount = mount_path("mount", mount)?;
            prefix("prefix", p)?;
            prefix("to.prefix", &to.prefix)?;
            let target = to.environment.as_ref().unwrap_or(&cs.environment).mount();
            disjoint(op.name(), &mount, p, &target, &to.prefix)
        }
        Operation::RetagCredentials {
            prefix: p,
            add_labels,
            ..
        } => {
            labels_ok(add_labels)?;
            prefix("prefix", p)
        }
        Operation::DeleteCredentials { prefix: p } if p.trim_matches('/').is_empty() => Err(
            "delete_credentials needs a non-empty prefix (deleting a whole environment is not a \
             changeset operation)"
                .into(),
        ),
        Operation::DeleteCredentials { prefix: p } => prefix("prefix", p),
        Operation::CreateRole { .. }
        | Operation::UpdateGrants { .. }
        | Operation::DeleteRole { .. }
        | Operation::RotateKey { .. }
        | Operation::Undo => Ok(()),
        Operation::CreateKey { .. } => create_key(op),
        Operation::RewrapCredentials {
            prefix: p, field, ..
        } => {
            crate::keys::scan::validate_field(field).map_err(|e| e.to_string())?;
            prefix("prefix", p)
        }
    }
}

/// A `create_key`'s record fields and rotation periods, within what OpenBao accepts.
fn create_key(op: &Operation) -> Result<(), String> {
    let Operation::CreateKey {
        labels,
        owner,
        description,
        auto_rotate_period,
        rotation_period,
        ..
    } = op
    else {
        return Ok(());
    };
    labels_ok(labels)?;
    if owner.as_ref().is_some_and(|o| o.chars().count() > 128)
        || description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 500)
    {
        return Err("create_key: owner is at most 128 characters, description 500".into());
    }
    if auto_rotate_period.is_some_and(|a| a != 0 && a < 3_600) {
        return Err("create_key: auto_rotate_period is 0 (off) or at least 3600 seconds".into());
    }
    if rotation_period.is_some_and(|r| r > 10 * 366 * 86_400) {
        return Err("create_key: rotation_period is at most ten years (seconds)".into());
    }
    Ok(())
}

fn put_value(
    cs: &Changeset,
    path: &CredentialPath,
    generate: Option<&Generate>,
    from: Option<&CredentialRef>,
) -> Result<(), String> {
    match (generate, from) {
        (Some(g), None) if !(8..=512).contains(&g.length) => {
            Err(format!("{path}: generate.length must be 8-512"))
        }
        (None, Some(f)) if f.environment == cs.environment && &f.path == path => Err(format!(
            "put_credential {path} takes its value from itself; name another credential in \
             `from`"
        )),
        (Some(_), None) | (None, Some(_)) => Ok(()),
        _ => Err(format!(
            "put_credential {path}: give exactly one of `generate = {{ length, charset }}` or \
             `from = {{ environment, path }}`"
        )),
    }
}

fn labels_ok(labels: &[String]) -> Result<(), String> {
    match labels
        .iter()
        .find(|l| !crate::credentials::validate_label(l))
    {
        Some(l) => Err(format!(
            "label {l:?} is not valid: use 1-64 characters of A-Z a-z 0-9 _ . - :"
        )),
        None if labels.len() > 20 => Err("use at most 20 labels".into()),
        None => Ok(()),
    }
}

/// The mount a bulk copy reads, without slashes: `env/<name>`, or the `mount` given.
pub fn source_mount(op: &str, from: &BulkSource) -> Result<String, String> {
    match (&from.environment, &from.mount) {
        (Some(env), None) => Ok(env.mount()),
        (None, Some(m)) => mount_path("from.mount", m),
        _ => Err(format!(
            "{op}: `from` needs exactly one of `environment` or `mount`"
        )),
    }
}

/// A KV mount's path: credential path segments, without leading or trailing slashes.
fn mount_path(field: &str, mount: &str) -> Result<String, String> {
    let m = mount.trim_matches('/');
    CredentialPath::parse(m)
        .map(|_| m.to_owned())
        .map_err(|e| format!("{field} {mount:?} is not a valid mount path: {e}"))
}

/// Empty (everything), or the start of credential paths: segments by the path rule (the
/// last may be partial), optionally ending with one `/`.
fn prefix(field: &str, prefix: &str) -> Result<(), String> {
    if prefix.is_empty() {
        return Ok(());
    }
    let body = prefix.strip_suffix('/').unwrap_or(prefix);
    CredentialPath::parse(body)
        .map(|_| ())
        .map_err(|e| format!("{field} {prefix:?} is not a valid prefix: {e}"))
}

fn disjoint(op: &str, src: &str, from: &str, dst: &str, to: &str) -> Result<(), String> {
    if src == dst && (from.starts_with(to) || to.starts_with(from)) {
        return Err(format!(
            "{op} would read and write the same credentials: {src}/{from}* and {dst}/{to}* \
             overlap (one prefix contains the other); choose a target prefix outside the \
             source, or another environment"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::format::parse;

    fn with(op: &str) -> Result<(), String> {
        let text = format!(
            "id = \"x1\"\nauthor = \"a\"\ndescription = \"d\"\nenvironment = \"staging\"\n\n\
             [[operations]]\nop = \"create_environment\"\n\n[[operations]]\n{op}\n"
        );
        parse("x1.toml", &text)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn overlapping_copies_moves_and_imports_are_refused_with_file_and_line() {
        for op in [
            "op = \"move_credentials\"\nfrom = { environment = \"staging\", prefix = \"payments/\" }\nto = { prefix = \"payments/\" }",
            "op = \"copy_credentials\"\nfrom = { environment = \"staging\", prefix = \"\" }\nto = { prefix = \"copies/\" }",
            "op = \"copy_credentials\"\nfrom = { environment = \"staging\", prefix = \"a/b/\" }\nto = { prefix = \"a/\" }",
            "op = \"copy_credentials\"\nfrom = { mount = \"env/staging/\", prefix = \"a/\" }\nto = { environment = \"staging\", prefix = \"a/x/\" }",
            "op = \"import_kv\"\nmount = \"env/staging\"\nto = { prefix = \"legacy/\" }",
        ] {
            let e = with(op).unwrap_err();
            assert!(e.starts_with("x1.toml:9: operation 2:"), "{e}");
            assert!(e.contains("overlap"), "{e}");
        }
    }

    #[test]
    fn disjoint_prefixes_or_environments_are_fine() {
        for op in [
            "op = \"move_credentials\"\nfrom = { environment = \"staging\", prefix = \"payments/\" }\nto = { prefix = \"payments-old/\" }",
            "op = \"copy_credentials\"\nfrom = { environment = \"production\", prefix = \"\" }\nto = { prefix = \"\" }",
            "op = \"import_kv\"\nmount = \"legacy\"\nto = { prefix = \"\" }",
        ] {
            with(op).unwrap();
        }
    }

    #[test]
    fn prefixes_and_mounts_follow_the_path_rules() {
        for (op, why) in [
            ("op = \"retag_credentials\"\nprefix = \"../x\"\nowner = \"o\"", "'.' and '..'"),
            ("op = \"delete_credentials\"\nprefix = \"a//b\"", "empty segment"),
            ("op = \"import_kv\"\nmount = \"leg acy\"\nto = { prefix = \"x/\" }", "character"),
            ("op = \"copy_credentials\"\nfrom = { environment = \"production\", prefix = \"a#b\" }\nto = { prefix = \"\" }", "character"),
        ] {
            let e = with(op).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn key_operations_are_checked() {
        with("op = \"create_key\"\nname = \"cards\"\nkey_type = \"aes256-gcm96\"").unwrap();
        with("op = \"rotate_key\"\nname = \"cards\"\nenvironment = \"production\"").unwrap();
        with("op = \"rewrap_credentials\"\nprefix = \"cards/\"\nkey = \"cards\"\nfield = \"pan\"")
            .unwrap();
        for (op, why) in [
            ("op = \"create_key\"\nname = \"Cards\"\nkey_type = \"aes256-gcm96\"", "invalid key name"),
            ("op = \"create_key\"\nname = \"cards\"\nkey_type = \"des\"", "unknown variant"),
            ("op = \"create_key\"\nname = \"cards\"\nkey_type = \"hmac\"\nauto_rotate_period = 60", "3600"),
            ("op = \"rewrap_credentials\"\nprefix = \"../x\"\nkey = \"cards\"\nfield = \"pan\"", "'.' and '..'"),
            ("op = \"rewrap_credentials\"\nkey = \"cards\"\nfield = \"\"", "field"),
        ] {
            let e = with(op).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn a_credential_never_takes_its_value_from_itself() {
        let e = with("op = \"put_credential\"\npath = \"db\"\nclass = \"service\"\nfrom = { environment = \"staging\", path = \"db\" }").unwrap_err();
        assert!(e.contains("from itself"), "{e}");
        with("op = \"put_credential\"\npath = \"db\"\nclass = \"service\"\nfrom = { environment = \"production\", path = \"db\" }").unwrap();
    }
}
