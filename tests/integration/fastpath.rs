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
        // With the noncharacters U+FFFE and U+FFFF, and a backslash-u that is not an escape.
        Just("\"quoted\" \\ back\\slash\n\ttab \u{0}\u{7f}\u{1F393} \u{FFFE}\u{FFFF} \\uFFFF".to_owned()),
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

/// A blank node, an IRI, a literal (any text, plain, typed or language-tagged): the terms of random datasets.
fn term(blanks: usize) -> impl Strategy<Value = oxrdf::Term> {
    prop_oneof![
        3 => (0..blanks).prop_map(|b| oxrdf::BlankNode::new_unchecked(format!("b{b}")).into()),
        2 => "[a-c]{1,2}".prop_map(|s| oxrdf::NamedNode::new_unchecked(format!("https://example.eu/{s}")).into()),
        2 => text().prop_map(|s| oxrdf::Literal::new_simple_literal(s).into()),
        1 => ("[a-c]{0,2}", prop_oneof![Just("en"), Just("bg"), Just("el-gr")])
            .prop_map(|(s, l)| oxrdf::Literal::new_language_tagged_literal_unchecked(s, l).into()),
        1 => "[0-9]{1,2}".prop_map(|s| oxrdf::Literal::new_typed_literal(s, oxrdf::vocab::xsd::INTEGER).into()),
    ]
}

