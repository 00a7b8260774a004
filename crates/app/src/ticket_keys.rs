//! The Ed25519 keys that sign ticket codes. They live as files (mode 0600) in a key directory:
//! one 32-byte seed per file, hex, named `ticket-<unix seconds>.key`. The newest signs; all of
//! them verify, so keys can be rotated without invalidating tickets already issued. The first
//! start creates a key; a cluster mounts the same directory (a secret) on every node.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bilheteria_domain::ids::{SeatId, SessionId, TicketId};
use bilheteria_domain::tickets::{CodeError, TicketClaims, key_id, sign_code, verify_code};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

pub struct TicketKeys {
    signing: SigningKey,
    verifying: BTreeMap<u16, VerifyingKey>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PublicKey {
    pub key_id: u16,
    pub algorithm: &'static str,
    /// The raw 32-byte public key, base64url.
    pub public_key: String,
}

fn random_seed() -> anyhow::Result<[u8; 32]> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no secure random source: {e}"))?;
    Ok(seed)
}

fn parse_seed(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(seed)
}

impl TicketKeys {
    fn from_seeds(seeds: &[[u8; 32]]) -> anyhow::Result<Self> {
        let keys: Vec<SigningKey> = seeds.iter().map(SigningKey::from_bytes).collect();
        let signing = keys.last().cloned().context("no ticket signing key")?;
        let verifying = keys
            .iter()
            .map(|k| (key_id(&k.verifying_key()), k.verifying_key()))
            .collect();
        Ok(Self { signing, verifying })
    }

    /// A key that lives only as long as the process; for tests.
    pub fn ephemeral() -> anyhow::Result<Self> {
        Self::from_seeds(&[random_seed()?])
    }

    /// Loads the keys of `dir`, creating the directory and a first key if there is none.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the key directory {}", dir.display()))?;
        let mut files: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "key"))
            .collect();
        files.sort();
        if files.is_empty() {
            let path = dir.join(format!(
                "ticket-{}.key",
                time::OffsetDateTime::now_utc().unix_timestamp()
            ));
            let hex: String = random_seed()?.iter().map(|b| format!("{b:02x}")).collect();
            write_private(&path, &hex)?;
            tracing::info!(path = %path.display(), "created a ticket signing key");
            files.push(path);
        }
        let seeds = files
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                parse_seed(&text)
                    .with_context(|| format!("{} is not a 64-digit hex key", path.display()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Self::from_seeds(&seeds)
    }

    pub fn sign(
        &self,
        ticket: TicketId,
        session: SessionId,
        seat: Option<SeatId>,
        version: u32,
    ) -> String {
        sign_code(ticket, session, seat, version, &self.signing)
    }

    pub fn verify(&self, code: &str) -> Result<TicketClaims, CodeError> {
        verify_code(code, |id| self.verifying.get(&id).copied())
    }

    pub fn public_keys(&self) -> Vec<PublicKey> {
        self.verifying
            .iter()
            .map(|(id, key)| PublicKey {
                key_id: *id,
                algorithm: "Ed25519",
                public_key: URL_SAFE_NO_PAD.encode(key.as_bytes()),
            })
            .collect()
    }
}

#[cfg(unix)]
pub(crate) fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot create {}", path.display()))
}

/// A 32-byte secret kept as a 0600 file in the key directory (hex), created at first start;
/// every node of a cluster must share it: the queue's and the wallet links' signing secrets.
pub fn load_or_create_secret(path: &std::path::Path) -> anyhow::Result<[u8; 32]> {
    use anyhow::Context;
    if let Ok(text) = std::fs::read_to_string(path) {
        let text = text.trim();
        let mut secret = [0u8; 32];
        if text.len() == 64 {
            for (i, byte) in secret.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16)
                    .with_context(|| format!("{} is not hex", path.display()))?;
            }
            return Ok(secret);
        }
        anyhow::bail!("{} is not a 64-digit hex secret", path.display());
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no secure random source: {e}"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::ticket_keys::write_private(
        path,
        &secret
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    )?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_kept_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let first = TicketKeys::load_or_create(dir.path()).unwrap();
        let code = first.sign(TicketId::new(), SessionId::new(), None, 1);
        let again = TicketKeys::load_or_create(dir.path()).unwrap();
        assert!(
            again.verify(&code).is_ok(),
            "the reloaded key verifies what the first signed"
        );
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = files[0]
                .as_ref()
                .unwrap()
                .metadata()
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn rotated_keys_still_verify_old_codes() {
        let old = random_seed().unwrap();
        let new = random_seed().unwrap();
        let before = TicketKeys::from_seeds(&[old]).unwrap();
        let code = before.sign(TicketId::new(), SessionId::new(), None, 1);
        let after = TicketKeys::from_seeds(&[old, new]).unwrap();
        assert!(after.verify(&code).is_ok());
        assert_eq!(after.public_keys().len(), 2);
        assert!(TicketKeys::ephemeral().unwrap().verify(&code).is_err());
        assert!(parse_seed("zz").is_none());
    }
}
