//! `/verify`: employers check a credential file (JSON, a PDF certificate, a badge PNG) or look one up by its
//! link or id.

use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::public_urls::PublicUrls;
use crate::http::AppState;
use crate::http::negotiate::Reply;
use crate::http::openapi::responses::{RateLimited, TooLarge};
use crate::http::pages;
use crate::http::problem::{Kind, Problem};
use crate::service::downloads::{FileError, FileReport};

/// `?lang=&credential=` of `GET /verify`.
#[derive(Debug, Deserialize)]
pub(super) struct VerifyQuery {
    lang: Option<String>,
    credential: Option<String>,
}

/// `GET /verify`: the page to check a credential file; with `?credential=` (a credential's link or id, typed
/// or pasted by an employer) a redirect (303) to that credential's page, or the form again (404) saying no
/// credential of this service has it.
#[utoipa::path(
    get,
    operation_id = "verify_page",
    path = "/verify",
    tag = "public",
    params(
        ("lang" = Option<String>, Query, description = "en, bg, el, es or it"),
        ("credential" = Option<String>, Query, description = "A credential's link or id: redirects to its page"),
    ),
    responses(
        (status = 200, description = "The upload page (HTML)"),
        (status = 303, description = "The credential's page"),
        (status = 404, description = "No credential has that link or id (the page again)"),
    )
)]
pub(super) async fn page(State(state): State<AppState>, Query(q): Query<VerifyQuery>, headers: HeaderMap) -> Response {
    let reply = Reply::page_first(&headers, q.lang.as_deref());
    let l = reply.labels(None);
    let Some(typed) = q.credential.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
        return pages::verify_form(l, StatusCode::OK, None);
    };
    match state.app.credential_by_link(typed).await {
        Some(id) => {
            let to = format!("{}?lang={}", PublicUrls::credential_path(id), l.lang);
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
        // People get the form again saying so, programs problem details.
        None if reply.is_person() => {
            pages::verify_form(l, StatusCode::NOT_FOUND, Some(l.get("lookup_not_found").to_owned()))
        }
        None => Problem::new(Kind::NotFound, "no credential of this service has that link or id").into_response(),
    }
}

/// `?lang=` of `POST /verify`.
#[derive(Debug, Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

/// `POST /verify`: checks an uploaded credential (JSON), certificate (PDF) or badge (PNG), as a multipart
/// form field `file` or as the raw body, and answers with the report: a page for browsers, JSON
/// otherwise. Nothing is stored.
#[utoipa::path(
    post,
    operation_id = "verify_upload",
    path = "/verify",
    tag = "public",
    request_body(content = Vec<u8>, description = "The file (JSON, PDF, PNG or SVG), raw or as multipart field `file`"),
    responses(
        (status = 200, description = "The report: JSON, or an HTML page for browsers", body = crate::vc::verify::VerificationReport),
        TooLarge,
        (status = 422, description = "Not a credential file", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        RateLimited,
    )
)]
pub(super) async fn upload(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let reply = Reply::data_first(&headers, q.lang.as_deref());
    let l = reply.labels(None);
    let bytes = match read_upload(&state, &headers, request).await {
        Ok(bytes) => bytes,
        Err(e) if !reply.is_person() => return Problem::new(Kind::from_status(e.status), e.detail).into_response(),
        // People get the form again, saying what went wrong in their language.
        Err(e) if e.status == StatusCode::PAYLOAD_TOO_LARGE => {
            return pages::verify_form(l, e.status, Some(l.get("upload_too_large").to_owned()));
        }
        Err(e) => return pages::verify_form(l, e.status, Some(l.format("upload_error", &[("error", &e.detail)]))),
    };
    match (state.app.verify_file(&bytes).await, reply.is_person()) {
        (Ok(report), false) => axum::Json(report).into_response(),
        (Ok(report), true) => {
            let stored = ours(&state, &report).await;
            pages::upload_page(l, &report, stored.as_ref().map(|c| (c, state.app.urls())))
        }
        (Err(e), false) => file_problem(e),
        (Err(e), true) => {
            let error = l.format("upload_error", &[("error", &e.to_string())]);
            pages::verify_form(l, StatusCode::UNPROCESSABLE_ENTITY, Some(error))
        }
    }
}

/// Our record of an uploaded credential, when it is one of ours (for the page's links and downloads).
async fn ours(state: &AppState, report: &FileReport) -> Option<crate::domain::award::IssuedCredential> {
    let id = report.credential.get("id").and_then(Value::as_str)?;
    state.app.issued_credential(state.app.urls().credential_id(id)?).await.ok()
}

/// Why a file could not be checked, for programs.
fn file_problem(e: FileError) -> Response {
    let detail = match e {
        FileError::Unreadable(reason) => format!("the upload is not a credential file: {reason}"),
        FileError::Verify(e) => format!("the credential could not be checked: {e}"),
    };
    Problem::new(Kind::Validation, detail).into_response()
}

/// Why an upload could not be read: the status to answer, and the detail.
struct UploadError {
    status: StatusCode,
    detail: String,
}

impl UploadError {
    /// axum's reason, except for a file over the limit, where its words ("failed to buffer the request
    /// body") would not tell the person what to do.
    fn new(status: StatusCode, detail: String) -> Self {
        let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "the file is larger than this service accepts (its upload limit, --max-upload-bytes)".to_owned()
        } else {
            detail
        };
        Self { status, detail }
    }
}

/// The uploaded file: the multipart form field `file`, or the raw body. The route's upload limit applies to
/// both (413 past it).
async fn read_upload(state: &AppState, headers: &HeaderMap, request: Request) -> Result<Vec<u8>, UploadError> {
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    if !is_multipart {
        return axum::body::Bytes::from_request(request, state)
            .await
            .map(|bytes| bytes.to_vec())
            .map_err(|e| UploadError::new(e.status(), e.body_text()));
    }
    let mut multipart =
        Multipart::from_request(request, state).await.map_err(|e| UploadError::new(e.status(), e.body_text()))?;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                return field
                    .bytes()
                    .await
                    .map(|b| b.to_vec())
                    .map_err(|e| UploadError::new(e.status(), e.body_text()));
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(UploadError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    detail: "the form has no field named file".into(),
                });
            }
            Err(e) => return Err(UploadError::new(e.status(), e.body_text())),
        }
    }
}