/// Random datasets over a few blank nodes: often every blank node has a first-degree hash of its own,
/// sometimes two share one (symmetric nodes), sometimes a quad is repeated or loops on a blank node.
fn dataset() -> impl Strategy<Value = Vec<oxrdf::Quad>> {
    (1usize..6).prop_flat_map(|blanks| {
        let quad = (
            term(blanks),
            "[p-r]".prop_map(|p| oxrdf::NamedNode::new_unchecked(format!("https://example.eu/{p}"))),
            term(blanks),
            prop_oneof![
                4 => Just(oxrdf::GraphName::DefaultGraph),
                1 => Just(oxrdf::NamedNode::new_unchecked("https://example.eu/g").into()),
                1 => (0..blanks).prop_map(|b| oxrdf::BlankNode::new_unchecked(format!("b{b}")).into()),
            ],
        )
            .prop_filter_map("a subject is an IRI or a blank node", |(s, p, o, g)| {
                let subject: oxrdf::NamedOrBlankNode = match s {
                    oxrdf::Term::NamedNode(n) => n.into(),
                    oxrdf::Term::BlankNode(b) => b.into(),
                    oxrdf::Term::Literal(_) => return None,
                };
                Some(oxrdf::Quad::new(subject, p, o, g))
            });
        proptest::collection::vec(quad, 1..14)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The first-degree steps give RDFC-1.0's bytes whenever they answer, and so does the general path's
    /// canonicalization (those steps, or rdf-canon's complete algorithm, bounded) within its bound.
    #[test]
    fn first_degree_rdfc_equals_the_complete_algorithm(quads in dataset()) {
        let complete = canon::canonicalize_complete(&quads);
        prop_assume!(complete.is_ok(), "rdf-canon's work bound");
        let complete = complete.unwrap();
        prop_assert_eq!(canon::canonicalize(&quads).unwrap(), complete.clone());
        if let Some(first) = canon::canonicalize_first_degree(quads.iter().map(Into::into)) {
            prop_assert_eq!(&first, &complete);
        }
    }
}

#[test]
fn first_degree_rdfc_answers_for_credentials_and_declines_shared_hashes() {
    let credential =
        microcred::vc::credential::example("did:web:certs.example.eu:issuers:ucs", "https://certs.example.eu");
    let quads = canon::to_rdf(&credential.to_value()).unwrap();
    assert!(quads.iter().any(|q| q.subject.is_blank_node()), "the credential has blank nodes");
    assert_eq!(
        canon::canonicalize_first_degree(quads.iter().map(Into::into)).as_deref(),
        Some(canon::canonicalize_complete(&quads).unwrap().as_str())
    );
    // Two blank nodes with the same properties share a first-degree hash: the N-degree steps decide.
    let (a, b) = (oxrdf::BlankNode::new_unchecked("a"), oxrdf::BlankNode::new_unchecked("b"));
    let p = oxrdf::NamedNode::new_unchecked("https://example.eu/p");
    let symmetric = vec![
        oxrdf::Quad::new(a.clone(), p.clone(), b.clone(), oxrdf::GraphName::DefaultGraph),
        oxrdf::Quad::new(b, p, a, oxrdf::GraphName::DefaultGraph),
    ];
    assert_eq!(canon::canonicalize_first_degree(symmetric.iter().map(Into::into)), None);
    let complete = canon::canonicalize_complete(&symmetric).unwrap();
    assert_eq!(canon::canonicalize(&symmetric).unwrap(), complete);
}

/// A blank node that is its own object (`_:x <r> _:x`) counts that quad once in its first-degree hash, as in
/// the reference implementation. Expected output made by rdf-canonize 4 (`benches/reference`'s, the library
/// behind the Digital Bazaar signers): `canonize(input, {algorithm: 'RDFC-1.0', inputFormat:
/// 'application/n-quads', format: 'application/n-quads'})`. rdf-canon 0.15.3 counted it twice and labelled
/// the two blank nodes the other way round.
#[test]
fn a_blank_node_that_loops_is_labelled_as_the_reference_implementation_labels_it() {
    let input = "<https://example.eu/b> <https://example.eu/q> _:x .
_:x <https://example.eu/q> <https://example.eu/b> .
_:x <https://example.eu/r> \"\"@bg .
_:x <https://example.eu/r> _:x .
_:y <https://example.eu/p> _:y .
";
    let expected = "<https://example.eu/b> <https://example.eu/q> _:c14n0 .
_:c14n0 <https://example.eu/q> <https://example.eu/b> .
_:c14n0 <https://example.eu/r> \"\"@bg .
_:c14n0 <https://example.eu/r> _:c14n0 .
_:c14n1 <https://example.eu/p> _:c14n1 .
";
    let quads: Vec<oxrdf::Quad> = input
        .lines()
        .map(|line| {
            let terms: Vec<&str> = line.trim_end_matches(" .").splitn(3, ' ').collect();
            let node = |t: &str| -> oxrdf::Term {
                match t.strip_prefix("_:") {
                    Some(id) => oxrdf::BlankNode::new_unchecked(id).into(),
                    None if t.starts_with('<') => oxrdf::NamedNode::new_unchecked(&t[1..t.len() - 1]).into(),
                    None => oxrdf::Literal::new_language_tagged_literal_unchecked("", "bg").into(),
                }
            };
            let subject = match node(terms[0]) {
                oxrdf::Term::NamedNode(n) => oxrdf::NamedOrBlankNode::from(n),
                oxrdf::Term::BlankNode(b) => b.into(),
                oxrdf::Term::Literal(_) => unreachable!("no literal subject in the input"),
            };
            let oxrdf::Term::NamedNode(predicate) = node(terms[1]) else { unreachable!("predicates are IRIs") };
            oxrdf::Quad::new(subject, predicate, node(terms[2]), oxrdf::GraphName::DefaultGraph)
        })
        .collect();
    assert_eq!(quads.len(), 5);
    assert_eq!(canon::canonicalize_complete(&quads).unwrap(), expected, "rdf-canon, bounded");
    assert_eq!(canon::canonicalize(&quads).unwrap(), expected, "the general path");
    assert_eq!(canon::canonicalize_first_degree(quads.iter().map(Into::into)), None, "loops are left to rdf-canon");
}

/// A poisoned dataset (blank nodes that all look alike, so RDFC-1.0's N-degree steps try their permutations)
/// is refused by the general path within its work bound: the first-degree steps in front of it decline it.
#[test]
fn the_general_path_refuses_a_poisoned_dataset() {
    let nodes: Vec<oxrdf::BlankNode> = (0..10).map(|i| oxrdf::BlankNode::new_unchecked(format!("n{i}"))).collect();
    let p = oxrdf::NamedNode::new_unchecked("https://example.eu/p");
    let mut quads = Vec::new();
    for a in &nodes {
        for b in nodes.iter().filter(|b| *b != a) {
            quads.push(oxrdf::Quad::new(a.clone(), p.clone(), b.clone(), oxrdf::GraphName::DefaultGraph));
        }
    }
    assert_eq!(canon::canonicalize_first_degree(quads.iter().map(Into::into)), None);
    assert!(matches!(canon::canonicalize(&quads), Err(canon::CanonError::Canonicalization(_))));
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

/// String values whose JSON-LD meaning depends on the value (blank-node ids, relative and compact IRIs, terms
/// expanded through `@vocab`), that the skeleton itself uses (its markers, the undefined-term sentinel), or that
/// JSON-LD refuses.
fn tricky_string() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(json!("_:b0")),
        Just(json!("urn:x-microcred-leaf:0")),
        Just(json!("urn:x-microcred-leaf:1")),
        Just(json!("see urn:x-microcred-leaf:2")),
        Just(json!("urn:microcred:undefined-term:name")),
        Just(json!("did:example:other")),
        Just(json!("urn:uuid:00000000-0000-4000-8000-000000000000")),
        Just(json!("https://elsewhere.example/x")),
        Just(json!("relative/x")),
        Just(json!("mailto:learner@example.eu")),
        Just(json!("https ://not-an-iri")),
        Just(json!("VerifiableCredential")),
        Just(json!("assertionMethod")),
        Just(json!("xsd:string")),
        Just(json!("")),
    ]
}

/// Documents anyone could send: arbitrary VCDM 2.0 credentials (with their embedded context, which keeps them
/// on the general path, or without it, on the bundled contexts' `@vocab`), and Open Badges 3.0 credentials
/// (another issuer's, with variations).
fn foreign_document() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        crate::lossless::document(),
        crate::lossless::document().prop_map(|mut document| {
            document["@context"].as_array_mut().unwrap().pop();
            document
        }),
        crate::context_cache::open_badge(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// The foreign cache changes nothing but speed: on arbitrary documents, with one string changed to a
    /// tricky value anywhere (a type, a context, an id, a literal), the same canonical N-Quads or the same error.
    #[test]
    fn foreign_fast_path_equals_general_path_on_arbitrary_documents(
        document in foreign_document(),
        change in proptest::option::of((any::<proptest::sample::Index>(), tricky_string())),
    ) {
        let mut document = document;
        if let Some((index, value)) = change {
            let mut paths = Vec::new();
            crate::lossless::leaves(&document, &mut Vec::new(), &mut paths);
            let path = index.get(&paths).clone();
            *crate::lossless::leaf_mut(&mut document, &path) = value;
        }
        let general = canon::rdfc(&document);
        // Twice: the first call may fill the skeleton cache, the second must use it.
        prop_assert_eq!(&fastpath::rdfc_foreign(&document), &general, "document: {}", document);
        prop_assert_eq!(&fastpath::rdfc_foreign(&document), &general, "document: {}", document);
    }
}

/// Which foreign documents the fast path takes: another issuer's Open Badges credential, as sent to
/// `/credentials/issue` and `/credentials/verify`; not one with an embedded context or a blank-node id, nor
/// one too large to keep.
#[test]
fn foreign_documents_on_bundled_contexts_take_the_fast_path() {
    let credential = crate::context_cache::peer_credential();
    assert!(fastpath::used_foreign(&credential));
    assert_eq!(fastpath::rdfc_foreign(&credential), canon::rdfc(&credential));
    // Its string values are not part of its shape.
    let mut renamed = credential.clone();
    renamed["credentialSubject"]["name"] = json!("Γιώργος Παπαδόπουλος");
    renamed["issuer"]["id"] = json!("did:web:certs.example.eu:issuers:ucs");
    assert!(fastpath::used_foreign(&renamed));
    assert_eq!(fastpath::rdfc_foreign(&renamed), canon::rdfc(&renamed));
    assert_ne!(fastpath::rdfc_foreign(&renamed), fastpath::rdfc_foreign(&credential));

    let mut embedded = credential.clone();
    embedded["@context"].as_array_mut().unwrap().push(json!({"did": "https://prefix.example/"}));
    assert!(!fastpath::used_foreign(&embedded));
    // There the issuer's `did:key:…` is a compact IRI: its meaning depends on its value.
    assert_eq!(fastpath::rdfc_foreign(&embedded), canon::rdfc(&embedded));
    assert!(canon::rdfc(&embedded).unwrap().contains("<https://prefix.example/key:"));
    let mut blank = credential.clone();
    blank["issuer"]["id"] = json!("_:issuer");
    assert!(!fastpath::used_foreign(&blank));
    assert_eq!(fastpath::rdfc_foreign(&blank), canon::rdfc(&blank));
    let mut large = credential.clone();
    large["credentialSubject"]["achievement"]["tag"] =
        json!((0..fastpath::FOREIGN_VALUES).map(|i| format!("tag {i}")).collect::<Vec<_>>());
    assert!(!fastpath::used_foreign(&large));
    assert_eq!(fastpath::rdfc_foreign(&large), canon::rdfc(&large));
    let mut long = credential;
    long["credentialSubject"]["achievement"]["image"] =
        json!({"id": format!("data:image/png;base64,{}", "A".repeat(fastpath::FOREIGN_TEXT)), "type": "Image"});
    assert!(!fastpath::used_foreign(&long));
    assert_eq!(fastpath::rdfc_foreign(&long), canon::rdfc(&long));
}

/// Objects of one array that differ as JSON but say the same thing in RDF become blank nodes with the same
/// first-degree hash, which RDFC-1.0's N-degree steps must tell apart. The fast path declines them, and the
/// general path, whose work is bounded, canonicalizes them: the same answer, in bounded time. (Before, the fast
/// path gave them to oxrdf's complete implementation, which has no bound and enumerates the orderings of such
/// nodes: a dozen, 12! orderings, sent by anyone to the public `/credentials/verify`, would exhaust memory.)
#[test]
fn objects_that_say_the_same_thing_take_the_bounded_general_path() {
    let mut credential = crate::context_cache::peer_credential();
    let alike: Vec<serde_json::Value> = (0..12)
        .map(|i| {
            let mut object = json!({"name": "x"});
            for k in 0..i {
                object[format!("empty{k}")] = json!([]);
            }
            object
        })
        .collect();
    // Under a blank node (an achievement without an id), so that telling them apart needs their parent too.
    credential["credentialSubject"]["achievement"].as_object_mut().unwrap().remove("id");
    credential["credentialSubject"]["achievement"]["alignment"] = json!(alike);
    let general = canon::rdfc(&credential);
    assert!(general.is_ok(), "{general:?}");
    assert_eq!(fastpath::rdfc_foreign(&credential), general);
    assert_eq!(fastpath::rdfc_foreign(&credential), general, "cached");
}

/// A type equal to a marker would be taken for one (and replaced by another string of the document): such a
/// document takes the general path, own shape or not.
#[test]
fn a_string_equal_to_a_marker_is_not_substituted() {
    let mut credential = crate::context_cache::peer_credential();
    credential["type"] = json!(["VerifiableCredential", "OpenBadgeCredential", "urn:x-microcred-leaf:0"]);
    assert!(!fastpath::used_foreign(&credential));
    assert_eq!(fastpath::rdfc_foreign(&credential), canon::rdfc(&credential));
    let own = microcred::vc::credential::example("did:web:certs.example.eu:issuers:ucs", "https://certs.example.eu");
    let mut own = own.to_value();
    own["credentialSubject"]["achievement"]["id"] = json!("urn:microcred:undefined-term:x");
    assert!(!fastpath::used(&own));
    assert_eq!(fastpath::rdfc(&own), canon::rdfc(&own));
}

/// U+FFFE and U+FFFF in a literal are written as they are, as the reference implementation (rdf-canonize, behind
/// most verifiers) writes them, on every path: oxrdf 0.3 escaped them in the first-degree steps, so a credential
/// holding one got a signature no other verifier accepted, and this path disagreed with the complete algorithm.
/// Found by checking microcred's signatures with Digital Bazaar's verifier. Expected bytes: made by the
/// reference implementation (tests/fixtures/rdf-canonize/README.md).
#[test]
fn noncharacters_are_canonicalized_as_the_reference_implementation_does() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rdf-canonize");
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/noncharacters.json")).unwrap()).unwrap();
    let expected = std::fs::read_to_string(format!("{dir}/noncharacters.nq")).unwrap();
    assert!(expected.contains('\u{FFFF}') && expected.contains("\\\\uFFFF"), "the fixture holds both");
    assert_eq!(canon::rdfc(&document).unwrap(), expected, "general path");
    assert_eq!(canon::rdfc_uncached(&document).unwrap(), expected);
    assert!(fastpath::used_foreign(&document), "the fast path takes it");
    assert_eq!(fastpath::rdfc_foreign(&document).unwrap(), expected, "fast path");
    assert_eq!(fastpath::rdfc_foreign(&document).unwrap(), expected, "fast path, cached");
    let quads = canon::to_rdf(&document).unwrap();
    assert_eq!(canon::canonicalize_complete(&quads).unwrap(), expected, "complete algorithm");
    assert_eq!(canon::canonicalize_first_degree(quads.iter().map(Into::into)).unwrap(), expected, "first degree");
}
