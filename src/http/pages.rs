//! The public pages: the credential page behind the QR code (HTML for people, the credential or the
//! verification report as JSON for machines), `/verify` to check any file, and the 404 page.
//!
//! Pages are server-rendered with askama templates (`templates/pages/`), escaped everywhere, readable
//! without JavaScript, and served with a strict Content-Security-Policy (see [`security_headers`]).

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::AppState;
use super::problem::{Kind, Problem};
use crate::certificate::{Facts, Labels, i18n};
use crate::domain::award::CredentialId;
use crate::error::Error;
use crate::service::downloads::{FileError, FileReport};
use crate::vc::verify::{CheckStatus, Outcome, VerificationReport};

/// `?lang=` on every page.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// The page language: `?lang=`, else the browser's `Accept-Language`, else `fallback`, else English.
fn labels(query: Option<&str>, headers: &HeaderMap, fallback: Option<&str>) -> &'static Labels {
    query
        .filter(|l| Labels::supports(l))
        .map(Labels::for_tag)
        .or_else(|| {
            headers.get(header::ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok()).and_then(Labels::from_accept_language)
        })
        .or_else(|| fallback.filter(|l| Labels::supports(l)).map(Labels::for_tag))
        .unwrap_or_else(|| Labels::for_tag("en"))
}

/// Whether the client asked for JSON rather than a page.
fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| {
        let html = accept.find("text/html");
        let json = ["application/json", "application/vc+ld+json", "application/ld+json", "application/problem+json"]
            .iter()
            .filter_map(|t| accept.find(t))
            .min();
        json.is_some_and(|j| html.is_none_or(|h| j < h))
    })
}

/// Whether the client asked for HTML before any JSON (browsers do; `curl` and API clients do not).
pub fn prefers_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
        && !wants_json(headers)
}

/// A link to the same page in another language.
struct Language {
    code: &'static str,
    name: &'static str,
    href: String,
}

fn languages(path: &str) -> Vec<Language> {
    i18n::LANGUAGES
        .iter()
        .map(|code| Language {
            code,
            name: Labels::for_tag(code).get("language_name"),
            href: format!("{path}?lang={code}"),
        })
        .collect()
}

/// The verdict banner.
struct VerdictView {
    class: &'static str,
    label: String,
    explanation: String,
    reason: Option<String>,
}

/// One line of the checks list.
struct CheckView {
    status: &'static str,
    mark: &'static str,
    label: String,
    sentence: String,
}

/// The download buttons of one of our credentials.
struct Downloads {
    page: String,
    pdf: String,
    json: String,
    png: String,
    linkedin: String,
}

#[derive(Template)]
#[template(path = "pages/credential.html")]
struct CredentialPage<'a> {
    l: &'a Labels,
    lang: &'a str,
    title: String,
    description: String,
    page_url: Option<String>,
    og_image: Option<String>,
    languages: Vec<Language>,
    verdict: VerdictView,
    printed: Vec<String>,
    /// Above the claims: that they are not verified (a forged credential), or that they are the signed ones
    /// (an altered certificate).
    card_note: Option<String>,
    trusted: bool,
    kicker: String,
    completed: String,
    facts: Facts,
    rows: Vec<(String, String)>,
    checks: Vec<CheckView>,
    downloads: Option<Downloads>,
    upload: bool,
}

#[derive(Template)]
#[template(path = "pages/message.html")]
struct MessagePage<'a> {
    l: &'a Labels,
    lang: &'a str,
    title: String,
    heading: String,
    text: String,
    languages: Vec<Language>,
}

#[derive(Template)]
#[template(path = "pages/verify.html")]
struct VerifyPage<'a> {
    l: &'a Labels,
    lang: &'a str,
    title: String,
    error: Option<String>,
    languages: Vec<Language>,
}

fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => Error::Internal(format!("page template: {e}")).into_response(),
    }
}

/// Fallback for addresses no route serves: the 404 page for browsers, problem details for everyone else.
pub async fn unknown_address(headers: HeaderMap) -> Response {
    if prefers_html(&headers) {
        not_found(&headers, None)
    } else {
        Problem::new(Kind::NotFound, "no resource at this address").into_response()
    }
}

/// The page people get when their address is over the rate limit (429; the caller adds `Retry-After`).
pub fn too_many_requests(headers: &HeaderMap, seconds: u64) -> Response {
    let l = labels(None, headers, None);
    let text = l.format("rate_limited_text", &[("seconds", &seconds.to_string())]);
    message_page(l, StatusCode::TOO_MANY_REQUESTS, "rate_limited_title", text)
}

