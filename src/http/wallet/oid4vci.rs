//! The OpenID4VCI 1.0 endpoints: thin, the rules are in `service/wallet.rs` and the shapes in
//! `vc/oid4vci.rs`.

use axum::Form;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::certificate::Labels;
use crate::certificate::i18n::LANGUAGES;
use crate::error::Error;
use crate::http::AppState;
use crate::service::wallet::TokenRequest;
use crate::vc::oid4vci::{self, Display, ErrorCode, OAuthError};

/// JSON that must not be cached (tokens, nonces, credentials, one-time offers).
fn no_store(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn oauth(code: ErrorCode, description: &str) -> Response {
    Error::OAuth(OAuthError::new(code, description)).into_response()
}

/// The bearer token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
}

/// The answer to a request without an access token: RFC 6750 §3.1's bare challenge, no error code in it.
fn missing_token() -> Response {
    let mut response = oauth(ErrorCode::InvalidToken, "an access token is required: Authorization: Bearer <token>");
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn json_body(body: &Bytes, code: ErrorCode) -> Result<serde_json::Value, Error> {
    serde_json::from_slice(body).map_err(|e| Error::OAuth(OAuthError::new(code, format!("the body is not JSON: {e}"))))
}

/// `GET /.well-known/openid-credential-issuer`: the Credential Issuer Metadata, with display names in
/// English, Bulgarian, Greek, Spanish and Italian.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-credential-issuer-metadata>
#[utoipa::path(
    get,
    operation_id = "oid4vci_issuer_metadata",
    path = "/.well-known/openid-credential-issuer",
    tag = "wallets",
    responses((status = 200, description = "Credential Issuer Metadata (OpenID4VCI 1.0 §12.2)", content_type = "application/json", body = serde_json::Value, example = json!({
        "credential_issuer": "https://certs.example.eu", "credential_endpoint": "https://certs.example.eu/credential",
        "nonce_endpoint": "https://certs.example.eu/nonce", "notification_endpoint": "https://certs.example.eu/notification",
        "display": [{"name": "Micro-credentials", "locale": "en"}, {"name": "Микроквалификации", "locale": "bg"}],
        "credential_configurations_supported": {"OpenBadgeCredential_ldp_vc": {"format": "ldp_vc",
            "credential_definition": {"@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"], "type": ["VerifiableCredential", "OpenBadgeCredential"]},
            "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"], "cryptographic_binding_methods_supported": ["did:key", "did:jwk", "jwk"],
            "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["EdDSA", "ES256"]}, "di_vp": {"proof_signing_alg_values_supported": ["eddsa-rdfc-2022"]}},
            "credential_metadata": {"display": [{"name": "Micro-credential (Open Badge)", "locale": "en"}]}}}
    })))
)]
pub(super) async fn issuer_metadata(State(state): State<AppState>) -> Response {
    let urls = state.app.urls();
    let labels = || LANGUAGES.iter().map(|code| Labels::for_tag(code));
    let issuer_display: Vec<Display> = labels()
        .map(|l| Display { locale: l.lang, name: l.get("wallet_issuer_name").to_owned(), description: None })
        .collect();
    let credential_display: Vec<Display> = labels()
        .map(|l| Display {
            locale: l.lang,
            name: l.get("wallet_credential_name").to_owned(),
            description: Some(l.get("wallet_credential_description").to_owned()),
        })
        .collect();
    let metadata = oid4vci::issuer_metadata(
        &urls.credential_issuer(),
        |path| urls.wallet_endpoint(path),
        &issuer_display,
        &credential_display,
        None,
    );
    Json(metadata).into_response()
}

/// `GET /.well-known/oauth-authorization-server`: the Credential Issuer is its own Authorization Server for
/// pre-authorized codes.
///
/// See: <https://www.rfc-editor.org/rfc/rfc8414#section-2>
#[utoipa::path(
    get,
    operation_id = "oid4vci_authorization_server_metadata",
    path = "/.well-known/oauth-authorization-server",
    tag = "wallets",
    responses((status = 200, description = "OAuth 2.0 Authorization Server Metadata (RFC 8414)", content_type = "application/json", body = serde_json::Value, example = json!({
        "issuer": "https://certs.example.eu", "token_endpoint": "https://certs.example.eu/token",
        "grant_types_supported": ["urn:ietf:params:oauth:grant-type:pre-authorized_code"],
        "pre-authorized_grant_anonymous_access_supported": true, "token_endpoint_auth_methods_supported": ["none"]
    })))
)]
pub(super) async fn authorization_server_metadata(State(state): State<AppState>) -> Response {
    let urls = state.app.urls();
    Json(oid4vci::authorization_server_metadata(&urls.credential_issuer(), |path| urls.wallet_endpoint(path)))
        .into_response()
}

/// `GET /offers/{id}`: an offer's `credential_offer_uri`. Answers the Credential Offer once; afterwards,
/// and once the offer was used or has expired, 404.
#[utoipa::path(
    get,
    operation_id = "oid4vci_credential_offer",
    path = "/offers/{id}",
    tag = "wallets",
    params(("id" = String, Path, description = "The offer id")),
    responses(
        (status = 200, description = "The Credential Offer (OpenID4VCI 1.0 §4.1.1)", content_type = "application/json", body = serde_json::Value, example = json!({
            "credential_issuer": "https://certs.example.eu", "credential_configuration_ids": ["OpenBadgeCredential_ldp_vc"],
            "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "oaKazRN8I0IbtZ0C7JuMn5",
                "tx_code": {"input_mode": "numeric", "length": 6, "description": "Enter the code your training provider sent you with this offer"}}}
        })),
        (status = 404, description = "Served before, used or expired", body = crate::http::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn credential_offer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    method: Method,
) -> Result<Response, Error> {
    // A HEAD (a link checker, a preview) must not use the offer up: it only says whether it is there.
    if method == Method::HEAD {
        return Ok(match state.app.credential_offer_is_open(&id).await? {
            true => no_store(StatusCode::OK, &serde_json::Value::Null),
            false => StatusCode::NOT_FOUND.into_response(),
        });
    }
    Ok(no_store(StatusCode::OK, &state.app.credential_offer(&id).await?))
}

