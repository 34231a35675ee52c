//! Verification of a credential: each check is run and reported, and a credential that fails one is a
//! verdict (`verified: false`), not an error. Only "could not check" — input that is not a JSON object, a
//! key that cannot be resolved — is an error.
//!
//! Checks, in order: `structure` (the VC data model), `contexts` (only bundled ones), one `proof` check
//! per proof (signature, purpose, proof chains), `issuer` (the signing key's controller is the issuer),
//! `validity` (not yet valid and expired are distinct outcomes), `status` (Bitstring Status List) and
//! `schema` (the OB 3.0 JSON Schema, warnings only).
//!
//! See <https://www.w3.org/TR/vc-data-model-2.0/#verification> and
//! <https://www.w3.org/TR/vc-data-integrity/#verify-proof>.

use async_trait::async_trait;
use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::canon::CanonError;
use super::proof::{self, ProofError};
use super::status::{StatusError, StatusErrorKind};
use super::{contexts, model, schema};

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// The check passed.
    Pass,
    /// The check failed: the credential does not verify.
    Fail,
    /// Something is off but does not make the credential invalid.
    Warn,
    /// The check does not apply.
    Skip,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Check {
    /// `structure`, `contexts`, `proof`, `issuer`, `validity`, `status` or `schema`.
    pub name: String,
    /// Outcome.
    pub status: CheckStatus,
    /// What was checked and found, in plain language.
    pub detail: String,
}

/// An RFC 9457 problem in a report, typed with the VC and Data Integrity error URIs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReportProblem {
    /// E.g. `https://www.w3.org/TR/vc-data-model#CRYPTOGRAPHIC_SECURITY_ERROR`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short title.
    pub title: String,
    /// Details.
    pub detail: String,
}

/// The overall verdict, for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Genuine and current.
    Valid,
    /// Genuine, but revoked by its issuer.
    Revoked,
    /// Genuine, but suspended by its issuer.
    Suspended,
    /// Genuine, but past `validUntil`.
    Expired,
    /// Genuine, but renewed: a newer credential of its issuer replaces it (`superseded_by`). Only our own
    /// credentials get this verdict: the issuer's records know it, the credential cannot.
    Superseded,
    /// Genuine, but before `validFrom`.
    NotYetValid,
    /// Genuine, but whether its issuer revoked or suspended it could not be checked (the status list could
    /// not be retrieved or validated, or its status entry is malformed or of an unsupported kind).
    ///
    /// See: <https://www.w3.org/TR/vc-bitstring-status-list/#processing-errors>
    StatusUnknown,
    /// Not genuine (bad signature, malformed, untrusted key).
    Invalid,
    /// A printed certificate whose printed facts differ from the signed credential embedded in it (or found
    /// by its printed URL): only file verification gives this verdict.
    Altered,
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VerificationReport {
    /// `true` only for a genuine, current credential.
    pub verified: bool,
    /// The verdict a person is shown: valid, revoked, suspended, expired, not yet valid, status unknown,
    /// invalid or altered.
    pub outcome: Outcome,
    /// Every check that ran.
    pub checks: Vec<Check>,
    /// Problems that make the credential fail.
    pub errors: Vec<ReportProblem>,
    /// Problems that do not.
    pub warnings: Vec<ReportProblem>,
    /// For a renewed credential of ours: the `id` of the credential that supersedes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    /// For a corrected credential of ours (revoked): the `id` of the corrected credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// With either: the `id` of the latest credential of the chain of renewals and corrections (the one to
    /// look at now; the same as the successor after one step).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<String>,
}

impl VerificationReport {
    /// The report with what the issuer's records say followed the credential: a renewal makes a genuine
    /// credential's verdict `superseded` (not valid, not revoked); a correction keeps its verdict (revoked)
    /// and names the corrected credential.
    #[must_use]
    pub fn with_successors(
        mut self,
        superseded_by: Option<String>,
        replaced_by: Option<String>,
        current_version: Option<String>,
    ) -> Self {
        if superseded_by.is_some() && matches!(self.outcome, Outcome::Valid | Outcome::Expired | Outcome::NotYetValid) {
            self.outcome = Outcome::Superseded;
            self.verified = false;
        }
        self.superseded_by = superseded_by;
        self.replaced_by = replaced_by;
        self.current_version = current_version;
        self
    }
}