/// The same 404 page whatever the address looks like, so malformed and missing ids cannot be told apart.
pub fn not_found(headers: &HeaderMap, lang: Option<&str>) -> Response {
    if wants_json(headers) {
        return Problem::new(Kind::NotFound, "no resource at this address").into_response();
    }
    let l = labels(lang, headers, None);
    message_page(l, StatusCode::NOT_FOUND, "not_found_title", l.get("not_found_text").to_owned())
}

/// A page with a heading (the label `title_key`) and one paragraph.
fn message_page(l: &'static Labels, status: StatusCode, title_key: &str, text: String) -> Response {
    let title = l.get(title_key).to_owned();
    html(status, &MessagePage { l, lang: l.lang, heading: title.clone(), title, text, languages: languages("/verify") })
}

fn verdict_view(
    report: &VerificationReport,
    credential: Option<&crate::domain::award::IssuedCredential>,
    facts: &Facts,
    l: &Labels,
) -> VerdictView {
    let date = |at: Option<time::OffsetDateTime>| at.map(|t| l.date(t.date())).unwrap_or_default();
    let (class, key) = match report.outcome {
        Outcome::Valid => ("valid", "valid"),
        Outcome::Revoked => ("revoked", "revoked"),
        Outcome::Suspended => ("suspended", "suspended"),
        Outcome::Expired => ("expired", "expired"),
        Outcome::NotYetValid => ("not-yet-valid", "not_yet_valid"),
        Outcome::StatusUnknown => ("status-unknown", "status_unknown"),
        Outcome::Invalid => ("invalid", "invalid"),
        Outcome::Altered => ("altered", "altered"),
    };
    let when = match report.outcome {
        Outcome::Revoked => date(credential.and_then(|c| c.revoked_at)),
        Outcome::Suspended => date(credential.and_then(|c| c.suspended_at)),
        Outcome::Expired => date(facts.valid_until),
        Outcome::NotYetValid => date(facts.valid_from),
        _ => String::new(),
    };
    let mut explanation = l.format(&format!("explain_{key}"), &[("date", &when)]);
    if when.is_empty() && matches!(report.outcome, Outcome::Revoked | Outcome::Suspended) {
        // Another issuer's credential: the list says so, but the date is not known here.
        explanation = l.get(&format!("verdict_{key}")).to_owned();
    }
    let reason = match report.outcome {
        Outcome::Revoked => credential.and_then(|c| c.revocation_reason.clone()),
        Outcome::Suspended => credential.and_then(|c| c.suspension_reason.clone()),
        _ => None,
    }
    .filter(|r| !r.is_empty())
    .map(|r| l.format("reason", &[("reason", &r)]));
    VerdictView { class, label: l.get(&format!("verdict_{key}")).to_owned(), explanation, reason }
}

fn check_views(report: &VerificationReport, l: &Labels) -> Vec<CheckView> {
    report
        .checks
        .iter()
        .map(|check| {
            let (status, mark, word) = match check.status {
                CheckStatus::Pass => ("pass", "✓", "pass"),
                CheckStatus::Fail => ("fail", "✗", "fail"),
                CheckStatus::Warn => ("warn", "!", "warn"),
                CheckStatus::Skip => ("skip", "–", "skip"),
            };
            // A status check that failed because the status could not be established says so, not "revoked".
            let unknown = check.name == "status"
                && check.status == CheckStatus::Fail
                && report.errors.iter().any(|e| e.kind.starts_with(crate::vc::status::STATUS_ERRORS));
            let specific = if unknown { "fail_status_unknown".to_owned() } else { format!("{word}_{}", check.name) };
            let generic = format!("{word}_generic");
            let sentence = if l.get(&specific) != specific { l.get(&specific) } else { l.get(&generic) }.to_owned();
            let name_key = format!("check_{}", check.name);
            CheckView { status, mark, label: l.get(&name_key).to_owned(), sentence }
        })
        .collect()
}

