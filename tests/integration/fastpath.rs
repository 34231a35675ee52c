//! The canonicalization fast path must give exactly the bytes of the general JSON-LD path: checked on
//! randomized credentials (every optional field present or absent, any Unicode, duplicates, odd ids) and
//! on the proof configurations microcred signs.

use microcred::vc::canon;
use microcred::vc::credential::{
    Achievement, AchievementSubject, Address, Alignment, Criteria, EuElements, IdentityObject, Image,
    OpenBadgeCredential, Profile, ResultEntry, eu_contexts, ob_contexts,
};
use microcred::vc::fastpath;
use microcred::vc::proof::{self, Cryptosuite, ProofOptions};
use proptest::prelude::*;
use serde_json::json;

/// Any text, including control characters, quotes, backslashes and astral-plane characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\PC]{0,30}",
        Just("Иван Петров".to_owned()),
        Just("Γιώργος Παπαδόπουλος".to_owned()),
        Just("\"quoted\" \\ back\\slash\n\ttab \u{0}\u{7f}\u{1F393}".to_owned()),
        Just(String::new()),
        Just("  padded on both sides  ".to_owned()),
        Just("ends with a newline\n".to_owned()),
        Just("urn:x-microcred-leaf:3".to_owned()),
    ]
}

/// Identifiers: mostly valid absolute IRIs, sometimes values JSON-LD treats differently.
fn iri() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9]{1,12}".prop_map(|s| format!("https://example.eu/{s}")),
        2 => "[a-zA-Z0-9]{8,20}".prop_map(|s| format!("did:web:example.eu:issuers:{s}")),
        1 => "[0-9a-f]{8}".prop_map(|s| format!("urn:uuid:{s}-0000-4000-8000-000000000000")),
        1 => Just("relative/path".to_owned()),
        1 => Just("_:b7".to_owned()),
        1 => Just("mailto:someone@example.eu".to_owned()),
        1 => Just("https://example.eu/with space".to_owned()),
    ]
}

fn date() -> impl Strategy<Value = String> {
    prop_oneof![Just("2026-01-15T09:30:00Z".to_owned()), Just("2027-06-01T00:00:00+02:00".to_owned()), text()]
}

prop_compose! {
    fn alignment()(name in text(), url in iri(), code in proptest::option::of(text()), framework in proptest::option::of(text())) -> Alignment {
        Alignment { kind: vec!["Alignment".into()], target_name: name, target_url: url, target_code: code, target_framework: framework }
    }
}

/// Numbers as microcred issues them: credits and hours with at most two decimals (arbitrary doubles need more
/// digits than signed JSON-LD keeps, and are refused by both paths alike).
fn cents(below: u32) -> impl Strategy<Value = f64> {
    (0..below).prop_map(|c| f64::from(c) / 100.0)
}

prop_compose! {
    fn eu_elements()(
        learning_outcome in proptest::collection::btree_set(text(), 0..3).prop_map(Vec::from_iter),
        workload_hours in proptest::option::of(prop_oneof![Just(25.0), Just(7.5), cents(100_000)]),
        assessment_type in proptest::option::of(text()), participation_form in proptest::option::of(text()),
        quality_assurance in proptest::option::of(text()), prerequisites in proptest::option::of(text()),
        supervision in proptest::option::of(text()), grade_scheme in proptest::option::of(text()),
        stackability in proptest::option::of(text()),
    ) -> EuElements {
        EuElements {
            learning_outcome, workload_hours, assessment_type, participation_form, quality_assurance, prerequisites,
            supervision, grade_scheme, stackability,
        }
    }
}

prop_compose! {
    fn achievement()(
        id in iri(), name in text(), description in text(), narrative in text(),
        achievement_type in proptest::option::of(prop_oneof![Just("MicroCredential".to_owned()), Just("Badge".to_owned()), text()]),
        credits in proptest::option::of(prop_oneof![Just(5.0), Just(2.5), Just(0.0), cents(40_000)]),
        language in proptest::option::of(prop_oneof![Just("bg".to_owned()), Just("el-GR".to_owned()), text()]),
        image in proptest::option::of(iri()),
        alignment in proptest::collection::vec(alignment(), 0..3),
        tag in proptest::collection::btree_set(text(), 0..3).prop_map(Vec::from_iter),
        eu in prop_oneof![Just(EuElements::default()).boxed(), eu_elements().boxed()],
    ) -> Achievement {
        Achievement {
            id, kind: vec!["Achievement".into()], name, description, criteria: Criteria { narrative },
            achievement_type, credits_available: credits, in_language: language,
            image: image.map(|id| Image { id, kind: "Image".into() }), alignment, tag, eu,
        }
    }
}

prop_compose! {
    fn profile()(
        id in iri(), name in text(), url in proptest::option::of(iri()), email in proptest::option::of(text()),
        description in proptest::option::of(text()), logo in proptest::option::of(iri()),
        country in proptest::option::of(prop_oneof![Just("BG".to_owned()), text()]),
    ) -> Profile {
        Profile {
            id, kind: vec!["Profile".into()], name, url, email, description,
            image: logo.map(|id| Image { id, kind: "Image".into() }),
            address: country.map(|c| Address { kind: vec!["Address".into()], address_country_code: c }),
        }
    }
}

