//! OpenID for Verifiable Credential Issuance 1.0, as data: the error codes, the Credential Issuer and
//! Authorization Server metadata, the credential offer and the token response. Pure; the endpoints are in
//! `http/wallet/` and the use cases in `service/wallet.rs`.
//!
//! See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html>

use serde_json::{Value, json};

use super::contexts;

/// The pre-authorized code grant type.
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-pre-authorized-code-flow>
pub const PRE_AUTHORIZED_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// The credential configuration of the award bound to the holder's key: an Open Badges 3.0 credential
/// secured with Data Integrity `eddsa-rdfc-2022` (format `ldp_vc`); the request must carry a key proof.
pub const OPEN_BADGE_LDP_VC: &str = "OpenBadgeCredential_ldp_vc";
/// The same award unbound (a bearer credential, as issued), for wallets that prove no key: no binding
/// methods and no proof types, so a conformant wallet sends no `proofs` (OpenID4VCI 1.0 §8.2). Offered only
/// by issuers that do not require holder binding.
pub const OPEN_BADGE_LDP_VC_UNBOUND: &str = "OpenBadgeCredential_ldp_vc_unbound";
/// The `openid-credential-offer://` scheme wallets register for.
pub const OFFER_SCHEME: &str = "openid-credential-offer://";

/// An OAuth 2.0 / OpenID4VCI error code: the `error` member of an error response.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-credential-error-response>,
/// <https://www.rfc-editor.org/rfc/rfc6749#section-5.2>, <https://www.rfc-editor.org/rfc/rfc6750#section-3.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A required parameter is missing or malformed (token request), e.g. a `tx_code` missing or not expected.
    InvalidRequest,
    /// The pre-authorized code is unknown, used or expired, or the `tx_code` is wrong.
    InvalidGrant,
    /// The grant type is not the pre-authorized code.
    UnsupportedGrantType,
    /// The access token is missing, unknown or expired (HTTP 401).
    InvalidToken,
    /// The credential request is malformed.
    InvalidCredentialRequest,
    /// The `credential_configuration_id` is not one this issuer offers.
    UnknownCredentialConfiguration,
    /// The `credential_identifier` is not one the token was issued for.
    UnknownCredentialIdentifier,
    /// A key proof is missing or invalid.
    InvalidProof,
    /// A key proof's `nonce` is not a fresh `c_nonce`.
    InvalidNonce,
    /// The credential cannot be issued (revoked, suspended).
    CredentialRequestDenied,
    /// The notification's `notification_id` is unknown.
    InvalidNotificationId,
    /// The notification is malformed.
    InvalidNotificationRequest,
}

impl ErrorCode {
    /// The code as the specifications spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidGrant => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidToken => "invalid_token",
            Self::InvalidCredentialRequest => "invalid_credential_request",
            Self::UnknownCredentialConfiguration => "unknown_credential_configuration",
            Self::UnknownCredentialIdentifier => "unknown_credential_identifier",
            Self::InvalidProof => "invalid_proof",
            Self::InvalidNonce => "invalid_nonce",
            Self::CredentialRequestDenied => "credential_request_denied",
            Self::InvalidNotificationId => "invalid_notification_id",
            Self::InvalidNotificationRequest => "invalid_notification_request",
        }
    }
}

/// An OAuth-style error answer: `{"error": …, "error_description": …}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    /// The code.
    pub code: ErrorCode,
    /// What went wrong, for the wallet's developer (ASCII only, as RFC 6749 asks).
    pub description: String,
}

impl OAuthError {
    /// An error with `code` and `description`.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self { code, description: description.into() }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        // RFC 6749 §5.2: error_description is limited to printable ASCII without `"` and `\`.
        let description: String = self
            .description
            .chars()
            .map(|c| if (' '..='~').contains(&c) && c != '"' && c != '\\' { c } else { '\'' })
            .collect();
        json!({"error": self.code.as_str(), "error_description": description})
    }
}

/// A display name in one language, for metadata `display` arrays.
#[derive(Debug, Clone)]
pub struct Display {
    /// BCP 47 language tag (`en`, `bg`…).
    pub locale: &'static str,
    /// The name.
    pub name: String,
    /// A description (credential configurations only).
    pub description: Option<String>,
}

