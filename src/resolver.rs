//! The key resolver the service verifies with: `did:key` locally, this deployment's own `did:web` issuers
//! from the database (no network, and retired keys included), and other `did:web` DIDs over HTTPS only
//! when enabled (`--did-web-resolution`), with a timeout and a size limit.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ed25519_dalek::VerifyingKey;

use crate::domain::did::did_web_document_url;
use crate::store::Store;
use crate::vc::resolve::{resolve_did_key, resolve_in_document};
use crate::vc::verify::{KeyResolver, ResolveError, ResolvedKey};

/// Largest DID document fetched over the network.
pub const MAX_DID_DOCUMENT_BYTES: usize = 64 * 1024;
/// Longest wait for a remote DID document.
pub const DID_FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Resolves verification methods for the service.
#[derive(Debug, Clone)]
pub struct Resolver {
    store: Arc<dyn Store>,
    http: Option<reqwest::Client>,
}

impl Resolver {
    /// A resolver over `store`; `remote_did_web` enables fetching other hosts' DID documents.
    pub fn new(store: Arc<dyn Store>, remote_did_web: bool) -> Self {
        let http = remote_did_web.then(|| {
            reqwest::Client::builder()
                .timeout(DID_FETCH_TIMEOUT)
                .redirect(reqwest::redirect::Policy::limited(3))
                .https_only(true)
                .build()
                .unwrap_or_default()
        });
        Self { store, http }
    }

    async fn fetch(&self, method: &str, did: &str) -> Result<serde_json::Value, ResolveError> {
        let error = |reason: String| ResolveError { method: method.to_owned(), reason };
        let Some(http) = &self.http else {
            return Err(error(format!(
                "{did} is not an issuer of this service, and resolving other did:web hosts is switched off (--did-web-resolution)"
            )));
        };
        let url = did_web_document_url(did).ok_or_else(|| error("not a valid did:web".into()))?;
        let mut response = http.get(url.clone()).send().await.map_err(|e| error(format!("fetching {url}: {e}")))?;
        if !response.status().is_success() {
            return Err(error(format!("fetching {url}: HTTP {}", response.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| error(format!("reading {url}: {e}")))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_DID_DOCUMENT_BYTES {
                return Err(error(format!("{url} is larger than {MAX_DID_DOCUMENT_BYTES} bytes")));
            }
        }
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
        let own = self.store.issuer_by_did(did).await.map_err(|e| error(&format!("database: {e}")))?;
        if let Some(issuer) = own {
            let keys = self.store.issuer_keys(issuer.id).await.map_err(|e| error(&format!("database: {e}")))?;
            let key = keys.iter().find(|k| k.key_id == fragment).ok_or_else(|| error("the issuer has no such key"))?;
            let public_key = VerifyingKey::from_bytes(&key.public_key).map_err(|e| error(&e.to_string()))?;
            return Ok(ResolvedKey { controller: issuer.did, public_key, purposes: vec!["assertionMethod".into()] });
        }
        let document = self.fetch(method, did).await?;
        resolve_in_document(method, &document)
    }
}
