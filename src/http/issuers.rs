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
#[derive(Debug, Serialize)]
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
pub async fn list(State(state): State<AppState>, Caller(caller): Caller) -> Result<Json<Vec<IssuerView>>> {
    let issuers = state.app.issuers_visible_to(&caller).await?;
    let url = state.app.public_url();
    Ok(Json(issuers.into_iter().map(|i| IssuerView::new(i, url)).collect()))
}

/// `POST /api/v1/issuers` (admin): creates an issuer with a new signing key.
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
