//! Awards: issuing credentials through the assessors' API, listing them, and the public signed JSON.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::AppState;
use super::auth::Caller;
use super::extract::{ApiJson, UuidPath};
use crate::domain::achievement::AchievementId;
use crate::domain::award::{AwardInput, CredentialId, IssuedCredential};
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::service::Issued;
use crate::store::CredentialFilter;
use crate::vc::model::parse_date_time_stamp;

/// Where a credential can be seen and downloaded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Links {
    page: String,
    json: String,
    pdf: String,
    png: String,
}

/// A credential as the API lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CredentialSummary {
    id: CredentialId,
    /// `null` for a credential issued through the VC-API.
    achievement_id: Option<AchievementId>,
    /// `null` for a credential issued through the VC-API.
    recipient: Option<Recipient>,
    /// The credential's own `id`, when a VC-API caller chose it.
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    /// `active`, `suspended` or `revoked` (expiry is shown by `valid_until`).
    #[schema(value_type = String, pattern = "^(active|suspended|revoked)$")]
    status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    valid_until: Option<OffsetDateTime>,
    links: Links,
}

/// The learner an award names.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Recipient {
    name: String,
    email: String,
}

/// A credential with its signed document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CredentialView {
    #[serde(flatten)]
    summary: CredentialSummary,
    /// The signed `OpenBadgeCredential`, as issued.
    #[schema(value_type = Object)]
    credential: Box<serde_json::value::RawValue>,
}

fn summary(state: &AppState, c: &IssuedCredential) -> CredentialSummary {
    let page = state.app.credential_url(c.id);
    CredentialSummary {
        id: c.id,
        achievement_id: c.achievement_id,
        recipient: c
            .recipient_name
            .clone()
            .zip(c.recipient_email.clone())
            .map(|(name, email)| Recipient { name, email }),
        external_id: c.external_id.clone(),
        status: c.status(),
        issued_at: c.issued_at,
        valid_until: c.valid_until,
        links: Links { json: format!("{page}.json"), pdf: format!("{page}.pdf"), png: format!("{page}.png"), page },
    }
}

fn view(state: &AppState, c: IssuedCredential) -> CredentialView {
    CredentialView { summary: summary(state, &c), credential: c.document }
}

/// `POST /api/v1/credentials`: 201 with the new credential, or 200 with the earlier one when the request
/// repeats an `Idempotency-Key`.
#[utoipa::path(post, operation_id = "credentials_issue", path = "/api/v1/credentials", tag = "awards", security(("bearer" = [])), params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")), request_body = crate::domain::award::AwardInput, responses((status = 201, description = "Issued", body = CredentialView), (status = 200, description = "A retry: the credential issued before", body = CredentialView), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 409, description = "The learner already holds it", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields, each named", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn issue(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<CredentialView>)> {
    let key = idempotency_key(&headers)?;
    // Retries are recognised by the request's meaning, not its bytes: key order and spacing do not matter.
    let request_hash: [u8; 32] = Sha256::digest(serde_json_canonicalizer::to_vec(&body).unwrap_or_default()).into();
    let input: AwardInput =
        serde_json::from_value(body).map_err(|e| ValidationErrors::single("body", e.to_string()))?;
    let (credential, issued) = state.app.issue_award(&caller, input, key.as_deref(), request_hash).await?;
    let status = if issued == Issued::Created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(view(&state, credential))))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().map(str::trim).filter(|k| (1..=255).contains(&k.len()));
    key.map(|k| Some(k.to_owned()))
        .ok_or_else(|| ValidationErrors::single("Idempotency-Key", "must be 1 to 255 visible ASCII characters").into())
}

/// Filters of `GET /api/v1/credentials`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    achievement_id: Option<String>,
    email: Option<String>,
    issued_after: Option<String>,
    issued_before: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page {
    items: Vec<CredentialSummary>,
    next_cursor: Option<String>,
}

/// Most items one page holds.
pub const MAX_PAGE: u32 = 1000;

