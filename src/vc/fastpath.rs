//! A fast path to the RDF dataset of documents whose shape has been seen before.
//!
//! Almost all the cost of `eddsa-rdfc-2022` is JSON-LD context processing, and that work depends only on
//! a document's *skeleton* — its keys, nesting, types, contexts, numbers and booleans — not on its string
//! values. So the skeleton (every other string leaf replaced by a unique marker IRI) is converted to RDF
//! once with the general path; later documents with the same skeleton get their dataset by putting their
//! strings back where the markers landed. No IRI, datatype or language tag is written by hand: all come
//! from the general path.
//!
//! The substitution is exact only when a string's JSON-LD meaning does not depend on its value. Where it
//! could, the string stays in the skeleton, or the general path is used:
//! - values of `@context`, `type`/`@type`, `@language`, `@direction` are part of the skeleton;
//! - a marker that lands in an IRI position is replaced only by an absolute `http(s)`, `did` or `urn`
//!   IRI (none of which any bundled context defines as a prefix, so no compact-IRI expansion applies);
//!   any other value there (a term expanded through `@vocab`, a relative or blank-node id) is kept in the
//!   skeleton instead, which then caches its expansion;
//! - a marker that appears inside a larger IRI or literal (`@json` literals, base resolution) makes the
//!   skeleton unsupported, and such documents always take the general path.
//!
//! A document takes the general path instead when any string of it holds the marker prefix or the undefined-term
//! sentinel (a type or key equal to a marker would be mistaken for one; an IRI starting with the sentinel is
//! refused by the general path), or a blank-node identifier (`_:x`, which can make a dataset that is not a
//! tree).
//!
//! Two caches: [`rdfc`] for microcred's own credential and proof shapes, and [`rdfc_foreign`] for anyone
//! else's (VC-API clients', peers'), whose documents take it only when every `@context` in them is a bundled
//! context's URL (an embedded context could define `did` or `urn` as a prefix, and then an IRI's meaning
//! would depend on its value) and they stay within [`FOREIGN_VALUES`] JSON values and [`FOREIGN_TEXT`] bytes of
//! text. Keeping them apart means a stream of new foreign shapes cannot evict microcred's own. A new shape costs
//! at most two runs of the general path (the second keeps in the skeleton the strings that could not be
//! substituted), a shape seen before none. Tests compare both with the general path on randomized credentials,
//! on arbitrary VCDM documents and on the W3C vectors.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::Value;

use super::canon::{self, CanonError};

const MARKER: &str = "urn:x-microcred-leaf:";
/// microcred's own skeletons kept; a credential type has a handful (optional fields present or not).
const CACHE_CAPACITY: usize = 512;
/// Foreign skeletons kept: fewer and smaller ones, since anyone may send a new one. Each holds at most
/// [`FOREIGN_VALUES`] JSON values (about as many quads) and [`FOREIGN_TEXT`] bytes of text, so all of them
/// take a few tens of MB at most.
const FOREIGN_CAPACITY: usize = 64;
/// Most JSON values (objects, arrays, strings, numbers, booleans, nulls) a foreign document may have to take
/// the fast path; a typical 2 KB credential has about 60.
pub const FOREIGN_VALUES: usize = 1_000;
/// Most bytes of keys and strings a foreign document may have to take the fast path (an embedded image would
/// exceed it: kept in the skeleton, it would make every such document a new shape).
pub const FOREIGN_TEXT: usize = 64 * 1024;

/// What the general path made of one skeleton.
enum Entry {
    /// Quads with markers, and the leaves whose marker is an IRI.
    Quads { quads: Vec<oxrdf::Quad>, iri_leaves: Vec<usize> },
    /// Markers landed inside larger terms, or the general path refused the skeleton: documents of this
    /// skeleton take the general path.
    Unsupported,
}

/// Skeletons (their JSON text) and what the general path made of them.
type Cache = Mutex<HashMap<String, Arc<Entry>>>;