prop_compose! {
    fn subject()(
        id in proptest::option::of(iri()), learner in text(), name in proptest::option::of(text()),
        email in proptest::option::of(text()), duplicate_identifier in any::<bool>(),
        achievement in achievement().boxed(), credits_earned in proptest::option::of(prop_oneof![Just(5.0), cents(1_000)]),
        results in proptest::collection::vec(proptest::option::of(text()), 0..3),
    ) -> AchievementSubject {
        let mut identifier = vec![IdentityObject::name(&learner)];
        if let Some(email) = email {
            identifier.push(IdentityObject::hashed_email_with_salt(&email, "5a17"));
        }
        if duplicate_identifier {
            identifier.push(IdentityObject::name(&learner));
        }
        AchievementSubject {
            id, kind: vec!["AchievementSubject".into()], name, identifier, achievement, credits_earned,
            result: results.into_iter().map(|value| ResultEntry { kind: vec!["Result".into()], value }).collect(),
        }
    }
}

prop_compose! {
    fn credential()(
        id in iri(), issuer in profile().boxed(), valid_from in date(), valid_until in proptest::option::of(date()),
        name in text(), description in proptest::option::of(text()), credential_subject in subject().boxed(),
        renews in proptest::option::of((iri(), text())),
    ) -> OpenBadgeCredential {
        OpenBadgeCredential {
            context: credential_subject.achievement.contexts(),
            id,
            kind: vec!["VerifiableCredential".into(), "OpenBadgeCredential".into()],
            issuer, valid_from, valid_until, name, description, credential_subject,
            credential_status: None,
            // A renewal names the credential it renews (VCDM 2.0 relatedResource with a digest).
            related_resource: renews
                .map(|(id, document)| microcred::vc::credential::RelatedResource::credential(&id, &document))
                .into_iter()
                .collect(),
            proof: vec![],
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn fast_path_equals_general_path_on_random_credentials(credential in credential().boxed()) {
        let document = credential.to_value();
        prop_assert!(OpenBadgeCredential::is_exact_shape(&document));
        let general = canon::rdfc(&document);
        // Twice: the first call may fill the skeleton cache, the second must use it.
        prop_assert_eq!(&fastpath::rdfc(&document), &general);
        prop_assert_eq!(&fastpath::rdfc(&document), &general);
    }

    #[test]
    fn typed_signing_equals_signing_the_json_and_standard_types_are_all_defined(credential in credential().boxed()) {
        let key = microcred::keys::IssuerSigningKey::from_seed(&[3; 32]);
        let document = credential.to_value();
        if credential.has_standard_vocabulary() {
            let defined = canon::to_rdf(&document);
            prop_assert!(!matches!(defined, Err(canon::CanonError::UndefinedTerms(_))), "{:?}", defined);
        }
        for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
            let options = ProofOptions {
                cryptosuite: suite,
                verification_method: "did:key:z6Mk#z6Mk".into(),
                proof_purpose: "assertionMethod".into(),
                created: time::macros::datetime!(2026-11-27 10:00 UTC),
                id: None,
                previous_proof: None,
            };
            let typed = proof::sign_credential(&credential, &options, &key).map(|c| c.to_value());
            let generic = proof::secure(&document, &options, &key);
            prop_assert_eq!(typed, generic);
        }
    }

    #[test]
    fn fast_path_equals_general_path_on_proof_configurations(
        created in date(), method in iri(), suite in prop_oneof![Just("eddsa-rdfc-2022"), Just("eddsa-jcs-2022")],
        purpose in prop_oneof![Just("assertionMethod"), Just("authentication"), Just("madeUpPurpose")],
        contexts in prop_oneof![Just(ob_contexts()), Just(eu_contexts())],
    ) {
        let config = json!({
            "type": "DataIntegrityProof", "cryptosuite": suite, "created": created,
            "verificationMethod": method, "proofPurpose": purpose, "@context": contexts,
        });
        prop_assert_eq!(fastpath::rdfc(&config), canon::rdfc(&config));
    }
}

#[test]
fn fast_path_reproduces_the_w3c_vector_documents() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vc-di-eddsa");
    for (input, expected) in [
        ("unsigned.json", "eddsa-rdfc-2022/canonDocDataInt.txt"),
        ("eddsa-rdfc-2022/proofConfigDataInt.json", "eddsa-rdfc-2022/proofCanonDataInt.txt"),
        ("employmentAuth.json", "eddsa-rdfc-2022/employ/canonDocDataInt.txt"),
    ] {
        let document: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{input}")).unwrap()).unwrap();
        let expected = std::fs::read_to_string(format!("{dir}/{expected}")).unwrap();
        assert_eq!(fastpath::rdfc(&document).unwrap(), expected, "{input}");
        assert_eq!(fastpath::rdfc(&document).unwrap(), expected, "{input} (cached)");
    }
}

#[test]
fn microcred_credentials_and_proof_configurations_take_the_fast_path() {
    let credential =
        microcred::vc::credential::example("did:web:certs.example.eu:issuers:ucs", "https://certs.example.eu");
    let document = credential.to_value();
    assert!(OpenBadgeCredential::is_exact_shape(&document));
    assert!(fastpath::used(&document));
    assert_eq!(credential.context, microcred::vc::credential::eu_contexts(), "the example carries EU elements");
    // Any other inline context is not microcred's shape.
    let mut foreign = document.clone();
    foreign["@context"][2] = json!({"learningOutcome": "https://example.org/lo"});
    assert!(!OpenBadgeCredential::is_exact_shape(&foreign));
    // Equal objects in one array send the document to the bounded general path.
    let mut duplicated = credential.clone();
    duplicated
        .credential_subject
        .achievement
        .alignment
        .push(duplicated.credential_subject.achievement.alignment[0].clone());
    assert!(!fastpath::used(&duplicated.to_value()));
    assert_eq!(fastpath::rdfc(&duplicated.to_value()), canon::rdfc(&duplicated.to_value()));
}
