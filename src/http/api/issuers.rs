//! Issuers through the API: listing them, and creating one (admin).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::domain::issuer::{DidMethod, Issuer, IssuerInput};
use crate::domain::public_urls::PublicUrls;
use crate::error::Result;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::extract::ApiJson;
use crate::http::openapi::responses::{Denied, Invalid};

/// An issuer as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct IssuerView {
    #[serde(flatten)]
    issuer: Issuer,
    /// Where its `did:web` document is served (`null` for a `did:key` issuer).
    did_document: Option<String>,
}

impl IssuerView {
    fn new(issuer: Issuer, urls: &PublicUrls) -> Self {
        let did_document = (issuer.did_method == DidMethod::Web).then(|| urls.did_document(&issuer.slug));
        Self { issuer, did_document }
    }
}

/// `GET /api/v1/issuers`: all issuers for an admin, its own for an assessor.
#[utoipa::path(
    get,
    operation_id = "issuers_list",
    path = "/api/v1/issuers",
    tag = "issuers",
    security(("bearer" = [])),
    responses((status = 200, description = "Issuers the caller may see", body = Vec<IssuerView>), Denied)
)]
pub(super) async fn list(State(state): State<AppState>, Caller(caller): Caller) -> Result<Json<Vec<IssuerView>>> {
    let issuers = state.app.issuers_visible_to(&caller).await?;
    Ok(Json(issuers.into_iter().map(|i| IssuerView::new(i, state.app.urls())).collect()))
}

/// `POST /api/v1/issuers` (admin): creates an issuer with a new signing key.
#[utoipa::path(
    post,
    operation_id = "issuers_create",
    path = "/api/v1/issuers",
    tag = "issuers",
    security(("bearer" = [])),
    request_body = IssuerInput,
    responses(
        (status = 201, description = "Created", body = IssuerView),
        Denied,
        (status = 409, description = "Slug taken", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        Invalid,
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<IssuerInput>,
) -> Result<(StatusCode, Json<IssuerView>)> {
    crate::service::require_admin(&caller)?;
    let new = input.validate()?;
    let issuer = state.app.create_issuer_as(&caller, new).await?;
    Ok((StatusCode::CREATED, Json(IssuerView::new(issuer, state.app.urls()))))
}