/// `POST /token` (form-encoded, grant type `urn:ietf:params:oauth:grant-type:pre-authorized_code`,
/// `pre-authorized_code`, `tx_code` when the offer asks for one): a bearer access token for 5 minutes.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-token-endpoint>
#[utoipa::path(
    post,
    operation_id = "oid4vci_token",
    path = "/token",
    tag = "wallets",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "`{access_token, token_type: Bearer, expires_in}`", content_type = "application/json", body = serde_json::Value, example = json!({
            "access_token": "Jr9Qk6y0xV2mP4tB8nW1cE3hL5sD7fG9aZ0uI2oK4qM", "token_type": "Bearer", "expires_in": 300
        })),
        (status = 400, description = "`{error: invalid_request | invalid_grant | unsupported_grant_type, error_description}`", content_type = "application/json"),
    )
)]
pub(super) async fn token(
    State(state): State<AppState>,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, Error> {
    let request = match form {
        Ok(Form(request)) => request,
        Err(rejection) => {
            let why = match rejection {
                FormRejection::InvalidFormContentType(_) => {
                    "the token request must be application/x-www-form-urlencoded".to_owned()
                }
                other => format!("the token request is not a valid form: {}", other.body_text()),
            };
            return Ok(oauth(ErrorCode::InvalidRequest, &why));
        }
    };
    let token = state.app.redeem_pre_authorized_code(&request).await?;
    Ok(no_store(StatusCode::OK, &serde_json::to_value(token).unwrap_or_default()))
}

/// `POST /nonce`: a fresh `c_nonce` for a key proof, accepted once within 5 minutes.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-nonce-endpoint>
#[utoipa::path(
    post,
    operation_id = "oid4vci_nonce",
    path = "/nonce",
    tag = "wallets",
    responses((status = 200, description = "`{c_nonce}`, Cache-Control: no-store", content_type = "application/json", body = serde_json::Value, example = json!({"c_nonce": "wKI4LT17ac15ES9bw8ac4bHq7xjLr2mE"})))
)]
pub(super) async fn nonce(State(state): State<AppState>) -> Result<Response, Error> {
    let nonce = state.app.wallet_nonce().await?;
    Ok(no_store(StatusCode::OK, &serde_json::json!({"c_nonce": nonce})))
}

/// `POST /credential` (Bearer access token; JSON `{credential_configuration_id, proofs?}`): the award,
/// bound to the holder the key proof names.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-credential-endpoint>
#[utoipa::path(
    post,
    operation_id = "oid4vci_credential",
    path = "/credential",
    tag = "wallets",
    request_body(content = serde_json::Value, content_type = "application/json", example = json!({
        "credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": {"jwt": ["eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVkRFNBIiwia2lkIjoiZGlkOmtleTp6Nk1r…"]}
    })),
    responses(
        (status = 200, description = "`{credentials: [{credential}], notification_id}`", content_type = "application/json", body = serde_json::Value, example = json!({
            "credentials": [{"credential": {"@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                "id": "https://certs.example.eu/credentials/6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a", "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "issuer": {"id": "did:web:certs.example.eu:issuers:ucs", "type": ["Profile"], "name": "Universal Certification Solutions"},
                "credentialSubject": {"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "type": ["AchievementSubject"]},
                "proof": [{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod", "proofValue": "z5C…"}]}}],
            "notification_id": "3fwe98js2kQpX1"
        })),
        (status = 400, description = "`{error: invalid_credential_request | unknown_credential_configuration | unknown_credential_identifier | invalid_proof | invalid_nonce | credential_request_denied, error_description}`", content_type = "application/json"),
        (status = 401, description = "`{error: invalid_token}` with WWW-Authenticate", content_type = "application/json"),
    )
)]
pub(super) async fn credential(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let Some(token) = bearer(&headers) else { return Ok(missing_token()) };
    let request = json_body(&body, ErrorCode::InvalidCredentialRequest)?;
    Ok(no_store(StatusCode::OK, &state.app.credential_for_wallet(token, &request).await?))
}

/// `POST /notification` (Bearer access token; JSON `{notification_id, event, event_description?}`): what the
/// wallet did with the credential. 204.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-notification-endpoint>
#[utoipa::path(
    post,
    operation_id = "oid4vci_notification",
    path = "/notification",
    tag = "wallets",
    request_body(content = serde_json::Value, content_type = "application/json", example = json!({
        "notification_id": "3fwe98js2kQpX1", "event": "credential_accepted"
    })),
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "`{error: invalid_notification_id | invalid_notification_request}`", content_type = "application/json"),
        (status = 401, description = "`{error: invalid_token}`", content_type = "application/json"),
    )
)]
pub(super) async fn notification(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let Some(token) = bearer(&headers) else { return Ok(missing_token()) };
    let request = json_body(&body, ErrorCode::InvalidNotificationRequest)?;
    state.app.wallet_notification(token, &request).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
