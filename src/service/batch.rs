//! Batches of awards: up to 10,000 at once, from a JSON array or a CSV upload.
//!
//! Every row is validated first (fields, achievement, access, duplicates in the database and within the
//! batch). By default a batch is all-or-nothing — what an assessor uploading a class list expects — so one
//! bad row refuses the whole batch, listing every problem by row. With `partial`, the valid rows are
//! issued and the others reported. The credentials, their audit entries and (under an `Idempotency-Key`)
//! the answer are written in one transaction: a retry returns the same answer, and a retry after a crash
//! issues nothing twice.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Issued, Microcred, audit, issuance, now};
use crate::domain::achievement::Achievement;
use crate::domain::api_key::ApiKey;
use crate::domain::award::{Award, CredentialId, IssuedCredential};
use crate::domain::issuer::Issuer;
use crate::domain::status::{StatusPurpose, StatusSlot};
use crate::domain::validation::{FieldError, ValidationErrors};
use crate::error::{Error, Result};
use crate::store::{BatchRecord, Constraint, StoreError};
use crate::vc::credential::{AwardFacts, OpenBadgeCredential};
use crate::vc::proof::{self, Cryptosuite, ProofOptions};

pub use crate::domain::batch_csv::{MAX_BATCH, ParsedRows};

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// A credential was issued.
    Issued,
    /// The row was invalid; nothing was issued for it.
    Rejected,
}

/// One row's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchRowResult {
    /// The row number as the assessor sees it: the spreadsheet line of a CSV (the header is line 1), or the
    /// position in a JSON array counted from 1.
    pub row: usize,
    /// Issued or rejected.
    pub status: RowStatus,
    /// The credential issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CredentialId>,
    /// Why the row was rejected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The answer to a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchOutcome {
    /// Credentials issued.
    pub issued: usize,
    /// Rows rejected.
    pub rejected: usize,
    /// Every row, in order.
    pub rows: Vec<BatchRowResult>,
}

/// A parsed batch: each row's number and its award (or why it could not be read).
#[derive(Debug)]
pub struct BatchRequest {
    /// `(row number, award or parse error)`.
    pub rows: ParsedRows,
    /// Issue the valid rows even if others are invalid.
    pub partial: bool,
    /// The achievement of rows that name none (`?achievement_id=`).
    pub achievement_id: Option<String>,
    /// A CSV batch's headers as written, by canonical column (`email` → `E-mail`), to name them in errors.
    pub columns: std::collections::BTreeMap<&'static str, String>,
    /// E-mail each credential to its learner (`?notify=false`: the issuer delivers them itself).
    pub notify: bool,
}

struct Valid {
    row: usize,
    award: Award,
    achievement: usize,
}

