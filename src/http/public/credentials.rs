//! A credential's public address, `/credentials/{id}` (the QR code's target): its page for people, the
//! signed credential for programs, the downloads (`.json`, `.pdf`, `.png`), and the JSON verification report
//! at `/api/v1/verify/{id}`.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::certificate::Paper;
use crate::domain::award::CredentialId;
use crate::domain::image::ImageType;
use crate::domain::public_urls::{CredentialFile, Download};
use crate::domain::validation::ValidationErrors;
use crate::error::Error;
use crate::http::AppState;
use crate::http::caching::Validators;
use crate::http::negotiate::{NO_RESOURCE, Reply};
use crate::http::openapi::responses::{NotFound, RateLimited};
use crate::http::pages::{self, Shown};
use crate::http::problem::{Kind, Problem};

/// Query of the public downloads.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DownloadQuery {
    /// Label language of a PDF certificate: en, bg, el, es or it (default: the award's, then the
    /// achievement's language, then English).
    lang: Option<String>,
    /// Paper of a PDF certificate: `a4` (default) or `letter`, landscape.
    paper: Option<String>,
    /// On the page's link in the learner's e-mail and space: marks the credential claimed the first time
    /// it is opened (any other value is ignored).
    claim: Option<String>,
}

/// `GET /credentials/{id}.json`, `.pdf`, `.png`, `.svg` (public, by the unguessable id): the signed
/// credential, the PDF certificate (QR code, credential embedded), the baked Open Badges 3.0 badge as a PNG
/// or an SVG. Any other file
/// name is the same 404 as a missing credential.
#[utoipa::path(
    get,
    operation_id = "credentials_public_file",
    path = "/credentials/{file}",
    tag = "public",
    params(("file" = String, Path, description = "<id>.json, <id>.pdf, <id>.png or <id>.svg"), DownloadQuery),
    responses(
        (status = 200, description = "The signed credential (application/vc+ld+json), the certificate (application/pdf) or the baked badge (image/png, image/svg+xml)", body = serde_json::Value, example = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": "https://certs.example.eu/credentials/6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a",
            "type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": {"id": "did:web:certs.example.eu:issuers:ucs", "type": ["Profile"], "name": "Universal Certification Solutions"},
            "validFrom": "2026-01-15T00:00:00Z", "credentialSubject": {"type": ["AchievementSubject"], "name": "Иван Петров", "achievement": {"id": "https://certs.example.eu/achievements/0b6f…", "type": ["Achievement"], "name": "Умни градове: основи"}},
            "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z5Vq…"}
        })),
        (status = 303, description = "The page with `?claim=`: the claim recorded, then to the page's address without it"),
        (status = 304, description = "Not modified (If-None-Match)"),
        NotFound,
        (status = 422, description = "Invalid paper", body = crate::http::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn file(
    State(state): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang.as_deref();
    // A path that is not even text (`%FF`) is just another address with nothing at it.
    let Ok(Path(file)) = file else { return Reply::data_first(&headers, lang).not_found() };
    match CredentialFile::parse(&file) {
        Some(CredentialFile::Page(id)) => {
            if let Some(claim) = query.claim.as_deref() {
                if let Err(e) = state.app.claim(id, claim).await {
                    // Recording the claim is a courtesy to the issuer: the learner still gets the page.
                    tracing::warn!(credential.id = %id, error = %e, "could not record the claim of credential {id}");
                }
                // The claim token is the learner's, not for sharing: the page's address they see, copy and
                // share is the one without it.
                let path = crate::domain::public_urls::PublicUrls::credential_path(id);
                let location = match lang.filter(|l| crate::certificate::Labels::supports(l)) {
                    Some(lang) => format!("{path}?lang={lang}"),
                    None => path,
                };
                return (
                    StatusCode::SEE_OTHER,
                    [(header::LOCATION, location), (header::CACHE_CONTROL, "no-store".to_owned())],
                )
                    .into_response();
            }
            page(&state, id, Reply::page_first(&headers, lang)).await
        }
        Some(CredentialFile::Download(id, download)) => self::download(&state, id, download, &query, &headers)
            .await
            .unwrap_or_else(|e| Reply::data_first(&headers, lang).error(e)),
        // An address without an extension is a page's: its 404 is the page's. Downloads answer problem
        // details to programs, and the 404 page to browsers.
        None if !file.contains('.') => Reply::page_first(&headers, lang).not_found(),
        None => Reply::data_first(&headers, lang).not_found(),
    }
}

/// The credential page (HTML), or the signed credential for `Accept: application/json` /
/// `application/vc+ld+json`. The verdict comes from verifying the signed credential and its status lists
/// (cached while still true).
async fn page(state: &AppState, id: CredentialId, reply: Reply<'_>) -> Response {
    if !reply.is_person() {
        return match state.app.issued_credential(id).await {
            Ok(credential) => {
                let mut response = signed_json(credential.document);
                response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept"));
                response
            }
            Err(e) => reply.error(e),
        };
    }
    let verdict = match state.app.verdict(id).await {
        Ok(v) => v,
        Err(e) => return reply.error(e),
    };
    let l = reply.labels(verdict.credential.language.as_deref());
    // The page shows only the verdict, in one language: kept with the verdict, it is rendered once.
    let page = state.app.rendering(id, &verdict, l.lang, || {
        let ours = Some((&verdict.credential, state.app.urls()));
        let shown =
            Shown { document: &verdict.document, report: &verdict.report, ours, printed: Vec::new(), upload: false };
        Ok(pages::credential_page(l, shown)?.into())
    });
    let mut response = match page {
        Ok(page) => {
            ([(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], page).into_response()
        }
        Err(e) => return e.into_response(),
    };
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept, accept-language"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// One download of a credential, with its validators (304 when the client has this version). The bytes of
/// a download never change for a given `ETag`; revalidation after an hour picks up template changes.
async fn download(
    state: &AppState,
    id: CredentialId,
    download: Download,
    query: &DownloadQuery,
    headers: &HeaderMap,
) -> Result<Response, Error> {
    let file = match download {
        Download::Json => state.app.signed_credential(id).await?,
        Download::Pdf => state.app.certificate(id, query.lang.as_deref(), paper(query.paper.as_deref())?).await?,
        Download::Png => state.app.badge(id, ImageType::Png).await?,
        Download::Svg => state.app.badge(id, ImageType::Svg).await?,
    };
    let validators = Validators::new(file.etag.clone(), "public, max-age=3600");
    if validators.matches(headers) {
        return Ok(vary(validators.not_modified()));
    }
    let disposition = if file.attachment { "attachment" } else { "inline" };
    let disposition = format!("{disposition}; filename=\"{}\"", file.file_name);
    let content_type = file.content_type;
    let mut response = file.render_blocking(&state.app).await?.into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if download == Download::Svg {
        // It holds the achievement's SVG as uploaded: opened directly, it may run and load nothing.
        response_headers
            .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(crate::http::pages::IMAGE_CSP));
    }
    if let Ok(disposition) = HeaderValue::from_str(&disposition) {
        response_headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(vary(validators.apply(response)))
}

/// Downloads may be served compressed or not: caches keep one copy per encoding.
fn vary(mut response: Response) -> Response {
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// `?paper=`: `a4` (the default) or `letter` (422 otherwise).
fn paper(paper: Option<&str>) -> Result<Paper, Error> {
    match paper {
        None | Some("a4" | "A4") => Ok(Paper::A4),
        Some("letter") => Ok(Paper::Letter),
        Some(_) => Err(ValidationErrors::single("paper", "must be a4 or letter").into()),
    }
}

/// A signed credential as `application/vc+ld+json`.
fn signed_json(document: Box<serde_json::value::RawValue>) -> Response {
    let mut response = Json(document).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vc+ld+json"));
    response
}

/// `GET /api/v1/verify/{id}` (public): the verification report of one of our credentials, as JSON.
#[utoipa::path(
    get,
    operation_id = "verify_report",
    path = "/api/v1/verify/{id}",
    tag = "public",
    params(("id" = uuid::Uuid, Path, description = "The credential id")),
    responses(
        (status = 200, description = "The verification report", body = crate::vc::verify::VerificationReport),
        NotFound,
        RateLimited,
    )
)]
pub(super) async fn report(State(state): State<AppState>, id: Result<Path<String>, PathRejection>) -> Response {
    let not_found = || Problem::new(Kind::NotFound, NO_RESOURCE).into_response();
    // A malformed id, even one that is not text (`%FF`), is the same 404 as a missing one.
    let Some(id) = id.ok().and_then(|Path(id)| uuid::Uuid::try_parse(&id).ok()) else {
        return not_found();
    };
    match state.app.verdict(CredentialId(id)).await {
        Ok(verdict) => (
            [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-cache")],
            verdict.report_json.clone(),
        )
            .into_response(),
        Err(Error::NotFound { .. }) => not_found(),
        Err(e) => e.into_response(),
    }
}