/// A resolved verification method.
#[derive(Debug, Clone)]
pub struct ResolvedKey {
    /// The DID (or URL) that controls the key.
    pub controller: String,
    /// The Ed25519 public key.
    pub public_key: VerifyingKey,
    /// Verification relationships the controller lists the key under (`assertionMethod`…).
    pub purposes: Vec<String>,
}

/// Why a verification method could not be resolved ("could not check").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot resolve verification method {method}: {reason}")]
pub struct ResolveError {
    /// The verification method id.
    pub method: String,
    /// Why.
    pub reason: String,
}

/// Finds the public key behind a verification method id.
#[async_trait]
pub trait KeyResolver: Send + Sync {
    /// Resolves `method` (`did:key:…#…`, `did:web:…#…`).
    async fn resolve(&self, method: &str) -> Result<ResolvedKey, ResolveError>;
}

/// What a status check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusFinding {
    /// The credential has no status entry.
    None,
    /// Every status entry was checked and no bit is set.
    Active,
    /// The revocation bit is set.
    Revoked,
    /// The suspension bit is set.
    Suspended,
    /// The status could not be established: a status list could not be retrieved or validated, or an
    /// entry is malformed or unsupported.
    Unknown(StatusError),
}

/// Looks up a credential's `credentialStatus` entries.
#[async_trait]
pub trait StatusChecker: Send + Sync {
    /// Checks every status entry of `credential`.
    async fn check(&self, credential: &Value) -> StatusFinding;
}

/// A status checker for when status lists are not available: reports entries as unchecked.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStatusLists;

#[async_trait]
impl StatusChecker for NoStatusLists {
    async fn check(&self, credential: &Value) -> StatusFinding {
        if credential.get("credentialStatus").is_some() {
            StatusFinding::Unknown(StatusError::new(
                StatusErrorKind::Retrieval,
                "status lists are not retrieved by this verifier",
            ))
        } else {
            StatusFinding::None
        }
    }
}

/// Verification could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The input is not a JSON object.
    #[error("the input is not a JSON credential object")]
    NotAnObject,
    /// A key could not be resolved.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
}

const VC_ERRORS: &str = "https://www.w3.org/TR/vc-data-model#";
const DI_ERRORS: &str = "https://www.w3.org/TR/vc-data-integrity#";

/// Runs every check on a credential.
#[derive(Clone, Copy)]
pub struct Verifier<'a> {
    /// Resolves verification methods.
    pub keys: &'a dyn KeyResolver,
    /// Checks status lists.
    pub status: &'a dyn StatusChecker,
    /// The time the validity period is checked against.
    pub now: OffsetDateTime,
}

impl std::fmt::Debug for Verifier<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("now", &self.now).finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Builder {
    checks: Vec<Check>,
    errors: Vec<ReportProblem>,
    warnings: Vec<ReportProblem>,
}

impl Builder {
    fn pass(&mut self, name: &str, detail: impl Into<String>) {
        self.checks.push(Check { name: name.into(), status: CheckStatus::Pass, detail: detail.into() });
    }

    fn skip(&mut self, name: &str, detail: impl Into<String>) {
        self.checks.push(Check { name: name.into(), status: CheckStatus::Skip, detail: detail.into() });
    }

    fn fail(&mut self, name: &str, code: &str, detail: impl Into<String>) {
        let detail = detail.into();
        let base = if code.starts_with("PROOF") { DI_ERRORS } else { VC_ERRORS };
        self.errors.push(ReportProblem { kind: format!("{base}{code}"), title: title(code), detail: detail.clone() });
        self.checks.push(Check { name: name.into(), status: CheckStatus::Fail, detail });
    }

