//! A snapshot's file at rest: XChaCha20-Poly1305 under a 256-bit key kept in its own
//! 0600 file. OpenBao's snapshot holds its data encrypted by the store's barrier, but
//! not all of it (Raft's configuration, the keyring's wrapping); this layer also makes
//! any change to the file fail to decrypt, whatever its checksum says.
//!
//! Layout: `MAGIC`, a random 24-byte nonce, then the ciphertext and its tag. The
//! snapshot's id is authenticated with it, so one snapshot's file cannot be passed off
//! as another's.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

const MAGIC: &[u8] = b"crypter-snapshot-v1\n";
const NONCE_LEN: usize = 24;

/// The key that encrypts snapshots. Its `Debug` hides it.
pub struct SnapshotKey([u8; 32]);

impl std::fmt::Debug for SnapshotKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SnapshotKey({})", self.fingerprint())
    }
}

impl SnapshotKey {
    /// The key in `path`, made (mode 0600, never overwritten) when there is none.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        if path.exists() {
            return Self::load(path);
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let mut f = crate::private_file::open(path, true)?;
        f.write_all(hex::encode(bytes).as_bytes())?;
        f.sync_all()?;
        Ok(Self(bytes))
    }

    pub fn load(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not a snapshot key (64 hex digits): {e}"),
            )
        })?;
        Ok(Self(bytes))
    }

    /// Names the key without giving it away: a record says which key its file needs.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest([b"crypter-snapshot-key:".as_slice(), &self.0].concat());
        hex::encode(&digest[..8])
    }

    pub fn seal(&self, id: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: id.as_bytes(),
                },
            )
            // Only a message beyond 256 GiB fails to encrypt.
            .unwrap_or_default();
        [MAGIC, &nonce, &sealed].concat()
    }

    /// The plaintext, or `None` when the file is not what this key sealed for `id`.
    pub fn open(&self, id: &str, file: &[u8]) -> Option<Vec<u8>> {
        let rest = file.strip_prefix(MAGIC)?;
        if rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).ok()?;
        self.cipher()
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: id.as_bytes(),
                },
            )
            .ok()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_snapshot_opens_only_whole_under_its_id_and_key() {
        let key = SnapshotKey([7; 32]);
        let file = key.seal("20260101T000000.000Z", b"raft snapshot");
        assert_eq!(
            key.open("20260101T000000.000Z", &file).as_deref(),
            Some(b"raft snapshot".as_slice())
        );
        assert_eq!(key.open("20260101T000000.001Z", &file), None);
        assert_eq!(
            SnapshotKey([8; 32]).open("20260101T000000.000Z", &file),
            None
        );
        let mut flipped = file.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(key.open("20260101T000000.000Z", &flipped), None);
        assert_eq!(key.open("20260101T000000.000Z", &file[..10]), None);
        assert!(!format!("{key:?}").contains("0707"));
    }
}
