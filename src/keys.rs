//! Issuer signing keys on disk: the only module that reads or writes private key material.
//!
//! Each key is one PKCS#8 PEM file, `<keys-dir>/<issuer-slug>/<key-id>.pem`, mode 0600 (the format
//! `openssl genpkey -algorithm ed25519` writes, so operators can bring their own). The database holds only
//! public keys. A key file that group or others can read is refused: a signing service must not run with a
//! key that other users of the machine may have copied.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, spki::der::pem::LineEnding};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand_core::OsRng;

use crate::domain::did::ed25519_multikey;
use crate::domain::issuer::Slug;

/// Failures of the key store. Messages name the file, never its contents.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A key file can be read by group or others.
    #[error("key file {path} has mode {mode:o}: it must be readable by its owner only (run: chmod 600 {path})")]
    TooOpen {
        /// The offending file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file of a key listed in the database is missing.
    #[error("key file {0} is missing (restore it from your key backup, or rotate the issuer's key)")]
    Missing(PathBuf),
    /// The file is not an Ed25519 PKCS#8 key, or belongs to another key.
    #[error("key file {path} is not usable: {reason}")]
    Invalid {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Identifier of a key: the `z6Mk…` multibase of its public key, used as the fragment of its
/// verification method (`<did>#<key id>`), as `did:key` does.
pub type KeyId = String;

/// A loaded private key. `Debug` shows only the public half.
#[derive(Clone)]
pub struct IssuerSigningKey {
    key: SigningKey,
}

impl fmt::Debug for IssuerSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuerSigningKey({})", self.key_id())
    }
}

impl IssuerSigningKey {
    /// Wraps raw key material (W3C test vectors, tests).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self { key: SigningKey::from_bytes(seed) }
    }

    /// The raw 32-byte Ed25519 public key (RFC 8032 §5.1.5), as `did:key` and Multikey encode it.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The public half, to check this key's own signatures.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The key's identifier (`z6Mk…`).
    pub fn key_id(&self) -> KeyId {
        ed25519_multikey(&self.public_key())
    }

    /// A pure Ed25519 (RFC 8032) signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.key.sign(message)
    }
}

/// The folder of key files.
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
}

impl KeyStore {
    /// A store rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder holding one sub-folder of key files per issuer.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the key `key_id` of issuer `slug` lives.
    pub fn path(&self, slug: &Slug, key_id: &str) -> PathBuf {
        self.dir.join(slug.as_str()).join(format!("{key_id}.pem"))
    }

    /// Generates a new key for `slug` and writes it, mode 0600, never overwriting a file.
    pub fn generate(&self, slug: &Slug) -> Result<IssuerSigningKey, KeyError> {
        let key = IssuerSigningKey { key: SigningKey::generate(&mut OsRng) };
        let folder = self.dir.join(slug.as_str());
        create_private_dir(&self.dir)?;
        create_private_dir(&folder)?;
        let path = self.path(slug, &key.key_id());
        let pem = key
            .key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Invalid { path: path.clone(), reason: e.to_string() })?;
        let io = |source| KeyError::Io { path: path.clone(), source };
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(io)?;
        file.write_all(pem.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(key)
    }

    /// Removes a key file written by [`generate`](Self::generate) whose database record could not be
    /// stored, so no orphan private key is left behind.
    pub fn discard(&self, slug: &Slug, key_id: &str) {
        let _ = fs::remove_file(self.path(slug, key_id));
    }

    /// Loads the key `key_id` of `slug`, checking its permissions and that it is the key it claims to be.
    pub fn load(&self, slug: &Slug, key_id: &str) -> Result<IssuerSigningKey, KeyError> {
        let path = self.path(slug, key_id);
        let meta = match fs::metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyError::Missing(path)),
            Err(source) => return Err(KeyError::Io { path, source }),
        };
        check_mode(&path, &meta)?;
        let pem = fs::read_to_string(&path).map_err(|source| KeyError::Io { path: path.clone(), source })?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| KeyError::Invalid {
            path: path.clone(),
            reason: format!("not an Ed25519 PKCS#8 PEM key ({e})"),
        })?;
        let key = IssuerSigningKey { key };
        if key.key_id() != key_id {
            return Err(KeyError::Invalid { path, reason: format!("it holds key {}, not {key_id}", key.key_id()) });
        }
        Ok(key)
    }

    /// Checks every `*.pem` file under the store (one level of issuer folders) for permissions, so that
    /// `serve` refuses to start with a key others could have read. A missing folder is fine (first start).
    pub fn check_permissions(&self) -> Result<(), KeyError> {
        let Ok(issuers) = fs::read_dir(&self.dir) else { return Ok(()) };
        for entry in issuers.flatten() {
            let path = entry.path();
            if path.is_dir() {
                let files = fs::read_dir(&path).map_err(|source| KeyError::Io { path: path.clone(), source })?;
                for file in files.flatten() {
                    check_pem(&file.path())?;
                }
            } else {
                check_pem(&path)?;
            }
        }
        Ok(())
    }
}

fn check_pem(path: &Path) -> Result<(), KeyError> {
    if path.extension().is_some_and(|e| e == "pem") {
        let meta = fs::metadata(path).map_err(|source| KeyError::Io { path: path.to_owned(), source })?;
        check_mode(path, &meta)?;
    }
    Ok(())
}

fn check_mode(path: &Path, meta: &fs::Metadata) -> Result<(), KeyError> {
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen { path: path.to_owned(), mode });
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|source| KeyError::Io { path: dir.to_owned(), source })?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|source| KeyError::Io { path: dir.to_owned(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier as _;

    #[test]
    fn generated_keys_are_private_files_that_load_back_and_sign() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(dir.path().join("keys"));
        let slug: Slug = "ucs".parse().unwrap();
        let key = store.generate(&slug).unwrap();
        let path = store.path(&slug, &key.key_id());
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(fs::read_to_string(&path).unwrap().starts_with("-----BEGIN PRIVATE KEY-----"));

        let loaded = store.load(&slug, &key.key_id()).unwrap();
        let signature = loaded.sign(b"hello");
        key.verifying_key().verify(b"hello", &signature).unwrap();
        store.check_permissions().unwrap();
    }

    #[test]
    fn a_key_file_readable_by_others_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(dir.path());
        let slug: Slug = "ucs".parse().unwrap();
        let key = store.generate(&slug).unwrap();
        let path = store.path(&slug, &key.key_id());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();

        let err = store.check_permissions().unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("644"), "{err}");
        assert!(matches!(store.load(&slug, &key.key_id()), Err(KeyError::TooOpen { .. })));
    }

    #[test]
    fn a_key_file_holding_another_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(dir.path());
        let slug: Slug = "ucs".parse().unwrap();
        let a = store.generate(&slug).unwrap();
        let b = store.generate(&slug).unwrap();
        fs::copy(store.path(&slug, &b.key_id()), store.path(&slug, &a.key_id())).unwrap();
        assert!(matches!(store.load(&slug, &a.key_id()), Err(KeyError::Invalid { .. })));
        assert!(matches!(store.load(&slug, "z6MkMissing"), Err(KeyError::Missing(_))));
    }

    #[test]
    fn debug_shows_only_the_public_key() {
        let key = IssuerSigningKey::from_seed(&[7; 32]);
        assert_eq!(format!("{key:?}"), format!("IssuerSigningKey({})", key.key_id()));
    }
}
