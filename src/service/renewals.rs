//! Renewal (recertification) and correction: a new credential for the same learner and achievement that
//! follows an older one. A renewal supersedes the older credential (which stays genuine: it was true when
//! issued) and names it in the signed credential (VCDM 2.0 `relatedResource`, with a digest); a correction
//! revokes it with the public reason "Replaced by a corrected credential" and a link to the new one.

use tracing::info;

use super::awards::{Issued, replay};
use super::status::CheckedReasons;
use super::{Microcred, audit, issuance};
use crate::domain::api_key::ApiKey;
use crate::domain::award::{Award, CredentialId, IssuedCredential};
use crate::domain::lifecycle::{
    AwardedFacts, CORRECTED_REASON, CorrectionInput, RenewalInput, Succession, corrected_fields,
};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::store::{AwardSource, Constraint, StoreError};
use crate::vc::credential::RelatedResource;

impl Microcred {
    /// `POST /api/v1/credentials/{id}/renew`: issues the renewal of an award and marks the award superseded.
    /// Refused (409) for a credential that is revoked, suspended, already renewed or replaced, or not an
    /// award. Idempotent with an `Idempotency-Key`, like an award.
    pub async fn renew(
        &self,
        caller: &ApiKey,
        id: CredentialId,
        input: RenewalInput,
        idempotency_key: Option<&str>,
        request_hash: [u8; 32],
    ) -> Result<(IssuedCredential, Issued)> {
        let old = self.issued_credential_for(caller, id).await?;
        if let Some(existing) = self.retried(&old, idempotency_key).await? {
            return replay(existing, request_hash);
        }
        check_current(&old, "renewed")?;
        let (source, facts) = self.award_source(&old).await?;
        let achievement = &source.achievement;
        let notify = self.delivered_by_us(&old).await?;
        let mut award = facts
            .renewal(&achievement.id.to_string(), &input, self.clock_now(), notify)
            .validate_printable(self.fonts.as_ref())?;
        // Without its own date or the achievement's validity, a renewal lasts as long as the credential it renews.
        if award.valid_until.is_none() && achievement.spec.validity.is_none() {
            let from = facts.awarded_at.as_deref().and_then(crate::domain::xsd::parse_date_time_stamp);
            if let (Some(from), Some(until), Some(start)) = (from, old.valid_until, award.awarded_at) {
                award.valid_until = Some(start + (until - from));
            }
        }
        check_period(&award)?;
        // The renewal replaces a credential at once: it must be valid at once, or the learner holds nothing.
        let now = self.clock_now();
        if award.awarded_at.is_some_and(|from| from > now) {
            return Err(ValidationErrors::single(
                "awarded_at",
                "must not be in the future: the renewal supersedes the current credential at once",
            )
            .into());
        }
        if award.valid_until.is_some_and(|until| until <= now) {
            return Err(ValidationErrors::single("valid_until", "the renewal would be expired already").into());
        }
        // The address whose bytes the digest is of: the signed JSON, served exactly as stored.
        let json = self.urls.credential_download(old.id, crate::domain::public_urls::Download::Json);
        let related = RelatedResource::credential(&json, old.document.get());
        let successor = Successor { caller, source: &source, old: &old, award: &award };
        self.store_successor(successor, Some(related), Succession::Renewal, None, idempotency_key, request_hash).await
    }