/// The Credential Issuer Metadata served at `/.well-known/openid-credential-issuer`. `issuer` is the
/// Credential Issuer Identifier (also its own Authorization Server), `issuer_display` and
/// `credential_display` the names in each language.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-credential-issuer-metadata-p>
pub fn issuer_metadata(
    issuer: &str,
    endpoint: impl Fn(&str) -> String,
    issuer_display: &[Display],
    credential_display: &[Display],
    logo: Option<&str>,
) -> Value {
    let display: Vec<Value> = issuer_display
        .iter()
        .map(|d| {
            let mut entry = json!({"name": d.name, "locale": d.locale});
            if let Some(logo) = logo {
                entry["logo"] = json!({"uri": logo, "alt_text": d.name});
            }
            entry
        })
        .collect();
    let credential_display: Vec<Value> = credential_display
        .iter()
        .map(|d| {
            let mut entry =
                json!({"name": d.name, "locale": d.locale, "background_color": "#12107c", "text_color": "#FFFFFF"});
            if let Some(description) = &d.description {
                entry["description"] = description.clone().into();
            }
            entry
        })
        .collect();
    let configuration = |bound: bool| {
        let mut configuration = json!({
            "format": "ldp_vc",
            "credential_definition": {
                "@context": [contexts::CREDENTIALS_V2, contexts::OB_V3P0_3_0_3],
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
            },
            "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
            "credential_metadata": {
                "display": credential_display,
                "claims": [
                    {"path": ["credentialSubject", "name"], "display": [{"name": "Name", "locale": "en"}]},
                    {"path": ["credentialSubject", "achievement", "name"], "display": [{"name": "Achievement", "locale": "en"}]},
                    {"path": ["issuer", "name"], "display": [{"name": "Issuer", "locale": "en"}]},
                    {"path": ["validFrom"], "display": [{"name": "Issued", "locale": "en"}]},
                ],
            },
        });
        if bound {
            configuration["cryptographic_binding_methods_supported"] = json!(["did:key", "did:jwk", "jwk"]);
            configuration["proof_types_supported"] = json!({
                "jwt": {"proof_signing_alg_values_supported": ["EdDSA", "ES256"]},
                "di_vp": {"proof_signing_alg_values_supported": ["eddsa-rdfc-2022"]},
            });
        }
        configuration
    };
    json!({
        "credential_issuer": issuer,
        "credential_endpoint": endpoint("credential"),
        "nonce_endpoint": endpoint("nonce"),
        "notification_endpoint": endpoint("notification"),
        "display": display,
        "credential_configurations_supported": {
            OPEN_BADGE_LDP_VC: configuration(true),
            OPEN_BADGE_LDP_VC_UNBOUND: configuration(false),
        },
    })
}

/// The OAuth 2.0 Authorization Server Metadata (RFC 8414) of the Credential Issuer, which is its own
/// Authorization Server: the token endpoint and anonymous pre-authorized codes.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-oauth-20-authorization-serv>
pub fn authorization_server_metadata(issuer: &str, endpoint: impl Fn(&str) -> String) -> Value {
    json!({
        "issuer": issuer,
        "token_endpoint": endpoint("token"),
        "grant_types_supported": [PRE_AUTHORIZED_CODE_GRANT],
        "pre-authorized_grant_anonymous_access_supported": true,
        "token_endpoint_auth_methods_supported": ["none"],
    })
}

/// A transaction code a wallet must ask its user for: `length` digits.
#[derive(Debug, Clone)]
pub struct TxCodeSpec {
    /// How many digits.
    pub length: usize,
    /// What to tell the user (≤ 300 characters).
    pub description: String,
}

/// The Credential Offer for the award behind `pre_authorized_code`: the bound configuration, and the unbound
/// one too when `bearer_allowed`.
///
/// See: <https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html#name-credential-offer-parameters>
pub fn credential_offer(
    issuer: &str,
    pre_authorized_code: &str,
    tx_code: Option<&TxCodeSpec>,
    bearer_allowed: bool,
) -> Value {
    let mut ids = vec![OPEN_BADGE_LDP_VC];
    if bearer_allowed {
        ids.push(OPEN_BADGE_LDP_VC_UNBOUND);
    }
    let mut grant = json!({"pre-authorized_code": pre_authorized_code});
    if let Some(tx) = tx_code {
        grant["tx_code"] = json!({"input_mode": "numeric", "length": tx.length, "description": tx.description});
    }
    json!({
        "credential_issuer": issuer,
        "credential_configuration_ids": ids,
        "grants": {PRE_AUTHORIZED_CODE_GRANT: grant},
    })
}

/// `openid-credential-offer://?credential_offer_uri=<uri>`: the offer by reference, for a QR code or a
/// same-device link.
pub fn offer_url(credential_offer_uri: &str) -> String {
    let encoded = percent_encoding::utf8_percent_encode(credential_offer_uri, percent_encoding::NON_ALPHANUMERIC);
    format!("{OFFER_SCHEME}?credential_offer_uri={encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_descriptions_are_ascii_as_rfc6749_asks() {
        let body = OAuthError::new(ErrorCode::InvalidProof, "Ключ \"x\" \\ ok").body();
        assert_eq!(body["error"], "invalid_proof");
        assert_eq!(body["error_description"], "'''' 'x' ' ok");
    }

    #[test]
    fn an_offer_url_carries_the_offer_uri_percent_encoded() {
        assert_eq!(
            offer_url("https://certs.example.eu/offers/a-b"),
            "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fcerts%2Eexample%2Eeu%2Foffers%2Fa%2Db"
        );
    }

    #[test]
    fn an_offer_names_the_configuration_and_the_tx_code() {
        let tx = TxCodeSpec { length: 6, description: "from your e-mail".into() };
        let offer = credential_offer("https://c.example", "code", Some(&tx), false);
        assert_eq!(offer["credential_configuration_ids"], json!([OPEN_BADGE_LDP_VC]));
        let bearer = credential_offer("https://c.example", "code", None, true);
        assert_eq!(bearer["credential_configuration_ids"], json!([OPEN_BADGE_LDP_VC, OPEN_BADGE_LDP_VC_UNBOUND]));
        let grant = &offer["grants"][PRE_AUTHORIZED_CODE_GRANT];
        assert_eq!(grant["pre-authorized_code"], "code");
        assert_eq!(grant["tx_code"]["length"], 6);
        assert_eq!(grant["tx_code"]["input_mode"], "numeric");
    }
}
