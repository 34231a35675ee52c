//! Data Integrity proofs with the EdDSA cryptosuites `eddsa-rdfc-2022` and `eddsa-jcs-2022`.
//!
//! See <https://www.w3.org/TR/vc-di-eddsa/> and <https://www.w3.org/TR/vc-data-integrity/>.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::canon::{self, CanonError};
use super::credential::OpenBadgeCredential;
use super::fastpath;
use crate::keys::IssuerSigningKey;

/// The two EdDSA cryptosuites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
pub enum Cryptosuite {
    /// RDF Dataset Canonicalization: signs the document's meaning. The default, and the only suite 1EdTech
    /// certification accepts.
    #[default]
    #[serde(rename = "eddsa-rdfc-2022")]
    #[value(name = "eddsa-rdfc-2022")]
    EddsaRdfc2022,
    /// JSON Canonicalization Scheme: signs the JSON text; far cheaper.
    #[serde(rename = "eddsa-jcs-2022")]
    #[value(name = "eddsa-jcs-2022")]
    EddsaJcs2022,
}

impl Cryptosuite {
    /// The identifier written in `proof.cryptosuite`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EddsaRdfc2022 => "eddsa-rdfc-2022",
            Self::EddsaJcs2022 => "eddsa-jcs-2022",
        }
    }
}

impl fmt::Display for Cryptosuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cryptosuite {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "eddsa-rdfc-2022" => Ok(Self::EddsaRdfc2022),
            "eddsa-jcs-2022" => Ok(Self::EddsaJcs2022),
            other => Err(format!("unsupported cryptosuite {other:?} (expected eddsa-rdfc-2022 or eddsa-jcs-2022)")),
        }
    }
}

/// What a new proof says about itself (everything but `proofValue`).
#[derive(Debug, Clone)]
pub struct ProofOptions {
    /// Which suite.
    pub cryptosuite: Cryptosuite,
    /// `<did>#<key id>` of the signing key.
    pub verification_method: String,
    /// `assertionMethod` for credentials, `authentication` for presentations.
    pub proof_purpose: String,
    /// When the proof was made.
    pub created: OffsetDateTime,
    /// Optional `id` of the proof (needed for proof chains).
    pub id: Option<String>,
    /// Optional `previousProof` (a proof id or array of ids).
    pub previous_proof: Option<Value>,
}

impl ProofOptions {
    /// The proof configuration as JSON, without `proofValue` or `@context`.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut proof = Map::new();
        proof.insert("type".into(), "DataIntegrityProof".into());
        proof.insert("cryptosuite".into(), self.cryptosuite.as_str().into());
        if let Some(id) = &self.id {
            proof.insert("id".into(), id.clone().into());
        }
        proof.insert("created".into(), xsd_date_time(self.created).into());
        proof.insert("verificationMethod".into(), self.verification_method.clone().into());
        proof.insert("proofPurpose".into(), self.proof_purpose.clone().into());
        if let Some(previous) = &self.previous_proof {
            proof.insert("previousProof".into(), previous.clone());
        }
        proof
    }
}

/// An XSD `dateTimeStamp` in UTC with whole seconds (`2026-11-27T10:00:00Z`), what the vectors and
/// most verifiers write.
pub fn xsd_date_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

/// Why a proof could not be made or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The document or proof options have no canonical form.
    #[error(transparent)]
    Canon(#[from] CanonError),
    /// The document is not a JSON object.
    #[error("the document must be a JSON object")]
    NotAnObject,
    /// The proof is malformed (missing or wrong properties).
    #[error("malformed proof: {0}")]
    Malformed(String),
}

/// The proof configuration of a microcred-made proof, as canonicalized (with the document's `@context`):
/// the one proof shape that takes the canonicalization fast path.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownProofConfig {
    #[serde(rename = "type")]
    kind: String,
    cryptosuite: String,
    created: String,
    #[serde(rename = "verificationMethod")]
    verification_method: String,
    #[serde(rename = "proofPurpose")]
    proof_purpose: String,
    #[serde(rename = "@context")]
    context: Vec<Value>,
}

fn is_known_proof_config(config: &Value) -> bool {
    serde_json::from_value::<KnownProofConfig>(config.clone()).is_ok_and(|c| {
        c.context.iter().all(super::contexts::is_own_entry) && serde_json::to_value(c).is_ok_and(|v| v == *config)
    })
}

