//! `GET /api/v1/credentials.csv`: every matching award as CSV, for spreadsheets, streamed a page at a time.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use time::OffsetDateTime;

use super::MAX_PAGE;
use super::credentials::{ListQuery, parse_filter};
use crate::domain::api_key::ApiKey;
use crate::domain::award::IssuedCredential;
use crate::domain::delivery::Delivery;
use crate::domain::public_urls::Download;
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::openapi::responses::Invalid;
use crate::service::Microcred;
use crate::store::CredentialFilter;

/// `GET /api/v1/credentials.csv` with the listing's filters: every matching award as CSV, for spreadsheets.
#[utoipa::path(
    get,
    operation_id = "credentials_export",
    path = "/api/v1/credentials.csv",
    tag = "awards",
    security(("bearer" = [])),
    params(
        ("achievement_id" = Option<uuid::Uuid>, Query, description = "Filter"),
        ("email" = Option<String>, Query, description = "Filter"),
        ("issued_after" = Option<String>, Query, description = "RFC 3339"),
        ("issued_before" = Option<String>, Query, description = "RFC 3339"),
    ),
    responses(
        (status = 200, description = "text/csv (UTF-8 with a byte-order mark, for spreadsheets): id, achievement_id, name, email, status, issued_at, valid_until, page, awarded_at, result, json, pdf, png, delivery_status, delivery_attempts, delivery_last_error, sent_at, claimed_at"),
        (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        Invalid,
    )
)]
pub(super) async fn export(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response> {
    let Query(mut q) = query.map_err(|e| ValidationErrors::single("query", e.body_text()))?;
    q.limit = Some(MAX_PAGE);
    q.cursor = None;
    let filter = parse_filter(q)?;
    // The first page is read before answering, so that a refusal or a database failure is a problem response
    // rather than a file cut short; the rest is streamed a page at a time, so memory stays at one page however
    // many credentials match (a million-row export used to be built whole in memory).
    let first = state.app.list_credentials(&caller, filter.clone()).await?;
    // The byte-order mark tells spreadsheets (Excel) the file is UTF-8; without it they garble Cyrillic and Greek.
    let mut head = b"\xEF\xBB\xBF".to_vec();
    head.extend_from_slice(&csv_records(&[EXPORT_COLUMNS.map(String::from)])?);
    let head = axum::body::Bytes::from(head);
    let rows = rows(state.app.clone(), caller, first, filter);
    let body = futures_util::stream::once(async { Ok(head) }).chain(rows);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"credentials.csv\""),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// The CSV rows, page after page, starting with the page already read.
fn rows(
    app: std::sync::Arc<Microcred>,
    caller: ApiKey,
    first: Vec<IssuedCredential>,
    filter: CredentialFilter,
) -> BoxStream<'static, Result<axum::body::Bytes>> {
    futures_util::stream::try_unfold((Some(first), filter), move |(page, mut filter)| {
        let (app, caller) = (app.clone(), caller.clone());
        async move {
            let rows = match page {
                Some(rows) => rows,
                None if filter.after.is_none() => return Ok(None),
                None => app.list_credentials(&caller, filter.clone()).await?,
            };
            if rows.is_empty() {
                return Ok(None);
            }
            filter.after =
                rows.last().filter(|_| rows.len() == MAX_PAGE as usize).map(|last| (last.issued_at, last.id));
            let now = OffsetDateTime::now_utc();
            let ids: Vec<_> = rows.iter().map(|c| c.id).collect();
            let deliveries = app.deliveries_of(&ids).await?;
            let chunk = csv_records(
                &rows.iter().map(|c| export_record(&app, c, deliveries.get(&c.id), now)).collect::<Vec<_>>(),
            )?;
            Ok::<_, Error>(Some((chunk, (None, filter))))
        }
    })
    .boxed()
}

/// The columns of the CSV export, in order (new columns go at the end, so spreadsheets that read by
/// position keep working).
const EXPORT_COLUMNS: [&str; COLUMNS] = [
    "id",
    "achievement_id",
    "name",
    "email",
    "status",
    "issued_at",
    "valid_until",
    "page",
    "awarded_at",
    "result",
    "json",
    "pdf",
    "png",
    "delivery_status",
    "delivery_attempts",
    "delivery_last_error",
    "sent_at",
    "claimed_at",
];

/// How many columns the export has.
const COLUMNS: usize = 18;

/// One credential as a row of the CSV export. The award date (`validFrom`) and the result are read from the
/// signed credential, which is what the learner holds.
fn export_record(
    app: &Microcred,
    c: &IssuedCredential,
    delivery: Option<&Delivery>,
    now: OffsetDateTime,
) -> [String; COLUMNS] {
    let at = |t: Option<OffsetDateTime>| {
        t.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_default()
    };
    let document: serde_json::Value = serde_json::from_str(c.document.get()).unwrap_or_default();
    let text = |pointer: &str| document.pointer(pointer).and_then(serde_json::Value::as_str).unwrap_or_default();
    let urls = app.urls();
    [
        c.id.to_string(),
        c.achievement_id.map(|a| a.to_string()).unwrap_or_default(),
        csv_cell(c.recipient_name.as_deref().unwrap_or_default()),
        csv_cell(c.recipient_email.as_deref().unwrap_or_default()),
        c.status_at(now).to_owned(),
        at(Some(c.issued_at)),
        at(c.valid_until),
        urls.credential(c.id),
        text("/validFrom").to_owned(),
        csv_cell(text("/credentialSubject/result/0/value")),
        urls.credential_download(c.id, Download::Json),
        urls.credential_download(c.id, Download::Pdf),
        urls.credential_download(c.id, Download::Png),
        delivery.map(|d| d.status.as_str().to_owned()).unwrap_or_default(),
        delivery.map(|d| d.attempts.to_string()).unwrap_or_default(),
        csv_cell(delivery.and_then(|d| d.last_error.as_deref()).unwrap_or_default()),
        at(delivery.and_then(|d| d.sent_at)),
        at(delivery.and_then(|d| d.claimed_at)),
    ]
}

/// A CSV cell that a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading `'` (OWASP's advice against CSV formula injection).
fn csv_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

/// Records encoded as CSV (RFC 4180 quoting, by the `csv` crate).
fn csv_records(records: &[[String; COLUMNS]]) -> Result<axum::body::Bytes> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for record in records {
        out.write_record(record).map_err(|e| Error::Internal(format!("CSV export: {e}")))?;
    }
    out.into_inner().map(Into::into).map_err(|e| Error::Internal(format!("CSV export: {e}")))
}