/// `GET /api/v1/credentials?achievement_id=&email=&issued_after=&issued_before=&limit=&cursor=`.
#[utoipa::path(get, operation_id = "credentials_list", path = "/api/v1/credentials", tag = "awards", security(("bearer" = [])), params(("achievement_id" = Option<uuid::Uuid>, Query, description = "Filter"), ("email" = Option<String>, Query, description = "Filter"), ("issued_after" = Option<String>, Query, description = "RFC 3339"), ("issued_before" = Option<String>, Query, description = "RFC 3339"), ("limit" = Option<u32>, Query, description = "1 to 1000, default 100"), ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")), responses((status = 200, description = "{items, next_cursor}", body = Page), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields, each named", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page>> {
    let Query(q) = query.map_err(|e| ValidationErrors::single("query", e.body_text()))?;
    let filter = parse_filter(q)?;
    let limit = filter.limit as usize;
    let rows = state.app.list_credentials(&caller, filter).await?;
    let next_cursor = (rows.len() == limit).then(|| rows.last().map(|c| encode_cursor(c.issued_at, c.id))).flatten();
    Ok(Json(Page { items: rows.iter().map(|c| summary(&state, c)).collect(), next_cursor }))
}

/// The listing filters of a query, each checked.
fn parse_filter(q: ListQuery) -> Result<CredentialFilter> {
    let mut errors = ValidationErrors::default();
    let date = |errors: &mut ValidationErrors, field: &str, v: Option<&str>| {
        v.and_then(|v| {
            errors.check(field, parse_date_time_stamp(v).ok_or("must be an RFC 3339 date-time with a time zone"))
        })
    };
    let filter = CredentialFilter {
        issuer_id: None,
        achievement_id: q.achievement_id.as_deref().and_then(|a| {
            errors
                .check("achievement_id", Uuid::try_parse(a).map(AchievementId).map_err(|_| "must be an achievement id"))
        }),
        email: q.email.map(|e| e.trim().to_lowercase()),
        issued_after: date(&mut errors, "issued_after", q.issued_after.as_deref()),
        issued_before: date(&mut errors, "issued_before", q.issued_before.as_deref()),
        after: q
            .cursor
            .as_deref()
            .and_then(|c| errors.check("cursor", decode_cursor(c).ok_or("is not a cursor this service gave"))),
        limit: match q.limit {
            None => 100,
            Some(n @ 1..=MAX_PAGE) => n,
            Some(_) => {
                errors.add("limit", format!("must be from 1 to {MAX_PAGE}"));
                0
            }
        },
    };
    errors.finish(filter).map_err(Into::into)
}

/// A CSV cell that a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading `'` (OWASP's advice against CSV formula injection).
fn csv_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

/// `GET /api/v1/credentials.csv` with the listing's filters: every matching award as CSV, for spreadsheets.
#[utoipa::path(get, operation_id = "credentials_export", path = "/api/v1/credentials.csv", tag = "awards", security(("bearer" = [])), params(("achievement_id" = Option<uuid::Uuid>, Query, description = "Filter"), ("email" = Option<String>, Query, description = "Filter"), ("issued_after" = Option<String>, Query, description = "RFC 3339"), ("issued_before" = Option<String>, Query, description = "RFC 3339")), responses((status = 200, description = "text/csv: id, achievement_id, name, email, status, issued_at, valid_until, page"), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields, each named", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn export(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response> {
    let Query(mut q) = query.map_err(|e| ValidationErrors::single("query", e.body_text()))?;
    q.limit = Some(MAX_PAGE);
    q.cursor = None;
    let filter = parse_filter(q)?;
    // The first page is read before answering, so that a refusal or a database failure is a problem response
    // rather than a file cut short; the rest is streamed a page at a time, so memory stays at one page however
    // many credentials match (a million-row export used to be built whole in memory).
    let first = state.app.list_credentials(&caller, filter.clone()).await?;
    let head = csv_records(&[EXPORT_COLUMNS.map(String::from)])?;
    let app = state.app.clone();
    let pages = futures_util::stream::try_unfold((Some(first), filter), move |(page, mut filter)| {
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
            let chunk = csv_records(&rows.iter().map(|c| export_record(&app, c)).collect::<Vec<_>>())?;
            Ok::<_, Error>(Some((chunk, (None, filter))))
        }
    });
    let body = futures_util::stream::once(async { Ok(head) }).chain(pages);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"credentials.csv\""),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// The columns of the CSV export, in order.
