//! RFC 9457 problem details: the only place that turns errors into HTTP status codes.
//!
//! Every error body is `application/problem+json` with a stable `type` (a relative URI, `/problems/<kind>`,
//! that this service also serves as documentation), a `title`, the `status`, a human `detail`, and for
//! validation errors an `errors` list naming each field. See <https://www.rfc-editor.org/rfc/rfc9457>.

use axum::Json;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::validation::FieldError;
use crate::error::Error;
use crate::store::StoreError;

/// The kinds of problem this service reports; each has a stable slug used in the `type` URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 400: the request could not be parsed.
    BadRequest,
    /// 401: no valid API token.
    Unauthorized,
    /// 403: valid token, insufficient rights.
    Forbidden,
    /// 404: no such resource.
    NotFound,
    /// 405: the resource exists but not with this method.
    MethodNotAllowed,
    /// 408: the request took too long.
    Timeout,
    /// 409: conflicts with existing data or state.
    Conflict,
    /// 413: the body is larger than allowed.
    PayloadTooLarge,
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 422: the body is well-formed but invalid.
    Validation,
    /// 429: rate limited.
    TooManyRequests,
    /// 500: a fault of ours.
    Internal,
    /// 503: the database is unreachable.
    Unavailable,
}

impl Kind {
    const ALL: [Kind; 13] = [
        Kind::BadRequest,
        Kind::Unauthorized,
        Kind::Forbidden,
        Kind::NotFound,
        Kind::MethodNotAllowed,
        Kind::Timeout,
        Kind::Conflict,
        Kind::PayloadTooLarge,
        Kind::UnsupportedMediaType,
        Kind::Validation,
        Kind::TooManyRequests,
        Kind::Internal,
        Kind::Unavailable,
    ];

    /// Every kind.
    pub fn all() -> [Kind; 13] {
        Self::ALL
    }

    /// `(status, slug, title, what a client should do)`.
    fn info(self) -> (StatusCode, &'static str, &'static str, &'static str) {
        match self {
            Kind::BadRequest => (
                StatusCode::BAD_REQUEST,
                "bad-request",
                "Bad request",
                "Fix the request syntax (for example malformed JSON) and send it again.",
            ),
            Kind::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
                "Send a valid API token as `Authorization: Bearer <token>`; create one with `microcred api-key create`.",
            ),
            Kind::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed",
                "The API token is valid but its role or issuer does not allow this action.",
            ),
            Kind::NotFound => (
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                "Nothing exists at this address; check the id or path.",
            ),
            Kind::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "This address exists but does not accept this HTTP method.",
            ),
            Kind::Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "Request timed out",
                "The request took longer than the configured limit; try again, or send a smaller batch.",
            ),
            Kind::Conflict => (
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                "The request conflicts with existing data; the detail says which.",
            ),
            Kind::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Request body too large",
                "Send a smaller body; the limit is set with --max-body-bytes.",
            ),
            Kind::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as JSON with `Content-Type: application/json`.",
            ),
            Kind::Validation => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid input",
                "Some fields are missing or invalid; `errors` lists each with a message.",
            ),
            Kind::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests",
                "This address sent more requests than the public endpoints allow; wait the number of seconds in `Retry-After`.",
            ),
            Kind::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "Something went wrong on our side; it has been logged. Try again later.",
            ),
            Kind::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "The database cannot be reached right now; retry after a short wait.",
            ),
        }
    }

    /// The kind of problem a status stands for (the closest one for statuses without their own).
    pub fn from_status(status: StatusCode) -> Self {
        Self::ALL.into_iter().find(|k| k.info().0 == status).unwrap_or(if status.is_server_error() {
            Kind::Internal
        } else {
            Kind::BadRequest
        })
    }
}