/// LinkedIn's add-to-profile link for a certification.
fn linkedin(facts: &Facts, url: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("startTask", "CERTIFICATION_NAME");
    q.append_pair("name", &facts.achievement);
    q.append_pair("organizationName", &facts.issuer);
    if let Some(from) = facts.valid_from {
        q.append_pair("issueYear", &from.year().to_string());
        q.append_pair("issueMonth", &u8::from(from.month()).to_string());
    }
    if let Some(until) = facts.valid_until {
        q.append_pair("expirationYear", &until.year().to_string());
        q.append_pair("expirationMonth", &u8::from(until.month()).to_string());
    }
    q.append_pair("certUrl", url);
    q.append_pair("certId", &facts.credential_id);
    format!("https://www.linkedin.com/profile/add?{}", q.finish())
}

/// The credential page, rendered.
#[expect(clippy::too_many_arguments, reason = "the stored page and the upload page pass different halves of these")]
fn credential_page(
    l: &Labels,
    document: &Value,
    report: &VerificationReport,
    credential: Option<&crate::domain::award::IssuedCredential>,
    page_url: Option<String>,
    printed: Vec<String>,
    upload: bool,
    path: &str,
) -> Result<String, Error> {
    let facts = Facts::of(document, l.lang);
    let verdict = verdict_view(report, credential, &facts, l);
    // A credential whose signature fails is not presented like a genuine one.
    let trusted = report.outcome != Outcome::Invalid;
    let card_note = match report.outcome {
        Outcome::Invalid => Some(l.get("untrusted_claims").to_owned()),
        Outcome::Altered => Some(l.get("signed_facts").to_owned()),
        _ => None,
    };
    let rows = crate::certificate::template::FACT_ROWS
        .iter()
        .filter_map(|key| Some((l.get(key).to_owned(), facts.row(key, l)?)))
        .collect();
    let downloads = page_url.as_ref().filter(|_| credential.is_some()).map(|page| Downloads {
        pdf: format!("{page}.pdf?lang={}", l.lang),
        json: format!("{page}.json"),
        png: format!("{page}.png"),
        linkedin: linkedin(&facts, page),
        page: page.clone(),
    });
    let title = if facts.learner.is_empty() {
        facts.achievement.clone()
    } else {
        format!("{} — {}", facts.achievement, facts.learner)
    };
    let page = CredentialPage {
        l,
        lang: l.lang,
        description: format!("{}: {} ({})", verdict.label, facts.achievement, facts.issuer),
        title,
        og_image: page_url.as_ref().map(|p| format!("{p}.png")),
        page_url,
        languages: languages(path),
        printed,
        card_note,
        trusted,
        kicker: facts.placeholder("kicker", l).unwrap_or_default(),
        completed: facts.placeholder("completed", l).unwrap_or_default(),
        checks: check_views(report, l),
        rows,
        verdict,
        facts,
        downloads,
        upload,
    };
    page.render().map_err(|e| Error::Internal(format!("page template: {e}")))
}

