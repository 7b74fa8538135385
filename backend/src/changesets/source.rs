//! Where changesets come from: the `--changesets-dir` folder (read afresh on every call) and
//! uploads kept in the store at `crypter/data/changesets/uploads/<id>`.

use super::format::{parse, Changeset};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::ErrorCode;
use secrecy::SecretString;
use serde_json::json;
use std::path::Path;

pub const UPLOADS: &str = "crypter/data/changesets/uploads";
const UPLOADS_META: &str = "crypter/metadata/changesets/uploads/";

/// One changeset file, parsed or not: a file that fails to parse keeps its error and does not
/// hide the rest.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub file: String,
    pub text: String,
    pub parsed: Result<Changeset, String>,
}

impl Loaded {
    fn sort_key(&self) -> (&str, &str) {
        match &self.parsed {
            Ok(cs) => (cs.id.as_str(), self.file.as_str()),
            Err(_) => ("", self.file.as_str()),
        }
    }
}

fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, AppError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "cannot read the changesets folder {}: {e}",
            dir.display()
        ))
    })?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot read {name}: {e}")))?;
            files.push((name, text));
        }
    }
    Ok(files)
}

async fn read_uploads(bao: &Bao, token: &SecretString) -> Result<Vec<(String, String)>, AppError> {
    let keys = match bao.list(UPLOADS_META, token).await {
        Ok(k) => k,
        Err(crate::bao::BaoError::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for key in keys.into_iter().filter(|k| !k.ends_with('/')) {
        if let Some(v) = bao.read(&format!("{UPLOADS}/{key}"), token).await? {
            let text = v["data"]["data"]["toml"].as_str().unwrap_or_default();
            out.push((format!("upload:{key}"), text.to_owned()));
        }
    }
    Ok(out)
}

/// Every changeset, in order of id (files that do not parse first, by file name). Duplicate
/// ids are errors on every file but the first.
pub async fn load(
    bao: &Bao,
    token: &SecretString,
    dir: Option<&Path>,
) -> Result<Vec<Loaded>, AppError> {
    let mut files = match dir {
        Some(d) => read_dir(d)?,
        None => Vec::new(),
    };
    files.extend(read_uploads(bao, token).await?);
    let mut loaded: Vec<Loaded> = files
        .into_iter()
        .map(|(file, text)| {
            let parsed = parse(&file, &text).map_err(|e| e.to_string());
            Loaded { file, text, parsed }
        })
        .collect();
    loaded.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    for l in &mut loaded {
        if let Ok(cs) = &l.parsed {
            if let Some(first) = seen.get(&cs.id) {
                l.parsed = Err(format!(
                    "{}: duplicate id {:?} (also in {first}); give each changeset its own id",
                    l.file, cs.id
                ));
            } else {
                seen.insert(cs.id.clone(), l.file.clone());
            }
        }
    }
    Ok(loaded)
}

/// Store an uploaded changeset (it must parse). Uploading the same id again replaces it.
pub async fn upload(bao: &Bao, token: &SecretString, text: &str) -> Result<Changeset, AppError> {
    if text.len() > 256 * 1024 {
        return Err(AppError::bad_request(
            ErrorCode::ChangesetTooLarge,
            "a changeset file is limited to 256 KiB; split it",
        ));
    }
    let cs = parse("upload", text)
        .map_err(|e| AppError::bad_request(ErrorCode::InvalidChangeset, e.to_string()))?;
    bao.write(
        &format!("{UPLOADS}/{}", cs.id),
        token,
        &json!({ "data": { "toml": text } }),
    )
    .await?;
    Ok(cs)
}