/// An RFC 9457 problem, ready to be sent (`application/problem+json`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// The problem type, a URI reference resolved against the server (`GET` it for what it means).
    #[serde(rename = "type")]
    kind_uri: String,
    /// The problem type's short summary, the same for every occurrence.
    #[schema(value_type = String)]
    title: &'static str,
    /// The HTTP status code.
    #[serde(serialize_with = "serialize_status")]
    #[schema(value_type = u16)]
    status: StatusCode,
    /// What went wrong this time, for a person.
    detail: String,
    /// Each invalid or missing field (422 only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
    #[serde(skip)]
    kind: Kind,
}

fn serialize_status<S: serde::Serializer>(status: &StatusCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u16(status.as_u16())
}

impl Problem {
    /// A problem of `kind` with a human-readable `detail`.
    pub fn new(kind: Kind, detail: impl Into<String>) -> Self {
        let (status, slug, title, _) = kind.info();
        Self { kind_uri: format!("/problems/{slug}"), title, status, detail: detail.into(), errors: Vec::new(), kind }
    }

    /// Adds per-field errors.
    #[must_use]
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status;
        let kind = self.kind;
        let mut response = (status, Json(self)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        match kind {
            Kind::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"microcred\""));
            }
            Kind::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

/// A 422's `detail`: the first invalid field and what is wrong with it (at most [`DETAIL_MESSAGE_CHARS`] of the
/// message, which may quote the client's value; `errors` has it whole), the rows of a batch it is in, and how
/// many more `errors` lists (many clients, the VC-API's among them, show only `detail`).
fn validation_detail(errors: &[crate::domain::validation::FieldError]) -> String {
    let Some(first) = errors.first() else { return "the request has invalid or missing fields".to_owned() };
    let mut detail = format!("{}: ", first.field);
    match first.message.char_indices().nth(DETAIL_MESSAGE_CHARS) {
        Some((cut, _)) => {
            detail.push_str(&first.message[..cut]);
            detail.push('…');
        }
        None => detail.push_str(&first.message),
    }
    if !first.rows.is_empty() {
        let rows: Vec<String> = first.rows.iter().take(5).map(usize::to_string).collect();
        let more = if first.rows.len() > 5 { "…" } else { "" };
        detail.push_str(&format!(" (rows {}{more})", rows.join(", ")));
    }
    if errors.len() > 1 {
        detail.push_str(&format!(" (and {} more, each in `errors`)", errors.len() - 1));
    }
    detail
}

/// Most characters of a field's message in a 422's `detail`.
const DETAIL_MESSAGE_CHARS: usize = 200;

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        match e {
            Error::Validation(v) => Problem::new(Kind::Validation, validation_detail(&v.0)).with_errors(v.0),
            Error::NotFound { .. } => Problem::new(Kind::NotFound, e.to_string()),
            Error::Conflict(detail) | Error::NotPossible(detail) => Problem::new(Kind::Conflict, detail),
            Error::Unauthorized(detail) => Problem::new(Kind::Unauthorized, detail),
            Error::Forbidden(detail) => Problem::new(Kind::Forbidden, detail),
            Error::Unsupported(detail) => Problem::new(Kind::UnsupportedMediaType, detail),
            Error::OAuth(e) => Problem::new(Kind::BadRequest, e.to_string()),
            Error::Store(StoreError::Unavailable(ref source)) => {
                tracing::warn!(error = %source, "database unavailable");
                Problem::new(Kind::Unavailable, "the database cannot be reached; retry shortly")
            }
            Error::Store(_) | Error::Keys(_) | Error::Internal(_) => {
                // Log the whole cause chain once, here, inside the request span; the client gets no internals.
                tracing::error!(error = %error_chain(&e), "request failed");
                Problem::new(Kind::Internal, "an internal error occurred; it has been logged")
            }
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::OAuth(e) => oauth_response(&e),
            other => Problem::from(other).into_response(),
        }
    }
}

