//! Awards through the API: `POST /api/v1/credentials` issues one, `GET` lists them a page at a time, and
//! `GET /api/v1/credentials/{id}` shows one.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::views::{CredentialSummary, CredentialView};
use super::{idempotency_key, page_limit};
use crate::domain::achievement::AchievementId;
use crate::domain::award::{AwardInput, CredentialId};
use crate::domain::delivery::Delivery;
use crate::domain::validation::ValidationErrors;
use crate::domain::xsd::parse_date_time_stamp;
use crate::error::{Error, Result};
use crate::http::AppState;
use crate::http::auth::{BearerToken, Caller};
use crate::http::extract::{ApiJson, UuidPath};
use crate::http::openapi::responses::{Denied, Invalid, NotFound};
use crate::http::problem::Problem;
use crate::service::Issued;
use crate::store::CredentialFilter;

/// `POST /api/v1/credentials`: 201 with the new credential, or 200 with the earlier one when the request
/// repeats an `Idempotency-Key`.
#[utoipa::path(
    post,
    operation_id = "credentials_issue",
    path = "/api/v1/credentials",
    tag = "awards",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body(content = AwardInput, example = json!({
        "achievement_id": "0b6f7a52-6f3e-4c1e-9d7b-2a4f5e6d7c8b",
        "recipient": {"name": "Иван Петров", "email": "ivan.petrov@example.bg"},
        "result": "92",
        "awarded_at": "2026-01-15",
        "language": "bg"
    })),
    responses(
        (status = 201, description = "Issued", body = CredentialView,
            headers(("Location" = String, description = "The credential in the API: /api/v1/credentials/{id}")),
            example = json!({
            "id": "6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a",
            "status": "active",
            "credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                "id": "https://certs.example.eu/credentials/6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a",
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "issuer": {"id": "did:web:certs.example.eu:issuers:ucs", "type": ["Profile"], "name": "Universal Certification Solutions",
                           "address": {"type": ["Address"], "addressCountryCode": "BG"}},
                "validFrom": "2026-01-15T00:00:00Z",
                "name": "Умни градове: основи",
                "credentialSubject": {"type": ["AchievementSubject"], "name": "Иван Петров",
                    "achievement": {"id": "https://certs.example.eu/achievements/0b6f…", "type": ["Achievement"], "name": "Умни градове: основи", "achievementType": "MicroCredential"}},
                "credentialStatus": {"id": "https://certs.example.eu/status/3f…#1041", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                    "statusListIndex": "1041", "statusListCredential": "https://certs.example.eu/status/3f…"},
                "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-01-15T09:12:44Z",
                    "verificationMethod": "did:web:certs.example.eu:issuers:ucs#z6Mk…", "proofPurpose": "assertionMethod", "proofValue": "z5Vq…"}
            },
            "links": {"page": "https://certs.example.eu/credentials/6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a",
                      "pdf": "https://certs.example.eu/credentials/6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a.pdf",
                      "json": "https://certs.example.eu/credentials/6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a.json",
                      "png": "https://certs.example.eu/credentials/6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a.png"}
        })),
        (status = 200, description = "A retry: the credential issued before", body = CredentialView),
        Denied,
        (status = 409, description = "The learner already holds it", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        Invalid,
    )
)]
pub(super) async fn issue(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    headers: HeaderMap,
    body: std::result::Result<ApiJson<Value>, Problem>,
) -> std::result::Result<(StatusCode, [(HeaderName, String); 1], Json<CredentialView>), Problem> {
    // The token is checked in the award's own read (one round trip less per award); a request refused before
    // that read is refused only after the token is checked, so a bad token gets 401 whatever else is wrong.
    let (key, request_hash, input) = match award_request(&headers, body) {
        Ok(request) => request,
        Err(refused) => {
            state.app.authenticate(&token).await?;
            return Err(refused);
        }
    };
    let (credential, issued) = state.app.issue_award(&token, input, key.as_deref(), request_hash).await?;
    let status = if issued == Issued::Created { StatusCode::CREATED } else { StatusCode::OK };
    let location = [(header::LOCATION, format!("/api/v1/credentials/{}", credential.id))];
    Ok((status, location, Json(CredentialView::new(state.app.urls(), credential))))
}

