//! Resolving verification methods to public keys: `did:key` locally, and any DID document (as fetched
//! for `did:web`) by reading its `verificationMethod` and verification relationships.
//!
//! See <https://w3c-ccg.github.io/did-method-key/> and <https://www.w3.org/TR/did-core/>.

use ed25519_dalek::VerifyingKey;
use serde_json::Value;

use super::verify::{ResolveError, ResolvedKey};
use crate::domain::did::decode_ed25519_multikey;

/// Verification relationships a key can be listed under.
const RELATIONSHIPS: [&str; 5] =
    ["assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation", "keyAgreement"];

fn error(method: &str, reason: impl Into<String>) -> ResolveError {
    ResolveError { method: method.to_owned(), reason: reason.into() }
}

/// Resolves a `did:key:z6Mk…#z6Mk…` verification method (Ed25519 only) without any I/O. A did:key
/// document lists its one key under every verification relationship but key agreement.
pub fn resolve_did_key(method: &str) -> Result<ResolvedKey, ResolveError> {
    let (did, fragment) =
        method.split_once('#').ok_or_else(|| error(method, "a did:key verification method needs a #fragment"))?;
    let multibase = did.strip_prefix("did:key:").ok_or_else(|| error(method, "not a did:key"))?;
    if fragment != multibase {
        return Err(error(method, "the fragment of a did:key verification method must repeat its key"));
    }
    let public_key = ed25519_key(method, multibase)?;
    Ok(ResolvedKey {
        controller: did.to_owned(),
        public_key,
        purposes: ["assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation"]
            .map(String::from)
            .to_vec(),
    })
}

fn ed25519_key(method: &str, multibase: &str) -> Result<VerifyingKey, ResolveError> {
    let bytes = decode_ed25519_multikey(multibase).map_err(|e| error(method, e.to_string()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| error(method, format!("invalid Ed25519 key: {e}")))
}

/// Finds `method` in a DID document: the key (a `Multikey` or `Ed25519VerificationKey2020` with
/// `publicKeyMultibase`), its controller, and the relationships that list it. The document's `id` must be
/// the DID part of `method`.
pub fn resolve_in_document(method: &str, document: &Value) -> Result<ResolvedKey, ResolveError> {
    let did = method.split('#').next().unwrap_or(method);
    if document.get("id").and_then(Value::as_str) != Some(did) {
        return Err(error(method, format!("the DID document's id is not {did}")));
    }
    let fragment = method.find('#').map(|i| &method[i..]).unwrap_or_default();
    let same = |id: &str| id == method || (!fragment.is_empty() && id == fragment);
    let embedded =
        RELATIONSHIPS.iter().filter_map(|r| document.get(*r)).flat_map(|v| v.as_array().cloned().unwrap_or_default());
    let candidates = document.get("verificationMethod").and_then(Value::as_array).cloned().unwrap_or_default();
    let vm = candidates
        .into_iter()
        .chain(embedded.filter(Value::is_object))
        .find(|vm| vm.get("id").and_then(Value::as_str).is_some_and(same))
        .ok_or_else(|| error(method, "the DID document does not list this key"))?;
    let multibase = vm
        .get("publicKeyMultibase")
        .and_then(Value::as_str)
        .ok_or_else(|| error(method, "the key has no publicKeyMultibase"))?;
    let public_key = ed25519_key(method, multibase)?;
    let controller = vm.get("controller").and_then(Value::as_str).unwrap_or(did).to_owned();
    let purposes = RELATIONSHIPS
        .iter()
        .filter(|r| {
            document.get(**r).and_then(Value::as_array).is_some_and(|items| {
                items.iter().any(|item| match item {
                    Value::String(id) => same(id),
                    other => other.get("id").and_then(Value::as_str).is_some_and(same),
                })
            })
        })
        .map(|r| (*r).to_owned())
        .collect();
    Ok(ResolvedKey { controller, public_key, purposes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::did::DidDocument;

    const KEY: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

    #[test]
    fn did_key_methods_resolve_locally() {
        let key = resolve_did_key(&format!("did:key:{KEY}#{KEY}")).unwrap();
        assert_eq!(key.controller, format!("did:key:{KEY}"));
        assert!(key.purposes.contains(&"assertionMethod".to_owned()));
        assert!(resolve_did_key(&format!("did:key:{KEY}")).is_err());
        assert!(resolve_did_key(&format!("did:key:{KEY}#other")).is_err());
    }

    #[test]
    fn our_did_documents_resolve_every_key() {
        let did = "did:web:example.eu:issuers:a";
        let doc = serde_json::to_value(DidDocument::new(did, [[9u8; 32]])).unwrap();
        let method = doc["verificationMethod"][0]["id"].as_str().unwrap().to_owned();
        let key = resolve_in_document(&method, &doc).unwrap();
        assert_eq!(key.controller, did);
        assert_eq!(key.purposes, vec!["assertionMethod".to_owned()]);
        assert!(resolve_in_document("did:web:other#x", &doc).is_err());
    }
}