    /// A failed status check, typed with the Bitstring Status List error it is.
    fn fail_status(&mut self, error: &StatusError) {
        let detail = format!("the status could not be checked: {}", error.detail);
        let title = match error.kind {
            StatusErrorKind::Retrieval => "The status list could not be retrieved",
            StatusErrorKind::Verification => "The status list or entry did not validate",
            StatusErrorKind::ListLength => "The status list is too short",
            StatusErrorKind::Range => "The status index is outside the status list",
            StatusErrorKind::MalformedValue => "The status entry or list is malformed",
            StatusErrorKind::Unsupported => "The status mechanism is not supported",
        };
        self.errors.push(ReportProblem { kind: error.type_url(), title: title.into(), detail: detail.clone() });
        self.checks.push(Check { name: "status".into(), status: CheckStatus::Fail, detail });
    }

    fn warn(&mut self, name: &str, code: &str, detail: impl Into<String>) {
        let detail = detail.into();
        self.warnings.push(ReportProblem {
            kind: format!("{VC_ERRORS}{code}"),
            title: title(code),
            detail: detail.clone(),
        });
        self.checks.push(Check { name: name.into(), status: CheckStatus::Warn, detail });
    }
}

fn title(code: &str) -> String {
    match code {
        "CRYPTOGRAPHIC_SECURITY_ERROR" => "The signature does not verify",
        "MALFORMED_VALUE_ERROR" => "The credential is malformed",
        "PROOF_VERIFICATION_ERROR" => "The proof cannot be verified",
        "PROOF_TRANSFORMATION_ERROR" => "The credential cannot be canonicalized",
        "RANGE_ERROR" => "The credential is outside its validity period",
        "STATUS_ERROR" => "The credential's status is not good",
        _ => "Verification problem",
    }
    .to_owned()
}