static CACHE: LazyLock<Cache> = LazyLock::new(|| Mutex::new(HashMap::new()));
static FOREIGN: LazyLock<Cache> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Which cache a document's skeleton goes to, and how many skeletons it keeps.
#[derive(Clone, Copy)]
enum Shapes {
    Own,
    Foreign,
}

impl Shapes {
    fn cache(self) -> (&'static Cache, usize) {
        match self {
            Shapes::Own => (&CACHE, CACHE_CAPACITY),
            Shapes::Foreign => (&FOREIGN, FOREIGN_CAPACITY),
        }
    }
}

/// The RDFC-1.0 canonical N-Quads of `document`, through the skeleton cache where possible. Identical to
/// [`canon::rdfc`], errors included (the tests hold it to that).
///
/// The filled datasets are canonicalized by RDFC-1.0's first-degree steps alone. When they decline (two blank
/// nodes share a first-degree hash: what makes RDFC expensive, up to factorial time), the document takes the
/// general path, whose complete algorithm is bounded. Blank nodes can share such a hash in a tree only when
/// objects of one array say the same thing: equal objects are caught before (they always take the general
/// path), but objects that differ only as JSON (`{"name": "x"}` and `{"name": ["x"]}`) are caught here.
pub fn rdfc(document: &Value) -> Result<String, CanonError> {
    rdfc_in(document, Shapes::Own)
}

/// [`rdfc`] for documents of any shape (VC-API clients', peers'), with a cache of their own. Documents with
/// an embedded context, a context that is not bundled, more than [`FOREIGN_VALUES`] JSON values or more than
/// [`FOREIGN_TEXT`] bytes of keys and strings take the general path.
pub fn rdfc_foreign(document: &Value) -> Result<String, CanonError> {
    rdfc_in(document, Shapes::Foreign)
}

fn rdfc_in(document: &Value, shapes: Shapes) -> Result<String, CanonError> {
    // The skeleton hides the document's strings from the lossless checks of the general path.
    canon::check_lossless(document)?;
    if !eligible(document, shapes) {
        return canon::rdfc(document);
    }
    let filled = dataset(document, shapes);
    let quads = filled.as_ref().and_then(Filled::quads);
    match quads.and_then(|quads| canon::canonicalize_first_degree(quads.iter().copied())) {
        Some(canonical) => Ok(canonical),
        None => canon::rdfc(document),
    }
}

/// Whether the fast path (rather than the general one) handles `document` (for tests and benchmarks).
pub fn used(document: &Value) -> bool {
    used_in(document, Shapes::Own)
}

/// Whether [`rdfc_foreign`] handles `document` on its fast path (for tests and benchmarks).
pub fn used_foreign(document: &Value) -> bool {
    used_in(document, Shapes::Foreign)
}

fn used_in(document: &Value, shapes: Shapes) -> bool {
    eligible(document, shapes) && dataset(document, shapes).is_some_and(|filled| filled.quads().is_some())
}

/// Whether the skeleton's substitution can be exact for `document` (see the module documentation): it is
/// tree-shaped, no string holds a marker, the sentinel or a blank-node identifier, and a foreign document
/// names only bundled contexts and stays within [`FOREIGN_VALUES`] and [`FOREIGN_TEXT`].
fn eligible(document: &Value, shapes: Shapes) -> bool {
    let mut budget = match shapes {
        Shapes::Own => Budget { values: usize::MAX, text: usize::MAX, foreign: false },
        Shapes::Foreign => Budget { values: FOREIGN_VALUES, text: FOREIGN_TEXT, foreign: true },
    };
    tree_shaped(document) && plain(document, &mut budget)
}

/// What a foreign document may still hold (see [`eligible`]).
struct Budget {
    values: usize,
    text: usize,
    foreign: bool,
}