/// `GET /credentials/{id}`: the credential page (HTML), or the signed credential for
/// `Accept: application/json` / `application/vc+ld+json`. The verdict comes from verifying the signed
/// credential and its status lists (cached while still true).
pub async fn credential(state: &AppState, id: &str, lang: Option<&str>, headers: &HeaderMap) -> Response {
    let Ok(uuid) = Uuid::try_parse(id) else { return not_found(headers, lang) };
    let id = CredentialId(uuid);
    if wants_json(headers) {
        return match state.app.issued_credential(id).await {
            Ok(credential) => {
                let mut response = axum::Json(credential.document).into_response();
                response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vc+ld+json"));
                response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept"));
                response
            }
            Err(Error::NotFound { .. }) => not_found(headers, lang),
            Err(e) => e.into_response(),
        };
    }
    let verdict = match state.app.verdict(id).await {
        Ok(v) => v,
        Err(Error::NotFound { .. }) => return not_found(headers, lang),
        Err(e) => return e.into_response(),
    };
    let l = labels(lang, headers, verdict.credential.language.as_deref());
    // The page shows only the verdict, in one language: kept with the verdict, it is rendered once.
    let page = state.app.rendering(id, &verdict, l.lang, || {
        let page_url = state.app.credential_url(id);
        let path = format!("/credentials/{id}");
        let page = credential_page(
            l,
            &verdict.document,
            &verdict.report,
            Some(&verdict.credential),
            Some(page_url),
            Vec::new(),
            false,
            &path,
        )?;
        Ok(page.into())
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

/// `GET /api/v1/verify/{id}` (public): the verification report of one of our credentials, as JSON.
#[utoipa::path(get, operation_id = "verify_report", path = "/api/v1/verify/{id}", tag = "public", params(("id" = uuid::Uuid, Path, description = "The credential id")), responses((status = 200, description = "The verification report", body = crate::vc::verify::VerificationReport), (status = 404, description = "Not found", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 429, description = "Rate limited; Retry-After says when to retry", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn report(
    State(state): State<AppState>,
    id: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Response {
    let not_found = || Problem::new(Kind::NotFound, "no resource at this address").into_response();
    // A malformed id, even one that is not text (`%FF`), is the same 404 as a missing one.
    let Some(uuid) = id.ok().and_then(|axum::extract::Path(id)| Uuid::try_parse(&id).ok()) else {
        return not_found();
    };
    match state.app.verdict(CredentialId(uuid)).await {
        Ok(verdict) => (
            [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-cache")],
            verdict.report_json.clone(),
        )
            .into_response(),
        Err(Error::NotFound { .. }) => not_found(),
        Err(e) => e.into_response(),
    }
}

/// `?lang=&credential=` of `GET /verify`.
#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    lang: Option<String>,
    credential: Option<String>,
}

/// `GET /verify`: the page to check a credential file; with `?credential=` (a credential's link or id, typed
/// or pasted by an employer) a redirect (303) to that credential's page, or the form again (404) saying no
/// credential of this service has it.
#[utoipa::path(get, operation_id = "verify_page", path = "/verify", tag = "public", params(("lang" = Option<String>, Query, description = "en, bg, el, es or it"), ("credential" = Option<String>, Query, description = "A credential's link or id: redirects to its page")), responses((status = 200, description = "The upload page (HTML)"), (status = 303, description = "The credential's page"), (status = 404, description = "No credential has that link or id (the page again)")))]
pub async fn verify_page(State(state): State<AppState>, Query(q): Query<VerifyQuery>, headers: HeaderMap) -> Response {
    let l = labels(q.lang.as_deref(), &headers, None);
    if let Some(typed) = q.credential.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        return match state.app.credential_by_link(typed).await {
            Some(id) => {
                let to = format!("/credentials/{id}?lang={}", l.lang);
                (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
            }
            // Programs get problem details, people the form again saying so.
            None if wants_json(&headers) => {
                Problem::new(Kind::NotFound, "no credential of this service has that link or id").into_response()
            }
            None => verify_form(l, StatusCode::NOT_FOUND, l.get("lookup_not_found").to_owned()),
        };
    }
    html(
        StatusCode::OK,
        &VerifyPage {
            l,
            lang: l.lang,
            title: l.get("verify_title").to_owned(),
            error: None,
            languages: languages("/verify"),
        },
    )
}

/// `POST /verify`: checks an uploaded credential (JSON), certificate (PDF) or badge (PNG), as a multipart
/// form field `file` or as the raw body, and answers with the report: a page for browsers, JSON
/// otherwise. Nothing is stored.
#[utoipa::path(post, operation_id = "verify_upload", path = "/verify", tag = "public", request_body(content = Vec<u8>, description = "The file (JSON, PDF or PNG), raw or as multipart field `file`"), responses((status = 200, description = "The report: JSON, or an HTML page for browsers", body = crate::vc::verify::VerificationReport), (status = 413, description = "Too large", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Not a credential file", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 429, description = "Rate limited; Retry-After says when to retry", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn verify_upload(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let l = labels(q.lang.as_deref(), &headers, None);
    let json = !prefers_html(&headers);
    let bytes = match read_upload(&state, &headers, request).await {
        Ok(bytes) => bytes,
        Err(e) if json => return Problem::new(Kind::from_status(e.status), e.detail).into_response(),
        // People get the form again, saying what went wrong in their language.
        Err(e) => {
            let message = if e.status == StatusCode::PAYLOAD_TOO_LARGE {
                l.get("upload_too_large").to_owned()
            } else {
                l.format("upload_error", &[("error", &e.detail)])
            };
            return verify_form(l, e.status, message);
        }
    };
    let result = state.app.verify_file(&bytes).await;
    if json {
        return match result {
            Ok(report) => axum::Json(report).into_response(),
            Err(FileError::Unreadable(reason)) => {
                Problem::new(Kind::Validation, format!("the upload is not a credential file: {reason}")).into_response()
            }
            Err(FileError::Verify(e)) => {
                Problem::new(Kind::Validation, format!("the credential could not be checked: {e}")).into_response()
            }
        };
    }
    match result {
        Ok(report) => upload_page(&state, l, &report).await,
        Err(e) => {
            verify_form(l, StatusCode::UNPROCESSABLE_ENTITY, l.format("upload_error", &[("error", &e.to_string())]))
        }
    }
}

/// The upload form again, with what went wrong.
fn verify_form(l: &'static Labels, status: StatusCode, error: String) -> Response {
    html(
        status,
        &VerifyPage {
            l,
            lang: l.lang,
            title: l.get("verify_title").to_owned(),
            error: Some(error),
            languages: languages("/verify"),
        },
    )
}

/// Why an upload could not be read: the status to answer, and the detail.
struct UploadError {
    status: StatusCode,
    detail: String,
}

/// The uploaded file: the multipart form field `file`, or the raw body. The route's upload limit applies to
/// both (413 past it).
async fn read_upload(
    state: &AppState,
    headers: &HeaderMap,
    request: axum::extract::Request,
) -> Result<Vec<u8>, UploadError> {
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    if !is_multipart {
        return <axum::body::Bytes as axum::extract::FromRequest<AppState>>::from_request(request, state)
            .await
            .map(|bytes| bytes.to_vec())
            .map_err(|e| UploadError { status: e.status(), detail: e.body_text() });
    }
    let mut multipart = <Multipart as axum::extract::FromRequest<AppState>>::from_request(request, state)
        .await
        .map_err(|e| UploadError { status: e.status(), detail: e.body_text() })?;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                return field
                    .bytes()
                    .await
                    .map(|b| b.to_vec())
                    .map_err(|e| UploadError { status: e.status(), detail: e.body_text() });
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(UploadError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    detail: "the form has no field named file".into(),
                });
            }
            Err(e) => return Err(UploadError { status: e.status(), detail: e.body_text() }),
        }
    }
}

