//! "Scan ciphertexts": the one action that reads credential values to count a key's
//! ciphertexts (`vault:v<N>:…`) in one field of the credentials under a prefix, per key
//! version. The counts go to the key's usage record, where the lint reads them; the values
//! are read once, marked `X-Crypter-Purpose: scan` so the activity feed does not call them
//! reveals, and never leave the backend.

use super::record;
use crate::bao::kv::{self, Mount};
use crate::bao::{Bao, Purpose};
use crate::credentials;
use crate::error::AppError;
use crypter_api::ErrorCode;
use crypter_api::{ciphertext_version, CiphertextCount, EnvName, KeyName, ScanRequest};
use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// How many values are read at once.
const PARALLELISM: usize = 32;

/// A field name: what a credential's data keys may be (1-128 characters).
pub fn validate_field(field: &str) -> Result<(), AppError> {
    if field.is_empty() || field.len() > 128 {
        return Err(AppError::bad_request(
            ErrorCode::InvalidField,
            "give the credential field that holds the ciphertexts (1-128 characters)",
        ));
    }
    Ok(())
}

/// Ciphertexts per key version among these values' `field`.
pub fn tally<'a>(values: impl Iterator<Item = Option<&'a str>>) -> BTreeMap<u64, u64> {
    let mut out = BTreeMap::new();
    for v in values.flatten().filter_map(ciphertext_version) {
        *out.entry(v).or_default() += 1;
    }
    out
}

pub async fn scan(
    bao: &Bao,
    token: &SecretString,
    actor: &str,
    env: &EnvName,
    name: &KeyName,
    req: &ScanRequest,
) -> Result<CiphertextCount, AppError> {
    validate_field(&req.field)?;
    let prefix = crate::credentials::validate_prefix(Some(req.prefix.clone()))?.unwrap_or_default();
    super::load(bao, token, env, name).await?;
    let bao = &bao.with_purpose(Purpose::Scan);
    let paths: Vec<String> = credentials::scan(bao, token, env, OffsetDateTime::now_utc())
        .await?
        .into_iter()
        .filter(|c| !c.deleted && c.path.starts_with(&prefix))
        .map(|c| c.path)
        .collect();
    let mount = &Mount::env(env);
    let field = req.field.as_str();
    let read: Vec<Result<Option<String>, AppError>> = stream::iter(paths)
        .map(|path| async move {
            let value = kv::read(bao, token, mount, &path, None).await?;
            Ok(value.and_then(|mut s| s.data.remove(field)))
        })
        .buffer_unordered(PARALLELISM)
        .collect()
        .await;
    let mut values = Vec::with_capacity(read.len());
    for r in read {
        values.push(r?);
    }
    let count = CiphertextCount {
        prefix,
        field: req.field.clone(),
        by_version: tally(values.iter().map(Option::as_deref)),
        source: "scan".into(),
        by: actor.to_owned(),
        at: crate::freeze::now(),
    };
    record::record_usage(bao, token, env, name, count.clone()).await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ciphertexts_are_counted() {
        let values = [
            Some("vault:v1:aaa"),
            Some("vault:v2:bbb"),
            Some("vault:v1:ccc"),
            Some("plain text"),
            None,
        ];
        let t = tally(values.into_iter());
        assert_eq!(t, BTreeMap::from([(1, 2), (2, 1)]));
    }
}
