//! A cache of processed JSON-LD contexts, shared by parsers and threads.
//!
//! Context processing (JSON-LD 1.1 API §4.1) depends only on the active context, the local context, the
//! base URL, the processing options and the document loader. A document that names the same context URLs
//! as the previous one, or whose nodes apply the same property- and type-scoped contexts, can therefore
//! reuse the earlier results instead of processing tens of kilobytes of context again.
//!
//! Soundness rests on three rules:
//! - Only *interned* active contexts are used as keys: the root contexts the cache made, the contexts it
//!   handed out, and their previous contexts (those non-propagated contexts revert to). The cache keeps an
//!   `Arc` of each, so an address in a key cannot be freed and reused by a different context while the key
//!   exists (no ABA), and two live `Arc`s with one address are one context.
//! - A result is stored only when processing raised no error, so errors are reported exactly as without
//!   the cache.
//! - When an insertion would exceed the bound, everything is dropped at once (keys and the contexts they
//!   pin), so memory stays bounded and no key outlives its context.
//!
//! See: <https://www.w3.org/TR/json-ld11-api/#context-processing-algorithm>

use crate::context::{JsonLdContext, JsonNode};
use crate::JsonLdProcessingMode;
use oxiri::Iri;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Loaded remote contexts by URL: the final URL and the parsed `@context` value.
pub(crate) type RemoteContextCache = Arc<Mutex<HashMap<String, (Option<Iri<String>>, JsonNode)>>>;

/// A bounded cache of processed JSON-LD contexts, shared by every parser it is given to
/// ([`JsonLdParser::with_context_cache`](crate::JsonLdParser::with_context_cache)) and safe to share
/// between threads.
///
/// What a context means depends on the document loader that loads its remote contexts: give one cache
/// only to parsers whose loaders return the same documents for the same URLs.
pub struct JsonLdContextCache {
    max_entries: usize,
    max_terms: usize,
    inner: Mutex<Inner>,
    remote: RemoteContextCache,
}

#[derive(Default)]
struct Inner {
    /// Every context the cache made or handed out, by address. Holding the `Arc` pins the address.
    interned: HashMap<usize, Arc<JsonLdContext>>,
    roots: HashMap<RootKey, Arc<JsonLdContext>>,
    processed: HashMap<ProcessedKey, Arc<JsonLdContext>>,
    /// Term definitions held by `processed`: the memory an entry takes grows with its context, not one per entry.
    terms: usize,
}

#[derive(Hash, Eq, PartialEq)]
struct RootKey {
    base_url: Option<String>,
    processing_mode: JsonLdProcessingMode,
    lenient: bool,
}

/// What a processed context depends on, apart from the loader (one per cache).
#[derive(Hash, Eq, PartialEq)]
pub(crate) enum ProcessedKey {
    /// An embedded or top-level `@context`, given as its JSON events written out with `Debug`.
    Local {
        active: usize,
        context: String,
        base_url: Option<String>,
        processing_mode: JsonLdProcessingMode,
        lenient: bool,
    },
    /// The scoped context of a term of the active context.
    Scoped {
        active: usize,
        term: String,
        base_url: Option<String>,
        override_protected: bool,
        propagate: bool,
        processing_mode: JsonLdProcessingMode,
        lenient: bool,
    },
}

impl JsonLdContextCache {
    /// A cache that holds at most `max_entries` processed contexts (and as many loaded remote contexts), with
    /// at most 256 term definitions per entry on average: a few documents with huge inline contexts cannot
    /// fill memory with copies of them.
    pub fn new(max_entries: usize) -> Self {
        Self {
            max_entries: max_entries.max(1),
            max_terms: max_entries.max(1) * 256,
            inner: Mutex::new(Inner::default()),
            remote: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// How many processed contexts the cache holds now.
    pub fn len(&self) -> usize {
        self.lock().processed.len()
    }

    /// Whether the cache holds no processed context.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops everything the cache holds.
    pub fn clear(&self) {
        self.lock().clear_all();
        self.remote_contexts().lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The maps are consistent after every statement that a panic could interrupt.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn max_entries(&self) -> usize {
        self.max_entries
    }

    pub(crate) fn remote_contexts(&self) -> RemoteContextCache {
        Arc::clone(&self.remote)
    }

    /// The empty context every document starts from, one per base URL and options.
    pub(crate) fn root(
        &self,
        base_url: Option<&Iri<String>>,
        processing_mode: JsonLdProcessingMode,
        lenient: bool,
    ) -> Arc<JsonLdContext> {
        let key = RootKey {
            base_url: base_url.map(|b| b.as_str().to_owned()),
            processing_mode,
            lenient,
        };
        let mut inner = self.lock();
        if let Some(root) = inner.roots.get(&key) {
            return Arc::clone(root);
        }
        if inner.roots.len() >= self.max_entries {
            inner.clear_all();
        }
        let root = Arc::new(JsonLdContext::new_empty(base_url.cloned()));
        inner
            .interned
            .insert(Arc::as_ptr(&root) as usize, Arc::clone(&root));
        inner.roots.insert(key, Arc::clone(&root));
        root
    }

    pub(crate) fn get(&self, key: &ProcessedKey) -> Option<Arc<JsonLdContext>> {
        self.lock().processed.get(key).cloned()
    }

    /// Stores `result`, processed without error from `active`, if `active` is interned; returns it.
    pub(crate) fn insert(
        &self,
        key: ProcessedKey,
        active: &Arc<JsonLdContext>,
        result: JsonLdContext,
    ) -> Arc<JsonLdContext> {
        let result = Arc::new(result);
        let mut inner = self.lock();
        // Checked under the same lock as the insertion: a concurrent clear may have dropped `active`.
        if !inner.interned.contains_key(&(Arc::as_ptr(active) as usize)) {
            return result;
        }
        if let Some(existing) = inner.processed.get(&key) {
            return Arc::clone(existing);
        }
        if inner.processed.len() >= self.max_entries
            || inner.terms + result.term_definitions.len() > self.max_terms
        {
            inner.clear_processed();
            // `active` was interned a moment ago: pin it again, so this document's contexts keep being
            // cached (the key must not outlive it).
            inner
                .interned
                .insert(Arc::as_ptr(active) as usize, Arc::clone(active));
        }
        inner
            .interned
            .insert(Arc::as_ptr(&result) as usize, Arc::clone(&result));
        // A non-propagated context (a type-scoped one) is reverted to its previous context at the next
        // node: interning that too lets the contexts of nested nodes be cached as well.
        if let Some(previous) = &result.previous_context {
            inner
                .interned
                .insert(Arc::as_ptr(previous) as usize, Arc::clone(previous));
        }
        inner.terms += result.term_definitions.len();
        inner.processed.insert(key, Arc::clone(&result));
        result
    }
}

impl Inner {
    fn clear_all(&mut self) {
        self.terms = 0;
        self.processed.clear();
        self.roots.clear();
        self.interned.clear();
    }

    /// Drops the processed contexts, keeping the roots (and so the keys that start from them).
    fn clear_processed(&mut self) {
        self.terms = 0;
        self.processed.clear();
        self.interned.clear();
        for root in self.roots.values() {
            self.interned
                .insert(Arc::as_ptr(root) as usize, Arc::clone(root));
        }
    }
}
