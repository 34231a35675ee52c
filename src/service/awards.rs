//! Single awards: one learner, one achievement, one signed credential.

use tracing::info;
use uuid::Uuid;

use super::issuers::{accept_token, assertion_options};
use super::{Microcred, audit, issuance, now};
use crate::domain::api_key::{ApiKey, ApiToken};
use crate::domain::award::{Award, AwardInput, CredentialId, IssuedCredential};
use crate::domain::issuer::IssuerId;
use crate::domain::status::StatusPurpose;
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::store::{AwardSource, Constraint, StoreError};
use crate::vc::credential::{AwardFacts, OpenBadgeCredential, RelatedResource};
use crate::vc::proof::{self, Cryptosuite};

/// What `issue_award` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    /// A new credential was issued.
    Created,
    /// The request repeated an earlier one with the same `Idempotency-Key`; nothing new was issued.
    Replayed,
}

impl Microcred {
    /// Issues an award for the caller whose bearer token is `token`: builds the credential from the
    /// achievement, signs it with the issuer's active key (`eddsa-rdfc-2022`) and stores it.
    ///
    /// The token is checked as [`Microcred::authenticate`] checks it (401 before any other refusal; only the
    /// database being unavailable is told first), but in the same round trip as everything else the award
    /// reads, so a revocation still counts at once.
    /// With an `Idempotency-Key`, a retry of the same request returns the credential already issued, and
    /// the same key with another request is refused. Awarding an achievement again to the same e-mail
    /// address needs `allow_duplicate`; otherwise the conflict names the existing credential. The database
    /// enforces both, so concurrent requests on several replicas cannot get around them.
    pub async fn issue_award(
        &self,
        token: &ApiToken,
        input: AwardInput,
        idempotency_key: Option<&str>,
        request_hash: [u8; 32],
    ) -> Result<(IssuedCredential, Issued)> {
        let award = match input.validate_printable(self.fonts.as_ref()) {
            Ok(award) => award,
            Err(invalid) => {
                self.authenticate(token).await?;
                return Err(invalid.into());
            }
        };
        // One round trip: the caller's key, the achievement, its issuer and active key, and the duplicate check.
        let found = self.store.award_source(award.achievement_id, award.email.as_str(), Some(token.id())).await?;
        let Some(mut source) = found else {
            self.authenticate(token).await?;
            return Err(ValidationErrors::single("achievement_id", "no such achievement").into());
        };
        let caller = &accept_token(token, source.api_key.take())?;
        Self::require_issuer(caller, source.issuer.id)?;
        let (achievement, issuer) = (&source.achievement, &source.issuer);
        if let Some(key) = idempotency_key
            && let Some(existing) = self.store.credential_by_idempotency_key(issuer.id, key).await?
        {
            return replay(existing, request_hash);
        }
        if !award.allow_duplicate
            && let Some(first) = source.held
        {
            return self.replay_or(issuer.id, idempotency_key, request_hash, duplicate(first)).await;
        }

        for _attempt in 0..issuance::ATTEMPTS {
            let credential = self.sign_award(caller, &source, &award, None, idempotency_key, request_hash).await?;
            let id = credential.id;
            let delivery = Self::new_delivery(&credential, award.email.as_str(), award.notify);
            let conflict = match self
                .store
                .insert_credential(
                    &credential,
                    &audit(Some(caller), Some(issuer.id), "credential.issue", &id.to_string(), None),
                    Some(&delivery),
                )
                .await
            {
                Ok(()) => {
                    self.wake_deliveries([&delivery]);
                    info!(credential.id = %id, issuer.slug = %issuer.slug, achievement.id = %achievement.id, "issued credential {id}");
                    metrics::counter!("microcred_credentials_issued_total", "path" => "award").increment(1);
                    self.note_inserted(1);
                    return Ok((credential, Issued::Created));
                }
                // Another replica took the same random status index between our check and insert: draw again.
                Err(StoreError::Conflict(constraint)) if constraint.is_status_index() => constraint,
                // Lost a race with a concurrent request: answer as if it had come first.
                Err(StoreError::Conflict(Constraint::IdempotencyKey)) => {
                    let key = idempotency_key.unwrap_or_default();
                    return match self.store.credential_by_idempotency_key(issuer.id, key).await? {
                        Some(existing) => replay(existing, request_hash),
                        None => Err(Error::Conflict("a concurrent request used this Idempotency-Key; retry".into())),
                    };
                }
                Err(StoreError::Conflict(Constraint::DuplicateAward)) => {
                    let held = self.store.holders(achievement.id, &[award.email.as_str()]).await?;
                    let error = held.first().map_or_else(
                        || Error::Conflict("this learner already holds this achievement".into()),
                        |(_, first)| duplicate(*first),
                    );
                    return self.replay_or(issuer.id, idempotency_key, request_hash, error).await;
                }
                Err(e) => return Err(e.into()),
            };
            tracing::debug!(credential.id = %id, %conflict, "status index taken concurrently; drawing again");
        }
        Err(issuance::indexes_taken())
    }