impl Budget {
    fn spend(&mut self, values: usize, text: usize) -> bool {
        match (self.values.checked_sub(values), self.text.checked_sub(text)) {
            (Some(v), Some(t)) => {
                (self.values, self.text) = (v, t);
                true
            }
            _ => false,
        }
    }
}

/// See [`eligible`].
fn plain(value: &Value, budget: &mut Budget) -> bool {
    let ordinary = |s: &str| !s.starts_with("_:") && !s.contains(MARKER) && !s.contains(canon::UNDEFINED_VOCAB);
    if !budget.spend(1, 0) {
        return false;
    }
    match value {
        Value::String(s) => ordinary(s) && budget.spend(0, s.len()),
        Value::Array(items) => items.iter().all(|item| plain(item, budget)),
        Value::Object(map) => map.iter().all(|(key, value)| {
            ordinary(key)
                && budget.spend(0, key.len())
                && match key.as_str() {
                    "@context" if budget.foreign => bundled_only(value),
                    _ => plain(value, budget),
                }
        }),
        _ => true,
    }
}

/// A `@context` value naming bundled contexts only (one URL, or an array of URLs).
fn bundled_only(context: &Value) -> bool {
    let bundled = |v: &Value| v.as_str().is_some_and(|url| super::contexts::bundled(url).is_some());
    match context {
        Value::Array(items) => items.iter().all(bundled),
        other => bundled(other),
    }
}

/// No array holds two equal objects (blank-node identifiers, the other way to share a node, are left out by
/// [`plain`]).
fn tree_shaped(value: &Value) -> bool {
    match value {
        Value::Array(items) => {
            let objects: Vec<&Value> = items.iter().filter(|v| v.is_object()).collect();
            !objects.iter().enumerate().any(|(i, a)| objects[i + 1..].contains(a)) && items.iter().all(tree_shaped)
        }
        Value::Object(map) => map.values().all(tree_shaped),
        _ => true,
    }
}

/// Refuses undefined terms like [`canon::check_defined_terms`], cheaply for known skeletons.
pub fn check_defined(document: &Value) -> Result<(), CanonError> {
    match eligible(document, Shapes::Own).then(|| dataset(document, Shapes::Own)).flatten() {
        Some(_) => Ok(()),
        None => canon::check_defined_terms(document),
    }
}

/// A document's cached skeleton and its string leaves, which fill the skeleton's markers.
struct Filled<'d> {
    /// Always [`Entry::Quads`].
    entry: Arc<Entry>,
    leaves: Vec<&'d str>,
}

impl Filled<'_> {
    /// The document's dataset, borrowing from the skeleton and the document (`None` if a marker names no
    /// leaf, which [`analyse`] rules out).
    fn quads(&self) -> Option<Vec<oxrdf::QuadRef<'_>>> {
        let Entry::Quads { quads, .. } = self.entry.as_ref() else { return None };
        substitute(quads, &self.leaves)
    }
}

/// The skeleton of `document` from the cache, or `None` when the general path must be used (including
/// when the general path reports an error, so that the error is the document's own).
fn dataset(document: &Value, shapes: Shapes) -> Option<Filled<'_>> {
    let mut kept = HashSet::new();
    // At most two rounds: the second keeps, in the skeleton, the strings that cannot be substituted.
    for _ in 0..2 {
        let mut leaves = Vec::new();
        let skeleton = skeleton(document, &kept, &mut leaves, false);
        let key = serde_json::to_string(&skeleton).ok()?;
        let entry = lookup(&key, &skeleton, shapes)?;
        let Entry::Quads { iri_leaves, .. } = entry.as_ref() else { return None };
        let bad: Vec<usize> = iri_leaves.iter().copied().filter(|i| !substitutable_iri(leaves[*i])).collect();
        if bad.is_empty() {
            return Some(Filled { entry, leaves });
        }
        kept.extend(bad);
    }
    None
}

