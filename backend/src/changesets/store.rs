//! Item lists kept in OpenBao, for resume and as runbook evidence, at
//! `crypter/data/changesets/plans/<hash>`: a manifest, and the list's JSON in chunks
//! beside it (`…/<hash>/<n>`). A 10,000-item list is several MB, and Raft refuses log
//! entries over 1 MiB. Lists are stored by their plan hash, which is checked on reading.

use super::checksum::{plan_hash, sha256_prefixed};
use crate::bao::kv::{self, Mount};
use crate::bao::Bao;
use crate::error::AppError;
use crypter_api::PlanItem;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;

const PREFIX: &str = "changesets/plans";
/// Well below Raft's 1 MiB entry limit, with room for OpenBao's own encoding.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// A path like the ones lists are stored at, to ask OpenBao whether they may be written.
pub fn probe_path() -> String {
    format!("crypter/data/{PREFIX}/check")
}

fn crypter() -> Mount {
    Mount::v2("crypter")
}

fn key(hash: &str) -> String {
    hash.trim_start_matches("sha256:").to_owned()
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    /// (id, checksum) of each changeset, the rest of what the plan hash covers.
    changesets: Vec<(String, String)>,
    items: usize,
    chunks: usize,
    /// Of the whole JSON text, so a chunk that changed is noticed.
    sha256: String,
    /// An inverse plan: the changeset it undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    undo_of: Option<String>,
}

/// A stored plan: its changesets and items.
#[derive(Debug, Clone)]
pub struct Stored {
    pub changesets: Vec<(String, String)>,
    pub items: Vec<PlanItem>,
    /// An inverse plan: the changeset it undoes.
    pub undo_of: Option<String>,
}

/// Split at character boundaries into pieces of at most `max` bytes.
pub fn split(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(max);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, tail) = rest.split_at(cut);
        out.push(piece);
        rest = tail;
    }
    out
}

/// Write `text` in chunks at `<base>/<n>` (in `crypter`), 4 at a time: how many.
pub async fn save_chunks(
    bao: &Bao,
    token: &SecretString,
    base: &str,
    text: &str,
) -> Result<usize, AppError> {
    let pieces: Vec<(String, serde_json::Value)> = split(text, CHUNK_BYTES)
        .into_iter()
        .enumerate()
        .map(|(n, piece)| (format!("{base}/{n}"), json!({ "part": piece })))
        .collect();
    let chunks = pieces.len();
    stream::iter(pieces)
        .map(|(path, data)| async move {
            kv::write_json(bao, token, &crypter(), &path, &data, None)
                .await
                .map_err(AppError::from)
        })
        .buffer_unordered(4)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(chunks)
}

/// The text [`save_chunks`] wrote in `chunks` pieces; `Err(why)` names a missing chunk.
pub async fn load_chunks(
    bao: &Bao,
    token: &SecretString,
    base: &str,
    chunks: usize,
) -> Result<Result<String, String>, AppError> {
    let paths: Vec<String> = (0..chunks).map(|n| format!("{base}/{n}")).collect();
    let pieces: Vec<Option<String>> = stream::iter(paths)
        .map(|path| async move {
            let found = kv::read_json(bao, token, &crypter(), &path).await?;
            Ok::<_, AppError>(found.and_then(|(d, _)| d["part"].as_str().map(str::to_owned)))
        })
        .buffered(4)
        .try_collect()
        .await?;
    match pieces.iter().position(Option::is_none) {
        Some(n) => Ok(Err(format!("{base}/{n} is missing"))),
        None => Ok(Ok(pieces.into_iter().flatten().collect())),
    }
}

/// Keep the items of plan `hash`. Stored already (same hash): nothing is written. The
/// manifest goes last, so a list with a manifest is complete.
pub async fn save(
    bao: &Bao,
    token: &SecretString,
    hash: &str,
    changesets: &[(String, String)],
    items: &[PlanItem],
    undo_of: Option<&str>,
) -> Result<(), AppError> {
    let base = format!("{PREFIX}/{}", key(hash));
    if kv::read_json(bao, token, &crypter(), &base)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let text = serde_json::to_string(items)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("item list: {e}")))?;
    let chunks = save_chunks(bao, token, &base, &text).await?;
    let manifest = Manifest {
        changesets: changesets.to_vec(),
        items: items.len(),
        chunks,
        sha256: sha256_prefixed(&text),
        undo_of: undo_of.map(str::to_owned),
    };
    let data = serde_json::to_value(&manifest)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("item list manifest: {e}")))?;
    kv::write_json(bao, token, &crypter(), &base, &data, None).await?;
    Ok(())
}

/// The items of plan `hash`, checked against the hash; `None` when none are stored.
pub async fn load(bao: &Bao, token: &SecretString, hash: &str) -> Result<Option<Stored>, AppError> {
    let base = format!("{PREFIX}/{}", key(hash));
    let Some((data, _)) = kv::read_json(bao, token, &crypter(), &base).await? else {
        return Ok(None);
    };
    let damaged = |why: String| {
        AppError::Internal(anyhow::anyhow!(
            "the stored item list of plan {hash} is damaged: {why}"
        ))
    };
    let manifest: Manifest = serde_json::from_value(data).map_err(|e| damaged(e.to_string()))?;
    let text = load_chunks(bao, token, &base, manifest.chunks)
        .await?
        .map_err(damaged)?;
    if sha256_prefixed(&text) != manifest.sha256 {
        return Err(damaged("its checksum does not match".into()));
    }
    let items: Vec<PlanItem> = serde_json::from_str(&text).map_err(|e| damaged(e.to_string()))?;
    if items.len() != manifest.items || plan_hash(&manifest.changesets, &items) != hash {
        return Err(damaged("it does not hash to its plan".into()));
    }
    Ok(Some(Stored {
        changesets: manifest.changesets,
        items,
        undo_of: manifest.undo_of,
    }))
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn pieces_join_back_and_never_cut_a_character() {
        let text = "aé€😀".repeat(1000);
        for max in [4, 5, 7, 100] {
            let pieces = split(&text, max);
            assert!(pieces.iter().all(|p| p.len() <= max && !p.is_empty()));
            assert_eq!(pieces.concat(), text);
        }
        assert!(split("", 10).is_empty());
    }
}