async fn upload_page(state: &AppState, l: &Labels, report: &FileReport) -> Response {
    let printed = match &report.printed_mismatches {
        None => Vec::new(),
        Some(m) if m.is_empty() => vec![l.get("printed_match").to_owned()],
        Some(m) => m.iter().map(|m| printed_fact(m, l)).collect(),
    };
    // One of ours: link to its page and downloads.
    let ours = report
        .credential
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| id.strip_prefix(&format!("{}credentials/", state.app.public_url())))
        .and_then(|id| Uuid::try_parse(id).ok());
    let stored = match ours {
        Some(id) => state.app.issued_credential(CredentialId(id)).await.ok(),
        None => None,
    };
    let page_url = stored.as_ref().map(|c| state.app.credential_url(c.id));
    match credential_page(l, &report.credential, &report.report, stored.as_ref(), page_url, printed, true, "/verify") {
        Ok(page) => Html(page).into_response(),
        Err(e) => e.into_response(),
    }
}

/// One differing fact of an altered certificate, in the person's language: printed versus signed.
fn printed_fact(m: &crate::certificate::Mismatch, l: &Labels) -> String {
    let name_key = match m.fact {
        "learner" | "achievement" | "issuer" | "url" | "learning_outcome" => format!("fact_{}", m.fact),
        row => row.to_owned(),
    };
    let fact = l.get(&name_key);
    match &m.printed {
        Some(printed) => l.format("printed_fact", &[("fact", fact), ("printed", printed), ("signed", &m.expected)]),
        None => l.format("printed_fact_missing", &[("fact", fact), ("signed", &m.expected)]),
    }
}

/// Static assets of the pages (compiled in).
pub async fn asset(axum::extract::Path(name): axum::extract::Path<String>, headers: HeaderMap) -> Response {
    let (body, content_type): (&'static str, &'static str) = match name.as_str() {
        "style.css" => (include_str!("../../templates/assets/style.css"), "text/css; charset=utf-8"),
        "app.js" => (include_str!("../../templates/assets/app.js"), "text/javascript; charset=utf-8"),
        "favicon.svg" => (include_str!("../../templates/assets/favicon.svg"), "image/svg+xml"),
        _ => return not_found(&headers, None),
    };
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}

/// Security headers: on every response `X-Content-Type-Options: nosniff` and `Referrer-Policy`; on HTML a
/// strict Content-Security-Policy (own scripts and styles only, no framing, forms only to ourselves).
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    let is_html =
        headers.get(header::CONTENT_TYPE).and_then(|c| c.to_str().ok()).is_some_and(|c| c.starts_with("text/html"));
    if is_html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                 form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    }
    response
}
