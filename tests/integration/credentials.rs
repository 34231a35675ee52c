//! Credentials end to end: microcred signs an Open Badges 3.0 credential, which validates against 1EdTech's
//! schema and verifies; peer-signed credentials verify; every tampering fails; the CLI reports it all.

use microcred::domain::did::did_key;
use microcred::keys::IssuerSigningKey;
use microcred::service::Microcred;
use microcred::vc::credential::{OpenBadgeCredential, example};
use microcred::vc::proof::{self, Cryptosuite, ProofOptions};
use microcred::vc::schema;
use microcred::vc::verify::{CheckStatus, Outcome, VerificationReport};
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

async fn default_did(app: &Microcred) -> String {
    app.issuer(&"default".parse().unwrap()).await.unwrap().did
}

fn check<'a>(report: &'a VerificationReport, name: &str) -> &'a microcred::vc::verify::Check {
    report.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no {name} check in {report:?}"))
}

#[tokio::test]
async fn an_issued_credential_validates_against_the_ob_schema_and_verifies_with_both_suites() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let did = default_did(&app.app).await;
    let unsigned = example(&did, &app.base).to_value();
    assert_eq!(
        schema::achievement_credential_violations(&unsigned),
        Vec::<String>::new(),
        "the model alone is schema-valid"
    );

    for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
        let signed = app.app.sign_credential(&"default".parse().unwrap(), &unsigned, suite).await.unwrap();
        assert_eq!(schema::achievement_credential_violations(&signed), Vec::<String>::new(), "{suite}");
        assert_eq!(signed["proof"][0]["cryptosuite"], suite.as_str());
        assert!(signed["proof"][0]["verificationMethod"].as_str().unwrap().starts_with(&format!("{did}#z6Mk")));
        // Round-trips through the typed model, unchanged.
        let typed: OpenBadgeCredential = serde_json::from_value(signed.clone()).unwrap();
        assert_eq!(typed.to_value(), signed);
        assert_eq!(typed.learner_name(), Some("Иван Петров"));

        let report = app.app.verify(&signed).await.unwrap();
        assert!(report.verified, "{suite}: {report:#?}");
        assert_eq!(report.outcome, Outcome::Valid);
        assert!(report.errors.is_empty() && report.warnings.is_empty(), "{report:#?}");
        for name in ["structure", "contexts", "proof", "issuer", "validity", "schema"] {
            assert_eq!(check(&report, name).status, CheckStatus::Pass, "{name}");
        }
    }
}

#[tokio::test]
async fn a_rotated_key_keeps_verifying_what_it_signed() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = "default".parse().unwrap();
    let signed = app
        .app
        .sign_credential(
            &slug,
            &example(&default_did(&app.app).await, &app.base).to_value(),
            Cryptosuite::EddsaRdfc2022,
        )
        .await
        .unwrap();
    app.app.rotate_key(&slug).await.unwrap();
    assert!(app.app.verify(&signed).await.unwrap().verified);
}

/// A proof naming a key one of our issuers does not have cannot be checked (it is not fetched from the web
/// either: the DID is ours), and a proof naming our issuer's DID with another issuer's key does not verify.
#[tokio::test]
async fn a_proof_naming_a_key_our_issuer_does_not_have_cannot_be_checked() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = "default".parse().unwrap();
    let did = default_did(&app.app).await;
    let signed =
        app.app.sign_credential(&slug, &example(&did, &app.base).to_value(), Cryptosuite::EddsaRdfc2022).await.unwrap();
    // The example carries its proof in an array.
    let with_method = |method: String| {
        let mut changed = signed.clone();
        match &mut changed["proof"] {
            Value::Array(proofs) => proofs[0]["verificationMethod"] = method.into(),
            proof => proof["verificationMethod"] = method.into(),
        }
        changed
    };
    let unknown = with_method(format!("{did}#z6MkNoSuchKeyOfThisIssuer"));
    let error = app.app.verify(&unknown).await.unwrap_err();
    assert!(error.to_string().contains("the issuer has no such key"), "{error}");

    app.another_issuer("other", "Other Academy", "IT").await;
    let (_, other_keys) = app.app.issuer_keys(&"other".parse().unwrap()).await.unwrap();
    let borrowed = with_method(format!("{did}#{}", other_keys[0].key_id));
    let error = app.app.verify(&borrowed).await.unwrap_err();
    assert!(error.to_string().contains("the issuer has no such key"), "{error}");
}