/// An award request's `Idempotency-Key`, the digest that recognises its retries, and its body.
fn award_request(
    headers: &HeaderMap,
    body: std::result::Result<ApiJson<Value>, Problem>,
) -> std::result::Result<(Option<String>, [u8; 32], AwardInput), Problem> {
    let key = idempotency_key(headers)?;
    let ApiJson(body) = body?;
    // Retries are recognised by the request's meaning, not its bytes: key order and spacing do not matter.
    let request_hash: [u8; 32] = Sha256::digest(serde_json_canonicalizer::to_vec(&body).unwrap_or_default()).into();
    let input: AwardInput =
        serde_json::from_value(body).map_err(|e| Error::from(ValidationErrors::single("body", e.to_string())))?;
    Ok((key, request_hash, input))
}

/// Filters of `GET /api/v1/credentials` and of the CSV export.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    achievement_id: Option<String>,
    email: Option<String>,
    issued_after: Option<String>,
    issued_before: Option<String>,
    pub(super) limit: Option<u32>,
    pub(super) cursor: Option<String>,
}

impl ListQuery {
    /// The filters alone (a bulk request's), without paging.
    pub(super) fn from_parts(
        achievement_id: Option<String>,
        email: Option<String>,
        issued_after: Option<String>,
        issued_before: Option<String>,
    ) -> Self {
        Self { achievement_id, email, issued_after, issued_before, limit: None, cursor: None }
    }
}

/// One page of a listing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Page {
    items: Vec<CredentialSummary>,
    next_cursor: Option<String>,
}

/// `GET /api/v1/credentials?achievement_id=&email=&issued_after=&issued_before=&limit=&cursor=`.
#[utoipa::path(
    get,
    operation_id = "credentials_list",
    path = "/api/v1/credentials",
    tag = "awards",
    security(("bearer" = [])),
    params(
        ("achievement_id" = Option<uuid::Uuid>, Query, description = "Filter"),
        ("email" = Option<String>, Query, description = "Filter"),
        ("issued_after" = Option<String>, Query, description = "RFC 3339"),
        ("issued_before" = Option<String>, Query, description = "RFC 3339"),
        ("limit" = Option<u32>, Query, description = "1 to 1000, default 100"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses((status = 200, description = "{items, next_cursor}", body = Page), Denied, Invalid)
)]
pub(super) async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page>> {
    let Query(q) = query.map_err(|e| ValidationErrors::single("query", e.body_text()))?;
    let filter = parse_filter(q)?;
    let limit = filter.limit as usize;
    let rows = state.app.list_credentials(&caller, filter).await?;
    let next_cursor = (rows.len() == limit).then(|| rows.last().map(|c| encode_cursor(c.issued_at, c.id))).flatten();
    let items = rows.iter().map(|c| CredentialSummary::new(state.app.urls(), c)).collect();
    Ok(Json(Page { items, next_cursor }))
}

/// The listing filters of a query, each checked.
pub(super) fn parse_filter(q: ListQuery) -> Result<CredentialFilter> {
    let mut errors = ValidationErrors::default();
    let date = |errors: &mut ValidationErrors, field: &str, v: Option<&str>| {
        v.and_then(|v| {
            errors.check(field, parse_date_time_stamp(v).ok_or("must be an RFC 3339 date-time with a time zone"))
        })
    };
    let filter = CredentialFilter {
        issuer_id: None,
        achievement_id: q.achievement_id.as_deref().and_then(|a| {
            errors
                .check("achievement_id", Uuid::try_parse(a).map(AchievementId).map_err(|_| "must be an achievement id"))
        }),
        email: q.email.map(|e| e.trim().to_lowercase()),
        issued_after: date(&mut errors, "issued_after", q.issued_after.as_deref()),
        issued_before: date(&mut errors, "issued_before", q.issued_before.as_deref()),
        after: q
            .cursor
            .as_deref()
            .and_then(|c| errors.check("cursor", decode_cursor(c).ok_or("is not a cursor this service gave"))),
        limit: errors.check("limit", page_limit(q.limit)).unwrap_or(0),
    };
    errors.finish(filter).map_err(Into::into)
}

fn encode_cursor(at: OffsetDateTime, id: CredentialId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.unix_timestamp_nanos()))
}

fn decode_cursor(cursor: &str) -> Option<(OffsetDateTime, CredentialId)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (nanos, id) = text.split_once('|')?;
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
    Some((at, CredentialId(Uuid::try_parse(id).ok()?)))
}

