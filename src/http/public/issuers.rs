//! The issuers in public: `GET /issuers/{slug}`, the profile (a page for people, the Open Badges 3.0
//! `Profile` for programs), and `GET /issuers/{slug}/did.json`, the `did:web` documents.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::domain::issuer::Slug;
use crate::error::Result;
use crate::http::AppState;
use crate::http::extract::SlugPath;
use crate::http::negotiate::Reply;
use crate::http::openapi::responses::NotFound;
use crate::http::pages;
use crate::vc::credential::Profile;

/// Query of the profile page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ProfileQuery {
    /// Page language: en, bg, el, es or it (default: `Accept-Language`, then English).
    lang: Option<String>,
}

/// `GET /issuers/{slug}`: an issuer's public profile. People get a page in their language (name, logo,
/// country, website, DID, signing keys current and retired with their dates, and the achievements it
/// awards); programs asking for JSON get the issuer's Open Badges 3.0 `Profile` as JSON-LD, the same one
/// its credentials carry (keys are in the DID document, achievements at their own addresses).
///
/// See: <https://www.imsglobal.org/spec/ob/v3p0/#profile>
#[utoipa::path(
    get,
    operation_id = "issuers_profile",
    path = "/issuers/{slug}",
    tag = "public",
    params(("slug" = String, Path, description = "Issuer slug"), ProfileQuery),
    responses(
        (status = 200, description = "The profile page (text/html) or the OB 3.0 Profile (application/ld+json)", body = serde_json::Value, example = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": "did:web:certs.example.eu:issuers:ucs", "type": ["Profile"], "name": "Universal Certification Solutions",
            "url": "https://ucs.example.eu/", "image": {"id": "https://certs.example.eu/images/9f86d0….png", "type": "Image"},
            "address": {"type": ["Address"], "addressCountryCode": "BG"}
        })),
        NotFound,
    )
)]
pub(super) async fn profile(
    State(state): State<AppState>,
    slug: Result<Path<String>, PathRejection>,
    Query(query): Query<ProfileQuery>,
    headers: HeaderMap,
) -> Response {
    let reply = Reply::page_first(&headers, query.lang.as_deref());
    let Some(slug) = slug.ok().and_then(|Path(s)| s.parse::<Slug>().ok()) else { return reply.not_found() };
    let profile = match state.app.public_profile(&slug).await {
        Ok(profile) => profile,
        Err(e) => return reply.error(e),
    };
    let mut response = if reply.is_person() {
        pages::issuer_page(reply.labels(None), &profile, state.app.urls())
    } else {
        let mut response = Json(Profile::of(&profile.issuer).to_json_ld()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/ld+json"));
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        response
    };
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept, accept-language"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

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
        (status = 200, description = "The did:web DID document (application/did+json)", body = serde_json::Value, example = json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": "did:web:certs.example.eu:issuers:ucs",
            "verificationMethod": [{"id": "did:web:certs.example.eu:issuers:ucs#z6MkhaXg…", "type": "Multikey",
                "controller": "did:web:certs.example.eu:issuers:ucs", "publicKeyMultibase": "z6MkhaXg…"}],
            "assertionMethod": ["did:web:certs.example.eu:issuers:ucs#z6MkhaXg…"]
        })),
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
