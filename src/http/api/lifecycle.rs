//! The certification lifecycle through the API: renew (recertify), replace (correct), and bulk status changes.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::credentials::{ListQuery, parse_filter};
use super::idempotency_key;
use super::views::CredentialView;
use crate::domain::award::{CredentialId, StatusReasons, end_of_day_or_time};
use crate::domain::lifecycle::{CorrectionInput, RenewalInput};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::extract::{UuidPath, is_media, optional_json_object};
use crate::http::openapi::responses::{Denied, Invalid, NotFound};
use crate::service::Issued;
use crate::service::bulk::{BulkAction, BulkReport, BulkTargets};

/// What a renewal or correction answers: 201 with the new credential (200 for a retry), and its address.
type Successor = (StatusCode, [(HeaderName, String); 1], Json<CredentialView>);

/// `POST /api/v1/credentials/{id}/renew`: recertification. Issues a new credential for the same learner and
/// achievement, which names this one (`relatedResource`, with its digest), and marks this one superseded:
/// its page then says "Renewed", links the new one, and its report's outcome is `superseded`. The learner is
/// e-mailed the new credential. Safe to retry with an `Idempotency-Key`.
#[utoipa::path(
    post,
    operation_id = "credentials_renew",
    path = "/api/v1/credentials/{id}/renew",
    tag = "lifecycle",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The credential renewed"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    request_body(content = RenewalInput, content_type = "application/json", description = "Optional: an empty body renews as of now",
        example = json!({"awarded_at": "2029-01-10", "result": "88"})),
    responses(
        (status = 201, description = "The renewal", body = CredentialView),
        (status = 200, description = "A retry: the renewal issued before", body = CredentialView),
        Denied,
        NotFound,
        (status = 409, description = "Revoked, suspended, already renewed or replaced, or not an award", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        Invalid,
    )
)]
pub(super) async fn renew(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Successor> {
    let key = idempotency_key(&headers)?;
    let (value, hash) = json_body(&headers, &body, "renew", id)?;
    let input: RenewalInput =
        serde_json::from_value(value).map_err(|e| ValidationErrors::single("body", e.to_string()))?;
    let (credential, issued) = state.app.renew(&caller, CredentialId(id), input, key.as_deref(), hash).await?;
    Ok(successor(&state, credential, issued))
}

/// `POST /api/v1/credentials/{id}/replace`: a correction. Issues the corrected credential (the fields given
/// over this one's), e-mails it to the learner, and revokes this one with the public reason "Replaced by a
/// corrected credential" and a link to the correction. Safe to retry with an `Idempotency-Key`.
#[utoipa::path(
    post,
    operation_id = "credentials_replace",
    path = "/api/v1/credentials/{id}/replace",
    tag = "lifecycle",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The credential corrected"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    request_body(content = CorrectionInput, example = json!({"recipient": {"name": "Мария Иванова-Петрова"}, "note": "name misspelt at enrolment"})),
    responses(
        (status = 201, description = "The corrected credential", body = CredentialView),
        (status = 200, description = "A retry: the correction issued before", body = CredentialView),
        Denied,
        NotFound,
        (status = 409, description = "Revoked, suspended, renewed or already replaced, or not an award", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        Invalid,
    )
)]
pub(super) async fn replace(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Successor> {
    let key = idempotency_key(&headers)?;
    let (value, hash) = json_body(&headers, &body, "replace", id)?;
    let input: CorrectionInput =
        serde_json::from_value(value).map_err(|e| ValidationErrors::single("body", e.to_string()))?;
    let (credential, issued) = state.app.replace(&caller, CredentialId(id), input, key.as_deref(), hash).await?;
    Ok(successor(&state, credential, issued))
}

fn successor(state: &AppState, credential: crate::domain::award::IssuedCredential, issued: Issued) -> Successor {
    let status = if issued == Issued::Created { StatusCode::CREATED } else { StatusCode::OK };
    let location = [(header::LOCATION, format!("/api/v1/credentials/{}", credential.id))];
    (status, location, Json(CredentialView::new(state.app.urls(), credential)))
}

/// A JSON object body (an empty body is `{}`), and the SHA-256 of the action, the credential acted on and the
/// body's canonical form: a retry is recognised by meaning rather than bytes, and the same key and body sent
/// for another credential is not taken for a retry.
fn json_body(headers: &HeaderMap, body: &[u8], action: &str, id: Uuid) -> Result<(Value, [u8; 32])> {
    let value = optional_json_object(headers, body, "{\"result\": \"88\"}")?;
    let mut hasher = Sha256::new();
    hasher.update(action.as_bytes());
    hasher.update(id.as_bytes());
    hasher.update(serde_json_canonicalizer::to_vec(&value).unwrap_or_default());
    Ok((value, hasher.finalize().into()))
}

/// The JSON body of `POST /api/v1/credentials/bulk`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "suspend", "filter": {"achievement_id": "0b6f7a52-6f3e-4c1e-9d7b-2a4f5e6d7c8b", "issued_before": "2026-06-01T00:00:00Z"},
    "note": "exam session 2026-05 under review", "public_reason": "Under review by the certification body", "until": "2026-12-31"}))]
