//! The JSON-LD contexts microcred understands, compiled into the binary. A verifier must never fetch a
//! context (an attacker controlling the response would control the meaning of what was signed), so the
//! document loader answers only from this table and names any other URL in its error.
//!
//! See <https://www.w3.org/TR/vc-data-model-2.0/#base-context> and
//! <https://www.w3.org/TR/vc-data-integrity/#validating-contexts>.

use std::sync::LazyLock;

/// VCDM 2.0 base context.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// VCDM 1.1 base context.
pub const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";
/// Open Badges 3.0 context, revision 3.0.3 (what microcred issues).
pub const OB_V3P0_3_0_3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// Data Integrity v2 context (proof terms for documents without the VCDM 2.0 context).
pub const DATA_INTEGRITY_V2: &str = "https://w3id.org/security/data-integrity/v2";

/// The `Ed25519Signature2020` suite's context: only for DIDAuth presentations of wallets that still sign
/// with that suite (the DCC Learner Credential Wallet).
pub const ED25519_SIGNATURE_2020_V1: &str = "https://w3id.org/security/suites/ed25519-2020/v1";

/// microcred's extension context for the EU micro-credential elements Open Badges 3.0 has no term for
/// (`docs/eu-microcredential-mapping.md`). Credentials carry it *inline* (an object in `@context`), so
/// every verifier understands them without holding or fetching anything; the same document is served at
/// `/contexts/microcredential/v1` and bundled under this URL, for credentials that name it instead.
pub const MICROCRED_V1: &str = "https://w3id.org/microcred/v1";

/// The extension context's term definitions (the value of its `@context`), as credentials embed it.
pub fn microcred_inline() -> &'static serde_json::Value {
    static INLINE: LazyLock<serde_json::Value> =
        LazyLock::new(|| parsed(MICROCRED_V1).and_then(|doc| doc.get("@context")).cloned().unwrap_or_default());
    &INLINE
}

/// Whether a `@context` entry is one microcred writes itself: a URL, or the inline extension context.
/// Only documents made of these take the canonicalization fast path.
pub fn is_own_entry(entry: &serde_json::Value) -> bool {
    entry.is_string() || entry == microcred_inline()
}

/// `(URL, document)` for every bundled context.
static CONTEXTS: &[(&str, &[u8])] = &[
    (CREDENTIALS_V2, include_bytes!("../../contexts/credentials-v2.jsonld")),
    (CREDENTIALS_V1, include_bytes!("../../contexts/credentials-v1.jsonld")),
    (OB_V3P0_3_0_3, include_bytes!("../../contexts/ob-v3p0-context-3.0.3.json")),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        include_bytes!("../../contexts/ob-v3p0-context-3.0.2.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        include_bytes!("../../contexts/ob-v3p0-context-3.0.1.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        include_bytes!("../../contexts/ob-v3p0-context-3.0.0.json"),
    ),
    ("https://www.w3.org/ns/credentials/status/v1", include_bytes!("../../contexts/credentials-status-v1.jsonld")),
    (DATA_INTEGRITY_V2, include_bytes!("../../contexts/data-integrity-v2.jsonld")),
    ("https://w3id.org/security/multikey/v1", include_bytes!("../../contexts/multikey-v1.jsonld")),
    ("https://www.w3.org/ns/did/v1", include_bytes!("../../contexts/did-v1.jsonld")),
    ("https://www.w3.org/ns/credentials/examples/v2", include_bytes!("../../contexts/credentials-examples-v2.jsonld")),
    (MICROCRED_V1, include_bytes!("../../contexts/microcredential-v1.jsonld")),
    ("https://w3id.org/citizenship/v4rc1", include_bytes!("../../contexts/citizenship-v4rc1.jsonld")),
    (ED25519_SIGNATURE_2020_V1, include_bytes!("../../contexts/ed25519-signature-2020-v1.jsonld")),
];

/// The bundled document for `url`, if there is one. Matching is exact: the OB revisions expand terms
/// differently, so a near-miss URL must not be answered with another revision.
pub fn bundled(url: &str) -> Option<&'static [u8]> {
    CONTEXTS.iter().find(|(u, _)| *u == url).map(|(_, doc)| *doc)
}

/// The bundled context for `url`, parsed once.
pub fn parsed(url: &str) -> Option<&'static serde_json::Value> {
    static PARSED: LazyLock<Vec<(&'static str, serde_json::Value)>> = LazyLock::new(|| {
        CONTEXTS.iter().filter_map(|(u, doc)| serde_json::from_slice(doc).ok().map(|v| (*u, v))).collect()
    });
    PARSED.iter().find(|(u, _)| *u == url).map(|(_, v)| v)
}

/// Every bundled context URL.
pub fn urls() -> impl Iterator<Item = &'static str> {
    CONTEXTS.iter().map(|(u, _)| *u)
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    #[test]
    fn bundled_contexts_are_the_exact_published_bytes() {
        let hex = |url| format!("{:x}", Sha256::digest(bundled(url).unwrap()));
        assert_eq!(hex(CREDENTIALS_V2), "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734");
        assert_eq!(hex(OB_V3P0_3_0_3), "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761");
        assert_eq!(hex(CREDENTIALS_V1), "00d7dd6d3ad8b920e3e550dd3a3d9090bffcac84cdbf943da6924b3e0a5c8bb8");
        for url in urls() {
            serde_json::from_slice::<serde_json::Value>(bundled(url).unwrap()).expect(url);
        }
    }

    #[test]
    fn the_extension_context_defines_every_eu_term() {
        let inline = microcred_inline().as_object().unwrap();
        for term in ["learningOutcome", "workloadHours", "assessmentType", "participationForm", "qualityAssurance"] {
            assert!(inline[term].as_str().unwrap().starts_with("https://w3id.org/microcred/v1#"), "{term}");
        }
        assert!(is_own_entry(&serde_json::Value::Object(inline.clone())));
        assert!(!is_own_entry(&serde_json::json!({"name": "http://example.org/name"})));
    }

    #[test]
    fn near_miss_urls_are_not_answered() {
        assert!(bundled("https://www.w3.org/ns/credentials/v2/").is_none());
        assert!(bundled("http://www.w3.org/ns/credentials/v2").is_none());
    }
}
