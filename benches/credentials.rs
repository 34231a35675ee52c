//! Signing and verification speed of a realistic ~2 KB Open Badges 3.0 credential (Bulgarian and Greek
//! text), one core: `cargo bench --bench credentials`. Figures go to BENCHMARKS.md.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use microcred::domain::did::did_key;
use microcred::keys::IssuerSigningKey;
use microcred::vc::credential::example;
use microcred::vc::proof::{self, Cryptosuite, ProofOptions};
use microcred::vc::resolve::resolve_did_key;
use microcred::vc::verify::{KeyResolver, NoStatusLists, ResolveError, ResolvedKey, Verifier};

struct DidKeys;

#[async_trait::async_trait]
impl KeyResolver for DidKeys {
    async fn resolve(&self, method: &str) -> Result<ResolvedKey, ResolveError> {
        resolve_did_key(method)
    }
}

fn options(key: &IssuerSigningKey, suite: Cryptosuite) -> ProofOptions {
    let did = did_key(&key.public_key());
    ProofOptions {
        cryptosuite: suite,
        verification_method: format!("{did}#{}", key.key_id()),
        proof_purpose: "assertionMethod".into(),
        created: time::OffsetDateTime::now_utc(),
        id: None,
        previous_proof: None,
    }
}

fn bench(c: &mut Criterion) {
    let key = IssuerSigningKey::from_seed(&[7; 32]);
    let did = did_key(&key.public_key());
    let unsigned = example(&did, "https://certs.example.eu").to_value();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let verifier = Verifier { keys: &DidKeys, status: &NoStatusLists, now: time::OffsetDateTime::now_utc() };

    let typed = example(&did, "https://certs.example.eu");
    for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
        let options = options(&key, suite);
        c.bench_function(&format!("{suite} sign (typed credential, issuance path)"), |b| {
            b.iter(|| proof::sign_credential(black_box(&typed), &options, &key).unwrap())
        });
        c.bench_function(&format!("{suite} sign (any JSON)"), |b| {
            b.iter(|| proof::secure(black_box(&unsigned), &options, &key).unwrap())
        });
        let signed = proof::secure(&unsigned, &options, &key).unwrap();
        assert!(runtime.block_on(verifier.verify(&signed)).unwrap().verified);
        c.bench_function(&format!("{suite} verify (full report)"), |b| {
            b.iter(|| runtime.block_on(verifier.verify(black_box(&signed))).unwrap())
        });
    }
}

criterion_group!(benches, bench);

/// Where the time of one signature goes (for optimisation work; not a target of its own).
fn parts(c: &mut Criterion) {
    use microcred::vc::{canon, credential::OpenBadgeCredential, fastpath, model, schema};
    let key = IssuerSigningKey::from_seed(&[7; 32]);
    let did = did_key(&key.public_key());
    let unsigned = example(&did, "https://certs.example.eu").to_value();
    let signed = proof::secure(&unsigned, &options(&key, Cryptosuite::EddsaRdfc2022), &key).unwrap();
    let mut g = c.benchmark_group("parts");
    g.bench_function("is_exact_shape", |b| b.iter(|| OpenBadgeCredential::is_exact_shape(black_box(&unsigned))));
    g.bench_function("fastpath rdfc (document)", |b| b.iter(|| fastpath::rdfc(black_box(&unsigned)).unwrap()));
    let quads = canon::to_rdf(&unsigned).unwrap();
    g.bench_function(format!("rdf-canon only ({} quads)", quads.len()), |b| {
        b.iter(|| canon::canonicalize_complete(black_box(&quads)).unwrap())
    });
    g.bench_function("first-degree RDFC-1.0 (the fast path's)", |b| {
        b.iter(|| canon::canonicalize_first_degree(black_box(&quads).iter().map(Into::into)).unwrap())
    });
    assert_eq!(
        canon::canonicalize_first_degree(quads.iter().map(Into::into)),
        Some(canon::canonicalize_complete(&quads).unwrap())
    );
    g.bench_function("jcs (document)", |b| b.iter(|| canon::jcs(black_box(&unsigned)).unwrap()));
    let typed = example(&did, "https://certs.example.eu");
    g.bench_function("jcs (typed)", |b| b.iter(|| serde_json_canonicalizer::to_string(black_box(&typed)).unwrap()));
    g.bench_function("serde_json::to_string (typed)", |b| b.iter(|| serde_json::to_string(black_box(&typed)).unwrap()));
    g.bench_function("clone typed", |b| b.iter(|| black_box(&typed).clone()));
    g.bench_function("ed25519 sign (64 bytes)", |b| b.iter(|| key.sign(black_box(&[7u8; 64]))));
    g.bench_function("data model checks", |b| b.iter(|| model::credential_violations(black_box(&signed))));
    g.bench_function("OB JSON Schema", |b| b.iter(|| schema::achievement_credential_violations(black_box(&signed))));
    g.bench_function("clone document", |b| b.iter(|| black_box(&unsigned).clone()));
    g.finish();
}