pub(super) struct BulkInput {
    /// `revoke`, `suspend` or `reinstate`.
    action: BulkAction,
    /// The credentials (at most 100,000), or:
    ids: Option<Vec<String>>,
    /// every credential of the caller's issuer matching these (`achievement_id`, `email`, `issued_after`,
    /// `issued_before`, as in the listing).
    filter: Option<BulkFilter>,
    /// For the issuer's records (required to revoke or suspend).
    note: Option<String>,
    /// Shown on each credential's page.
    public_reason: Option<String>,
    /// Suspensions: withdrawn (revoked) at this moment unless reinstated before.
    until: Option<String>,
    /// All or nothing (default true): any credential the action cannot apply to refuses the request (422,
    /// each named). `false` applies the rest and reports the refused.
    atomic: Option<bool>,
}

/// A bulk filter: the listing's filters.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BulkFilter {
    achievement_id: Option<String>,
    email: Option<String>,
    issued_after: Option<String>,
    issued_before: Option<String>,
}

/// The query of a CSV bulk request (the CSV body carries the ids, in a column `id`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BulkQuery {
    action: Option<BulkAction>,
    note: Option<String>,
    public_reason: Option<String>,
    until: Option<String>,
    atomic: Option<bool>,
}

/// `POST /api/v1/credentials/bulk`: revokes, suspends or reinstates many credentials at once, each audited
/// and reported, each affected status list changed once. JSON (`ids` or `filter`), or a CSV with an `id`
/// column (`Content-Type: text/csv`, the other fields in the query: `?action=revoke&note=…`).
#[utoipa::path(
    post,
    operation_id = "credentials_bulk",
    path = "/api/v1/credentials/bulk",
    tag = "lifecycle",
    security(("bearer" = [])),
    params(
        ("action" = Option<String>, Query, description = "CSV only: revoke, suspend or reinstate"),
        ("note" = Option<String>, Query, description = "CSV only"),
        ("public_reason" = Option<String>, Query, description = "CSV only"),
        ("until" = Option<String>, Query, description = "CSV only"),
        ("atomic" = Option<bool>, Query, description = "CSV only"),
    ),
    request_body(content(
        (BulkInput = "application/json"),
        (String = "text/csv", example = "id\n6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a\n0c3e1b2a-9f8d-4e7c-a6b5-d4c3b2a1f0e9\n"),
    )),
    responses(
        (status = 200, description = "Applied: a result per credential", body = BulkReport),
        Denied,
        (status = 409, description = "Some credentials changed meanwhile: nothing was applied", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, or (atomic) some credentials cannot take the action: each is named, nothing was applied", body = crate::http::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn bulk(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<BulkQuery>, QueryRejection>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<BulkReport>> {
    let Query(query) = query.map_err(|e| ValidationErrors::single("query", e.body_text()))?;
    let input = if is_media(&headers, "text/csv") {
        let Some(action) = query.action else {
            return Err(
                ValidationErrors::single("action", "is required in the query: revoke, suspend or reinstate").into()
            );
        };
        BulkInput {
            action,
            ids: Some(csv_ids(&body)?),
            filter: None,
            note: query.note,
            public_reason: query.public_reason,
            until: query.until,
            atomic: query.atomic,
        }
    } else if is_media(&headers, "application/json") {
        if query.action.is_some()
            || query.note.is_some()
            || query.public_reason.is_some()
            || query.until.is_some()
            || query.atomic.is_some()
        {
            return Err(
                ValidationErrors::single("query", "is for CSV bodies only: put these fields in the JSON body").into()
            );
        }
        serde_json::from_slice(&body).map_err(|e| ValidationErrors::single("body", e.to_string()))?
    } else {
        return Err(Error::Unsupported("send JSON (application/json) or a CSV of ids (text/csv)".into()));
    };
    let mut errors = ValidationErrors::default();
    let targets = match (input.ids, input.filter) {
        (Some(ids), None) => {
            let mut parsed = Vec::with_capacity(ids.len());
            for (i, id) in ids.iter().enumerate() {
                match parse_id(id) {
                    Some(id) => parsed.push(id),
                    None => errors.add(format!("ids[{i}]"), "is not a credential id"),
                }
            }
            if parsed.is_empty() && errors.0.is_empty() {
                errors.add("ids", "names no credential");
            }
            BulkTargets::Ids(parsed)
        }
        (None, Some(f)) => {
            if f.achievement_id.is_none() && f.email.is_none() && f.issued_after.is_none() && f.issued_before.is_none()
            {
                return Err(ValidationErrors::single(
                    "filter",
                    "names no criterion: give achievement_id, email, issued_after or issued_before (a bulk change of everything is not taken by accident)",
                )
                .into());
            }
            let filter =
                parse_filter(ListQuery::from_parts(f.achievement_id, f.email, f.issued_after, f.issued_before))?;
            BulkTargets::Filter(filter)
        }
        _ => {
            errors.add("ids", "give either ids or filter");
            BulkTargets::Ids(Vec::new())
        }
    };
    let until = input.until.as_deref().and_then(|u| {
        errors.check("until", end_of_day_or_time(u).ok_or("must be an RFC 3339 date-time with a time zone, or a date"))
    });
    errors.finish(())?;
    let note = input.note.unwrap_or_default();
    let reasons = StatusReasons { note: &note, public: input.public_reason.as_deref(), until };
    let report =
        state.app.bulk_status(&caller, input.action, targets, Some(reasons), input.atomic.unwrap_or(true)).await?;
    Ok(Json(report))
}

/// A credential id: its UUID or its public URL.
fn parse_id(text: &str) -> Option<CredentialId> {
    let text = text.trim();
    let last = text.rsplit('/').next().unwrap_or(text);
    Uuid::try_parse(last).ok().map(CredentialId)
}

/// The ids of a CSV with an `id` (or `credential_id`) column.
fn csv_ids(body: &[u8]) -> Result<Vec<String>> {
    // Spreadsheets in Bulgarian, Greek, Spanish or Italian save CSV with semicolons: as for batches, the header
    // line says which.
    let header = body.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |c: u8| header.iter().filter(|b| **b == c).count();
    let delimiter = if count(b';') > count(b',') { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).trim(csv::Trim::All).from_reader(body);
    let headers = reader.headers().map_err(|e| ValidationErrors::single("body", format!("is not CSV: {e}")))?.clone();
    let column = headers
        .iter()
        .position(|h| {
            h.trim_start_matches('\u{feff}').eq_ignore_ascii_case("id") || h.eq_ignore_ascii_case("credential_id")
        })
        .ok_or_else(|| ValidationErrors::single("body", "needs a header row with an id (or credential_id) column"))?;
    let mut ids = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| ValidationErrors::single(format!("rows[{}]", i + 1), e.to_string()))?;
        if let Some(id) = record.get(column).filter(|id| !id.is_empty()) {
            ids.push(id.to_owned());
        }
    }
    Ok(ids)
}
