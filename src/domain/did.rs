//! Decentralized identifiers for issuers: `did:web` derived from the public URL, `did:key` from a key,
//! Ed25519 `Multikey` encoding, and the DID document we publish.
//!
//! See <https://w3c-ccg.github.io/did-method-web/>, <https://w3c-ccg.github.io/did-method-key/> and
//! <https://www.w3.org/TR/controller-document/#multikey>.

use serde::Serialize;
use url::Url;

use super::issuer::Slug;

/// Multicodec header of an Ed25519 public key (`ed25519-pub`, varint `0xed 0x01`).
const ED25519_PUB_HEADER: [u8; 2] = [0xed, 0x01];

/// Why a `publicKeyMultibase` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultikeyError {
    /// The value does not start with `z` (base58btc), the only encoding the EdDSA cryptosuites allow.
    #[error("multikey must be base58btc multibase (start with 'z')")]
    NotBase58Btc,
    /// The base58 text does not decode.
    #[error("multikey is not valid base58: {0}")]
    Base58(String),
    /// The decoded bytes are not `0xed01` followed by 32 bytes.
    #[error("multikey is not an Ed25519 public key (expected header 0xed01 and 32 key bytes)")]
    NotEd25519,
}

/// Encodes an Ed25519 public key as a `Multikey` `publicKeyMultibase` (`z6Mk…`).
///
/// See <https://www.w3.org/TR/vc-di-eddsa/#multikey>.
pub fn ed25519_multikey(public_key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB_HEADER);
    bytes.extend_from_slice(public_key);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Decodes a `z6Mk…` `publicKeyMultibase` into the raw Ed25519 public key.
pub fn decode_ed25519_multikey(multibase: &str) -> Result<[u8; 32], MultikeyError> {
    let encoded = multibase.strip_prefix('z').ok_or(MultikeyError::NotBase58Btc)?;
    let bytes = bs58::decode(encoded).into_vec().map_err(|e| MultikeyError::Base58(e.to_string()))?;
    match bytes.split_first_chunk::<2>() {
        Some((header, key)) if *header == ED25519_PUB_HEADER => key.try_into().map_err(|_| MultikeyError::NotEd25519),
        _ => Err(MultikeyError::NotEd25519),
    }
}

/// Decodes a `secretKeyMultibase` (`z3u2…`, multicodec `ed25519-priv` `0x8026` + 32-byte seed), the form
/// the W3C test vectors publish their keys in.
pub fn decode_ed25519_secret_multikey(multibase: &str) -> Result<[u8; 32], MultikeyError> {
    let encoded = multibase.strip_prefix('z').ok_or(MultikeyError::NotBase58Btc)?;
    let bytes = bs58::decode(encoded).into_vec().map_err(|e| MultikeyError::Base58(e.to_string()))?;
    match bytes.split_first_chunk::<2>() {
        Some(([0x80, 0x26], seed)) => seed.try_into().map_err(|_| MultikeyError::NotEd25519),
        _ => Err(MultikeyError::NotEd25519),
    }
}

/// The `did:key` of an Ed25519 public key.
pub fn did_key(public_key: &[u8; 32]) -> String {
    format!("did:key:{}", ed25519_multikey(public_key))
}

/// The path-based `did:web` of an issuer: `did:web:<host>[%3A<port>]:issuers:<slug>`, which resolves to
/// `<public-url>/issuers/<slug>/did.json`.
///
/// See <https://w3c-ccg.github.io/did-method-web/#create-register>: the port's colon is percent-encoded and
/// path segments are separated by colons.
pub fn did_web(public_url: &Url, slug: &Slug) -> String {
    let host = public_url.host_str().unwrap_or("localhost");
    match public_url.port() {
        Some(port) => format!("did:web:{host}%3A{port}:issuers:{slug}"),
        None => format!("did:web:{host}:issuers:{slug}"),
    }
}

/// The URL a resolver fetches for a `did:web`, per the method's read operation (always `https`).
pub fn did_web_document_url(did: &str) -> Option<Url> {
    let rest = did.strip_prefix("did:web:")?;
    let mut parts = rest.split(':');
    let host = parts.next()?.replace("%3A", ":").replace("%3a", ":");
    if host.is_empty() || host.contains('/') {
        return None;
    }
    let path: Vec<&str> = parts.collect();
    let url = if path.is_empty() {
        format!("https://{host}/.well-known/did.json")
    } else {
        format!("https://{host}/{}/did.json", path.join("/"))
    };
    Url::parse(&url).ok()
}

