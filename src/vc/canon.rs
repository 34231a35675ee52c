//! Canonical forms of a JSON document: RDFC-1.0 N-Quads of its JSON-LD meaning (for `eddsa-rdfc-2022`) and
//! the RFC 8785 JCS serialization (for `eddsa-jcs-2022`).
//!
//! JSON-LD processing drops any term its contexts do not define, and a signature over the remaining
//! quads would silently not cover that data. So, like jsonld.js's "safe mode", every undefined term is an
//! error: we put a sentinel `@vocab` *before* the document's contexts, so undefined terms and types expand
//! to sentinel IRIs instead of vanishing, and refuse any dataset that contains one. A context of the
//! document that sets its own `@vocab` (as the W3C examples context does) comes later and wins, exactly
//! as without the sentinel. When no sentinel IRI appears, the sentinel changed nothing and the dataset is
//! exactly the document's.
//!
//! The same rule — nothing of the document may go unsigned — covers everything else JSON-LD → RDF can drop
//! without a word (VC Data Integrity §4, "Transformation"): values that are not valid IRIs (oxjsonld runs in
//! its lenient mode so that it keeps them, and every IRI, blank node and language tag of the dataset is then
//! validated), keys that look like keywords, `@index`, terms mapped to `null`, and `null` contexts (refused
//! before processing). Base directions are signed as jsonld.js and the Digital Bazaar libraries sign them,
//! with `rdfDirection: "i18n-datatype"`: `{"@value": v, "@language": l, "@direction": d}` becomes the literal
//! `v` typed `https://www.w3.org/ns/i18n#{l}_{d}` (JSON-LD 1.1 API §8.5.1 "Object to RDF Conversion", step
//! 13); a direction set by a context, which that rewriting cannot reach, is refused.
//!
//! See <https://www.w3.org/TR/vc-di-eddsa/#transformation-eddsa-rdfc-2022>, <https://www.w3.org/TR/rdf-canon/>
//! and <https://www.rfc-editor.org/rfc/rfc8785>.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock};

use oxjsonld::{JsonLdContextCache, JsonLdParser, JsonLdRemoteDocument};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::contexts;

mod first_degree;
mod lossless;

/// The `@vocab` that catches undefined terms. A URN no real vocabulary uses.
pub(crate) const UNDEFINED_VOCAB: &str = "urn:microcred:undefined-term:";

/// Most blank-node hashing steps RDFC-1.0 may take on one document; a poisoned dataset (crafted so that
/// canonicalization explodes) is refused instead of consuming the CPU.
const HNDQ_CALL_LIMIT: usize = 4000;

/// Most processed JSON-LD contexts kept between documents. A credential of a shape seen before needs about
/// ten (its top-level contexts, then one per scoped type or property); each holds a copy of its term
/// definitions, some tens of kilobytes, so the bound also bounds the memory that documents with ever new
/// inline contexts can take.
const CONTEXT_CACHE_ENTRIES: usize = 512;

/// The processed contexts shared by every document, on every thread. Sound to share because the loader is
/// one (the bundled contexts); see vendor/oxjsonld/src/cache.rs for why the results equal uncached ones.
static CONTEXT_CACHE: LazyLock<Arc<JsonLdContextCache>> =
    LazyLock::new(|| Arc::new(JsonLdContextCache::new(CONTEXT_CACHE_ENTRIES)));

/// Whether JSON-LD context processing reuses earlier results ([`CONTEXT_CACHE`]) or starts afresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contexts {
    Cached,
    Uncached,
}