/// An OAuth 2.0 / OpenID4VCI error: `{"error", "error_description"}` as JSON, never cached; 401 with a
/// `WWW-Authenticate` challenge for a bad access token (RFC 6750 §3), 400 otherwise.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-credential-error-response>
pub fn oauth_response(e: &crate::vc::oid4vci::OAuthError) -> Response {
    use crate::vc::oid4vci::ErrorCode;
    let body = e.body();
    let status = if e.code == ErrorCode::InvalidToken { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
    let mut response = (status, Json(&body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if e.code == ErrorCode::InvalidToken {
        let description = body["error_description"].as_str().unwrap_or_default();
        let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

pub use crate::error::error_chain;

/// Fallback for a known route with another method.
pub async fn method_not_allowed() -> Problem {
    Problem::new(Kind::MethodNotAllowed, "this address does not accept this method")
}

/// `GET /problems/{kind}`: documents a problem type, so `type` URIs resolve to something useful.
#[utoipa::path(
    get,
    operation_id = "problem_describe",
    path = "/problems/{kind}",
    tag = "operations",
    params(("kind" = String, Path, description = "Problem type")),
    responses(
        (status = 200, description = "What the problem type means", body = serde_json::Value, example = json!({
            "type": "/problems/validation", "title": "Invalid input", "status": 422,
            "description": "The request has invalid or missing fields; errors names each field and what is wrong."
        })),
        super::openapi::responses::NotFound,
    )
)]
pub async fn describe(Path(slug): Path<String>) -> Result<Json<serde_json::Value>, Problem> {
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.info().1 == slug)
        .ok_or_else(|| Problem::new(Kind::NotFound, "no such problem type"))?;
    let (status, slug, title, advice) = kind.info();
    Ok(Json(
        serde_json::json!({ "type": format!("/problems/{slug}"), "title": title, "status": status.as_u16(), "description": advice }),
    ))
}

/// Gives a problem body to error responses produced below our handlers (body limit, timeout, extractor
/// rejections from axum itself), so that every API error is `application/problem+json`.
pub async fn fill_empty_errors(response: Response) -> Response {
    let status = response.status();
    // Only bodies nobody chose are replaced: none at all, or axum's plain-text rejections. A JSON body (a
    // VC-API verification report with its 422) is an answer, not an accident.
    let plain = response.headers().get(header::CONTENT_TYPE).is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let kind = Kind::from_status(status);
    let detail = match kind {
        Kind::PayloadTooLarge => "the request body is larger than the configured limit".to_owned(),
        Kind::Timeout => "the request took longer than the configured limit".to_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    let mut problem = Problem::new(kind, detail);
    // Keep the original status even for codes that have no kind of their own.
    problem.status = status;
    problem.into_response()
}

#[cfg(test)]
mod tests {
    use super::{DETAIL_MESSAGE_CHARS, validation_detail};
    use crate::domain::validation::FieldError;

    fn error(field: &str, message: &str, rows: Vec<usize>) -> FieldError {
        FieldError { rows, ..FieldError::new(field, message) }
    }

    #[test]
    fn a_422_detail_names_the_first_field_its_rows_and_how_many_more() {
        assert_eq!(validation_detail(&[]), "the request has invalid or missing fields");
        assert_eq!(validation_detail(&[error("country", "is required", vec![])]), "country: is required");
        let batch = [error("rows[*].email", "is not an e-mail address", (1..=7).collect()), error("x", "y", vec![])];
        assert_eq!(
            validation_detail(&batch),
            "rows[*].email: is not an e-mail address (rows 1, 2, 3, 4, 5…) (and 1 more, each in `errors`)"
        );
        // A message quoting a long value is cut on a character boundary.
        let long = "Ж".repeat(DETAIL_MESSAGE_CHARS + 50);
        let detail = validation_detail(&[error("name", &long, vec![])]);
        assert_eq!(detail, format!("name: {}…", "Ж".repeat(DETAIL_MESSAGE_CHARS)));
    }
}