/// One key of an issuer, as the DID document lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerificationMethod {
    /// `<did>#<fragment>`.
    pub id: String,
    /// Always `Multikey`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The DID that controls the key (the issuer).
    pub controller: String,
    /// `z6Mk…`.
    #[serde(rename = "publicKeyMultibase")]
    pub public_key_multibase: String,
}

impl VerificationMethod {
    /// The Multikey verification method for `public_key`, with the key's multibase as fragment.
    pub fn ed25519(controller: &str, public_key: &[u8; 32]) -> Self {
        let multibase = ed25519_multikey(public_key);
        Self {
            id: format!("{controller}#{multibase}"),
            kind: "Multikey",
            controller: controller.to_owned(),
            public_key_multibase: multibase,
        }
    }
}

/// A DID document listing an issuer's keys under `assertionMethod` (what Data Integrity proofs with
/// `proofPurpose: assertionMethod` are checked against).
///
/// See <https://www.w3.org/TR/did-core/#did-document-properties>.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DidDocument {
    /// DID Core v1 and Multikey v1 contexts.
    #[serde(rename = "@context")]
    pub context: [&'static str; 2],
    /// The DID itself.
    pub id: String,
    /// Every key, current and retired: credentials signed with a retired key must keep verifying.
    #[serde(rename = "verificationMethod")]
    pub verification_method: Vec<VerificationMethod>,
    /// Ids of the keys that may sign credentials for this issuer.
    #[serde(rename = "assertionMethod")]
    pub assertion_method: Vec<String>,
}

impl DidDocument {
    /// The document for `did` with the given keys (in the order given).
    pub fn new(did: &str, keys: impl IntoIterator<Item = [u8; 32]>) -> Self {
        let verification_method: Vec<_> = keys.into_iter().map(|k| VerificationMethod::ed25519(did, &k)).collect();
        Self {
            context: ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            id: did.to_owned(),
            assertion_method: verification_method.iter().map(|m| m.id.clone()).collect(),
            verification_method,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The W3C vc-di-eddsa test vector key pair (`keyPair.json`).
    const VECTOR_PUBLIC: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

    #[test]
    fn multikey_round_trips_the_w3c_vector_key() {
        let key = decode_ed25519_multikey(VECTOR_PUBLIC).unwrap();
        assert_eq!(ed25519_multikey(&key), VECTOR_PUBLIC);
        assert_eq!(did_key(&key), format!("did:key:{VECTOR_PUBLIC}"));
    }

    #[test]
    fn multikey_refuses_other_encodings_and_key_types() {
        assert_eq!(decode_ed25519_multikey("u6Mk"), Err(MultikeyError::NotBase58Btc));
        // A P-256 did:key (zDna…) has another multicodec header.
        let p256 = "zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76";
        assert_eq!(decode_ed25519_multikey(p256), Err(MultikeyError::NotEd25519));
        assert!(matches!(decode_ed25519_multikey("z0OIl"), Err(MultikeyError::Base58(_))));
    }

    #[test]
    fn did_web_encodes_the_port_and_the_issuer_path() {
        let slug: Slug = "default".parse().unwrap();
        let local = Url::parse("http://localhost:8080").unwrap();
        assert_eq!(did_web(&local, &slug), "did:web:localhost%3A8080:issuers:default");
        let public = Url::parse("https://certs.example.eu").unwrap();
        assert_eq!(did_web(&public, &slug), "did:web:certs.example.eu:issuers:default");
    }

    #[test]
    fn did_web_resolves_to_the_document_url() {
        assert_eq!(
            did_web_document_url("did:web:certs.example.eu:issuers:ucs").unwrap().as_str(),
            "https://certs.example.eu/issuers/ucs/did.json"
        );
        assert_eq!(
            did_web_document_url("did:web:localhost%3A8080:issuers:default").unwrap().as_str(),
            "https://localhost:8080/issuers/default/did.json"
        );
        assert_eq!(
            did_web_document_url("did:web:example.com").unwrap().as_str(),
            "https://example.com/.well-known/did.json"
        );
        assert!(did_web_document_url("did:key:z6Mk").is_none());
    }

    #[test]
    fn did_document_lists_every_key_under_assertion_method() {
        let did = "did:web:example.com:issuers:a";
        let doc = DidDocument::new(did, [[1u8; 32], [2u8; 32]]);
        assert_eq!(doc.id, did);
        assert_eq!(doc.assertion_method.len(), 2);
        assert!(doc.assertion_method[0].starts_with("did:web:example.com:issuers:a#z6Mk"));
        assert_eq!(doc.verification_method[1].controller, did);
    }
}
