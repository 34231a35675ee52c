//! The key resolver the service verifies with: `did:key` locally, this deployment's own `did:web` issuers
//! from the database (no network, and retired keys included), and other `did:web` DIDs over HTTPS only
//! when enabled (`--did-web-resolution`), through the guarded client of [`crate::fetch`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ed25519_dalek::VerifyingKey;

use crate::domain::did::did_web_document_url;
use crate::fetch::GuardedClient;
use crate::store::Store;
use crate::vc::resolve::{resolve_did_key, resolve_in_document};
use crate::vc::verify::{KeyResolver, ResolveError, ResolvedKey};

/// Largest DID document fetched over the network.
pub const MAX_DID_DOCUMENT_BYTES: usize = 64 * 1024;
/// Longest wait for a remote DID document.
pub const DID_FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// How many of this service's issuer keys [`Resolver`] keeps in memory (about 300 bytes each).
const OWN_KEYS_CACHED: usize = 4096;

/// Resolves verification methods for the service.
#[derive(Debug, Clone)]
pub struct Resolver {
    store: Arc<dyn Store>,
    http: Option<GuardedClient>,
    /// This service's issuer keys already read, by verification method (`did#key-id`). A key row is never
    /// changed or deleted (retiring one only stops it signing; it still verifies what it signed) and a DID
    /// never changes, so a key found once is the same key for every replica for ever: what is cached never
    /// goes stale. A method not found is not cached (a rotation on another replica may add it).
    own_keys: Arc<quick_cache::sync::Cache<String, VerifyingKey>>,
}

impl Resolver {
    /// A resolver over `store`; `remote` (the guarded client, or `None` when remote resolution is off) fetches
    /// other hosts' DID documents.
    pub fn new(store: Arc<dyn Store>, remote: Option<GuardedClient>) -> Self {
        Self { store, http: remote, own_keys: Arc::new(quick_cache::sync::Cache::new(OWN_KEYS_CACHED)) }
    }

    async fn fetch(&self, method: &str, did: &str) -> Result<serde_json::Value, ResolveError> {
        let error = |reason: String| ResolveError { method: method.to_owned(), reason };
        let Some(http) = &self.http else {
            return Err(error(format!(
                "{did} is not an issuer of this service, and resolving other did:web hosts is switched off (--did-web-resolution)"
            )));
        };
        let url = did_web_document_url(did).ok_or_else(|| error("not a valid did:web".into()))?;
        let body = http
            .get(&url, "application/did+json, application/json", MAX_DID_DOCUMENT_BYTES)
            .await
            .map_err(|e| error(e.0))?;
        serde_json::from_slice(&body).map_err(|e| error(format!("{url} is not JSON: {e}")))
    }
}

#[async_trait]
impl KeyResolver for Resolver {
    async fn resolve(&self, method: &str) -> Result<ResolvedKey, ResolveError> {
        if method.starts_with("did:key:") {
            return resolve_did_key(method);
        }
        let error = |reason: &str| ResolveError { method: method.to_owned(), reason: reason.to_owned() };
        let (did, fragment) = method.split_once('#').ok_or_else(|| error("a verification method needs a #fragment"))?;
        if !did.starts_with("did:web:") {
            return Err(error("only did:key and did:web verification methods are supported"));
        }
        let own = |public_key| ResolvedKey {
            controller: did.to_owned(),
            public_key,
            purposes: vec!["assertionMethod".into()],
        };
        if let Some(public_key) = self.own_keys.get(method) {
            return Ok(own(public_key));
        }
        match self.store.issuer_key_by_did(did, fragment).await.map_err(|e| error(&format!("database: {e}")))? {
            Some(Some(key)) => {
                let public_key = VerifyingKey::from_bytes(&key.public_key).map_err(|e| error(&e.to_string()))?;
                self.own_keys.insert(method.to_owned(), public_key);
                return Ok(own(public_key));
            }
            Some(None) => return Err(error("the issuer has no such key")),
            None => {}
        }
        let document = self.fetch(method, did).await?;
        resolve_in_document(method, &document)
    }
}