/// Every leaf of a JSON value with a function that changes it.
fn leaf_paths(value: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) => {
            map.iter().for_each(|(k, v)| leaf_paths(v, [path.clone(), vec![k.clone()]].concat(), out))
        }
        Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| leaf_paths(v, [path.clone(), vec![i.to_string()]].concat(), out))
        }
        _ => out.push(path),
    }
}

fn mutate(doc: &mut Value, path: &[String]) {
    let mut target = doc;
    for key in path {
        target = match target {
            Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
            other => &mut other[key.as_str()],
        };
    }
    *target = match target.take() {
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Number(n) => json!(n.as_f64().unwrap() + 1.0),
        Value::Bool(b) => Value::Bool(!b),
        other => panic!("not a leaf: {other}"),
    };
}

#[tokio::test]
async fn changing_any_value_or_any_character_of_the_proof_value_fails_verification() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let did = default_did(&app.app).await;
    for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
        let signed = app
            .app
            .sign_credential(&"default".parse().unwrap(), &example(&did, &app.base).to_value(), suite)
            .await
            .unwrap();
        let mut paths = Vec::new();
        leaf_paths(&signed, vec![], &mut paths);
        assert!(paths.len() > 40, "{}", paths.len());
        for path in &paths {
            let mut tampered = signed.clone();
            mutate(&mut tampered, path);
            // A value that names a key ("verificationMethod") may not resolve: that is "could not check",
            // which is also not a success.
            let verified = app.app.verify(&tampered).await.map(|r| r.verified).unwrap_or(false);
            assert!(!verified, "{suite}: changing {} still verified", path.join("."));
        }
        let proof_value = signed["proof"][0]["proofValue"].as_str().unwrap().to_owned();
        for i in 1..proof_value.len() {
            let mut chars: Vec<char> = proof_value.chars().collect();
            chars[i] = if chars[i] == '2' { '3' } else { '2' };
            let mut tampered = signed.clone();
            tampered["proof"][0]["proofValue"] = Value::String(chars.into_iter().collect());
            let report = app.app.verify(&tampered).await.unwrap();
            assert!(!report.verified, "{suite}: proofValue character {i}");
            assert_eq!(report.outcome, Outcome::Invalid);
        }
    }
}

#[tokio::test]
async fn expired_and_not_yet_valid_are_distinct_verdicts() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let did = default_did(&app.app).await;
    let slug = "default".parse().unwrap();
    for (from, until, outcome) in [
        ("2020-01-01T00:00:00Z", Some("2021-01-01T00:00:00Z"), Outcome::Expired),
        ("2099-01-01T00:00:00Z", None, Outcome::NotYetValid),
    ] {
        let mut credential = example(&did, &app.base);
        credential.valid_from = from.into();
        credential.valid_until = until.map(Into::into);
        let signed = app.app.sign_credential(&slug, &credential.to_value(), Cryptosuite::EddsaRdfc2022).await.unwrap();
        let report = app.app.verify(&signed).await.unwrap();
        assert_eq!(report.outcome, outcome);
        assert!(!report.verified);
        assert_eq!(check(&report, "proof").status, CheckStatus::Pass, "the signature itself is fine");
        assert_eq!(check(&report, "validity").status, CheckStatus::Fail);
    }
}

#[tokio::test]
async fn a_credential_signed_by_someone_else_than_its_issuer_is_not_verified() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let did = default_did(&app.app).await;
    // Mallory signs a credential naming our issuer, with her own did:key.
    let mallory = IssuerSigningKey::from_seed(&[42; 32]);
    let mallory_did = did_key(&mallory.public_key());
    let options = ProofOptions {
        cryptosuite: Cryptosuite::EddsaRdfc2022,
        verification_method: format!("{mallory_did}#{}", mallory.key_id()),
        proof_purpose: "assertionMethod".into(),
        created: time::OffsetDateTime::now_utc(),
        id: None,
        previous_proof: None,
    };
    let forged = proof::secure(&example(&did, &app.base).to_value(), &options, &mallory).unwrap();
    let report = app.app.verify(&forged).await.unwrap();
    assert_eq!(check(&report, "proof").status, CheckStatus::Pass, "the signature is mathematically valid");
    assert_eq!(check(&report, "issuer").status, CheckStatus::Fail);
    assert!(!report.verified);
    assert_eq!(report.outcome, Outcome::Invalid);
}