/// Why a document has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonError {
    /// A context URL that is not bundled; contexts are never fetched.
    #[error("unknown JSON-LD context {0}: only bundled contexts are used, never fetched")]
    UnknownContext(String),
    /// Terms or types that no context defines (they would not be signed).
    #[error("undefined JSON-LD terms: {}", .0.iter().cloned().collect::<Vec<_>>().join(", "))]
    UndefinedTerms(BTreeSet<String>),
    /// Any other JSON-LD error (invalid context, protected term redefinition, invalid value…).
    #[error("JSON-LD error: {0}")]
    JsonLd(String),
    /// The RDF canonicalization refused the dataset (e.g. a poisoned graph).
    #[error("RDF canonicalization failed: {0}")]
    Canonicalization(String),
    /// The JSON cannot be canonicalized (JCS).
    #[error("JSON canonicalization failed: {0}")]
    Jcs(String),
    /// Part of the document would be dropped by JSON-LD → RDF, and so would not be signed: values that are
    /// not valid IRIs, keyword-like keys, `@index`, terms mapped to `null`, a `null` context, a context's
    /// default base direction.
    #[error("the document cannot be transformed to RDF without loss: {0}")]
    Lossy(String),
}

/// The RDFC-1.0 canonical N-Quads of a JSON-LD document, each line ending in `\n`, refusing undefined terms.
pub fn rdfc(document: &Value) -> Result<String, CanonError> {
    let quads = to_rdf(document)?;
    canonicalize(&quads)
}

/// [`rdfc`] with every context processed afresh, as if no document had been seen before: the reference
/// the context cache is tested against, and the cold cost in the benchmarks.
pub fn rdfc_uncached(document: &Value) -> Result<String, CanonError> {
    let quads = to_rdf_with(document, Contexts::Uncached)?;
    canonicalize(&quads)
}

/// Refuses a document whose JSON alone shows that JSON-LD → RDF would lose part of it: keyword-like keys,
/// `@index`, terms mapped to `null`, `null` contexts, a context's base direction, a value repeated in an
/// array (a set), numbers no JSON-LD processor writes back exactly. [`to_rdf`] checks this too; the fast
/// path, which skips most of `to_rdf`, calls it on every document.
pub fn check_lossless(document: &Value) -> Result<(), CanonError> {
    lossless::check_document(document)
}

/// The JSON-LD → RDF step alone (oxrdf 0.3 quads), refusing undefined terms and anything the transformation
/// would lose (see the module documentation).
pub fn to_rdf(document: &Value) -> Result<Vec<oxrdf::Quad>, CanonError> {
    to_rdf_with(document, Contexts::Cached)
}

fn to_rdf_with(document: &Value, contexts: Contexts) -> Result<Vec<oxrdf::Quad>, CanonError> {
    lossless::check_document(document)?;
    let guarded = with_undefined_vocab(&lossless::with_i18n_datatypes(document)?);
    let quads = defined_quads(&lossless::to_json_ld_bytes(&guarded)?, contexts)?;
    lossless::validated(quads)
}

/// Refuses terms no context defines, and nothing else: what `eddsa-jcs-2022` needs. It signs every byte of
/// the JSON, so nothing goes unsigned, but a term no context defines would mean nothing to a JSON-LD reader
/// (and the W3C suites expect it refused).
pub fn check_defined_terms(document: &Value) -> Result<(), CanonError> {
    let bytes = serde_json::to_vec(&with_undefined_vocab(document)).map_err(|e| CanonError::JsonLd(e.to_string()))?;
    defined_quads(&bytes, Contexts::Cached).map(|_| ())
}

/// The quads of a document already given the sentinel `@vocab`, refusing undefined terms. Lenient: values
/// whose IRIs do not parse are kept (oxjsonld's strict mode drops them silently), so that
/// `lossless::validated` can refuse them.
fn defined_quads(bytes: &[u8], contexts: Contexts) -> Result<Vec<oxrdf::Quad>, CanonError> {
    let parser = match contexts {
        Contexts::Cached => JsonLdParser::new().with_context_cache(Arc::clone(&CONTEXT_CACHE)),
        Contexts::Uncached => JsonLdParser::new(),
    };
    let parser = parser.lenient().for_slice(bytes).with_load_document_callback(|url, _| {
        contexts::bundled(url)
            .map(|doc| JsonLdRemoteDocument { document: doc.to_vec(), document_url: url.to_owned() })
            .ok_or_else(|| {
                Box::new(CanonError::UnknownContext(url.to_owned())) as Box<dyn std::error::Error + Send + Sync>
            })
    });
    let mut quads = Vec::new();
    for quad in parser {
        quads.push(quad.map_err(|e| unknown_context_in(&e.to_string()).unwrap_or(CanonError::JsonLd(e.to_string())))?);
    }
    let undefined = undefined_terms(&quads);
    if !undefined.is_empty() {
        return Err(CanonError::UndefinedTerms(undefined));
    }
    Ok(quads)
}