const EXPORT_COLUMNS: [&str; 8] =
    ["id", "achievement_id", "name", "email", "status", "issued_at", "valid_until", "page"];

/// One credential as a row of the CSV export.
fn export_record(app: &crate::service::Microcred, c: &IssuedCredential) -> [String; 8] {
    let at = |t: Option<OffsetDateTime>| {
        t.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_default()
    };
    [
        c.id.to_string(),
        c.achievement_id.map(|a| a.to_string()).unwrap_or_default(),
        csv_cell(c.recipient_name.as_deref().unwrap_or_default()),
        csv_cell(c.recipient_email.as_deref().unwrap_or_default()),
        c.status().to_owned(),
        at(Some(c.issued_at)),
        at(c.valid_until),
        app.credential_url(c.id),
    ]
}

/// Records encoded as CSV (RFC 4180 quoting, by the `csv` crate).
fn csv_records(records: &[[String; 8]]) -> Result<axum::body::Bytes> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for record in records {
        out.write_record(record).map_err(|e| Error::Internal(format!("CSV export: {e}")))?;
    }
    out.into_inner().map(Into::into).map_err(|e| Error::Internal(format!("CSV export: {e}")))
}

fn encode_cursor(at: OffsetDateTime, id: CredentialId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.unix_timestamp_nanos()))
}

fn decode_cursor(cursor: &str) -> Option<(OffsetDateTime, CredentialId)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (nanos, id) = text.split_once('|')?;
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
    Some((at, CredentialId(Uuid::try_parse(id).ok()?)))
}

/// `GET /api/v1/credentials/{id}`.
#[utoipa::path(get, operation_id = "credentials_get", path = "/api/v1/credentials/{id}", tag = "awards", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "The resource id")), responses((status = 200, description = "One credential", body = CredentialView), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
) -> Result<Json<CredentialView>> {
    let credential = state.app.issued_credential_for(&caller, CredentialId(id)).await?;
    Ok(Json(view(&state, credential)))
}

/// Query of the public downloads.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// Label language of a PDF certificate: en, bg, el, es or it (default: the award's, then the
    /// achievement's language, then English).
    lang: Option<String>,
    /// Paper of a PDF certificate: `a4` (default) or `letter`, landscape.
    paper: Option<String>,
}

/// `GET /credentials/{id}.json`, `.pdf`, `.png` (public, by the unguessable id): the signed credential,
/// the PDF certificate (QR code, credential embedded), the baked Open Badges 3.0 badge. Any other file
/// name is the same 404 as a missing credential.
#[utoipa::path(get, operation_id = "credentials_public_file", path = "/credentials/{file}", tag = "public", params(("file" = String, Path, description = "<id>.json, <id>.pdf or <id>.png"), DownloadQuery), responses((status = 200, description = "The signed credential (application/vc+ld+json), the certificate (application/pdf) or the baked badge (image/png)", body = serde_json::Value), (status = 304, description = "Not modified (If-None-Match)"), (status = 404, description = "Not found", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid paper", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn public_file(
    State(state): State<AppState>,
    file: std::result::Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Response {
    // Downloads answer problem details to programs, and the 404 page to browsers.
    let not_found = || {
        if super::pages::prefers_html(&headers) {
            super::pages::not_found(&headers, query.lang.as_deref())
        } else {
            super::problem::Problem::new(super::problem::Kind::NotFound, "no resource at this address").into_response()
        }
    };
    // A path that is not even text (`%FF`) is just another address with nothing at it.
    let Ok(axum::extract::Path(file)) = file else { return not_found() };
    let Some((id, extension)) = file.rsplit_once('.') else {
        return super::pages::credential(&state, &file, query.lang.as_deref(), &headers).await;
    };
    let Ok(id) = Uuid::try_parse(id) else { return not_found() };
    let id = CredentialId(id);
    let download = match extension {
        "json" => return json_download(&state, id).await.unwrap_or_else(|e| found_or(e, not_found)),
        "pdf" => {
            let paper = match query.paper.as_deref() {
                None | Some("a4" | "A4") => crate::certificate::Paper::A4,
                Some("letter") => crate::certificate::Paper::Letter,
                Some(_) => {
                    return Error::from(ValidationErrors::single("paper", "must be a4 or letter")).into_response();
                }
            };
            state.app.certificate(id, query.lang.as_deref(), paper).await
        }
        "png" => state.app.badge(id).await,
        _ => return not_found(),
    };
    let download = match download {
        Ok(download) => download,
        Err(e) => return found_or(e, not_found),
    };
    let cache = |mut response: Response, etag: &str| {
        let headers = response.headers_mut();
        if let Ok(etag) = HeaderValue::from_str(etag) {
            headers.insert(header::ETAG, etag);
        }
        // The bytes never change for a given ETag; revalidation after an hour picks up template changes.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        response
    };
    let etag = download.etag.clone();
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"))
    {
        return cache(StatusCode::NOT_MODIFIED.into_response(), &etag);
    }
    let (content_type, file_name) = (download.content_type, download.file_name.clone());
    match download.render_blocking().await {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            if let Ok(disposition) = HeaderValue::from_str(&format!("inline; filename=\"{file_name}\"")) {
                headers.insert(header::CONTENT_DISPOSITION, disposition);
            }
            cache(response, &etag)
        }
        Err(e) => e.into_response(),
    }
}