#[tokio::test]
async fn signing_refuses_undefined_terms_another_issuer_and_malformed_credentials() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let did = default_did(&app.app).await;
    let slug = "default".parse().unwrap();
    let mut credential = example(&did, &app.base).to_value();
    credential["credentialSubject"]["favouriteColour"] = json!("blue");
    let err = app.app.sign_credential(&slug, &credential, Cryptosuite::EddsaRdfc2022).await.unwrap_err().to_string();
    assert!(err.contains("favouriteColour"), "{err}");

    let mut other_issuer = example("did:web:elsewhere.example:issuers:x", &app.base).to_value();
    let err = app.app.sign_credential(&slug, &other_issuer, Cryptosuite::EddsaRdfc2022).await.unwrap_err().to_string();
    assert!(err.contains("issuer"), "{err}");
    other_issuer["issuer"]["id"] = json!(did);
    other_issuer["validFrom"] = json!("yesterday");
    let err = app.app.sign_credential(&slug, &other_issuer, Cryptosuite::EddsaRdfc2022).await.unwrap_err().to_string();
    assert!(err.contains("validFrom"), "{err}");
}

#[tokio::test]
async fn peer_signed_credentials_verify_with_a_schema_warning_and_the_tampered_one_does_not() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/peer-signed");
    for (file, verified) in [
        ("ob3-did-key-eddsa-rdfc-2022.json", true),
        ("ob3-did-key-eddsa-jcs-2022.json", true),
        ("ob3-did-key-eddsa-rdfc-2022-tampered-name.json", false),
    ] {
        let credential: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{file}")).unwrap()).unwrap();
        let report = app.app.verify(&credential).await.unwrap();
        assert_eq!(report.verified, verified, "{file}: {report:#?}");
        let schema = check(&report, "schema");
        assert_eq!(schema.status, CheckStatus::Warn, "{file}");
        assert!(schema.detail.contains("/proof"), "{}", schema.detail);
        assert_eq!(report.warnings.len(), 1, "{file}");
    }
}

#[tokio::test]
async fn the_w3c_vector_credentials_verify_cryptographically_but_are_not_bound_to_their_issuer() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vc-di-eddsa");
    for file in [
        "eddsa-rdfc-2022/signedDataInt.json",
        "eddsa-jcs-2022/signedJCS.json",
        "proof-set-chain/signedProofSet2.json",
        "proof-set-chain/signedProofChain2.json",
    ] {
        let credential: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{file}")).unwrap()).unwrap();
        let report = app.app.verify(&credential).await.unwrap();
        let proofs: Vec<_> = report.checks.iter().filter(|c| c.name.starts_with("proof")).collect();
        assert!(!proofs.is_empty() && proofs.iter().all(|c| c.status == CheckStatus::Pass), "{file}: {report:#?}");
        // The vectors' issuer (https://vc.example/issuers/5678) is not the signing did:key.
        assert_eq!(check(&report, "issuer").status, CheckStatus::Fail, "{file}");
    }
}

#[tokio::test]
async fn other_did_web_hosts_are_fetched_only_when_enabled_and_failures_are_could_not_check() {
    let mut credential = example("did:web:127.0.0.1%3A1:issuers:x", "https://certs.example.eu").to_value();
    credential["proof"] = json!([{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
        "verificationMethod": "did:web:127.0.0.1%3A1:issuers:x#z6Mk", "proofPurpose": "assertionMethod", "proofValue": "z11"}]);

    let off = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let err = off.app.verify(&credential).await.unwrap_err().to_string();
    assert!(err.contains("switched off"), "{err}");

    let on = TestApp::spawn_with(Backend::Sqlite, |s| s.did_web_resolution = Some(true)).await.unwrap();
    let err = on.app.verify(&credential).await.unwrap_err().to_string();
    // Even when enabled, a DID that points at a loopback (or any private) address is never fetched.
    assert!(err.contains("https://127.0.0.1:1/issuers/x/did.json: 127.0.0.1 is not a public address"), "{err}");
}

#[tokio::test]
async fn a_term_added_after_signing_is_reported_as_undefined() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let did = default_did(&app.app).await;
    let mut signed = app
        .app
        .sign_credential(&"default".parse().unwrap(), &example(&did, &app.base).to_value(), Cryptosuite::EddsaRdfc2022)
        .await
        .unwrap();
    signed["credentialSubject"]["favouriteColour"] = json!("blue");
    let report = app.app.verify(&signed).await.unwrap();
    assert!(!report.verified);
    let proof = check(&report, "proof");
    assert_eq!(proof.status, CheckStatus::Fail);
    assert!(proof.detail.contains("favouriteColour"), "{}", proof.detail);
    assert!(report.errors.iter().any(|e| e.kind.ends_with("#PROOF_TRANSFORMATION_ERROR")), "{:?}", report.errors);
}
