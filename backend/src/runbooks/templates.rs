//! Runbook templates: TOML, validated (known kinds, unique step ids, sane params). The
//! built-in "Store migration" ships in the binary; custom ones live in `crypter/`.

use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{RunbookTemplate, TemplateStep, STEP_KINDS};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const BUILTIN: &str = include_str!("store-migration.toml");
const CUSTOM: &str = "crypter/data/runbook-templates";
const CUSTOM_LIST: &str = "crypter/metadata/runbook-templates";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    name: String,
    title: String,
    #[serde(default)]
    description: String,
    steps: Vec<StepFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    id: String,
    title: String,
    kind: String,
    #[serde(default)]
    instructions: String,
    #[serde(default)]
    gate: bool,
    #[serde(default)]
    params: BTreeMap<String, String>,
}

fn bad(msg: String) -> AppError {
    AppError::bad_request(ErrorCode::InvalidTemplate, msg)
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Parse and validate a template's TOML text.
pub fn parse(text: &str) -> Result<RunbookTemplate, AppError> {
    let file: TemplateFile =
        toml::from_str(text).map_err(|e| bad(format!("the template is not valid TOML: {e}")))?;
    if !valid_name(&file.name) {
        return Err(bad(format!(
            "template name {:?}: use 1-64 lowercase letters, digits, '-' or '_'",
            file.name
        )));
    }
    if file.title.trim().is_empty() || file.steps.is_empty() {
        return Err(bad("a template needs a title and at least one step".into()));
    }
    let mut seen = BTreeSet::new();
    let mut steps = Vec::new();
    for s in file.steps {
        if !valid_name(&s.id) {
            return Err(bad(format!(
                "step id {:?}: use 1-64 lowercase letters, digits, '-' or '_'",
                s.id
            )));
        }
        if !seen.insert(s.id.clone()) {
            return Err(bad(format!(
                "duplicate step id {:?}: each step needs its own id",
                s.id
            )));
        }
        if !STEP_KINDS.contains(&s.kind.as_str()) {
            return Err(bad(format!(
                "step {:?} has unknown kind {:?}; known kinds: {}",
                s.id,
                s.kind,
                STEP_KINDS.join(", ")
            )));
        }
        if s.gate && s.kind != "manual" {
            return Err(bad(format!(
                "step {:?}: only a `manual` step can be a go/no-go gate",
                s.id
            )));
        }
        check_params(&s.id, &s.kind, &s.params)?;
        steps.push(TemplateStep {
            id: s.id,
            title: s.title,
            kind: s.kind,
            instructions: s.instructions,
            gate: s.gate,
            params: s.params,
        });
    }
    Ok(RunbookTemplate {
        name: file.name,
        title: file.title,
        description: file.description,
        builtin: false,
        steps,
    })
}

fn check_params(id: &str, kind: &str, params: &BTreeMap<String, String>) -> Result<(), AppError> {
    let allowed: &[(&str, &[&str])] = match kind {
        "freeze" => &[("level", &["provisioning", "full"])],
        "verify_freeze" => &[("expect", &["frozen", "none"])],
        "lint_environments" => &[("fail_on", &["error", "warning", "info"])],
        _ => &[],
    };
    for (key, value) in params {
        let Some((_, values)) = allowed.iter().find(|(k, _)| k == key) else {
            return Err(bad(format!(
                "step {id:?}: kind {kind} takes no parameter {key:?}"
            )));
        };
        if !values.contains(&value.as_str()) {
            return Err(bad(format!(
                "step {id:?}: {key} must be one of {}",
                values.join(", ")
            )));
        }
    }
    Ok(())
}

pub fn builtin() -> Result<RunbookTemplate, AppError> {
    let mut t = parse(BUILTIN)?;
    t.builtin = true;
    Ok(t)
}

/// The built-in template first, then the uploaded ones by name.
pub async fn list(bao: &Bao, token: &SecretString) -> Result<Vec<RunbookTemplate>, AppError> {
    let mut out = vec![builtin()?];
    for name in bao.list(CUSTOM_LIST, token).await? {
        if let Some(t) = load_custom(bao, token, &name).await? {
            out.push(t);
        }
    }
    Ok(out)
}

async fn load_custom(
    bao: &Bao,
    token: &SecretString,
    name: &str,
) -> Result<Option<RunbookTemplate>, AppError> {
    let Some(v) = bao.read(&format!("{CUSTOM}/{name}"), token).await? else {
        return Ok(None);
    };
    let text = v
        .pointer("/data/data/toml")
        .and_then(Value::as_str)
        .unwrap_or_default();
    parse(text).map(Some)
}

pub async fn find(
    bao: &Bao,
    token: &SecretString,
    name: &str,
) -> Result<RunbookTemplate, AppError> {
    let builtin = builtin()?;
    if name == builtin.name {
        return Ok(builtin);
    }
    if !valid_name(name) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidTemplate,
            "a template name is 1-64 lowercase letters, digits, '-' or '_'",
        ));
    }
    load_custom(bao, token, name).await?.ok_or_else(|| {
        AppError::NotFound(
            ErrorCode::TemplateNotFound,
            format!("no runbook template named {name:?}"),
        )
    })
}

/// Validate and store an uploaded template (replacing one of the same name).
pub async fn upload(
    bao: &Bao,
    token: &SecretString,
    text: &str,
) -> Result<RunbookTemplate, AppError> {
    if text.len() > 64 * 1024 {
        return Err(bad("a template is at most 64 KiB".into()));
    }
    let t = parse(text)?;
    if t.name == builtin()?.name {
        return Err(bad(format!(
            "{:?} is the built-in template's name; choose another",
            t.name
        )));
    }
    bao.write(
        &format!("{CUSTOM}/{}", t.name),
        token,
        &json!({ "data": { "toml": text } }),
    )
    .await?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_template_follows_the_migration_story() {
        let t = builtin().unwrap();
        let kinds: Vec<&str> = t.steps.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "manual",
                "freeze",
                "verify_freeze",
                "snapshot",
                "validate_changesets",
                "plan_changesets",
                "manual",
                "apply_changesets",
                "verify_identities",
                "lint_environments",
                "cluster_health",
                "plan_rollback",
                "manual",
                "apply_changesets",
                "thaw",
                "verify_freeze",
                "manual"
            ]
        );
        assert_eq!(t.steps[3].id, "snapshot");
        assert!(t.steps[6].gate);
        assert!(t.steps[12].gate);
        assert_eq!(t.steps[15].params["expect"], "none");
    }

    #[test]
    fn unknown_kinds_duplicate_ids_and_bad_params_are_refused() {
        let step = |id: &str, kind: &str| {
            format!("[[steps]]\nid = \"{id}\"\ntitle = \"t\"\nkind = \"{kind}\"\n")
        };
        let head = "name = \"x\"\ntitle = \"X\"\n";
        let unknown = format!("{head}{}", step("a", "reboot"));
        assert!(parse(&unknown)
            .unwrap_err()
            .to_string()
            .contains("unknown kind"));
        let dup = format!("{head}{}{}", step("a", "manual"), step("a", "thaw"));
        assert!(parse(&dup)
            .unwrap_err()
            .to_string()
            .contains("duplicate step id"));
        let param = format!(
            "{head}{}params = {{ level = \"total\" }}\n",
            step("a", "freeze")
        );
        assert!(parse(&param).is_err());
        let extra = format!("{head}{}colour = \"red\"\n", step("a", "manual"));
        assert!(parse(&extra).is_err());
        assert!(parse(&format!("{head}{}", step("a", "thaw"))).is_ok());
    }
}