/// A missing credential answers like any unknown address; other errors as themselves.
fn found_or(e: Error, not_found: impl Fn() -> Response) -> Response {
    match e {
        Error::NotFound { .. } => not_found(),
        e => e.into_response(),
    }
}

async fn json_download(state: &AppState, id: CredentialId) -> Result<Response> {
    let credential = state.app.issued_credential(id).await?;
    let mut response = Json(credential.document).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vc+ld+json"));
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"credential-{id}.json\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// The body of `/revoke` and `/suspend`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    reason: Option<String>,
}

/// `POST /api/v1/credentials/{id}/revoke` `{reason}`: permanent.
#[utoipa::path(post, operation_id = "credentials_revoke", path = "/api/v1/credentials/{id}/revoke", tag = "status", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "The resource id")), request_body = Reason, responses((status = 200, description = "Revoked", body = CredentialView), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields, each named", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn revoke(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<CredentialView>> {
    let credential = state.app.revoke(&caller, CredentialId(id), body.reason.as_deref().unwrap_or_default()).await?;
    Ok(Json(view(&state, credential)))
}

/// `POST /api/v1/credentials/{id}/suspend` `{reason}`: 409 for a credential without a suspension entry.
#[utoipa::path(post, operation_id = "credentials_suspend", path = "/api/v1/credentials/{id}/suspend", tag = "status", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "The resource id")), request_body = Reason, responses((status = 200, description = "Suspended", body = CredentialView), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 409, description = "No suspension entry", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields, each named", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn suspend(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<CredentialView>> {
    let credential = state.app.suspend(&caller, CredentialId(id), body.reason.as_deref().unwrap_or_default()).await?;
    Ok(Json(view(&state, credential)))
}

/// `POST /api/v1/credentials/{id}/reinstate`: lifts a suspension.
#[utoipa::path(post, operation_id = "credentials_reinstate", path = "/api/v1/credentials/{id}/reinstate", tag = "status", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "The resource id")), responses((status = 200, description = "Reinstated", body = CredentialView), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 409, description = "Not suspended, or revoked", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn reinstate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
) -> Result<Json<CredentialView>> {
    let credential = state.app.reinstate(&caller, CredentialId(id)).await?;
    Ok(Json(view(&state, credential)))
}

/// `GET /status/{list-id}`: the signed `BitstringStatusListCredential`, with an `ETag` (the list's version)
/// and a `Cache-Control` lifetime equal to its `ttl`.
#[utoipa::path(get, operation_id = "credentials_status_list", path = "/status/{id}", tag = "public", params(("id" = uuid::Uuid, Path, description = "The resource id")), responses((status = 200, description = "The signed BitstringStatusListCredential", body = serde_json::Value), (status = 304, description = "Not modified (If-None-Match)"), (status = 404, description = "Not found", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn status_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    UuidPath(id): UuidPath,
) -> Result<Response> {
    let published = state.app.published_status_list(crate::domain::status::StatusListId(id)).await?;
    let etag = format!("\"{id}-{}\"", published.version);
    let max_age = format!("public, max-age={}", crate::service::STATUS_TTL_MS.div_ceil(1000));
    let mut response = if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Json(published.credential.clone()).into_response()
    };
    let ok = response.status() == StatusCode::OK;
    let h = response.headers_mut();
    if ok {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vc+ld+json"));
    }
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&max_age) {
        h.insert(header::CACHE_CONTROL, v);
    }
    Ok(response)
}