impl Microcred {
    /// Issues a batch of awards (see the module documentation for the rules).
    pub async fn issue_batch(
        &self,
        caller: &ApiKey,
        request: BatchRequest,
        idempotency_key: Option<&str>,
        request_hash: [u8; 32],
    ) -> Result<(BatchOutcome, Issued)> {
        if request.rows.is_empty() {
            return Err(ValidationErrors::single("rows", "the batch is empty").into());
        }
        if request.rows.len() > MAX_BATCH {
            return Err(ValidationErrors::single("rows", format!("a batch holds at most {MAX_BATCH} awards")).into());
        }
        if let Some(key) = idempotency_key
            && let Some(done) = self.store.batch_by_idempotency_key(caller.issuer_id, key).await?
        {
            return replay_batch(&done, request_hash);
        }

        let (valid, mut results, achievements) =
            self.validate_batch(caller, request.rows, request.achievement_id.as_deref(), &request.columns).await?;
        let rejected = results.len();
        if rejected > 0 && !request.partial {
            let total = valid.len() + rejected;
            return Err(ValidationErrors(summarise(results, total)).into());
        }

        let mut outcome = None;
        for _attempt in 0..3 {
            match self.mint_batch(caller, &valid, &achievements, idempotency_key, request_hash).await? {
                Some(issued) => {
                    outcome = Some(issued);
                    break;
                }
                None => continue,
            }
        }
        let Some((credentials, audits)) = outcome else {
            return Err(Error::Conflict(
                "status-list indexes were taken concurrently three times; retry the batch".into(),
            ));
        };
        results.extend(credentials.iter().zip(&valid).map(|(c, v)| BatchRowResult {
            row: v.row,
            status: RowStatus::Issued,
            id: Some(c.id),
            errors: vec![],
        }));
        results.sort_by_key(|r| r.row);
        let result = BatchOutcome { issued: credentials.len(), rejected, rows: results };
        let record = match idempotency_key {
            Some(key) => Some(BatchRecord {
                id: Uuid::new_v4(),
                issuer_id: caller.issuer_id,
                idempotency_key: key.to_owned(),
                request_hash,
                response: serde_json::to_string(&result)
                    .map_err(|e| Error::Internal(format!("cannot serialise the batch answer: {e}")))?,
                created_at: now(),
            }),
            None => None,
        };
        debug_assert_eq!(credentials.len(), valid.len(), "one credential per valid row, in row order");
        let deliveries: Vec<_> = credentials
            .iter()
            .zip(&valid)
            .filter_map(|(c, v)| {
                let email = c.recipient_email.as_deref()?;
                Some(Self::new_delivery(c, email, request.notify && v.award.notify))
            })
            .collect();
        match self.store.insert_batch(&credentials, &audits, &deliveries, record.as_ref()).await {
            Ok(()) => {
                self.wake_deliveries(&deliveries);
                tracing::info!(issued = result.issued, rejected, "issued a batch of {} credentials", result.issued);
                metrics::counter!("microcred_credentials_issued_total", "path" => "batch")
                    .increment(result.issued as u64);
                self.note_inserted(result.issued as u64);
                Ok((result, Issued::Created))
            }
            Err(StoreError::Conflict(Constraint::BatchIdempotencyKey)) => {
                let key = idempotency_key.unwrap_or_default();
                match self.store.batch_by_idempotency_key(caller.issuer_id, key).await? {
                    Some(done) => replay_batch(&done, request_hash),
                    None => Err(Error::Conflict("a concurrent request used this Idempotency-Key; retry".into())),
                }
            }
            Err(StoreError::Conflict(Constraint::DuplicateAward)) => Err(Error::Conflict(
                "a learner in this batch was awarded the same achievement by a concurrent request; retry to see which"
                    .into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Validates every row; returns the valid ones, the rejected rows' results, and the achievements used.
    async fn validate_batch(
        &self,
        caller: &ApiKey,
        rows: ParsedRows,
        default_achievement: Option<&str>,
        columns: &std::collections::BTreeMap<&'static str, String>,
    ) -> Result<(Vec<Valid>, Vec<BatchRowResult>, Vec<(Achievement, Issuer)>)> {
        let mut achievements: Vec<(Achievement, Issuer)> = Vec::new();
        let mut by_id: HashMap<Uuid, Option<usize>> = HashMap::new();
        let mut seen: HashSet<(Uuid, String)> = HashSet::new();
        let (mut valid, mut rejected) = (Vec::new(), Vec::new());
        // Rows whose learner may already hold the achievement: checked together after the loop.
        let mut unchecked: Vec<Valid> = Vec::new();
        for (row, input) in rows {
            let prefix = |field: &str| format!("rows[{row}].{field}");
            let mut errors = ValidationErrors::default();
            let column =
                |field: &str| crate::domain::batch_csv::column_of_field(field).and_then(|c| columns.get(c)).cloned();
            let award = match input {
                Err(message) => {
                    errors.add(prefix("row"), message);
                    None
                }
                Ok(mut input) => {
                    if input.achievement_id.is_none() {
                        input.achievement_id = default_achievement.map(str::to_owned);
                    }
                    match input.validate_printable(self.fonts.as_ref()) {
                        Ok(award) => Some(award),
                        Err(e) => {
                            errors.0.extend(e.0.into_iter().map(|f| FieldError {
                                column: column(&f.field),
                                field: prefix(&f.field),
                                rows: vec![row],
                                message: f.message,
                            }));
                            None
                        }
                    }
                }
            };
            if let Some(award) = award {
                let id = award.achievement_id.0;
                let index = match by_id.get(&id) {
                    Some(index) => *index,
                    None => {
                        let found = self.store.achievement(award.achievement_id).await?;
                        let index = match found {
                            Some(a)
                                if caller.role == crate::domain::api_key::Role::Admin
                                    || a.issuer_id == caller.issuer_id =>
                            {
                                let issuer = self.store.issuer_by_id(a.issuer_id).await?;
                                issuer.map(|issuer| {
                                    achievements.push((a, issuer));
                                    achievements.len() - 1
                                })
                            }
                            // As for a single award: another issuer's achievement is refused outright (403).
                            Some(_) => {
                                return Err(Error::Forbidden(format!(
                                    "{}: achievement {id} belongs to another issuer",
                                    prefix("achievement_id")
                                )));
                            }
                            None => None,
                        };
                        by_id.insert(id, index);
                        index
                    }
                };
                match index {
                    None => errors.add(prefix("achievement_id"), "no such achievement among this key's issuer's"),
                    Some(index) if !award.allow_duplicate => {
                        let key = (id, award.email.as_str().to_owned());
                        if !seen.insert(key) {
                            errors
                                .add(prefix("recipient.email"), "appears twice in this batch for the same achievement");
                        } else {
                            unchecked.push(Valid { row, award, achievement: index });
                        }
                    }
                    Some(index) => valid.push(Valid { row, award, achievement: index }),
                }
            }
            if !errors.0.is_empty() {
                rejected.push(BatchRowResult { row, status: RowStatus::Rejected, id: None, errors: errors.0 });
            }
        }
        // One query per achievement and 500 learners, not one per row: each query is a round trip, and under
        // load (pages served at full speed) 10,000 of them kept a batch waiting for minutes.
        let mut held: HashMap<(Uuid, String), CredentialId> = HashMap::new();
        let mut by_achievement: HashMap<Uuid, Vec<&str>> = HashMap::new();
        for v in &unchecked {
            by_achievement.entry(v.award.achievement_id.0).or_default().push(v.award.email.as_str());
        }
        for (achievement, emails) in by_achievement {
            for (email, id) in
                self.store.holders(crate::domain::achievement::AchievementId(achievement), &emails).await?
            {
                held.entry((achievement, email)).or_insert(id); // oldest first: the first is the one named
            }
        }
        for v in unchecked {
            match held.get(&(v.award.achievement_id.0, v.award.email.as_str().to_owned())) {
                Some(first) => rejected.push(BatchRowResult {
                    row: v.row,
                    status: RowStatus::Rejected,
                    id: None,
                    errors: vec![FieldError {
                        field: format!("rows[{}].recipient.email", v.row),
                        message: format!("already holds this achievement: credential {first}"),
                        rows: vec![v.row],
                        column: columns.get("email").cloned(),
                    }],
                }),
                None => valid.push(v),
            }
        }
        rejected.sort_by_key(|r| r.row); // a refused batch lists its errors in row order
        Ok((valid, rejected, achievements))
    }

    /// Allocates status slots, builds and signs every credential (on all cores, off the async workers).
    /// `None` means an index was meanwhile taken by another request (detected when storing; try again).
    async fn mint_batch(
        &self,
        caller: &ApiKey,
        valid: &[Valid],
        achievements: &[(Achievement, Issuer)],
        idempotency_key: Option<&str>,
        request_hash: [u8; 32],
    ) -> Result<Option<(Vec<IssuedCredential>, Vec<crate::domain::audit::AuditEntry>)>> {
        let issued_at = now();
        // (position in `valid`, credential, audit entry): signed issuer by issuer, answered in row order.
        let mut minted = Vec::with_capacity(valid.len());
        // One group per issuer: each signs with its own key and allocates in its own lists.
        // Each issuer once, wherever its achievements are in the list (`dedup` would only merge neighbours, and
        // an admin's batch over issuers A, B, A would sign A's rows twice).
        let mut seen = HashSet::new();
        let issuers: Vec<&Issuer> = achievements.iter().map(|(_, i)| i).filter(|i| seen.insert(i.id)).collect();
        for issuer in issuers {
            let rows: Vec<(usize, &Valid)> =
                valid.iter().enumerate().filter(|(_, v)| achievements[v.achievement].1.id == issuer.id).collect();
            if rows.is_empty() {
                continue;
            }
            let n = u32::try_from(rows.len()).unwrap_or(u32::MAX);
            let revocation = self.allocate_statuses(issuer, StatusPurpose::Revocation, n).await?;
            let suspension = if issuer.suspension_enabled {
                Some(self.allocate_statuses(issuer, StatusPurpose::Suspension, n).await?)
            } else {
                None
            };
            let (key, options) = self.assertion_signer(issuer, Cryptosuite::EddsaRdfc2022, issued_at).await?;
            let mut unsigned = Vec::with_capacity(rows.len());
            // Each row's expiry, computed once: the signed `validUntil` and the stored one are the same value.
            let mut expiries = Vec::with_capacity(rows.len());
            for (i, (_, v)) in rows.iter().enumerate() {
                let id = CredentialId(Uuid::new_v4());
                let (achievement, _) = &achievements[v.achievement];
                let valid_from = v.award.awarded_at.unwrap_or(issued_at);
                let valid_until = v.award.valid_until_from(achievement.spec.validity, valid_from);
                expiries.push(valid_until);
                let mut credential = OpenBadgeCredential::award(&AwardFacts {
                    id: self.urls.credential(id),
                    issuer,
                    achievement_url: self.urls.achievement(achievement.id),
                    achievement: &achievement.spec,
                    recipient_name: &v.award.name,
                    recipient_email: v.award.email.as_str(),
                    recipient_id: v.award.recipient_id.as_deref(),
                    result: v.award.result.as_deref(),
                    valid_from,
                    valid_until,
                });
                let slots = (revocation[i], suspension.as_ref().map(|s| s[i]));
                credential.credential_status = Some(self.status_entries(slots.0, slots.1));
                unsigned.push((id, credential, slots));
            }
            let signed = issuance::sign_blocking(move || sign_all(&unsigned, &options, &key)).await??;
            for (((id, document, (status, suspension)), (position, v)), valid_until) in
                signed.into_iter().zip(&rows).zip(expiries)
            {
                let entry = audit(Some(caller), Some(issuer.id), "credential.issue", &id.to_string(), None);
                let row = issuance::new_row(id, issuer.id, caller, document, issued_at, (Some(status), suspension));
                let lookup = self.recipient_lookup(v.award.email.as_str()).await?;
                let credential = issuance::with_award(
                    row,
                    achievements[v.achievement].0.id,
                    &v.award,
                    valid_until,
                    idempotency_key.map(|k| format!("{k}#row{}", v.row)),
                    request_hash,
                    lookup,
                );
                minted.push((*position, credential, entry));
            }
        }
        minted.sort_by_key(|(position, _, _)| *position);
        let (credentials, audits): (Vec<_>, Vec<_>) = minted.into_iter().map(|(_, c, a)| (c, a)).unzip();
        // The database has the last word on index uniqueness; the caller retries on a clash.
        let mut taken = HashSet::new();
        let clash = credentials.iter().any(|c| c.status.is_some_and(|s| !taken.insert((s.list, s.index))));
        Ok(if clash { None } else { Some((credentials, audits)) })
    }
}

/// A credential's revocation slot and, if any, suspension slot.
type Slots = (StatusSlot, Option<StatusSlot>);
/// A built, unsigned credential of a batch.
type Unsigned = (CredentialId, OpenBadgeCredential, Slots);
/// A signed credential of a batch, as JSON text.
type Signed = (CredentialId, Box<serde_json::value::RawValue>, Slots);

/// Signs every credential, spreading the work over all cores.
fn sign_all(unsigned: &[Unsigned], options: &ProofOptions, key: &crate::keys::IssuerSigningKey) -> Result<Vec<Signed>> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = unsigned.len().div_ceil(threads).max(1);
    let sign = |items: &[Unsigned]| -> Result<Vec<Signed>> {
        items
            .iter()
            .map(|(id, credential, slots)| {
                // The server built this credential: failing to sign it is our fault, not the client's.
                let signed = proof::sign_credential(credential, options, key)
                    .map_err(|e| Error::Internal(format!("cannot sign credential {id}: {e}")))?;
                let raw = serde_json::value::to_raw_value(&signed)
                    .map_err(|e| Error::Internal(format!("cannot serialise credential {id}: {e}")))?;
                Ok((*id, raw, *slots))
            })
            .collect()
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = unsigned.chunks(chunk).map(|part| scope.spawn(move || sign(part))).collect();
        let mut all = Vec::with_capacity(unsigned.len());
        for handle in handles {
            all.extend(handle.join().map_err(|_| Error::Internal("a signing thread panicked".into()))??);
        }
        Ok(all)
    })
}

/// The errors of a refused batch, each row's numbered, and a mistake many rows share (the same field and
/// message in more than three rows: a whole class list with a date in the wrong format) reported once, with
/// the rows it is in, rather than once per row.
fn summarise(results: Vec<BatchRowResult>, total: usize) -> Vec<FieldError> {
    const SHARED: usize = 3;
    let errors: Vec<FieldError> = results
        .into_iter()
        .flat_map(|r| {
            r.errors.into_iter().map(move |mut e| {
                if e.rows.is_empty() {
                    e.rows.push(r.row);
                }
                e
            })
        })
        .collect();
    // The field without its row (`rows[12].awarded_at` → `awarded_at`) and the message: one mistake.
    let key = |e: &FieldError| {
        let field = e.field.split_once("].").map_or(e.field.as_str(), |(_, f)| f).to_owned();
        (field, e.message.clone())
    };
    let mut counts: HashMap<(String, String), usize> = HashMap::new();
    for e in &errors {
        *counts.entry(key(e)).or_default() += 1;
    }
    let mut out: Vec<FieldError> = Vec::new();
    let mut grouped: HashMap<(String, String), usize> = HashMap::new();
    for e in errors {
        let k = key(&e);
        let n = counts[&k];
        if n <= SHARED {
            out.push(e);
            continue;
        }
        match grouped.get(&k) {
            Some(&at) => out[at].rows.extend(e.rows),
            None => {
                grouped.insert(k.clone(), out.len());
                let message = if n == total {
                    format!("every row ({n} rows): {}", k.1)
                } else {
                    format!("{n} rows of {total}: {}", k.1)
                };
                out.push(FieldError { field: format!("rows[*].{}", k.0), message, rows: e.rows, column: e.column });
            }
        }
    }
    out
}

fn replay_batch(done: &BatchRecord, request_hash: [u8; 32]) -> Result<(BatchOutcome, Issued)> {
    if done.request_hash != request_hash {
        return Err(ValidationErrors::single(
            "Idempotency-Key",
            "was already used for a different batch; use a new key for a new batch",
        )
        .into());
    }
    let outcome = serde_json::from_str(&done.response)
        .map_err(|e| Error::Internal(format!("the stored batch answer is corrupt: {e}")))?;
    Ok((outcome, Issued::Replayed))
}