fn lookup(key: &str, skeleton: &Value, shapes: Shapes) -> Option<Arc<Entry>> {
    let (cache, capacity) = shapes.cache();
    if let Some(entry) = cache.lock().ok()?.get(key) {
        return Some(Arc::clone(entry));
    }
    // A skeleton the general path refuses is remembered as such: the document's own error comes from the
    // general path, without converting the skeleton again each time.
    let entry = Arc::new(canon::to_rdf(skeleton).map_or(Entry::Unsupported, analyse));
    let mut cache = cache.lock().ok()?;
    if cache.len() >= capacity {
        cache.clear();
    }
    cache.insert(key.to_owned(), Arc::clone(&entry));
    Some(entry)
}

/// Replaces string leaves by markers, except where the string shapes the JSON-LD processing itself.
fn skeleton<'a>(value: &'a Value, kept: &HashSet<usize>, leaves: &mut Vec<&'a str>, structural: bool) -> Value {
    match value {
        Value::String(s) if structural => Value::String(s.clone()),
        Value::String(s) => {
            let index = leaves.len();
            leaves.push(s);
            if kept.contains(&index) { Value::String(s.clone()) } else { Value::String(format!("{MARKER}{index}")) }
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| skeleton(v, kept, leaves, structural)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let structural =
                        structural || matches!(k.as_str(), "@context" | "type" | "@type" | "@language" | "@direction");
                    (k.clone(), skeleton(v, kept, leaves, structural))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn marker_index(s: &str) -> Option<usize> {
    s.strip_prefix(MARKER)?.parse().ok()
}

/// Records where the markers landed, and whether substitution is exact for this skeleton.
fn analyse(quads: Vec<oxrdf::Quad>) -> Entry {
    let mut iri_leaves = Vec::new();
    let mut supported = true;
    let mut iri = |s: &str, supported: &mut bool| {
        if let Some(i) = marker_index(s) {
            iri_leaves.push(i);
        } else if s.contains(MARKER) {
            *supported = false;
        }
    };
    for q in &quads {
        if let oxrdf::NamedOrBlankNode::NamedNode(n) = &q.subject {
            iri(n.as_str(), &mut supported);
        }
        iri(q.predicate.as_str(), &mut supported);
        match &q.object {
            oxrdf::Term::NamedNode(n) => iri(n.as_str(), &mut supported),
            oxrdf::Term::Literal(l) => {
                iri(l.datatype().as_str(), &mut supported);
                if l.value().contains(MARKER) && marker_index(l.value()).is_none() {
                    supported = false;
                }
            }
            oxrdf::Term::BlankNode(_) => {}
        }
        if let oxrdf::GraphName::NamedNode(n) = &q.graph_name {
            iri(n.as_str(), &mut supported);
        }
    }
    if supported { Entry::Quads { quads, iri_leaves } } else { Entry::Unsupported }
}

/// Absolute IRIs whose scheme no bundled context defines as a term, so JSON-LD leaves them as they are.
fn substitutable_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    matches!(scheme, "http" | "https" | "did" | "urn") && !rest.is_empty() && oxrdf::NamedNode::new(s).is_ok()
}

/// The skeleton's quads with each marker replaced by its leaf. Every leaf in an IRI position has passed
/// [`substitutable_iri`] (in [`dataset`]: [`analyse`] lists every such position), so it is a valid IRI.
fn substitute<'a>(quads: &'a [oxrdf::Quad], leaves: &[&'a str]) -> Option<Vec<oxrdf::QuadRef<'a>>> {
    use oxrdf::{GraphNameRef, LiteralRef, NamedNodeRef, NamedOrBlankNodeRef, TermRef};
    let named = |n: &'a oxrdf::NamedNode| match marker_index(n.as_str()) {
        Some(i) => Some(NamedNodeRef::new_unchecked(leaves.get(i)?)),
        None => Some(n.as_ref()),
    };
    quads
        .iter()
        .map(|q| {
            let subject = match &q.subject {
                oxrdf::NamedOrBlankNode::NamedNode(n) => NamedOrBlankNodeRef::NamedNode(named(n)?),
                oxrdf::NamedOrBlankNode::BlankNode(b) => NamedOrBlankNodeRef::BlankNode(b.as_ref()),
            };
            let object = match &q.object {
                oxrdf::Term::NamedNode(n) => TermRef::NamedNode(named(n)?),
                oxrdf::Term::Literal(l) => TermRef::Literal(match marker_index(l.value()) {
                    Some(i) => {
                        let value = leaves.get(i)?;
                        match l.language() {
                            Some(language) => LiteralRef::new_language_tagged_literal_unchecked(value, language),
                            None => LiteralRef::new_typed_literal(value, l.datatype()),
                        }
                    }
                    None => l.as_ref(),
                }),
                oxrdf::Term::BlankNode(b) => TermRef::BlankNode(b.as_ref()),
            };
            let graph_name = match &q.graph_name {
                oxrdf::GraphName::NamedNode(n) => GraphNameRef::NamedNode(named(n)?),
                oxrdf::GraphName::BlankNode(b) => GraphNameRef::BlankNode(b.as_ref()),
                oxrdf::GraphName::DefaultGraph => GraphNameRef::DefaultGraph,
            };
            Some(oxrdf::QuadRef::new(subject, q.predicate.as_ref(), object, graph_name))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vc::contexts;

    #[test]
    fn no_bundled_context_defines_a_substitutable_scheme_as_a_term() {
        fn terms(value: &Value, out: &mut HashSet<String>) {
            match value {
                Value::Object(map) => map.iter().for_each(|(k, v)| {
                    out.insert(k.clone());
                    terms(v, out);
                }),
                Value::Array(items) => items.iter().for_each(|v| terms(v, out)),
                _ => {}
            }
        }
        let mut all = HashSet::new();
        for url in contexts::urls() {
            terms(contexts::parsed(url).unwrap(), &mut all);
        }
        for scheme in ["http", "https", "did", "urn"] {
            assert!(!all.contains(scheme), "{scheme} is a term in a bundled context");
        }
    }

    /// What keeps a string leaf's meaning independent of its value, as far as the bundled contexts go: the only
    /// keyword aliases are `id` and `type` (an alias of `@type`, `@language` or `@direction` under another name
    /// would make its value shape the processing, yet not be kept in the skeleton), and no term looks like an
    /// IRI (vocabulary-relative expansion would map such a value through the term).
    #[test]
    fn bundled_contexts_alias_only_id_and_type_and_define_no_iri_like_terms() {
        fn walk(value: &Value, aliases: &mut HashSet<(String, String)>, iri_like: &mut HashSet<String>) {
            match value {
                Value::Object(map) => map.iter().for_each(|(k, v)| {
                    if !k.starts_with('@') {
                        let target = v.as_str().or_else(|| v.get("@id").and_then(Value::as_str));
                        if let Some(keyword) = target.filter(|t| t.starts_with('@')) {
                            aliases.insert((k.clone(), keyword.to_owned()));
                        }
                        if k.contains(':') {
                            iri_like.insert(k.clone());
                        }
                    }
                    walk(v, aliases, iri_like);
                }),
                Value::Array(items) => items.iter().for_each(|v| walk(v, aliases, iri_like)),
                _ => {}
            }
        }
        let (mut aliases, mut iri_like) = (HashSet::new(), HashSet::new());
        for url in contexts::urls() {
            walk(contexts::parsed(url).unwrap(), &mut aliases, &mut iri_like);
        }
        let expected: HashSet<(String, String)> =
            [("id", "@id"), ("type", "@type")].map(|(k, v)| (k.to_owned(), v.to_owned())).into();
        assert_eq!(aliases, expected);
        assert!(iri_like.is_empty(), "{iri_like:?}");
    }
}
