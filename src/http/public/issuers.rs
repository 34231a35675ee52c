//! `GET /issuers/{slug}/did.json`: the issuers' `did:web` documents.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::Result;
use crate::http::AppState;
use crate::http::extract::SlugPath;
use crate::http::openapi::responses::NotFound;

/// `GET /issuers/{slug}/did.json`: the `did:web` document of an issuer, readable by any verifier.
///
/// See: <https://w3c-ccg.github.io/did-method-web/#read-resolve>
#[utoipa::path(
    get,
    operation_id = "issuers_did_document",
    path = "/issuers/{slug}/did.json",
    tag = "issuers",
    params(("slug" = String, Path, description = "Issuer slug")),
    responses(
        (status = 200, description = "The did:web DID document (application/did+json)", body = serde_json::Value),
        NotFound,
    )
)]
pub(super) async fn did_document(State(state): State<AppState>, SlugPath(slug): SlugPath) -> Result<Response> {
    let document = state.app.did_document(&slug).await?;
    let mut response = Json(document).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/did+json"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    // Short: a rotated key must reach verifiers quickly; old keys never disappear, so staleness is harmless.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}
