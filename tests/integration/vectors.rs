//! Known-answer tests: the W3C vc-di-eddsa test vectors reproduced byte for byte, for both cryptosuites.

use microcred::domain::did::{decode_ed25519_multikey, decode_ed25519_secret_multikey};
use microcred::keys::IssuerSigningKey;
use microcred::vc::canon;
use microcred::vc::proof::{self, Cryptosuite, ProofOptions};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vc-di-eddsa");

fn text(path: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(path: &str) -> Value {
    serde_json::from_str(&text(path)).unwrap()
}

fn key(pair: &Value) -> IssuerSigningKey {
    let seed = decode_ed25519_secret_multikey(pair["privateKeyMultibase"].as_str().unwrap()).unwrap();
    let key = IssuerSigningKey::from_seed(&seed);
    assert_eq!(key.key_id(), pair["publicKeyMultibase"].as_str().unwrap(), "the seed gives the published key");
    key
}

fn options_from(config: &Value) -> ProofOptions {
    let created = config["created"].as_str().unwrap();
    ProofOptions {
        cryptosuite: config["cryptosuite"].as_str().unwrap().parse().unwrap(),
        verification_method: config["verificationMethod"].as_str().unwrap().to_owned(),
        proof_purpose: config["proofPurpose"].as_str().unwrap().to_owned(),
        created: time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339).unwrap(),
        id: config.get("id").and_then(Value::as_str).map(str::to_owned),
        previous_proof: config.get("previousProof").cloned(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks every intermediate value of one vector folder against its files.
fn reproduce(unsigned: &str, folder: &str, suffix: &str) {
    let document = json(unsigned);
    let config = json(&format!("{folder}/proofConfig{suffix}.json"));
    let suite: Cryptosuite = config["cryptosuite"].as_str().unwrap().parse().unwrap();
    let canonicalize = |v: &Value| match suite {
        Cryptosuite::EddsaRdfc2022 => canon::rdfc(v).unwrap(),
        Cryptosuite::EddsaJcs2022 => canon::jcs(v).unwrap(),
    };

    let canon_doc = canonicalize(&document);
    assert_eq!(canon_doc, text(&format!("{folder}/canonDoc{suffix}.txt")), "{folder}: canonical document");
    let canon_proof = canonicalize(&config);
    assert_eq!(canon_proof, text(&format!("{folder}/proofCanon{suffix}.txt")), "{folder}: canonical proof config");
    assert_eq!(hex(&Sha256::digest(&canon_doc)), text(&format!("{folder}/docHash{suffix}.txt")));
    assert_eq!(hex(&Sha256::digest(&canon_proof)), text(&format!("{folder}/proofHash{suffix}.txt")));

    let hash = proof::hash_data(suite, &document, config.as_object().unwrap()).unwrap();
    assert_eq!(hex(&hash), text(&format!("{folder}/combinedHash{suffix}.txt")), "{folder}: hashData");

    let signer = key(&json("keyPair.json"));
    assert_eq!(hex(&signer.sign(&hash).to_bytes()), text(&format!("{folder}/sigHex{suffix}.txt")));

    // The whole signing path gives exactly the published proof.
    let made = proof::sign(&document, &options_from(&config), &signer).unwrap();
    let signed = json(&format!("{folder}/signed{suffix}.json"));
    let published = match &signed["proof"] {
        Value::Array(proofs) => proofs[0].clone(),
        single => single.clone(),
    };
    assert_eq!(made["proofValue"], text(&format!("{folder}/sigBTC58{suffix}.txt")).as_str(), "{folder}: proofValue");
    assert_eq!(Value::Object(made), published, "{folder}: the proof object");

    // And the published signed document verifies; any change to the proof value does not.
    let public = signer.verifying_key();
    let mut unsecured = signed.clone();
    unsecured.as_object_mut().unwrap().remove("proof");
    let published = published.as_object().unwrap();
    assert!(proof::verify_signature(&unsecured, published, &public).unwrap());
    let mut tampered: Map<String, Value> = published.clone();
    let mut value = tampered["proofValue"].as_str().unwrap().to_owned();
    let last = if value.ends_with('2') { '3' } else { '2' };
    value.pop();
    value.push(last);
    tampered.insert("proofValue".into(), value.into());
    assert!(!proof::verify_signature(&unsecured, &tampered, &public).unwrap_or(false));
}

#[test]
fn eddsa_rdfc_2022_vector_reproduces_byte_for_byte() {
    reproduce("unsigned.json", "eddsa-rdfc-2022", "DataInt");
}

#[test]
fn eddsa_rdfc_2022_employ_vector_reproduces_byte_for_byte() {
    reproduce("employmentAuth.json", "eddsa-rdfc-2022/employ", "DataInt");
}

#[test]
fn eddsa_jcs_2022_vector_reproduces_byte_for_byte() {
    reproduce("unsigned.json", "eddsa-jcs-2022", "JCS");
}

#[test]
fn proof_sets_and_chains_verify_each_proof() {
    let pairs = json("proof-set-chain/multiKeyPairs.json");
    let unsigned = json("proof-set-chain/unsigned.json");
    for (config, signed, pair) in [
        ("proofSetConfig1", "proofSetConfigSigned1", "keyPair1"),
        ("proofSetConfig2", "proofSetConfigSigned2", "keyPair2"),
    ] {
        let made =
            proof::sign(&unsigned, &options_from(&json(&format!("proof-set-chain/{config}.json"))), &key(&pairs[pair]))
                .unwrap();
        assert_eq!(Value::Object(made), json(&format!("proof-set-chain/{signed}.json")), "{config}");
    }
    // A chained proof signs the document together with the proofs it names.
    for (temp, config, signed, pair) in [
        ("proofChainTempDoc1", "proofChainConfig1", "proofChainConfigSigned1", "keyPair3"),
        ("proofChainTempDoc2", "proofChainConfig2", "proofChainConfigSigned2", "keyPair4"),
    ] {
        let document = json(&format!("proof-set-chain/{temp}.json"));
        let made =
            proof::sign(&document, &options_from(&json(&format!("proof-set-chain/{config}.json"))), &key(&pairs[pair]))
                .unwrap();
        assert_eq!(Value::Object(made), json(&format!("proof-set-chain/{signed}.json")), "{config}");
    }
}

#[test]
fn multikeys_of_the_vectors_decode() {
    let public = json("keyPair.json")["publicKeyMultibase"].as_str().unwrap().to_owned();
    assert_eq!(decode_ed25519_multikey(&public).unwrap().len(), 32);
}
