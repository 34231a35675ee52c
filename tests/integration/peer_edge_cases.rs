//! Credentials signed by the Digital Bazaar libraries (jsonld.js with `rdfDirection: "i18n-datatype"`) with
//! base directions, numbers and dates at the edges of their specifications
//! (`tests/fixtures/peer-signed/{direction,numbers,dates}`, made by `generate/generate.mjs`): microcred's
//! canonical form is the peer's byte for byte and the credential verifies, or — for the few numbers that
//! JSON-LD processors cannot transform without loss — it is refused as a transformation error, never called
//! forged and never "valid" after tampering.

use microcred::vc::canon;
use microcred::vc::verify::{CheckStatus, Outcome, VerificationReport};
use serde_json::Value;

use crate::support::{Backend, TestApp};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/peer-signed");

/// Fixtures whose numbers JSON-LD processors read as doubles but cannot write back without loss (beyond
/// 2^53, more than 15 significant digits) or write inconsistently (below 10^-6: jsonld.js signs 1e-7 as the
/// integer 0, against JSON-LD 1.1), or that the JSON-LD library microcred uses transforms incorrectly
/// (integers of 21 digits): refused, with the reason.
const REFUSED: &[(&str, &str)] = &[
    ("numbers/1e-7.json", "below 10^-6"),
    ("numbers/minus-1e-7.json", "below 10^-6"),
    ("numbers/17-significant-digits.json", "significant digits"),
    ("numbers/2pow53-plus-1.json", "beyond 2^53"),
    ("numbers/int-20-digits.json", "beyond 2^53"),
    ("numbers/int-24-digits.json", "significant digits"),
    ("numbers/1e20-written-out.json", "21 digits"),
    ("numbers/all-numbers.json", ""),
];

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn check<'a>(report: &'a VerificationReport, name: &str) -> &'a microcred::vc::verify::Check {
    report.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no {name} check in {report:#?}"))
}

#[tokio::test]
async fn peer_signed_edge_cases_canonicalize_byte_for_byte_and_verify() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut seen = 0;
    for folder in ["direction", "numbers", "dates"] {
        let manifest: Value = serde_json::from_str(&read(&format!("{folder}/manifest.json"))).unwrap();
        for fixture in manifest["fixtures"].as_array().unwrap() {
            let file = format!("{folder}/{}", fixture["file"].as_str().unwrap());
            let credential: Value = serde_json::from_str(&read(&file)).unwrap();
            let mut unsecured = credential.clone();
            unsecured.as_object_mut().unwrap().remove("proof");
            let report = app.app.verify(&credential).await.unwrap();
            seen += 1;

            if let Some((_, why)) = REFUSED.iter().find(|(name, _)| *name == file) {
                let err = canon::rdfc(&unsecured).unwrap_err().to_string();
                assert!(err.contains(why), "{file}: {err}");
                assert_eq!(report.outcome, Outcome::Invalid, "{file}");
                let kinds: Vec<&str> = report.errors.iter().map(|e| e.kind.as_str()).collect();
                assert!(
                    kinds.iter().any(|k| k.ends_with("#PROOF_TRANSFORMATION_ERROR"))
                        && !kinds.iter().any(|k| k.ends_with("#CRYPTOGRAPHIC_SECURITY_ERROR")),
                    "{file}: a number we cannot transform is not a forgery: {kinds:?}"
                );
                continue;
            }

            let nquads = read(&format!("{folder}/{}", fixture["nquads"].as_str().unwrap()));
            let ours = canon::rdfc(&unsecured).unwrap_or_else(|e| panic!("{file}: {e}"));
            match fixture["expected"].as_str().unwrap() {
                "invalid-signature" => {
                    // The tampered copies: their canonical form changed, so the signature no longer matches.
                    assert_eq!(ours, nquads, "{file}: the tampered document's own canonical form");
                    assert!(!report.verified, "{file}");
                    assert_eq!(report.outcome, Outcome::Invalid, "{file}");
                    assert_eq!(check(&report, "proof").status, CheckStatus::Fail, "{file}");
                }
                "verified" => {
                    assert_eq!(ours, nquads, "{file}: canonical N-Quads differ from the peer's");
                    assert_eq!(check(&report, "proof").status, CheckStatus::Pass, "{file}: {report:#?}");
                    assert!(report.verified, "{file}: {report:#?}");
                }
                "expired" => {
                    assert_eq!(ours, nquads, "{file}: canonical N-Quads differ from the peer's");
                    assert_eq!(check(&report, "proof").status, CheckStatus::Pass, "{file}: {report:#?}");
                    assert_eq!(report.outcome, Outcome::Expired, "{file}");
                }
                other => panic!("{file}: unknown expectation {other}"),
            }
        }
    }
    assert!(seen >= 40, "only {seen} fixtures");
}

#[tokio::test]
async fn the_direction_field_case_verifies() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/field-cases/direction-signed-by-peer.json");
    let credential: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let report = app.app.verify(&credential).await.unwrap();
    assert!(report.verified, "{report:#?}");
    let mut flipped = credential.clone();
    flipped["description"]["@direction"] = "rtl".into();
    let report = app.app.verify(&flipped).await.unwrap();
    assert_eq!(report.outcome, Outcome::Invalid, "a flipped direction is a changed credential");
}
