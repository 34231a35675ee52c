//! The W3C VC-API: signing credentials clients built, finding them for status changes, and verifying
//! presentations.

use uuid::Uuid;

use super::issuers::{REFUSED, accept_token, assertion_options};
use super::{Microcred, audit, issuance, now};
use crate::domain::api_key::{ApiKey, ApiToken, Role};
use crate::domain::award::{CredentialId, IssuedCredential};
use crate::domain::issuer::{Issuer, Slug};
use crate::domain::status::StatusPurpose;
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::keys::IssuerSigningKey;
use crate::store::{Constraint, StoreError};
use crate::vc::canon::CanonError;
use crate::vc::model;
use crate::vc::proof::{self, Cryptosuite, ProofError};
use crate::vc::verify::VerifyError;

impl Microcred {
    /// Signs an unsigned credential with the issuer's active key. The credential must follow the VC data
    /// model, name this issuer's DID as `issuer`, carry no proof, and use only defined terms (anything a
    /// context does not define would not be signed, so it is refused).
    pub async fn sign_credential(
        &self,
        slug: &Slug,
        credential: &serde_json::Value,
        suite: Cryptosuite,
    ) -> Result<serde_json::Value> {
        let (issuer, keys) = self.issuer_keys(slug).await?;
        let key = self.signing_key_of(&issuer, keys.iter().find(|k| k.retired_at.is_none()))?;
        self.sign_as(&issuer, key, credential, suite).await
    }