criterion_group!(breakdown, parts);

/// Credentials of any other shape (peers', the W3C VC-API's): on bundled contexts only, the fast path's cache of
/// foreign shapes; with an embedded context, the general JSON-LD path, with the processed contexts cached across
/// documents (issue 20's target: ≤ 500 µs to sign or verify a typical 2 KB credential) and, for comparison,
/// without.
fn general(c: &mut Criterion) {
    use microcred::vc::credential::OpenBadgeCredential;
    use microcred::vc::{canon, fastpath};
    let key = IssuerSigningKey::from_seed(&[7; 32]);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let verifier = Verifier { keys: &DidKeys, status: &NoStatusLists, now: time::OffsetDateTime::now_utc() };
    let peer: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/peer-signed/ob3-did-key-eddsa-rdfc-2022.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut unsigned = peer.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    // Not microcred's own shape, but on bundled contexts only: the foreign shapes' cache takes it.
    assert!(!OpenBadgeCredential::is_exact_shape(&unsigned));
    assert!(fastpath::used_foreign(&unsigned));
    // With an embedded context, the general path must take it, or this would measure the fast path.
    let mut embedded = unsigned.clone();
    embedded["@context"].as_array_mut().unwrap().push(serde_json::json!({"note": "https://vocab.example/note"}));
    assert!(!fastpath::used_foreign(&embedded));
    let minimal = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": did_key(&key.public_key()),
        "validFrom": "2026-01-15T09:30:00Z",
        "credentialSubject": {"id": "did:example:learner", "name": "Γιώργος Παπαδόπουλος"}
    });
    let report = runtime.block_on(verifier.verify(&peer)).unwrap();
    assert!(report.verified, "the peer credential verifies: {report:?}");
    let options = options(&key, Cryptosuite::EddsaRdfc2022);
    let mut g = c.benchmark_group("general");
    g.bench_function("eddsa-rdfc-2022 sign (OB 3.0 peer credential, 2 KB, foreign fast path)", |b| {
        b.iter(|| proof::secure(black_box(&unsigned), &options, &key).unwrap())
    });
    g.bench_function("eddsa-rdfc-2022 verify (OB 3.0 peer credential, 2 KB, full report, foreign fast path)", |b| {
        b.iter(|| runtime.block_on(verifier.verify(black_box(&peer))).unwrap())
    });
    g.bench_function("eddsa-rdfc-2022 sign (minimal VCDM 2.0 credential, foreign fast path)", |b| {
        b.iter(|| proof::secure(black_box(&minimal), &options, &key).unwrap())
    });
    g.bench_function("eddsa-rdfc-2022 sign (the peer credential with an embedded context, general path)", |b| {
        b.iter(|| proof::secure(black_box(&embedded), &options, &key).unwrap())
    });
    g.bench_function("RDFC-1.0 of the peer credential, foreign fast path", |b| {
        b.iter(|| fastpath::rdfc_foreign(black_box(&unsigned)).unwrap())
    });
    g.bench_function("RDFC-1.0 of the peer credential, contexts cached", |b| {
        b.iter(|| canon::rdfc(black_box(&unsigned)).unwrap())
    });
    g.bench_function("RDFC-1.0 of the peer credential, contexts processed afresh", |b| {
        b.iter(|| canon::rdfc_uncached(black_box(&unsigned)).unwrap())
    });
    assert_eq!(canon::rdfc(&unsigned), canon::rdfc_uncached(&unsigned));
    g.finish();
}

criterion_group!(general_path, general);
criterion_main!(benches, breakdown, general_path);