    /// `POST /api/v1/credentials/{id}/replace`: issues a corrected credential (the fields given, over the
    /// original's), e-mails it to the learner, and revokes the original with the public reason "Replaced by a
    /// corrected credential" (or the one given) and a link to the correction. Refused (409) as for renewal.
    pub async fn replace(
        &self,
        caller: &ApiKey,
        id: CredentialId,
        input: CorrectionInput,
        idempotency_key: Option<&str>,
        request_hash: [u8; 32],
    ) -> Result<(IssuedCredential, Issued)> {
        let old = self.issued_credential_for(caller, id).await?;
        if let Some(existing) = self.retried(&old, idempotency_key).await? {
            return replay(existing, request_hash);
        }
        check_current(&old, "replaced")?;
        let (source, facts) = self.award_source(&old).await?;
        let achievement = &source.achievement;
        let fields = corrected_fields(&input);
        if fields.is_empty() {
            return Err(ValidationErrors::single(
                "body",
                "names nothing to correct: give recipient, result, awarded_at, valid_until or language",
            )
            .into());
        }
        let notify = self.delivered_by_us(&old).await?;
        let award =
            facts.corrected(&achievement.id.to_string(), &input, notify).validate_printable(self.fonts.as_ref())?;
        check_period(&award)?;
        let unchanged = facts.corrected(&achievement.id.to_string(), &CorrectionInput::default(), notify);
        if unchanged.validate().ok().as_ref() == Some(&award) {
            return Err(ValidationErrors::single("body", "corrects nothing: every field given is as it was").into());
        }
        // A corrected address must not give the new one a second award of this achievement by the back door.
        if award.email.as_str() != facts.email {
            let held = self.store.holders(achievement.id, &[award.email.as_str()]).await?;
            if let Some((_, first)) = held.first() {
                return Err(Error::Conflict(format!(
                    "{} already holds this achievement: credential {first}",
                    award.email.as_str()
                )));
            }
        }
        let note = input.note.clone().unwrap_or_else(|| format!("corrected: {fields}"));
        let public = input.public_reason.clone().unwrap_or_else(|| CORRECTED_REASON.to_owned());
        let reasons = super::status::checked_reasons(
            crate::domain::award::StatusReasons { note: &note, public: Some(&public), until: None },
            crate::domain::status::StatusPurpose::Revocation,
            self.clock_now(),
        )?;
        let successor = Successor { caller, source: &source, old: &old, award: &award };
        self.store_successor(successor, None, Succession::Correction, Some(reasons), idempotency_key, request_hash)
            .await
    }

    /// The credential an earlier request with this `Idempotency-Key` issued, if any; 422 when the key was used
    /// for something else than following `old` (another award, or another credential's renewal).
    async fn retried(&self, old: &IssuedCredential, key: Option<&str>) -> Result<Option<IssuedCredential>> {
        let Some(key) = key else { return Ok(None) };
        let Some(existing) = self.store.credential_by_idempotency_key(old.issuer_id, key).await? else {
            return Ok(None);
        };
        if old.superseded_by == Some(existing.id) || old.replaced_by == Some(existing.id) {
            Ok(Some(existing))
        } else {
            Err(ValidationErrors::single(
                "Idempotency-Key",
                format!("was already used for a different request (credential {}); use a new key", existing.id),
            )
            .into())
        }
    }

    /// Whether this service e-mailed `old` to its learner (false when it was awarded with `notify: false`: the
    /// issuer delivers its credentials itself), the default for its successor.
    async fn delivered_by_us(&self, old: &IssuedCredential) -> Result<bool> {
        let delivery = self.store.delivery(old.id).await?;
        Ok(!delivery
            .is_some_and(|d| d.status == crate::domain::delivery::DeliveryStatus::Skipped && d.last_error.is_none()))
    }

    /// The achievement, issuer, active key and facts of an award (409 for a VC-API credential: it has no
    /// achievement here).
    async fn award_source(&self, old: &IssuedCredential) -> Result<(AwardSource, AwardedFacts)> {
        let not_award = || {
            Error::Conflict(
                "only awards can be renewed or replaced: this credential was issued through the VC-API".into(),
            )
        };
        let achievement_id = old.achievement_id.ok_or_else(not_award)?;
        let facts = AwardedFacts::of(old).ok_or_else(not_award)?;
        let source = self
            .store
            .award_source(achievement_id, &facts.email, None)
            .await?
            .ok_or_else(|| Error::NotFound { what: "achievement", id: achievement_id.to_string() })?;
        Ok((source, facts))
    }