/// `GET /api/v1/credentials/{id}`.
#[utoipa::path(
    get,
    operation_id = "credentials_get",
    path = "/api/v1/credentials/{id}",
    tag = "awards",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    responses((status = 200, description = "One credential", body = CredentialView), Denied, NotFound)
)]
pub(super) async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
) -> Result<Json<CredentialView>> {
    let credential = state.app.issued_credential_for(&caller, CredentialId(id)).await?;
    let delivery = state.app.deliveries_of(&[credential.id]).await?.remove(&credential.id);
    let wallets = state.app.wallet_copies(credential.id).await?;
    Ok(Json(CredentialView::new(state.app.urls(), credential).with_delivery(delivery).with_wallets(wallets)))
}

/// `POST /api/v1/credentials/{id}/notify`: e-mails the credential to its learner again (audited): after a
/// failed delivery, or for an award made with `notify: false`. 202: the message is queued.
#[utoipa::path(
    post,
    operation_id = "credentials_notify",
    path = "/api/v1/credentials/{id}/notify",
    tag = "awards",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    responses(
        (status = 202, description = "Queued", body = Delivery),
        Denied,
        NotFound,
        (status = 409, description = "The credential names no e-mail address", body = crate::http::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn notify(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
) -> Result<(StatusCode, Json<Delivery>)> {
    let delivery = state.app.notify_again(&caller, CredentialId(id)).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}

/// The body of `POST /api/v1/credentials/{id}/offers` (optional).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tx_code": true}))]
pub(super) struct OfferInput {
    /// Ask the wallet for a 6-digit transaction code, returned here to send the learner over another
    /// channel than the offer (default false).
    #[serde(default)]
    tx_code: bool,
}

/// A minted wallet offer, with its QR code.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "credential_offer_uri": "https://certs.example.eu/offers/q8ZxJb2mL4nV6tR0",
    "offer_url": "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fcerts%2Eexample%2Eeu%2Foffers%2Fq8ZxJb2mL4nV6tR0",
    "interaction_url": "https://certs.example.eu/interactions/q8ZxJb2mL4nV6tR0?iuv=1",
    "tx_code": "493027", "expires_at": "2026-11-30T10:10:00Z", "qr_svg": "<svg xmlns=\"http://www.w3.org/2000/svg\" …</svg>"
}))]
pub(super) struct OfferView {
    #[serde(flatten)]
    offer: crate::service::wallet::MintedOffer,
    /// The QR code of `interaction_url` (SVG), for OpenID4VCI and VC-API wallets alike.
    qr_svg: String,
}

/// `POST /api/v1/credentials/{id}/offers`: mints a single-use "Add to wallet" offer of an award, valid for
/// at most 10 minutes (audited). Never print one: anyone holding it gets the credential.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-credential-offer>
#[utoipa::path(
    post,
    operation_id = "credentials_offer",
    path = "/api/v1/credentials/{id}/offers",
    tag = "awards",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    request_body(content = OfferInput, content_type = "application/json", description = "Optional: an empty body is `{}`"),
    responses(
        (status = 201, description = "The offer", body = OfferView),
        Denied,
        NotFound,
        (status = 409, description = "The credential is revoked or suspended", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not an offer request", body = crate::http::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn offer(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, HeaderMap, Json<OfferView>)> {
    let input = offer_input(&headers, &body)?;
    let offer = state.app.mint_offer(&caller, CredentialId(id), input.tx_code).await?;
    let qr_svg = crate::certificate::qr_svg(&offer.interaction_url, 240)
        .ok_or_else(|| crate::error::Error::Internal("the interaction URL does not fit a QR code".into()))?;
    // The answer carries the transaction code and a usable offer: the caller's, once, never cached.
    let mut answer_headers = HeaderMap::new();
    answer_headers.insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok((StatusCode::CREATED, answer_headers, Json(OfferView { offer, qr_svg })))
}

/// The optional body of an offer request: nothing, or a JSON object sent as JSON.
fn offer_input(headers: &HeaderMap, body: &[u8]) -> Result<OfferInput> {
    let value = crate::http::extract::optional_json_object(headers, body, "{\"tx_code\": true}")?;
    serde_json::from_value(value).map_err(|e| ValidationErrors::single("body", e.to_string()).into())
}
