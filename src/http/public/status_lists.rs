//! `GET /status/{id}`: the signed Bitstring status lists verifiers read.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::domain::status::StatusListId;
use crate::error::Result;
use crate::http::AppState;
use crate::http::caching::Validators;
use crate::http::extract::UuidPath;
use crate::http::openapi::responses::NotFound;
use crate::service::STATUS_TTL_MS;

/// `GET /status/{list-id}`: the signed `BitstringStatusListCredential`, with an `ETag` (the list's version)
/// and a `Cache-Control` lifetime equal to its `ttl`.
///
/// See: <https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential>
#[utoipa::path(
    get,
    operation_id = "credentials_status_list",
    path = "/status/{id}",
    tag = "public",
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    responses(
        (status = 200, description = "The signed BitstringStatusListCredential", body = serde_json::Value, example = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"], "id": "https://certs.example.eu/status/3f…",
            "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": "did:web:certs.example.eu:issuers:ucs",
            "validFrom": "2026-01-20T10:02:11Z",
            "credentialSubject": {"id": "https://certs.example.eu/status/3f…#list", "type": "BitstringStatusList", "statusPurpose": "revocation", "encodedList": "uH4sIAAAAAAAA…"},
            "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z3Fk…"}
        })),
        (status = 304, description = "Not modified (If-None-Match)"),
        NotFound,
    )
)]
pub(super) async fn status_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    UuidPath(id): UuidPath,
) -> Result<Response> {
    let published = state.app.published_status_list(StatusListId(id)).await?;
    let validators = Validators::new(
        format!("\"{id}-{}\"", published.version),
        format!("public, max-age={}", STATUS_TTL_MS.div_ceil(1000)),
    );
    let mut response = if validators.matches(&headers) {
        validators.not_modified()
    } else {
        let mut response = validators.apply(Json(published.credential.clone()).into_response());
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vc+ld+json"));
        response
    };
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    Ok(response)
}