    /// [`Microcred::sign_credential`] for an issuer already read, with its active signing key.
    async fn sign_as(
        &self,
        issuer: &Issuer,
        key: IssuerSigningKey,
        credential: &serde_json::Value,
        suite: Cryptosuite,
    ) -> Result<serde_json::Value> {
        let mut errors = ValidationErrors::default();
        for violation in model::credential_violations(credential) {
            errors.add("credential", violation);
        }
        let named = match credential.get("issuer") {
            Some(serde_json::Value::String(id)) => Some(id.as_str()),
            Some(serde_json::Value::Object(map)) => map.get("id").and_then(|v| v.as_str()),
            _ => None,
        };
        if named.is_some_and(|id| id != issuer.did) {
            errors.add("issuer", format!("must be the issuer's DID {}", issuer.did));
        }
        if credential.get("proof").is_some() {
            errors.add("proof", "the credential is already signed");
        }
        errors.finish(())?;
        let (key, options) = assertion_options(issuer, key, suite, now());
        issuance::secure(credential, options, key).await?.map_err(|e| match e {
            ProofError::Canon(CanonError::UndefinedTerms(terms)) => ValidationErrors::single(
                "credential",
                format!(
                    "terms no context defines would not be signed: {}",
                    terms.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
            .into(),
            other => ValidationErrors::single("credential", other.to_string()).into(),
        })
    }

    /// Signs a credential a VC-API client built, for the caller whose bearer token is `token`, as the issuer its
    /// `issuer` names (one of ours, which the caller must act for). A VCDM 1.1 credential gets the Data
    /// Integrity context its proof terms need.
    ///
    /// The token is checked as [`Microcred::authenticate`] checks it (401 before any other refusal), in the same
    /// round trip as the issuer and its key ([`crate::store::Store::signing_source`]), or against that read's copy
    /// from the last second ([`signing_sources`](super::signing_sources)); an API key revoked since that copy was
    /// read is refused when the credential would be stored (401, nothing stored), and within that second other
    /// refusals (403, 422) may come first. Returns the signed credential as stored (its
    /// JSON text, so that answering does not serialise it again).
    pub async fn issue_vc_api(
        &self,
        token: &ApiToken,
        mut credential: serde_json::Value,
        suite: Cryptosuite,
    ) -> Result<Box<serde_json::value::RawValue>> {
        let named = match credential.get("issuer") {
            Some(serde_json::Value::String(id)) => Some(id.clone()),
            Some(serde_json::Value::Object(map)) => map.get("id").and_then(|v| v.as_str()).map(str::to_owned),
            _ => None,
        };
        let Some(did) = named else {
            self.authenticate(token).await?;
            return Err(ValidationErrors::single(
                "credential.issuer",
                "is required: the DID of one of this service's issuers",
            )
            .into());
        };
        let (source, caller) = match self.signing_sources.get(&did, token.id()) {
            Some(source) => {
                let caller = accept_token(token, source.api_key.clone())?;
                (source, caller)
            }
            None => {
                let read_at = std::time::Instant::now();
                let Some(source) = self.store.signing_source(&did, token.id()).await? else {
                    self.authenticate(token).await?;
                    return Err(ValidationErrors::single(
                        "credential.issuer",
                        format!("{did} is not an issuer of this service"),
                    )
                    .into());
                };
                let source = std::sync::Arc::new(source);
                let caller = accept_token(token, source.api_key.clone())?;
                // Kept only once the token is accepted: refusals of unknown tokens always come from a fresh read.
                self.signing_sources.keep(&did, token.id(), read_at, std::sync::Arc::clone(&source));
                (source, caller)
            }
        };
        let caller = &caller;
        let issuer = &source.issuer;
        Self::require_issuer(caller, issuer.id)?;
        // Its certificate prints the learner's name: refuse one that would misprint, as awards do.
        if let Some(name) = crate::vc::credential::learner_name_of(&credential)
            && let Err(message) = crate::domain::award::check_printable(self.fonts.as_ref(), name)
        {
            return Err(ValidationErrors::single("credential.credentialSubject.name", message).into());
        }
        if model::version(&credential) == Some(model::Version::V1)
            && let Some(serde_json::Value::Array(contexts)) = credential.get_mut("@context")
            && !contexts.iter().any(|c| c.as_str() == Some(crate::vc::contexts::DATA_INTEGRITY_V2))
        {
            contexts.push(crate::vc::contexts::DATA_INTEGRITY_V2.into());
        }
        // A VCDM 2.0 credential without a status of its own gets the issuer's revocation (and, where enabled,
        // suspension) entry, like an award; VCDM 1.1 has no term for a BitstringStatusListEntry.
        let add_status =
            credential.get("credentialStatus").is_none() && model::version(&credential) == Some(model::Version::V2);
        let external_id = credential.get("id").and_then(|v| v.as_str()).map(str::to_owned);
        for _attempt in 0..issuance::ATTEMPTS {
            let id = CredentialId(Uuid::new_v4());
            let mut document = credential.clone();
            let (revocation, suspension) = if add_status {
                let revocation = self.allocate_status(issuer, StatusPurpose::Revocation).await?;
                let suspension = match issuer.suspension_enabled {
                    true => Some(self.allocate_status(issuer, StatusPurpose::Suspension).await?),
                    false => None,
                };
                if let Some(map) = document.as_object_mut() {
                    map.insert("credentialStatus".into(), self.status_entries(revocation, suspension));
                }
                (Some(revocation), suspension)
            } else {
                (None, None)
            };
            let key = self.signing_key_of(issuer, source.active_key.as_ref())?;
            let signed = self.sign_as(issuer, key, &document, suite).await?;
            let issued_at = now();
            let document = serde_json::value::to_raw_value(&signed)
                .map_err(|e| Error::Internal(format!("cannot serialise credential {id}: {e}")))?;
            // A credential that names its holder's address in the clear is e-mailed to them, as an award is.
            let email = super::deliveries::plain_email(&signed);
            let recipient_lookup = match &email {
                Some(email) => Some(self.recipient_lookup(email).await?),
                None => None,
            };
            let row = IssuedCredential {
                external_id: external_id.clone(),
                recipient_lookup,
                valid_until: signed
                    .get("validUntil")
                    .or_else(|| signed.get("expirationDate"))
                    .and_then(|v| v.as_str())
                    .and_then(model::parse_date_time_stamp),
                ..issuance::new_row(id, issuer.id, caller, document, issued_at, (revocation, suspension))
            };
            let subject = external_id.clone().unwrap_or_else(|| id.to_string());
            let delivery = email.map(|e| Self::new_delivery(&row, &e, true));
            match self
                .store
                .insert_credential(
                    &row,
                    &audit(Some(caller), Some(issuer.id), "credential.issue", &subject, None),
                    delivery.as_ref(),
                )
                .await
            {
                Ok(()) => {
                    self.wake_deliveries(&delivery);
                    metrics::counter!("microcred_credentials_issued_total", "path" => "vc-api").increment(1);
                    self.note_inserted(1);
                    return Ok(row.document);
                }
                Err(StoreError::Conflict(constraint)) if constraint.is_status_index() => {}
                Err(StoreError::Conflict(Constraint::RevokedApiKey)) => {
                    // Revoked elsewhere since the copy was read: not stored, and the copy goes.
                    self.signing_sources.forget(&did, token.id());
                    return Err(REFUSED);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(issuance::indexes_taken())
    }

    /// The credential a VC-API caller names in `/credentials/status`: by its public URL (awards) or by the
    /// `id` it was issued with through `/credentials/issue` (the newest, if that id was used more than once).
    pub async fn credential_for_status(&self, caller: &ApiKey, credential_id: &str) -> Result<CredentialId> {
        if let Some(id) = self.urls.credential_id(credential_id) {
            return Ok(id);
        }
        let scope = (caller.role != Role::Admin).then_some(caller.issuer_id);
        self.store
            .credential_by_external_id(credential_id, scope)
            .await?
            .ok_or_else(|| Error::NotFound { what: "credential", id: credential_id.to_owned() })
    }

    /// Verifies a verifiable presentation: its data model, its proof (purpose `authentication`, with the
    /// `challenge` and `domain` the verifier asked for; an unsigned presentation is accepted only when no
    /// challenge is asked), and every credential in it. Returns the problems found (none: verified).
    pub async fn verify_presentation(
        &self,
        presentation: &serde_json::Value,
        challenge: Option<&str>,
        domain: Option<&str>,
    ) -> Result<Vec<String>, VerifyError> {
        use serde_json::Value;
        let Some(vp) = presentation.as_object() else { return Err(VerifyError::NotAnObject) };
        let mut problems = Vec::new();
        let contexts: Vec<&Value> = match vp.get("@context") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => vec![other],
            None => vec![],
        };
        match contexts.first().and_then(|c| c.as_str()) {
            Some(crate::vc::contexts::CREDENTIALS_V2 | crate::vc::contexts::CREDENTIALS_V1) => {}
            _ => problems.push(format!("the first @context must be {}", crate::vc::contexts::CREDENTIALS_V2)),
        }
        if contexts.iter().any(|c| !(c.is_object() || c.as_str().is_some_and(model::is_url))) {
            problems.push("every @context item must be a URL or a context object".into());
        }
        let types: Vec<&str> = match vp.get("type") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(t)) => vec![t.as_str()],
            _ => vec![],
        };
        if !types.contains(&"VerifiablePresentation") {
            problems.push("type must include VerifiablePresentation".into());
        }
        let credentials: Vec<&Value> = match vp.get("verifiableCredential") {
            None => vec![],
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single) => vec![single],
        };
        for (i, credential) in credentials.iter().enumerate() {
            if !credential.is_object() {
                problems.push(format!("verifiableCredential[{i}] must be a credential object"));
                continue;
            }
            let report = self.verify(credential).await?;
            if !report.verified {
                problems.push(format!("verifiableCredential[{i}] does not verify ({:?})", report.outcome));
            }
        }
        let proofs: Vec<&Value> = match vp.get("proof") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single) => vec![single],
        };
        if proofs.is_empty() && challenge.is_some() {
            problems.push("a challenge was given, so the presentation must be signed".into());
        }
        let mut unsecured = presentation.clone();
        if let Value::Object(map) = &mut unsecured {
            map.remove("proof");
        }
        for (i, proof) in proofs.iter().enumerate() {
            let Some(proof) = proof.as_object() else {
                problems.push(format!("proof[{i}] must be an object"));
                continue;
            };
            let field = |name: &str| proof.get(name).and_then(Value::as_str);
            if field("proofPurpose") != Some("authentication") {
                problems.push(format!("proof[{i}].proofPurpose must be authentication"));
            }
            if let Some(expected) = challenge
                && field("challenge") != Some(expected)
            {
                problems.push(format!("proof[{i}].challenge does not match"));
            }
            if let Some(expected) = domain {
                let matches = match proof.get("domain") {
                    Some(Value::String(d)) => d == expected,
                    Some(Value::Array(ds)) => ds.iter().any(|d| d.as_str() == Some(expected)),
                    _ => false,
                };
                if !matches {
                    problems.push(format!("proof[{i}].domain does not match"));
                }
            }
            let Some(method) = field("verificationMethod") else {
                problems.push(format!("proof[{i}] has no verificationMethod"));
                continue;
            };
            let key = crate::vc::verify::KeyResolver::resolve(&self.resolver, method).await?;
            if !key.purposes.iter().any(|p| p == "authentication") {
                problems.push(format!("key {method} is not listed under authentication"));
            }
            // Wallets that still sign DIDAuth with the suite before eddsa-rdfc-2022 (the DCC Learner Credential
            // Wallet) are verified with it; it is the same Ed25519 signature over RDF-canonical hashes.
            let legacy = field("type") == Some("Ed25519Signature2020") && proof.get("cryptosuite").is_none();
            let verified = if legacy {
                proof::verify_ed25519_signature_2020(&unsecured, proof, &key.public_key)
            } else {
                proof::verify_signature(&unsecured, proof, &key.public_key)
            };
            match verified {
                Ok(true) => {}
                Ok(false) => problems.push(format!("proof[{i}]: the signature does not match the presentation")),
                Err(e) => problems.push(format!("proof[{i}]: {e}")),
            }
        }
        Ok(problems)
    }
}