/// RDFC-1.0 with SHA-256 over oxrdf 0.3 quads, for any dataset. The first-degree steps come first: their
/// work is linear in the dataset, whatever it holds, and they answer for nearly every credential (every blank
/// node with a hash of its own). Datasets they decline go to the complete algorithm, bounded
/// ([`canonicalize_complete`]), so a poisoned dataset is still refused.
///
/// See: <https://www.w3.org/TR/rdf-canon/#canon-algorithm>
pub fn canonicalize(quads: &[oxrdf::Quad]) -> Result<String, CanonError> {
    match first_degree::canonicalize(quads.iter().map(Into::into)) {
        Some(canonical) => Ok(canonical),
        None => canonicalize_complete(quads),
    }
}

/// RDFC-1.0 with SHA-256 by rdf-canon's complete implementation, refusing datasets that need more than
/// [`HNDQ_CALL_LIMIT`] N-degree hashing steps (the reference [`canonicalize`] is tested against).
pub fn canonicalize_complete(quads: &[oxrdf::Quad]) -> Result<String, CanonError> {
    let converted: Vec<oxrdf02::Quad> = quads.iter().map(convert_quad).collect();
    let options = rdf_canon::CanonicalizationOptions { hndq_call_limit: Some(HNDQ_CALL_LIMIT) };
    rdf_canon::canonicalize_quads_with::<Sha256>(&converted, &options)
        .map_err(|e| CanonError::Canonicalization(e.to_string()))
}

/// The first-degree steps of RDFC-1.0 alone: the canonical N-Quads, or `None` when two blank nodes share a
/// first-degree hash or a quad holds one blank node twice (then the caller needs the complete algorithm,
/// bounded: [`canonicalize`]). The fast path's canonicalization.
pub fn canonicalize_first_degree<'a>(quads: impl IntoIterator<Item = oxrdf::QuadRef<'a>>) -> Option<String> {
    first_degree::canonicalize(quads)
}

/// The RFC 8785 canonical JSON of a document.
pub fn jcs(document: &Value) -> Result<String, CanonError> {
    serde_json_canonicalizer::to_string(document).map_err(|e| CanonError::Jcs(e.to_string()))
}

/// The document with the sentinel `@vocab` put first in its `@context` (and the type-scoped context
/// workaround applied).
fn with_undefined_vocab(document: &Value) -> Value {
    let mut guarded = document.clone();
    if let Value::Object(map) = &mut guarded {
        // A scoped `"@context": null` (the VCDM 2.0 context has one on `verifiableCredential`) resets the
        // active context, sentinel included: every embedded context gets the sentinel again.
        for (key, value) in map.iter_mut() {
            if key != "@context" {
                add_sentinel_to_embedded_contexts(value);
            }
        }
    }
    let scoped = type_scoped_contexts(document);
    if !scoped.is_empty() {
        accumulate_type_scoped_contexts(&mut guarded, &scoped);
    }
    if let Value::Object(map) = &mut guarded {
        let context = map.remove("@context");
        map.insert("@context".into(), with_sentinel(context));
    }
    guarded
}

fn with_sentinel(context: Option<Value>) -> Value {
    let sentinel = serde_json::json!({ "@vocab": UNDEFINED_VOCAB });
    Value::Array(match context {
        None => vec![sentinel],
        Some(Value::Array(items)) => std::iter::once(sentinel).chain(items).collect(),
        Some(other) => vec![sentinel, other],
    })
}

