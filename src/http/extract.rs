//! Extractors whose rejections are problem details rather than axum's plain-text bodies.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::problem::{Kind, Problem};
use crate::domain::issuer::Slug;

/// `axum::Json`, with rejections mapped to 400 (syntax), 413 (too large), 415 (not JSON) or 422 (wrong
/// shape), each as problem details naming what is wrong.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_problem(&rejection)),
        }
    }
}

fn json_problem(rejection: &JsonRejection) -> Problem {
    match rejection {
        JsonRejection::JsonDataError(e) => Problem::new(Kind::Validation, body_text(e)),
        JsonRejection::JsonSyntaxError(e) => Problem::new(Kind::BadRequest, body_text(e)),
        JsonRejection::MissingJsonContentType(_) => {
            Problem::new(Kind::UnsupportedMediaType, "expected a body with Content-Type: application/json")
        }
        JsonRejection::BytesRejection(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(Kind::PayloadTooLarge, "the request body is larger than the configured limit")
        }
        other => Problem::new(Kind::BadRequest, other.body_text()),
    }
}

/// serde's message with its position, without axum's generic prefix.
fn body_text(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    if let Some(source) = e.source() {
        text = source.to_string();
    }
    text
}

/// A `{slug}` path segment. A malformed slug cannot name anything, so it is a 404 like a missing one.
#[derive(Debug, Clone)]
pub(super) struct SlugPath(pub Slug);

impl<S: Send + Sync> FromRequestParts<S> for SlugPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| Problem::new(Kind::NotFound, super::negotiate::NO_RESOURCE))?;
        raw.parse().map(Self).map_err(|_| Problem::new(Kind::NotFound, super::negotiate::NO_RESOURCE))
    }
}

/// A `{id}` path segment holding a UUID. A malformed id cannot name anything, so it is a 404 like a missing
/// one, and nobody can tell the two apart.
#[derive(Debug, Clone, Copy)]
pub(super) struct UuidPath(pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for UuidPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| Problem::new(Kind::NotFound, super::negotiate::NO_RESOURCE))?;
        uuid::Uuid::try_parse(&raw).map(Self).map_err(|_| Problem::new(Kind::NotFound, super::negotiate::NO_RESOURCE))
    }
}

/// The file of an upload: the form field `file` of a `multipart/form-data` body (a browser's upload,
/// `curl -F file=@…`), or the body itself for any other type (`curl --data-binary @… -H 'Content-Type: …'`).
/// `what` names the file in the 422 of a form without it.
pub(super) async fn uploaded_file(
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
    what: &str,
) -> crate::error::Result<axum::body::Bytes> {
    // The boundary is case-sensitive (browsers send `----WebKitFormBoundaryAbC…`): only the type is compared
    // without case.
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Ok(body);
    }
    let form_error =
        |detail: String| crate::error::Error::from(crate::domain::validation::ValidationErrors::single("file", detail));
    let boundary = multer::parse_boundary(content_type).map_err(|e| form_error(format!("not a readable form: {e}")))?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Some(field) = form.next_field().await.map_err(|e| form_error(format!("not a readable form: {e}")))? {
        if field.name() == Some("file") {
            return field.bytes().await.map_err(|e| form_error(format!("the file could not be read: {e}")));
        }
    }
    Err(form_error(format!("the form has no field named file ({what})")))
}

/// Whether the request's `Content-Type` is `media` (parameters such as `charset` aside).
pub(super) fn is_media(headers: &axum::http::HeaderMap, media: &str) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case(media)))
}

/// An optional JSON object body: an empty body is `{}`; anything else must be sent as `application/json`
/// (415 otherwise) and be a JSON object (422 otherwise, saying `shape`, e.g. `{"tx_code": true}`).
pub(super) fn optional_json_object(
    headers: &axum::http::HeaderMap,
    body: &[u8],
    shape: &str,
) -> crate::error::Result<serde_json::Value> {
    use crate::domain::validation::ValidationErrors;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Object(serde_json::Map::new()));
    }
    if !is_media(headers, "application/json") {
        return Err(crate::error::Error::Unsupported(
            "the body must be JSON (Content-Type: application/json), or empty".into(),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ValidationErrors::single("body", format!("is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ValidationErrors::single("body", format!("must be a JSON object such as {shape}")).into());
    }
    Ok(value)
}
