//! `GET /images/{file}`: the images issuers uploaded (achievement badge images, issuer logos), by digest.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::caching::Validators;
use crate::http::negotiate::Reply;
use crate::http::openapi::responses::NotFound;

/// `GET /images/{file}` (public): an uploaded image, `<sha-256>.png` or `<sha-256>.svg`. Its name is its
/// content's digest, so it never changes and is cached for a year. An SVG is served with a sandboxing
/// Content-Security-Policy, so even opened on its own it can run nothing.
#[utoipa::path(
    get,
    operation_id = "images_get",
    path = "/images/{file}",
    tag = "public",
    params(("file" = String, Path, description = "<sha-256>.png or <sha-256>.svg")),
    responses(
        (status = 200, description = "The image (image/png or image/svg+xml)", content_type = "image/png"),
        (status = 304, description = "Not modified (If-None-Match)"),
        NotFound,
    )
)]
pub(super) async fn image(
    State(state): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let reply = Reply::data_first(&headers, None);
    let Ok(Path(file)) = file else { return reply.not_found() };
    let image = match state.app.image(&file).await {
        Ok(image) => image,
        Err(e) => return reply.error(e),
    };
    let validators = Validators::new(format!("\"{}\"", image.digest), "public, max-age=31536000, immutable");
    if validators.matches(&headers) {
        return validators.not_modified();
    }
    let mut response = image.content.into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(image.kind.media_type()));
    response_headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response_headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(crate::http::pages::IMAGE_CSP));
    validators.apply(response)
}