fn add_sentinel_to_embedded_contexts(node: &mut Value) {
    match node {
        Value::Array(items) => items.iter_mut().for_each(add_sentinel_to_embedded_contexts),
        Value::Object(map) => {
            if let Some(context) = map.remove("@context") {
                map.insert("@context".into(), with_sentinel(Some(context)));
            }
            for (key, value) in map.iter_mut() {
                if key != "@context" {
                    add_sentinel_to_embedded_contexts(value);
                }
            }
        }
        _ => {}
    }
}

/// Type terms with a scoped `@context`, from the top level of the document's bundled contexts (borrowed from
/// the contexts parsed once: copying them for every credential was a tenth of a verification).
fn type_scoped_contexts(document: &Value) -> HashMap<&'static str, &'static Value> {
    let urls: Vec<&str> = match document.get("@context") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(url)) => vec![url.as_str()],
        _ => vec![],
    };
    let mut scoped = HashMap::new();
    for url in urls {
        let Some(Value::Object(terms)) = contexts::parsed(url).and_then(|c| c.get("@context")) else { continue };
        for (term, definition) in terms {
            if term.starts_with(char::is_uppercase)
                && let Some(context @ Value::Object(_)) = definition.get("@context")
            {
                scoped.insert(term.as_str(), context);
            }
        }
    }
    scoped
}

/// oxjsonld 0.2.7 applies only the last of several type-scoped contexts of one node: it processes each
/// against the outer context instead of accumulating them, as JSON-LD 1.1 expansion (§13.4.4, step 11)
/// requires, so terms of the earlier types would be dropped. Until a release fixes it, the earlier types'
/// contexts are given to such a node as a non-propagating embedded `@context`, which expansion processes
/// just before the type-scoped ones (step 9): the result is the accumulated context the spec prescribes,
/// and it still does not reach nested nodes. The W3C `employ` vector (two scoped types on one node) and
/// the safe-mode check guard this.
fn accumulate_type_scoped_contexts(node: &mut Value, scoped: &HashMap<&'static str, &'static Value>) {
    match node {
        Value::Array(items) => items.iter_mut().for_each(|item| accumulate_type_scoped_contexts(item, scoped)),
        Value::Object(map) => {
            let mut types: Vec<&str> = match map.get("type").or_else(|| map.get("@type")) {
                Some(Value::Array(items)) => {
                    items.iter().filter_map(Value::as_str).filter(|t| scoped.contains_key(*t)).collect()
                }
                _ => vec![],
            };
            types.sort_unstable();
            if types.len() >= 2 && !map.contains_key("@context") {
                let mut earlier = Map::new();
                for t in &types[..types.len() - 1] {
                    if let Some(Value::Object(terms)) = scoped.get(*t) {
                        earlier.extend(terms.clone());
                    }
                }
                earlier.insert("@propagate".into(), Value::Bool(false));
                map.insert("@context".into(), Value::Object(earlier));
            }
            for (key, value) in map.iter_mut() {
                if key != "@context" {
                    accumulate_type_scoped_contexts(value, scoped);
                }
            }
        }
        _ => {}
    }
}

/// The document loader's error is wrapped by the parser; recover its URL so the message stays precise.
fn unknown_context_in(message: &str) -> Option<CanonError> {
    let start = message.find("unknown JSON-LD context ")?;
    let url = message[start + "unknown JSON-LD context ".len()..].split(':').take(2).collect::<Vec<_>>().join(":");
    let url = url.split_whitespace().next()?.trim_end_matches(',').to_owned();
    Some(CanonError::UnknownContext(url))
}

fn undefined_terms(quads: &[oxrdf::Quad]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut check = |iri: &str| {
        if let Some(term) = iri.strip_prefix(UNDEFINED_VOCAB) {
            found.insert(term.to_owned());
        }
    };
    for quad in quads {
        if let oxrdf::NamedOrBlankNode::NamedNode(n) = &quad.subject {
            check(n.as_str());
        }
        check(quad.predicate.as_str());
        match &quad.object {
            oxrdf::Term::NamedNode(n) => check(n.as_str()),
            oxrdf::Term::Literal(l) => check(l.datatype().as_str()),
            oxrdf::Term::BlankNode(_) => {}
        }
        if let oxrdf::GraphName::NamedNode(n) = &quad.graph_name {
            check(n.as_str());
        }
    }
    found
}

