//! The VCALM interaction URL (one QR code for OpenID4VCI and VC-API wallets) and the exchange that
//! hands a VC-API wallet the award after DIDAuthentication.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::domain::validation::ValidationErrors;
use crate::error::Error;
use crate::http::AppState;
use crate::http::pages::{self, WalletView};

/// `?lang=` of the interaction page.
#[derive(Debug, serde::Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

/// Answers carrying a challenge or a credential are one wallet's, once: never cached.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn json_body(body: &Bytes) -> Result<serde_json::Value, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::json!({}));
    }
    serde_json::from_slice(body).map_err(|e| ValidationErrors::single("body", format!("is not JSON: {e}")).into())
}

/// `GET /interactions/{id}?iuv=1`: with `Accept: application/json`, `{"protocols": {"vcapi": <exchange>,
/// "oid4vci-1.0": <openid-credential-offer://…>}}`; for a browser, a page telling the person to use a wallet
/// app.
///
/// See: <https://w3c.github.io/vcalm/#interaction-url-format>
#[utoipa::path(
    get,
    operation_id = "vcalm_interaction",
    path = "/interactions/{id}",
    tag = "wallets",
    params(("id" = String, Path, description = "The offer id"), ("iuv" = Option<String>, Query, description = "Interaction URL version: 1"), ("lang" = Option<String>, Query, description = "Page language: en, bg, el, es or it")),
    responses(
        (status = 200, description = "`{protocols}` (JSON) or a page for people (HTML)"),
        (status = 404, description = "A used or expired offer"),
    )
)]
pub(super) async fn interaction(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json") && !accept.contains("text/html"));
    if wants_json {
        return state
            .app
            .interaction(&id)
            .await
            .map(|protocols| no_store(Json(protocols).into_response()))
            .into_response();
    }
    let l = pages::labels(q.lang.as_deref(), &headers, None);
    let path = format!("/interactions/{id}");
    match state.app.minted_offer(&id).await {
        Ok(offer) => pages::wallet_page(
            l,
            StatusCode::OK,
            &path,
            WalletView::Interaction { offer_url: offer.offer_url, lcw_url: offer.lcw_url },
        ),
        Err(Error::NotFound { .. }) => pages::wallet_page(l, StatusCode::NOT_FOUND, &path, WalletView::Gone),
        Err(e) => e.into_response(),
    }
}

/// `POST /workflows/claim/exchanges/{id}`: `{}` → `{"verifiablePresentationRequest": DIDAuthentication}`;
/// `{"verifiablePresentation": <the holder's signed presentation>}` → `{"verifiablePresentation":
/// {"verifiableCredential": [<the award bound to the holder>]}}`.
///
/// See: <https://w3c.github.io/vcalm/#participate-in-an-exchange>
#[utoipa::path(
    post,
    operation_id = "vcalm_exchange",
    path = "/workflows/claim/exchanges/{id}",
    tag = "wallets",
    params(("id" = String, Path, description = "The offer id")),
    request_body(content = serde_json::Value, content_type = "application/json", example = json!({"verifiablePresentation": json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"], "holder": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "authentication",
                "verificationMethod": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                "challenge": "3Jm9VqW0bX2cT7yR5nK8pD1e", "domain": "https://certs.example.eu", "created": "2026-11-30T10:00:00Z", "proofValue": "z4oey…"}})})),
    responses(
        (status = 200, description = "The next message of the exchange: a DIDAuthentication request for `{}`, the credential in a presentation for a signed presentation", content_type = "application/json", body = serde_json::Value, example = json!({"verifiablePresentationRequest": {
            "query": [{"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}], "acceptedCryptosuites": [{"cryptosuite": "eddsa-rdfc-2022"}, {"cryptosuite": "Ed25519Signature2020"}]}],
            "challenge": "3Jm9VqW0bX2cT7yR5nK8pD1e", "domain": "https://certs.example.eu",
            "interact": {"service": [{"type": "UnmediatedPresentationService2021", "serviceEndpoint": "https://certs.example.eu/workflows/claim/exchanges/q8ZxJb2mL4nV6tR0"}]}
        }})),
        (status = 404, description = "A used or expired offer", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The presentation does not authenticate the holder", body = crate::http::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn participate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let answer = state.app.exchange_step(&id, &json_body(&body)?).await?;
    Ok(no_store(Json(answer).into_response()))
}

/// `GET /workflows/claim/exchanges/{id}/request`: the exchange's current request, without advancing it.
///
/// See: <https://w3c.github.io/vcalm/#get-current-exchange-vpr>
#[utoipa::path(
    get,
    operation_id = "vcalm_exchange_request",
    path = "/workflows/claim/exchanges/{id}/request",
    tag = "wallets",
    params(("id" = String, Path, description = "The offer id")),
    responses(
        (status = 200, description = "`{verifiablePresentationRequest}`", content_type = "application/json", body = serde_json::Value, example = json!({"verifiablePresentationRequest": {
            "query": [{"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}], "acceptedCryptosuites": [{"cryptosuite": "eddsa-rdfc-2022"}, {"cryptosuite": "Ed25519Signature2020"}]}],
            "challenge": "3Jm9VqW0bX2cT7yR5nK8pD1e", "domain": "https://certs.example.eu",
            "interact": {"service": [{"type": "UnmediatedPresentationService2021", "serviceEndpoint": "https://certs.example.eu/workflows/claim/exchanges/q8ZxJb2mL4nV6tR0"}]}
        }})),
        (status = 404, description = "A used or expired offer", body = crate::http::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn current_request(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, Error> {
    let answer = state.app.exchange_step(&id, &serde_json::json!({})).await?;
    Ok(no_store(Json(answer).into_response()))
}

/// `POST /workflows/claim/exchanges/{id}/lcw`: the DCC Learner Credential Wallet's deep-link request (its
/// `vc_request_url`): the holder's bare DIDAuth presentation with the offer's challenge in, the bare
/// credential out.
#[utoipa::path(
    post,
    operation_id = "lcw_request",
    path = "/workflows/claim/exchanges/{id}/lcw",
    tag = "wallets",
    params(("id" = String, Path, description = "The offer id")),
    request_body(content = serde_json::Value, content_type = "application/json", example = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"], "holder": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "authentication",
                "verificationMethod": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                "challenge": "3Jm9VqW0bX2cT7yR5nK8pD1e", "domain": "https://certs.example.eu", "created": "2026-11-30T10:00:00Z", "proofValue": "z4oey…"}})),
    responses(
        (status = 200, description = "The credential bound to the holder", content_type = "application/json", body = serde_json::Value, example = json!({"@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": "https://certs.example.eu/credentials/6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a", "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": "did:web:certs.example.eu:issuers:ucs", "type": ["Profile"], "name": "Universal Certification Solutions"},
            "credentialSubject": {"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "type": ["AchievementSubject"]},
            "proof": [{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod", "proofValue": "z5C…"}]})),
        (status = 404, description = "A used or expired offer", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The presentation does not authenticate the holder", body = crate::http::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn lcw_request(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let credential = state.app.lcw_request(&id, &json_body(&body)?).await?;
    Ok(no_store(Json(credential).into_response()))
}