impl Verifier<'_> {
    /// Verifies a credential and reports every check.
    pub async fn verify(&self, credential: &Value) -> Result<VerificationReport, VerifyError> {
        let doc = credential.as_object().ok_or(VerifyError::NotAnObject)?;
        let mut r = Builder::default();

        let violations = model::credential_violations(credential);
        if violations.is_empty() {
            r.pass("structure", "the credential follows the W3C VC data model");
        } else {
            r.fail("structure", "MALFORMED_VALUE_ERROR", violations.join("; "));
        }

        self.check_contexts(doc, &mut r);
        let controllers = self.check_proofs(credential, doc, &mut r).await?;
        check_issuer(credential, &controllers, &mut r);
        let period = self.check_validity(credential, &mut r);
        let status = self.status.check(credential).await;
        match &status {
            StatusFinding::None => r.skip("status", "the credential has no status entry"),
            StatusFinding::Active => r.pass("status", "not revoked or suspended by its issuer"),
            StatusFinding::Revoked => r.fail("status", "STATUS_ERROR", "revoked by its issuer"),
            StatusFinding::Suspended => r.fail("status", "STATUS_ERROR", "suspended by its issuer"),
            StatusFinding::Unknown(error) => r.fail_status(error),
        }
        if schema::is_open_badge(credential) {
            let violations = schema::achievement_credential_violations(credential);
            if violations.is_empty() {
                r.pass("schema", "valid against the Open Badges 3.0 JSON Schema");
            } else {
                r.warn(
                    "schema",
                    "MALFORMED_VALUE_ERROR",
                    format!("Open Badges 3.0 JSON Schema: {}", violations.join("; ")),
                );
            }
        }

        let genuine = !r
            .checks
            .iter()
            .any(|c| c.status == CheckStatus::Fail && !matches!(c.name.as_str(), "validity" | "status"));
        let outcome = if !genuine {
            Outcome::Invalid
        } else if status == StatusFinding::Revoked {
            Outcome::Revoked
        } else if status == StatusFinding::Suspended {
            Outcome::Suspended
        } else if let Some(outcome) = period {
            outcome
        } else if matches!(status, StatusFinding::Unknown(_)) {
            // Never "valid" without knowing that the issuer has not withdrawn it.
            Outcome::StatusUnknown
        } else {
            Outcome::Valid
        };
        Ok(VerificationReport {
            verified: outcome == Outcome::Valid,
            outcome,
            checks: r.checks,
            errors: r.errors,
            warnings: r.warnings,
            superseded_by: None,
            replaced_by: None,
            current_version: None,
        })
    }

    fn check_contexts(&self, doc: &Map<String, Value>, r: &mut Builder) {
        let unknown: Vec<&str> = match doc.get("@context") {
            Some(Value::Array(items)) => {
                items.iter().filter_map(Value::as_str).filter(|u| contexts::bundled(u).is_none()).collect()
            }
            Some(Value::String(u)) if contexts::bundled(u).is_none() => vec![u.as_str()],
            _ => vec![],
        };
        if unknown.is_empty() {
            r.pass("contexts", "every context is a known, bundled context (none is fetched)");
        } else {
            r.fail(
                "contexts",
                "PROOF_TRANSFORMATION_ERROR",
                format!("unknown contexts (never fetched): {}", unknown.join(", ")),
            );
        }
    }

    /// Verifies every proof; returns the controllers of the keys whose proofs verified.
    async fn check_proofs(
        &self,
        credential: &Value,
        doc: &Map<String, Value>,
        r: &mut Builder,
    ) -> Result<Vec<String>, VerifyError> {
        let proofs: Vec<&Value> = match doc.get("proof") {
            None | Some(Value::Null) => {
                r.fail("proof", "PROOF_VERIFICATION_ERROR", "the credential has no proof");
                return Ok(vec![]);
            }
            Some(Value::Array(items)) if items.is_empty() => {
                r.fail("proof", "PROOF_VERIFICATION_ERROR", "the credential has no proof");
                return Ok(vec![]);
            }
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single) => vec![single],
        };
        let mut unsecured = credential.clone();
        if let Value::Object(map) = &mut unsecured {
            map.remove("proof");
        }
        let mut controllers = Vec::new();
        for (i, proof) in proofs.iter().enumerate() {
            let name = if proofs.len() == 1 { "proof".to_owned() } else { format!("proof[{i}]") };
            let Some(proof) = proof.as_object() else {
                r.fail(&name, "PROOF_VERIFICATION_ERROR", "a proof must be a JSON object");
                continue;
            };
            if let Err(why) = proof_shape(proof) {
                r.fail(&name, "PROOF_VERIFICATION_ERROR", why);
                continue;
            }
            let method = proof.get("verificationMethod").and_then(Value::as_str).unwrap_or_default();
            let purpose = proof.get("proofPurpose").and_then(Value::as_str).unwrap_or_default();
            if purpose != "assertionMethod" {
                r.fail(
                    &name,
                    "PROOF_VERIFICATION_ERROR",
                    format!("proofPurpose is {purpose:?}; a credential proof must be assertionMethod"),
                );
                continue;
            }
            let covered = match chained_document(&unsecured, &proofs, proof) {
                Ok(doc) => doc,
                Err(why) => {
                    r.fail(&name, "PROOF_VERIFICATION_ERROR", why);
                    continue;
                }
            };
            let key = self.keys.resolve(method).await?;
            if !key.purposes.iter().any(|p| p == purpose) {
                r.fail(
                    &name,
                    "PROOF_VERIFICATION_ERROR",
                    format!("key {method} is not listed under {purpose} by {}", key.controller),
                );
                continue;
            }
            let suite = proof.get("cryptosuite").and_then(Value::as_str).unwrap_or_default();
            match proof::verify_signature(&covered, proof, &key.public_key) {
                Ok(true) => {
                    r.pass(&name, format!("{suite} signature verified with key {method}"));
                    controllers.push(key.controller);
                }
                Ok(false) => r.fail(&name, "CRYPTOGRAPHIC_SECURITY_ERROR", format!("the {suite} signature does not match the credential: it was changed after signing, or signed with another key")),
                Err(ProofError::Canon(e @ (CanonError::UndefinedTerms(_) | CanonError::UnknownContext(_) | CanonError::JsonLd(_) | CanonError::Lossy(_)))) => {
                    r.fail(&name, "PROOF_TRANSFORMATION_ERROR", e.to_string());
                }
                Err(e) => r.fail(&name, "PROOF_VERIFICATION_ERROR", e.to_string()),
            }
        }
        Ok(controllers)
    }

    fn check_validity(&self, credential: &Value, r: &mut Builder) -> Option<Outcome> {
        let (from_key, until_key) = match model::version(credential) {
            Some(model::Version::V1) => ("issuanceDate", "expirationDate"),
            _ => ("validFrom", "validUntil"),
        };
        let date = |key: &str| credential.get(key).and_then(Value::as_str).and_then(model::parse_date_time_stamp);
        let (from, until) = (date(from_key), date(until_key));
        let fmt = |t: OffsetDateTime| proof::xsd_date_time(t);
        if let Some(from) = from
            && self.now < from
        {
            r.fail("validity", "RANGE_ERROR", format!("not yet valid: valid from {}", fmt(from)));
            return Some(Outcome::NotYetValid);
        }
        if let Some(until) = until
            && self.now > until
        {
            r.fail("validity", "RANGE_ERROR", format!("expired on {}", fmt(until)));
            return Some(Outcome::Expired);
        }
        let detail = match (from, until) {
            (Some(from), Some(until)) => format!("valid from {} until {}", fmt(from), fmt(until)),
            (Some(from), None) => format!("valid from {}, with no expiry", fmt(from)),
            (None, Some(until)) => format!("valid until {}", fmt(until)),
            (None, None) => "no validity period is stated".to_owned(),
        };
        r.pass("validity", detail);
        None
    }
}

