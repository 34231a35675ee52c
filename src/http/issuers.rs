//! Issuers: the public DID documents and the admin API.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::auth::Caller;
use super::extract::{ApiJson, SlugPath};
use crate::domain::issuer::{Issuer, IssuerInput};
use crate::error::Result;

/// `GET /issuers/{slug}/did.json`: the `did:web` document of an issuer, readable by any verifier.
#[utoipa::path(get, operation_id = "issuers_did_document", path = "/issuers/{slug}/did.json", tag = "issuers", params(("slug" = String, Path, description = "Issuer slug")), responses((status = 200, description = "The did:web DID document (application/did+json)", body = serde_json::Value), (status = 404, description = "Not found", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn did_document(State(state): State<AppState>, SlugPath(slug): SlugPath) -> Result<Response> {
    let document = state.app.did_document(&slug).await?;
    let mut response = Json(document).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/did+json"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    // Short: a rotated key must reach verifiers quickly; old keys never disappear, so staleness is harmless.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}

/// An issuer as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuerView {
    #[serde(flatten)]
    issuer: Issuer,
    did_document: Option<String>,
}

impl IssuerView {
    fn new(issuer: Issuer, public_url: &url::Url) -> Self {
        let did_document = (issuer.did_method == crate::domain::issuer::DidMethod::Web)
            .then(|| format!("{}issuers/{}/did.json", public_url, issuer.slug));
        Self { issuer, did_document }
    }
}

/// `GET /api/v1/issuers`: all issuers for an admin, its own for an assessor.
#[utoipa::path(get, operation_id = "issuers_list", path = "/api/v1/issuers", tag = "issuers", security(("bearer" = [])), responses((status = 200, description = "Issuers the caller may see", body = Vec<IssuerView>), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, Caller(caller): Caller) -> Result<Json<Vec<IssuerView>>> {
    let issuers = state.app.issuers_visible_to(&caller).await?;
    let url = state.app.public_url();
    Ok(Json(issuers.into_iter().map(|i| IssuerView::new(i, url)).collect()))
}

/// `POST /api/v1/issuers` (admin): creates an issuer with a new signing key.
#[utoipa::path(post, operation_id = "issuers_create", path = "/api/v1/issuers", tag = "issuers", security(("bearer" = [])), request_body = crate::domain::issuer::IssuerInput, responses((status = 201, description = "Created", body = IssuerView), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 409, description = "Slug taken", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields, each named", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<IssuerInput>,
) -> Result<(StatusCode, Json<IssuerView>)> {
    crate::service::require_admin(&caller)?;
    let new = input.validate()?;
    let issuer = state.app.create_issuer_as(&caller, new).await?;
    Ok((StatusCode::CREATED, Json(IssuerView::new(issuer, state.app.public_url()))))
}
