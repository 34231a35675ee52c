//! Issuers through the API: listing them, and creating one (admin).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderName, StatusCode, header};
use serde::Serialize;

use crate::domain::issuer::{DidMethod, Issuer, IssuerInput, PROFILE_CHANGE_APPLIES};
use crate::domain::public_urls::PublicUrls;
use crate::error::Result;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::extract::{ApiJson, SlugPath};
use crate::http::openapi::responses::{Denied, Invalid, NotFound};

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
        (status = 201, description = "Created", body = IssuerView,
            headers(("Location" = String, description = "The issuer in the API: /api/v1/issuers/{slug}"))),
        Denied,
        (status = 409, description = "Slug taken", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        Invalid,
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<IssuerInput>,
) -> Result<(StatusCode, [(HeaderName, String); 1], Json<IssuerView>)> {
    crate::service::require_admin(&caller)?;
    let new = input.validate()?;
    let issuer = state.app.create_issuer_as(&caller, new).await?;
    let location = [(header::LOCATION, format!("/api/v1/issuers/{}", issuer.slug))];
    Ok((StatusCode::CREATED, location, Json(IssuerView::new(issuer, state.app.urls()))))
}

/// `GET /api/v1/issuers/{slug}`: one issuer, for an admin or its own assessors.
#[utoipa::path(
    get,
    operation_id = "issuers_get",
    path = "/api/v1/issuers/{slug}",
    tag = "issuers",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "Issuer slug")),
    responses((status = 200, description = "The issuer", body = IssuerView), Denied, NotFound)
)]
pub(super) async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    SlugPath(slug): SlugPath,
) -> Result<Json<IssuerView>> {
    let issuer = state.app.issuer_for(&caller, &slug).await?;
    Ok(Json(IssuerView::new(issuer, state.app.urls())))
}

/// The answer to a change of an issuer's profile.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct IssuerUpdated {
    #[serde(flatten)]
    issuer: IssuerView,
    /// What the change affects: credentials issued from now on; those already issued are signed and stay as
    /// they are.
    note: &'static str,
}

/// `PATCH /api/v1/issuers/{slug}` (admin) with a JSON merge patch (RFC 7396) of the profile: `name`, `url`,
/// `email`, `country`, `description`, `logo_url`, `suspension_enabled`. Validated as a whole and audited.
/// Credentials issued from now on carry the new profile; those already issued are signed and do not change.
#[utoipa::path(
    patch,
    operation_id = "issuers_update",
    path = "/api/v1/issuers/{slug}",
    tag = "issuers",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "Issuer slug")),
    request_body(content = serde_json::Value, description = "JSON merge patch (RFC 7396) of the issuer's profile",
        example = json!({"country": "BG", "name": "Universal Certification Solutions", "suspension_enabled": true, "description": null})),
    responses((status = 200, description = "Updated", body = IssuerUpdated), Denied, NotFound, Invalid)
)]
pub(super) async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    SlugPath(slug): SlugPath,
    ApiJson(patch): ApiJson<serde_json::Value>,
) -> Result<Json<IssuerUpdated>> {
    let issuer = state.app.update_issuer(Some(&caller), &slug, &patch).await?;
    Ok(Json(IssuerUpdated { issuer: IssuerView::new(issuer, state.app.urls()), note: PROFILE_CHANGE_APPLIES }))
}

/// `PUT /api/v1/issuers/{slug}/logo` (admin): the issuer's logo, a PNG or an SVG checked as achievement
/// images are, sent as the body or as the form field `file`. It is stored, served from
/// `/images/<digest>.<png|svg>`, shown on the credential pages and the profile page, and printed on the
/// certificates of credentials issued from now on.
#[utoipa::path(
    put,
    operation_id = "issuers_put_logo",
    path = "/api/v1/issuers/{slug}/logo",
    tag = "issuers",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "Issuer slug")),
    request_body(content = Vec<u8>, description = "The logo (image/png, image/svg+xml, or multipart/form-data with the field file)", content_type = "image/png"),
    responses((status = 200, description = "Updated", body = IssuerUpdated), Denied, NotFound, Invalid)
)]
pub(super) async fn put_logo(
    State(state): State<AppState>,
    Caller(caller): Caller,
    SlugPath(slug): SlugPath,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<IssuerUpdated>> {
    let file = crate::http::extract::uploaded_file(&headers, body, "the logo").await?;
    let issuer = state.app.set_issuer_logo(Some(&caller), &slug, file.to_vec()).await?;
    Ok(Json(IssuerUpdated { issuer: IssuerView::new(issuer, state.app.urls()), note: PROFILE_CHANGE_APPLIES }))
}
