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
use crate::domain::award::{Award, AwardInput, CredentialId, IssuedCredential};
use crate::domain::issuer::Issuer;
use crate::domain::status::{StatusPurpose, StatusSlot};
use crate::domain::validation::{FieldError, ValidationErrors};
use crate::error::{Error, Result};
use crate::store::{BatchRecord, Constraint, StoreError};
use crate::vc::credential::{AwardFacts, OpenBadgeCredential};
use crate::vc::proof::{self, Cryptosuite, ProofOptions};

/// Most awards in one batch.
pub const MAX_BATCH: usize = 10_000;

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
#[derive(Debug, Default)]
pub struct BatchRequest {
    /// `(row number, award or parse error)`.
    pub rows: ParsedRows,
    /// Issue the valid rows even if others are invalid.
    pub partial: bool,
    /// The achievement of rows that name none (`?achievement_id=`).
    pub achievement_id: Option<String>,
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
            self.validate_batch(caller, request.rows, request.achievement_id.as_deref()).await?;
        let rejected = results.len();
        if rejected > 0 && !request.partial {
            let errors = results.into_iter().flat_map(|r| r.errors).collect();
            return Err(ValidationErrors(errors).into());
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
        match self.store.insert_batch(&credentials, &audits, record.as_ref()).await {
            Ok(()) => {
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
                            errors.0.extend(
                                e.0.into_iter().map(|f| FieldError { field: prefix(&f.field), message: f.message }),
                            );
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
        let mut credentials = Vec::with_capacity(valid.len());
        let mut audits = Vec::with_capacity(valid.len());
        // One group per issuer: each signs with its own key and allocates in its own lists.
        let mut issuers: Vec<&Issuer> = achievements.iter().map(|(_, i)| i).collect();
        issuers.dedup_by_key(|i| i.id);
        for issuer in issuers {
            let rows: Vec<&Valid> = valid.iter().filter(|v| achievements[v.achievement].1.id == issuer.id).collect();
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
            for (i, v) in rows.iter().enumerate() {
                let id = CredentialId(Uuid::new_v4());
                let (achievement, _) = &achievements[v.achievement];
                let mut credential = OpenBadgeCredential::award(&AwardFacts {
                    id: self.urls.credential(id),
                    issuer,
                    achievement_url: self.urls.achievement(achievement.id),
                    achievement: &achievement.spec,
                    recipient_name: &v.award.name,
                    recipient_email: v.award.email.as_str(),
                    recipient_id: v.award.recipient_id.as_deref(),
                    result: v.award.result.as_deref(),
                    valid_from: v.award.awarded_at.unwrap_or(issued_at),
                    valid_until: v.award.valid_until,
                });
                let slots = (revocation[i], suspension.as_ref().map(|s| s[i]));
                credential.credential_status = Some(self.status_entries(slots.0, slots.1));
                unsigned.push((id, credential, slots));
            }
            let signed = issuance::sign_blocking(move || sign_all(&unsigned, &options, &key)).await??;
            for ((id, document, (status, suspension)), v) in signed.into_iter().zip(&rows) {
                audits.push(audit(Some(caller), Some(issuer.id), "credential.issue", &id.to_string(), None));
                let row = issuance::new_row(id, issuer.id, caller, document, issued_at, (Some(status), suspension));
                credentials.push(issuance::with_award(
                    row,
                    achievements[v.achievement].0.id,
                    &v.award,
                    idempotency_key.map(|k| format!("{k}#row{}", v.row)),
                    request_hash,
                ));
            }
        }
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
/// A batch as read: each row's number and its award, or why it could not be read.
pub type ParsedRows = Vec<(usize, std::result::Result<AwardInput, String>)>;

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

/// Reads a CSV batch: UTF-8 with or without a byte-order mark, comma- or semicolon-separated (whichever the
/// header uses), a header row naming the columns `name`, `email` and optionally `id`, `result`,
/// `awarded_at`, `valid_until`, `language`, `achievement_id`, `allow_duplicate`. Rows are numbered as in a
/// spreadsheet (the header is row 1).
pub fn parse_csv(body: &[u8]) -> std::result::Result<ParsedRows, ValidationErrors> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let text = std::str::from_utf8(body)
        .map_err(|e| ValidationErrors::single("body", format!("the CSV file is not UTF-8 ({e})")))?;
    let header = text.lines().next().unwrap_or_default();
    let delimiter = if header.matches(';').count() > header.matches(',').count() { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ValidationErrors::single("header", e.to_string()))?
        .iter()
        .map(|h| h.trim().to_lowercase().replace(' ', "_"))
        .collect();
    const KNOWN: [&str; 9] =
        ["name", "email", "id", "result", "awarded_at", "valid_until", "language", "achievement_id", "allow_duplicate"];
    let mut errors = ValidationErrors::default();
    for h in &headers {
        if !KNOWN.contains(&h.as_str()) {
            errors.add("header", format!("unknown column {h:?}; known columns: {}", KNOWN.join(", ")));
        }
    }
    for required in ["name", "email"] {
        if !headers.iter().any(|h| h == required) {
            errors.add("header", format!("the column {required:?} is required"));
        }
    }
    errors.finish(())?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let row = e.position().map_or(0, |p| line_of(text, p.byte()));
                rows.push((row, Err(format!("unreadable CSV row: {e}"))));
                continue;
            }
        };
        // Spreadsheet row numbers: the line the record starts on (blank lines count, as a spreadsheet shows them).
        let row = record.position().map_or(0, |p| line_of(text, p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() >= MAX_BATCH {
            return Err(ValidationErrors::single("rows", format!("a batch holds at most {MAX_BATCH} awards")));
        }
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let allow_duplicate = match cell("allow_duplicate").as_deref().map(str::to_lowercase).as_deref() {
            None | Some("false" | "no" | "0") => Ok(None),
            Some("true" | "yes" | "1") => Ok(Some(true)),
            Some(other) => Err(format!("allow_duplicate must be true or false, not {other:?}")),
        };
        rows.push((
            row,
            allow_duplicate.map(|allow_duplicate| AwardInput {
                achievement_id: cell("achievement_id"),
                recipient: Some(crate::domain::award::RecipientInput {
                    name: cell("name"),
                    email: cell("email"),
                    id: cell("id"),
                }),
                result: cell("result"),
                awarded_at: cell("awarded_at"),
                valid_until: cell("valid_until"),
                language: cell("language"),
                allow_duplicate,
            }),
        ));
    }
    Ok(rows)
}

/// The 1-based line a record starting at `byte` is on. The reader reports a record after blank lines as
/// starting at the first of them, so line breaks right at the start are skipped.
fn line_of(text: &str, byte: u64) -> usize {
    let bytes = text.as_bytes();
    let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
    while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
        start += 1;
    }
    bytes[..start].iter().filter(|b| **b == b'\n').count() + 1
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_bom_semicolons_and_any_script_is_read_by_spreadsheet_row() {
        let csv = "\u{feff}Name;Email;Result\nИван Петров;ivan@example.bg;92\n\n\"Γιώργος; Jr.\";g@example.gr;\n";
        let rows = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        let first = rows[0].1.as_ref().unwrap();
        assert_eq!(first.recipient.as_ref().unwrap().name.as_deref(), Some("Иван Петров"));
        assert_eq!(first.result.as_deref(), Some("92"));
        assert_eq!(rows[1].0, 4, "the blank line still counts, as in the spreadsheet");
        assert_eq!(rows[1].1.as_ref().unwrap().recipient.as_ref().unwrap().name.as_deref(), Some("Γιώργος; Jr."));
    }

    #[test]
    fn csv_header_problems_are_named() {
        let errors = parse_csv(b"nom,email,colour\nx,y,z\n").unwrap_err();
        let messages: Vec<&str> = errors.0.iter().map(|e| e.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("\"nom\"")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("\"colour\"")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("\"name\" is required")), "{messages:?}");
        assert!(parse_csv(&[0xff, 0xfe, 0x00]).is_err());
    }
}