    /// Signs the successor and stores it with the predecessor's new state, in one transaction.
    async fn store_successor(
        &self,
        s: Successor<'_>,
        related: Option<RelatedResource>,
        succession: Succession,
        revocation: Option<CheckedReasons>,
        idempotency_key: Option<&str>,
        request_hash: [u8; 32],
    ) -> Result<(IssuedCredential, Issued)> {
        let (action, verb, done) = match succession {
            Succession::Renewal => ("credential.renew", "renews", "renewed"),
            Succession::Correction => ("credential.replace", "replaces", "replaced"),
        };
        for _attempt in 0..issuance::ATTEMPTS {
            let credential =
                self.sign_award(s.caller, s.source, s.award, related.clone(), idempotency_key, request_hash).await?;
            let new = credential.id;
            let audits = [
                audit(
                    Some(s.caller),
                    Some(s.source.issuer.id),
                    "credential.issue",
                    &new.to_string(),
                    Some(format!("{verb} {}", s.old.id)),
                ),
                audit(
                    Some(s.caller),
                    Some(s.source.issuer.id),
                    action,
                    &s.old.id.to_string(),
                    Some(match &revocation {
                        Some(r) => format!("by {new}: {}", r.logged()),
                        None => format!("by {new}"),
                    }),
                ),
            ];
            let delivery = Self::new_delivery(&credential, s.award.email.as_str(), s.award.notify);
            let stored = self
                .store
                .insert_successor(
                    &credential,
                    s.old.id,
                    succession,
                    revocation.as_ref().map(CheckedReasons::as_reasons),
                    &audits,
                    Some(&delivery),
                )
                .await;
            let conflict = match stored {
                Ok(true) => {
                    self.wake_deliveries([&delivery]);
                    if let Some(slot) = s.old.status {
                        self.note_status_change(slot.list).await;
                    }
                    info!(credential.id = %new, predecessor = %s.old.id, "{action}: credential {new} {verb} {}", s.old.id);
                    metrics::counter!("microcred_credentials_issued_total", "path" => action).increment(1);
                    self.note_inserted(1);
                    return Ok((credential, Issued::Created));
                }
                // The original changed since it was read (a concurrent renewal, correction or revocation).
                Ok(false) => {
                    let now = self.issued_credential(s.old.id).await?;
                    let error = check_current(&now, done).err().unwrap_or_else(|| {
                        Error::Conflict("the credential changed while this request ran; retry".into())
                    });
                    return self.replay_or(s.source.issuer.id, idempotency_key, request_hash, error).await;
                }
                Err(StoreError::Conflict(constraint)) if constraint.is_status_index() => constraint,
                Err(StoreError::Conflict(Constraint::IdempotencyKey)) => {
                    let error = Error::Conflict("a concurrent request used this Idempotency-Key; retry".into());
                    return self.replay_or(s.source.issuer.id, idempotency_key, request_hash, error).await;
                }
                Err(e) => return Err(e.into()),
            };
            tracing::debug!(%conflict, "status index taken concurrently; drawing again");
        }
        Err(issuance::indexes_taken())
    }
}

/// What a successor is made from.
#[derive(Clone, Copy)]
struct Successor<'a> {
    caller: &'a ApiKey,
    source: &'a AwardSource,
    old: &'a IssuedCredential,
    award: &'a Award,
}

/// 409 unless `credential` is the current version of an award: not revoked, suspended, renewed or replaced.
fn check_current(credential: &IssuedCredential, done: &str) -> Result<()> {
    let why = if let Some(next) = credential.superseded_by {
        format!("it was already renewed: credential {next} supersedes it; that one can be {done}")
    } else if let Some(next) = credential.replaced_by {
        format!("it was replaced by the corrected credential {next}; that one can be {done}")
    } else if credential.revoked_at.is_some() {
        "it is revoked, and revocation is permanent".to_owned()
    } else if credential.suspended_at.is_some() {
        "it is suspended: reinstate it first (or revoke it)".to_owned()
    } else {
        return Ok(());
    };
    Err(Error::Conflict(format!("this credential cannot be {done}: {why}")))
}

/// 422 when the new credential would expire before it starts.
fn check_period(award: &Award) -> Result<()> {
    match (award.awarded_at, award.valid_until) {
        (Some(from), Some(until)) if until <= from => {
            Err(ValidationErrors::single("valid_until", "must be after awarded_at").into())
        }
        _ => Ok(()),
    }
}