/// `hashData` of the suite: `SHA-256(canonical proof config) || SHA-256(canonical document)`.
///
/// `unsecured` must not contain `proof`. `proof_config` is the proof without `proofValue`; for
/// `eddsa-rdfc-2022` the document's `@context` is added to it here, for `eddsa-jcs-2022` it must already
/// carry the `@context` it was signed with (see [`sign`]).
pub fn hash_data(
    suite: Cryptosuite,
    unsecured: &Value,
    proof_config: &Map<String, Value>,
) -> Result<[u8; 64], ProofError> {
    let known = OpenBadgeCredential::is_exact_shape(unsecured);
    match suite {
        Cryptosuite::EddsaRdfc2022 => rdfc_hash(unsecured, proof_config, known),
        Cryptosuite::EddsaJcs2022 => {
            // JCS signs the JSON text (every byte: nothing goes unsigned), but a term no context defines would
            // still be meaningless to any JSON-LD consumer, so it is refused here too (as the W3C suites expect).
            if known {
                fastpath::check_defined(unsecured)?;
            } else {
                canon::check_defined_terms(unsecured)?;
            }
            let config = canon::jcs(&Value::Object(proof_config.clone()))?;
            Ok(combine(config.as_bytes(), canon::jcs(unsecured)?.as_bytes()))
        }
    }
}

/// `hashData` for `eddsa-rdfc-2022`, through the fast path: `known` documents (microcred's own shape) and
/// proof configurations use its cache of their shapes, any other its cache of foreign shapes.
fn rdfc_hash(unsecured: &Value, proof_config: &Map<String, Value>, known: bool) -> Result<[u8; 64], ProofError> {
    let mut config = proof_config.clone();
    config.remove("@context");
    if let Some(context) = unsecured.get("@context") {
        config.insert("@context".into(), context.clone());
    }
    let config = Value::Object(config);
    let canonical_config =
        if is_known_proof_config(&config) { fastpath::rdfc(&config)? } else { fastpath::rdfc_foreign(&config)? };
    let canonical_document = if known { fastpath::rdfc(unsecured)? } else { fastpath::rdfc_foreign(unsecured)? };
    Ok(combine(canonical_config.as_bytes(), canonical_document.as_bytes()))
}

/// Signs a credential of microcred's own model (the issuance path) and returns it with its proof.
/// Equivalent to [`secure`] on its JSON, without re-checking a shape the type guarantees; for
/// `eddsa-jcs-2022` the canonical JSON is written straight from the typed value, and the undefined-terms
/// check is skipped when every `type` is the model's standard one (whose terms the OB 3.0 context defines).
pub fn sign_credential(
    credential: &OpenBadgeCredential,
    options: &ProofOptions,
    key: &IssuerSigningKey,
) -> Result<OpenBadgeCredential, ProofError> {
    let mut signed = credential.clone();
    signed.proof.clear();
    let mut proof = options.to_json();
    let hash = match options.cryptosuite {
        Cryptosuite::EddsaRdfc2022 => rdfc_hash(&signed.to_value(), &proof, true)?,
        Cryptosuite::EddsaJcs2022 => {
            if !signed.has_standard_vocabulary() {
                fastpath::check_defined(&signed.to_value())?;
            }
            proof.insert("@context".into(), Value::Array(signed.context.clone()));
            let jcs = |e: serde_json::Error| CanonError::Jcs(e.to_string());
            let config = serde_json_canonicalizer::to_vec(&proof).map_err(jcs)?;
            let document = serde_json_canonicalizer::to_vec(&signed).map_err(jcs)?;
            combine(&config, &document)
        }
    };
    proof.insert("proofValue".into(), encode_proof_value(&key.sign(&hash)).into());
    signed.proof.push(Value::Object(proof));
    Ok(signed)
}

/// `SHA-256(config) || SHA-256(document)`.
pub fn combine(canonical_config: &[u8], canonical_document: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&Sha256::digest(canonical_config));
    out[32..].copy_from_slice(&Sha256::digest(canonical_document));
    out
}

/// `z` + base58btc of a signature.
pub fn encode_proof_value(signature: &Signature) -> String {
    format!("z{}", bs58::encode(signature.to_bytes()).into_string())
}

/// Decodes a `proofValue`: base58btc multibase of exactly 64 bytes.
pub fn decode_proof_value(value: &str) -> Result<Signature, ProofError> {
    let encoded = value
        .strip_prefix('z')
        .ok_or_else(|| ProofError::Malformed("proofValue must be base58btc multibase (start with 'z')".into()))?;
    let bytes = bs58::decode(encoded).into_vec().map_err(|e| ProofError::Malformed(format!("proofValue: {e}")))?;
    let bytes: [u8; 64] = bytes
        .try_into()
        .map_err(|_| ProofError::Malformed("proofValue must encode a 64-byte Ed25519 signature".into()))?;
    Ok(Signature::from_bytes(&bytes))
}

