//! The shared cache of processed JSON-LD contexts (issue 20) must change nothing but speed: for arbitrary
//! documents, in any order and on several threads, the cached general path gives exactly what processing
//! every context afresh gives — the same canonical N-Quads, or the same error. Errors are never cached, and
//! the cache stays within its bound.

use std::sync::Arc;

use microcred::vc::canon;
use oxjsonld::{JsonLdContextCache, JsonLdParser, JsonLdRemoteDocument};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Value, json};

/// The Digital Bazaar-signed Open Badges 3.0 credential, without its proof.
pub fn peer_credential() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/peer-signed/ob3-did-key-eddsa-rdfc-2022.json"
    ))
    .unwrap();
    let mut credential: Value = serde_json::from_str(&text).unwrap();
    credential.as_object_mut().unwrap().remove("proof");
    credential
}

/// Open Badges 3.0 credentials with the variations that take other context paths: an embedded context in
/// the subject, two type-scoped types on one node, a proof configuration, and documents JSON-LD refuses
/// (a protected term redefined, a term no context defines, a context that is not bundled).
pub fn open_badge() -> impl Strategy<Value = Value> {
    ("[a-zA-Zα-ωа-я ]{1,12}", 0..7u8, "[a-z]{1,6}").prop_map(|(name, variant, term)| {
        let mut doc = peer_credential();
        doc["credentialSubject"]["name"] = json!(name);
        match variant {
            0 => {}
            1 => {
                doc["credentialSubject"]["@context"] = json!({ term.clone(): format!("https://vocab.example/{term}") });
                doc["credentialSubject"][term] = json!("embedded");
            }
            2 => doc["credentialSubject"]["type"] = json!(["AchievementSubject", "Profile"]),
            3 => {
                doc = json!({
                    "@context": doc["@context"].clone(),
                    "type": "DataIntegrityProof",
                    "cryptosuite": "eddsa-rdfc-2022",
                    "created": "2026-11-27T00:26:39Z",
                    "verificationMethod": format!("did:example:{term}#key-1"),
                    "proofPurpose": "assertionMethod",
                });
            }
            4 => {
                doc["@context"].as_array_mut().unwrap().push(json!({"name": "https://vocab.example/name"}));
            }
            5 => doc["credentialSubject"][format!("undefined{term}")] = json!(1),
            _ => doc["@context"].as_array_mut().unwrap().push(json!(format!("https://contexts.example/{term}"))),
        }
        doc
    })
}

fn any_document() -> impl Strategy<Value = Value> {
    prop_oneof![crate::lossless::document(), open_badge()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Sequences catch a context of one document bleeding into the next; valid and invalid documents mix,
    /// so an error cached (or a result cached from a failed processing) would show.
    #[test]
    fn cached_general_path_equals_uncached(documents in prop::collection::vec(any_document(), 1..8)) {
        for document in &documents {
            prop_assert_eq!(canon::rdfc(document), canon::rdfc_uncached(document), "document: {}", document);
        }
    }
}

/// Errors come back the same every time: processing that failed is not remembered as a result.
#[test]
fn errors_are_never_cached() {
    let valid = peer_credential();
    let mut redefined = valid.clone();
    redefined["@context"].as_array_mut().unwrap().push(json!({"name": "https://vocab.example/name"}));
    for _ in 0..3 {
        let refused = canon::rdfc(&redefined).unwrap_err();
        assert!(refused.to_string().contains("protected"), "{refused}");
        assert_eq!(Err(refused), canon::rdfc_uncached(&redefined));
        assert_eq!(canon::rdfc(&valid), canon::rdfc_uncached(&valid));
        assert!(canon::rdfc(&valid).is_ok());
    }
}

/// Several threads share the cache; every result equals the single-threaded uncached one.
#[test]
fn threads_share_the_cache() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let documents: Vec<Value> = (0..24).map(|_| any_document().new_tree(&mut runner).unwrap().current()).collect();
    let expected: Vec<_> = documents.iter().map(canon::rdfc_uncached).collect();
    std::thread::scope(|scope| {
        for offset in 0..4 {
            let (documents, expected) = (&documents, &expected);
            scope.spawn(move || {
                for round in 0..3 {
                    for i in 0..documents.len() {
                        let i = (i * (offset + 1) + round) % documents.len();
                        assert_eq!(canon::rdfc(&documents[i]), expected[i], "thread {offset}: {}", documents[i]);
                    }
                }
            });
        }
    });
}

/// The canonical N-Quads of a document parsed with or without `cache` (blank-node labels are random).
fn quads(bytes: &[u8], cache: Option<&Arc<JsonLdContextCache>>) -> Result<String, String> {
    let parser = match cache {
        Some(cache) => JsonLdParser::new().with_context_cache(Arc::clone(cache)),
        None => JsonLdParser::new(),
    };
    let parser = parser.for_slice(bytes).with_load_document_callback(|url, _| {
        microcred::vc::contexts::bundled(url)
            .map(|doc| JsonLdRemoteDocument { document: doc.to_vec(), document_url: url.to_owned() })
            .ok_or_else(|| format!("not bundled: {url}").into())
    });
    let quads: Vec<oxrdf::Quad> = parser.collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    canon::canonicalize(&quads).map_err(|e| e.to_string())
}

/// More distinct inline contexts than the cache holds: it stays within its bound, and what is evicted
/// (contexts other entries were keyed on, too) never changes a result.
#[test]
fn the_cache_stays_within_its_bound() {
    let cache = Arc::new(JsonLdContextCache::new(4));
    for round in 0..2 {
        for i in 0..20 {
            let document = json!({
                "@context": ["https://www.w3.org/ns/credentials/v2", {"claim": format!("https://vocab.example/claim{i}"), "detail": "https://vocab.example/detail"}],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"claim": format!("value {round}"),
                                      "detail": {"@context": {"inner": "https://vocab.example/inner"}, "inner": i}},
            });
            let bytes = serde_json::to_vec(&document).unwrap();
            let cached = quads(&bytes, Some(&cache));
            assert!(
                cached.as_ref().is_ok_and(|q| q.contains("/inner> \"") && q.contains(&format!("/claim{i}>"))),
                "{cached:?}"
            );
            assert_eq!(cached, quads(&bytes, None));
            assert!(cache.len() <= 4, "{} entries", cache.len());
        }
    }
    assert!(!cache.is_empty());
    cache.clear();
    assert!(cache.is_empty());
}

/// The bound counts term definitions too: documents with huge inline contexts keep few copies of them (a cache
/// of 4 entries holds at most 1,024 terms), and their results stay exact.
#[test]
fn huge_inline_contexts_are_bounded_by_their_terms() {
    let cache = Arc::new(JsonLdContextCache::new(4));
    for i in 0..6 {
        let terms: serde_json::Map<String, Value> =
            (0..600).map(|t| (format!("term{t}"), json!(format!("https://vocab.example/{i}/term{t}")))).collect();
        let document = json!({"@context": Value::Object(terms), "term7": "seven", "@id": "https://example.org/x"});
        let bytes = serde_json::to_vec(&document).unwrap();
        let cached = quads(&bytes, Some(&cache));
        assert!(cached.as_ref().is_ok_and(|q| q.contains(&format!("/{i}/term7>"))), "{cached:?}");
        assert_eq!(cached, quads(&bytes, None));
        assert!(cache.len() <= 1, "{} entries of 600 terms each", cache.len());
    }
}