// oxrdf 0.3 → 0.2. The IRIs and literals were validated by the parser, hence the unchecked constructors.

fn convert_quad(q: &oxrdf::Quad) -> oxrdf02::Quad {
    let subject = match &q.subject {
        oxrdf::NamedOrBlankNode::NamedNode(n) => oxrdf02::Subject::NamedNode(named(n)),
        oxrdf::NamedOrBlankNode::BlankNode(b) => oxrdf02::Subject::BlankNode(blank(b)),
    };
    let object = match &q.object {
        oxrdf::Term::NamedNode(n) => oxrdf02::Term::NamedNode(named(n)),
        oxrdf::Term::BlankNode(b) => oxrdf02::Term::BlankNode(blank(b)),
        oxrdf::Term::Literal(l) => oxrdf02::Term::Literal(literal(l)),
    };
    let graph_name = match &q.graph_name {
        oxrdf::GraphName::NamedNode(n) => oxrdf02::GraphName::NamedNode(named(n)),
        oxrdf::GraphName::BlankNode(b) => oxrdf02::GraphName::BlankNode(blank(b)),
        oxrdf::GraphName::DefaultGraph => oxrdf02::GraphName::DefaultGraph,
    };
    oxrdf02::Quad::new(subject, named(&q.predicate), object, graph_name)
}

fn named(n: &oxrdf::NamedNode) -> oxrdf02::NamedNode {
    oxrdf02::NamedNode::new_unchecked(n.as_str())
}

fn blank(b: &oxrdf::BlankNode) -> oxrdf02::BlankNode {
    oxrdf02::BlankNode::new_unchecked(b.as_str())
}

fn literal(l: &oxrdf::Literal) -> oxrdf02::Literal {
    match l.language() {
        Some(language) => oxrdf02::Literal::new_language_tagged_literal_unchecked(l.value(), language),
        None => {
            oxrdf02::Literal::new_typed_literal(l.value(), oxrdf02::NamedNode::new_unchecked(l.datatype().as_str()))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_unknown_context_is_refused_by_url_without_fetching() {
        let doc = json!({"@context": ["https://www.w3.org/ns/credentials/v2", "https://example.org/unknown/ctx.jsonld"],
                         "type": ["VerifiableCredential"]});
        assert_eq!(rdfc(&doc), Err(CanonError::UnknownContext("https://example.org/unknown/ctx.jsonld".into())));
    }

    #[test]
    fn undefined_terms_and_types_are_named() {
        let doc = json!({"@context": ["https://www.w3.org/ns/credentials/v2"],
                         "type": ["VerifiableCredential", "MadeUpCredential"], "colour": "blue",
                         "credentialSubject": {"nested": {"deeper": 1}}});
        let Err(CanonError::UndefinedTerms(terms)) = rdfc(&doc) else { panic!("accepted undefined terms") };
        assert_eq!(terms.into_iter().collect::<Vec<_>>(), ["MadeUpCredential", "colour", "deeper", "nested"]);
    }

    #[test]
    fn a_protected_term_cannot_be_redefined() {
        let doc = json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"VerifiableCredential": "https://evil.example/VC"}],
                         "type": ["VerifiableCredential"]});
        assert!(matches!(rdfc(&doc), Err(CanonError::JsonLd(m)) if m.contains("protected")));
    }

    #[test]
    fn jcs_sorts_keys_and_normalises_numbers() {
        assert_eq!(jcs(&json!({"b": 1.0, "a": "é", "c": [1e21, 0.5]})).unwrap(), r#"{"a":"é","b":1,"c":[1e+21,0.5]}"#);
    }
}