/// Signs `unsecured` (which must have no `proof`) and returns the proof object to attach.
///
/// For `eddsa-jcs-2022` the proof carries the document's `@context`, as the suite advises, so that proof
/// sets and chains verify; for `eddsa-rdfc-2022` it does not.
pub fn sign(
    unsecured: &Value,
    options: &ProofOptions,
    key: &IssuerSigningKey,
) -> Result<Map<String, Value>, ProofError> {
    if !unsecured.is_object() {
        return Err(ProofError::NotAnObject);
    }
    let mut proof = options.to_json();
    if options.cryptosuite == Cryptosuite::EddsaJcs2022
        && let Some(context) = unsecured.get("@context")
    {
        proof.insert("@context".into(), context.clone());
    }
    let hash = hash_data(options.cryptosuite, unsecured, &proof)?;
    proof.insert("proofValue".into(), encode_proof_value(&key.sign(&hash)).into());
    Ok(proof)
}

/// Signs `unsecured` and returns the secured document with `proof` as an array of one proof (the form
/// the Open Badges 3.0 JSON Schema requires).
pub fn secure(unsecured: &Value, options: &ProofOptions, key: &IssuerSigningKey) -> Result<Value, ProofError> {
    let proof = sign(unsecured, options, key)?;
    let mut secured = unsecured.clone();
    if let Value::Object(map) = &mut secured {
        map.insert("proof".into(), Value::Array(vec![Value::Object(proof)]));
    }
    Ok(secured)
}

/// Checks one proof's signature over `unsecured` (the document without `proof`, or with only the proofs
/// this one chains to) with `public_key`. `Ok(false)` means the signature does not match.
pub fn verify_signature(
    unsecured: &Value,
    proof: &Map<String, Value>,
    public_key: &VerifyingKey,
) -> Result<bool, ProofError> {
    let suite: Cryptosuite = proof
        .get("cryptosuite")
        .and_then(Value::as_str)
        .ok_or_else(|| ProofError::Malformed("proof has no cryptosuite".into()))?
        .parse()
        .map_err(ProofError::Malformed)?;
    let (signature, config) = signature_and_config(proof)?;
    let mut unsecured = unsecured.clone();
    if suite == Cryptosuite::EddsaJcs2022
        && let Some(proof_context) = config.get("@context")
    {
        // The document's contexts must start with the proof's, in order; the proof's then stand in.
        if !context_starts_with(unsecured.get("@context"), proof_context) {
            return Ok(false);
        }
        if let Value::Object(map) = &mut unsecured {
            map.insert("@context".into(), proof_context.clone());
        }
    }
    let hash = hash_data(suite, &unsecured, &config)?;
    Ok(public_key.verify_strict(&hash, &signature).is_ok())
}

/// Verifies an `Ed25519Signature2020` proof (the suite before `eddsa-rdfc-2022`, with the same hashing: the
/// RDF-canonical proof options, under the document's `@context`, and document, each SHA-256, concatenated).
/// Only DIDAuth presentations are checked with it (wallets that still sign with it); credentials are not.
///
/// See: <https://w3c-ccg.github.io/di-eddsa-2020/#verify-proof-ed25519signature2020>
pub fn verify_ed25519_signature_2020(
    unsecured: &Value,
    proof: &Map<String, Value>,
    public_key: &VerifyingKey,
) -> Result<bool, ProofError> {
    if proof.get("type").and_then(Value::as_str) != Some("Ed25519Signature2020") {
        return Err(ProofError::Malformed("not an Ed25519Signature2020 proof".into()));
    }
    let (signature, config) = signature_and_config(proof)?;
    let hash = rdfc_hash(unsecured, &config, false)?;
    Ok(public_key.verify_strict(&hash, &signature).is_ok())
}

/// A proof's signature (its multibase `proofValue`) and its configuration (the proof without `proofValue`).
fn signature_and_config(proof: &Map<String, Value>) -> Result<(Signature, Map<String, Value>), ProofError> {
    let proof_value = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .ok_or_else(|| ProofError::Malformed("proof has no proofValue".into()))?;
    let signature = decode_proof_value(proof_value)?;
    let mut config = proof.clone();
    config.remove("proofValue");
    Ok((signature, config))
}

fn context_starts_with(document: Option<&Value>, prefix: &Value) -> bool {
    let as_list = |v: &Value| match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let Some(document) = document else { return false };
    let (document, prefix) = (as_list(document), as_list(prefix));
    document.len() >= prefix.len() && document[..prefix.len()] == prefix[..]
}