    /// Allocates status slots for, builds and signs one award of `source`'s achievement by its issuer with the
    /// issuer's active key (valid until the award's own date, or its date plus the achievement's validity),
    /// naming `related` (a renewed credential) if given, and returns the row to store.
    pub(super) async fn sign_award(
        &self,
        caller: &ApiKey,
        source: &AwardSource,
        award: &Award,
        related: Option<RelatedResource>,
        idempotency_key: Option<&str>,
        request_hash: [u8; 32],
    ) -> Result<IssuedCredential> {
        let (achievement, issuer) = (&source.achievement, &source.issuer);
        let id = CredentialId(Uuid::new_v4());
        let issued_at = now();
        let valid_from = award.awarded_at.unwrap_or(issued_at);
        let valid_until = award.valid_until_from(achievement.spec.validity, valid_from);
        let revocation = self.allocate_status(issuer, StatusPurpose::Revocation).await?;
        let suspension = if issuer.suspension_enabled {
            Some(self.allocate_status(issuer, StatusPurpose::Suspension).await?)
        } else {
            None
        };
        let mut unsigned = OpenBadgeCredential::award(&AwardFacts {
            id: self.urls.credential(id),
            issuer,
            achievement_url: self.urls.achievement(achievement.id),
            achievement: &achievement.spec,
            recipient_name: &award.name,
            recipient_email: award.email.as_str(),
            recipient_id: award.recipient_id.as_deref(),
            result: award.result.as_deref(),
            valid_from,
            valid_until,
        });
        unsigned.related_resource.extend(related);
        // Open Badges 3.0 allows one status entry (an object with an id); a second, for suspension, makes an
        // array, which VCDM 2.0 allows and the OB 3.0 JSON Schema does not (docs/standards.md explains why).
        unsigned.credential_status = Some(self.status_entries(revocation, suspension));
        let key = self.signing_key_of(issuer, source.active_key.as_ref())?;
        let (key, options) = assertion_options(issuer, key, Cryptosuite::EddsaRdfc2022, issued_at);
        // Signed on the async worker: one award's fast-path signature is about 0.2 ms, and handing it to the
        // blocking pool cost two thread switches per award and left the pool's threads (one per award in flight)
        // competing with the workers for the cores (BENCHMARKS.md, "Issue 20, session 17"). Batches, and VC-API
        // documents too large for `issuance::signs_quickly`, still go to the blocking pool.
        let signed =
            crate::metrics::timed("microcred_signature_seconds", || proof::sign_credential(&unsigned, &options, &key))
                // The server built this credential from validated input: failing to sign it is our fault.
                .map_err(|e| Error::Internal(format!("cannot sign credential {id}: {e}")))?;
        let document = serde_json::value::to_raw_value(&signed)
            .map_err(|e| Error::Internal(format!("cannot serialise credential {id}: {e}")))?;
        let row = issuance::new_row(id, issuer.id, caller, document, issued_at, (Some(revocation), suspension));
        let lookup = self.recipient_lookup(award.email.as_str()).await?;
        Ok(issuance::with_award(
            row,
            achievement.id,
            award,
            valid_until,
            idempotency_key.map(str::to_owned),
            request_hash,
            lookup,
        ))
    }

    /// When a request with an `Idempotency-Key` meets an existing award, that award may be its own twin,
    /// committed by a concurrent retry (on this or another replica) after this request looked: answer as a
    /// retry if so, and with `error` otherwise.
    pub(super) async fn replay_or(
        &self,
        issuer: IssuerId,
        idempotency_key: Option<&str>,
        request_hash: [u8; 32],
        error: Error,
    ) -> Result<(IssuedCredential, Issued)> {
        if let Some(key) = idempotency_key
            && let Some(existing) = self.store.credential_by_idempotency_key(issuer, key).await?
        {
            return replay(existing, request_hash);
        }
        Err(error)
    }
}

pub(super) fn replay(existing: IssuedCredential, request_hash: [u8; 32]) -> Result<(IssuedCredential, Issued)> {
    if existing.request_hash == Some(request_hash) {
        Ok((existing, Issued::Replayed))
    } else {
        Err(ValidationErrors::single(
            "Idempotency-Key",
            format!(
                "was already used for a different request (credential {}); use a new key for a new award",
                existing.id
            ),
        )
        .into())
    }
}

fn duplicate(existing: CredentialId) -> Error {
    Error::Conflict(format!(
        "this learner already holds this achievement: credential {existing}; send allow_duplicate: true to award it again"
    ))
}