/// Required proof properties (Data Integrity §4.3 step 2): anything missing is a verification error.
fn proof_shape(proof: &Map<String, Value>) -> Result<(), String> {
    if proof.get("type").and_then(Value::as_str) != Some("DataIntegrityProof") {
        return Err("proof type must be DataIntegrityProof".into());
    }
    for key in ["cryptosuite", "verificationMethod", "proofPurpose", "proofValue"] {
        if proof.get(key).is_none_or(|v| v.as_str().is_none_or(|s| s.is_empty())) {
            return Err(format!("proof has no {key}"));
        }
    }
    if let Some(created) = proof.get("created")
        && created.as_str().is_none_or(|c| model::parse_date_time_stamp(c).is_none())
    {
        return Err("proof.created must be a dateTimeStamp".into());
    }
    Ok(())
}

/// The document a proof covers: the unsecured document, plus — for a chained proof — the proofs its
/// `previousProof` names (which must all be present).
fn chained_document(unsecured: &Value, proofs: &[&Value], proof: &Map<String, Value>) -> Result<Value, String> {
    let Some(previous) = proof.get("previousProof") else { return Ok(unsecured.clone()) };
    let ids: Vec<&str> = match previous {
        Value::String(id) => vec![id.as_str()],
        Value::Array(ids) => ids.iter().filter_map(Value::as_str).collect(),
        _ => return Err("previousProof must be a proof id or an array of ids".into()),
    };
    let mut named = Vec::new();
    for id in ids {
        let found = proofs.iter().find(|p| p.get("id").and_then(Value::as_str) == Some(id));
        named.push((*found.ok_or_else(|| format!("previousProof {id} is not in the credential"))?).clone());
    }
    let mut doc = unsecured.clone();
    if let Value::Object(map) = &mut doc {
        map.insert("proof".into(), Value::Array(named));
    }
    Ok(doc)
}

fn check_issuer(credential: &Value, controllers: &[String], r: &mut Builder) {
    match model::issuer_id(credential) {
        None => r.fail("issuer", "MALFORMED_VALUE_ERROR", "the credential names no issuer"),
        Some(_) if controllers.is_empty() => {
            r.skip("issuer", "no proof verified, so the issuer could not be bound to a key")
        }
        Some(issuer) if controllers.iter().any(|c| c == issuer) => {
            r.pass("issuer", format!("signed with a key that {issuer} controls"));
        }
        Some(issuer) => r.fail(
            "issuer",
            "CRYPTOGRAPHIC_SECURITY_ERROR",
            format!("signed with a key of {}, not of the issuer {issuer}", controllers.join(", ")),
        ),
    }
}