/// Paging of `GET /api/v1/audit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    after: Option<i64>,
    limit: Option<u32>,
}

/// `GET /api/v1/audit?after=&limit=` (admin): the audit log, oldest first; page on with `after` = the last
/// `id` seen. Read-only: nothing in it can be changed through the API.
#[utoipa::path(get, operation_id = "credentials_audit", path = "/api/v1/audit", tag = "operations", security(("bearer" = [])), params(("after" = Option<i64>, Query, description = "Last id seen"), ("limit" = Option<u32>, Query, description = "1 to 1000")), responses((status = 200, description = "Audit events", body = serde_json::Value), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields, each named", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn audit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<crate::domain::audit::AuditEvent>>> {
    let Query(q) = query.map_err(|e| ValidationErrors::single("query", e.body_text()))?;
    let limit = match q.limit {
        None => 100,
        Some(n @ 1..=MAX_PAGE) => n,
        Some(_) => return Err(ValidationErrors::single("limit", format!("must be from 1 to {MAX_PAGE}")).into()),
    };
    Ok(Json(state.app.audit_events(&caller, q.after, limit).await?))
}

/// Options of `POST /api/v1/credentials/batch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    /// The achievement of rows that name none.
    achievement_id: Option<String>,
    /// Issue the valid rows even if others are invalid (default: all or nothing).
    partial: Option<bool>,
}

/// `POST /api/v1/credentials/batch[?achievement_id=&partial=true]` with a JSON array of awards or a CSV file
/// (`Content-Type: text/csv`). 201 when every row was issued; 200 with per-row results when `partial`
/// rejected some, or for a retried `Idempotency-Key`; 422 listing every bad row otherwise.
#[utoipa::path(post, operation_id = "credentials_issue_batch", path = "/api/v1/credentials/batch", tag = "awards", security(("bearer" = [])), params(("achievement_id" = Option<uuid::Uuid>, Query, description = "For rows naming none"), ("partial" = Option<bool>, Query, description = "Issue the valid rows"), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")), request_body(description = "A JSON array of awards, or a CSV file (a header row naming the columns; comma or semicolon)", content((Vec<crate::domain::award::AwardInput> = "application/json"), (String = "text/csv"))), responses((status = 201, description = "All issued", body = crate::service::batch::BatchOutcome), (status = 200, description = "Partly issued, or a retry", body = crate::service::batch::BatchOutcome), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 413, description = "Too large", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 415, description = "Neither JSON nor CSV", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields, each named", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn issue_batch(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<BatchQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<crate::service::batch::BatchOutcome>)> {
    let Query(q) = query.map_err(|e| ValidationErrors::single("query", e.body_text()))?;
    let key = idempotency_key(&headers)?;
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_lowercase();
    let mut hasher = Sha256::new();
    hasher.update(format!("{:?}|{:?}|", q.achievement_id, q.partial));
    let rows = if content_type.starts_with("text/csv") {
        hasher.update(&body);
        crate::service::batch::parse_csv(&body)?
    } else if content_type.starts_with("application/json") {
        let items: Vec<Value> = serde_json::from_slice(&body)
            .map_err(|e| ValidationErrors::single("body", format!("expected a JSON array of awards: {e}")))?;
        hasher.update(serde_json_canonicalizer::to_vec(&items).unwrap_or_default());
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| (i + 1, serde_json::from_value::<AwardInput>(item).map_err(|e| e.to_string())))
            .collect()
    } else {
        return Err(Error::Unsupported("send a JSON array (application/json) or a CSV file (text/csv)".into()));
    };
    let request = crate::service::batch::BatchRequest {
        rows,
        partial: q.partial.unwrap_or(false),
        achievement_id: q.achievement_id,
    };
    let (outcome, issued) = state.app.issue_batch(&caller, request, key.as_deref(), hasher.finalize().into()).await?;
    let status = if issued == Issued::Created && outcome.rejected == 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(outcome)))
}
