//! The issuance pipeline shared by single awards, batches and the VC-API: the new credential's row, signing
//! documents of any shape (small ones on the request's worker, others off the async workers, in the caller's
//! tracing span), and the retry when a status index was taken.

use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::domain::achievement::AchievementId;
use crate::domain::api_key::ApiKey;
use crate::domain::award::{Award, CredentialId, IssuedCredential};
use crate::domain::issuer::IssuerId;
use crate::domain::status::StatusSlot;
use crate::error::{Error, Result};
use crate::keys::IssuerSigningKey;
use crate::vc::proof::{self, ProofError, ProofOptions};

/// How many times an issuance draws new status indexes after another request took one first.
pub(super) const ATTEMPTS: usize = 3;

/// The answer when every attempt lost its status indexes to concurrent requests.
pub(super) fn indexes_taken() -> Error {
    Error::Conflict("status-list indexes were taken concurrently three times; retry the request".into())
}

/// The row of a credential just signed by `caller` for `issuer`: not revoked, not suspended, and made from
/// no award until [`with_award`] says otherwise.
pub(super) fn new_row(
    id: CredentialId,
    issuer: IssuerId,
    caller: &ApiKey,
    document: Box<RawValue>,
    issued_at: OffsetDateTime,
    (status, suspension): (Option<StatusSlot>, Option<StatusSlot>),
) -> IssuedCredential {
    IssuedCredential {
        id,
        issuer_id: issuer,
        achievement_id: None,
        recipient_name: None,
        recipient_email: None,
        recipient_lookup: None,
        external_id: None,
        document,
        issued_at,
        valid_until: None,
        language: None,
        allow_duplicate: false,
        idempotency_key: None,
        request_hash: None,
        api_key_id: Some(caller.id),
        status,
        suspension,
        revoked_at: None,
        revocation_reason: None,
        revocation_public_reason: None,
        suspended_at: None,
        suspension_reason: None,
        suspension_public_reason: None,
        suspended_until: None,
        superseded_by: None,
        replaced_by: None,
    }
}

/// Records on a new row the award it was made from (valid until `valid_until`: the award's own, or the
/// achievement's validity after the award date), and the request that asked for it.
pub(super) fn with_award(
    row: IssuedCredential,
    achievement: AchievementId,
    award: &Award,
    valid_until: Option<OffsetDateTime>,
    idempotency_key: Option<String>,
    request_hash: [u8; 32],
    recipient_lookup: [u8; 32],
) -> IssuedCredential {
    IssuedCredential {
        achievement_id: Some(achievement),
        recipient_name: Some(award.name.clone()),
        recipient_email: Some(award.email.as_str().to_owned()),
        recipient_lookup: Some(recipient_lookup),
        valid_until,
        language: award.language.clone(),
        allow_duplicate: award.allow_duplicate,
        idempotency_key,
        request_hash: Some(request_hash),
        ..row
    }
}

/// Whether `document` is small enough to sign on the async worker: at most [`INLINE_VALUES`] JSON values and
/// [`INLINE_TEXT`] bytes of keys and strings (a typical 2 KB credential has about 40 values; the general path
/// signs one in about 0.1 ms, so an inline signature holds a worker for well under a millisecond). Larger ones
/// go to [`sign_blocking`].
pub(super) fn signs_quickly(document: &serde_json::Value) -> bool {
    struct Budget {
        values: usize,
        text: usize,
    }
    fn take_text(budget: &mut Budget, len: usize) -> bool {
        budget.text.checked_sub(len).map(|left| budget.text = left).is_some()
    }
    fn spend(value: &serde_json::Value, budget: &mut Budget) -> bool {
        let Some(values) = budget.values.checked_sub(1) else { return false };
        budget.values = values;
        match value {
            serde_json::Value::String(s) => take_text(budget, s.len()),
            serde_json::Value::Array(items) => items.iter().all(|v| spend(v, budget)),
            serde_json::Value::Object(map) => map.iter().all(|(k, v)| take_text(budget, k.len()) && spend(v, budget)),
            _ => true,
        }
    }
    spend(document, &mut Budget { values: INLINE_VALUES, text: INLINE_TEXT })
}

/// The most JSON values (objects, arrays and scalars) of a document [`signs_quickly`].
const INLINE_VALUES: usize = 256;
/// The most bytes of object keys and strings of a document [`signs_quickly`].
const INLINE_TEXT: usize = 16 * 1024;

/// Signs `document` on the general path ([`proof::secure`]): on the request's worker when it
/// [`signs_quickly`] (handing a small document to the blocking pool costs two thread switches, more than the
/// signature itself: BENCHMARKS.md, "Issue 20, session 19"), else on the blocking pool. The outer error: the
/// blocking task was interrupted; the inner one, the proof's.
pub(super) async fn secure(
    document: &serde_json::Value,
    options: ProofOptions,
    key: IssuerSigningKey,
) -> Result<std::result::Result<serde_json::Value, ProofError>> {
    if signs_quickly(document) {
        return Ok(proof::secure(document, &options, &key));
    }
    let document = document.clone();
    sign_blocking(move || proof::secure(&document, &options, &key)).await
}

/// Runs signing (CPU work) on the blocking pool, keeping the async workers free, inside the current tracing
/// span so its logs stay with the request.
pub(super) async fn sign_blocking<T: Send + 'static>(sign: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(sign))
        .await
        .map_err(|e| Error::Internal(format!("signing was interrupted: {e}")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{INLINE_TEXT, INLINE_VALUES, signs_quickly};

    #[test]
    fn only_small_documents_are_signed_on_the_async_worker() {
        let typical = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                             "issuer": "did:web:example.eu", "credentialSubject": {"name": "Γιώργος", "skills": ["a", "b"]}});
        assert!(signs_quickly(&typical));
        // The root and its array count too: INLINE_VALUES values in all is the most signed inline.
        let at_limit = json!({ "items": vec![0; INLINE_VALUES - 2] });
        assert!(signs_quickly(&at_limit));
        let over = json!({ "items": vec![0; INLINE_VALUES - 1] });
        assert!(!signs_quickly(&over));
        let deep = (0..INLINE_VALUES).fold(json!(0), |inner, _| json!({ "x": inner }));
        assert!(!signs_quickly(&deep));
        // One large string (an embedded image, say) is one value but much text.
        let image = json!({ "image": "a".repeat(INLINE_TEXT - "image".len()) });
        assert!(signs_quickly(&image));
        let larger = json!({ "image": "a".repeat(INLINE_TEXT) });
        assert!(!signs_quickly(&larger));
    }
}
