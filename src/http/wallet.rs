//! What wallets reach: the OpenID4VCI 1.0 Credential Issuer (metadata, credential offers, token, nonce,
//! credential and notification endpoints), and the VCALM interaction URL and exchange that serve VC-API
//! wallets from the same QR code. Answers are the protocols' own shapes: OAuth errors
//! (`{"error", "error_description"}`) for OpenID4VCI, problem details for VCALM.

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

mod exchanges;
mod oid4vci;

/// The wallet routes (the caller adds the rate limit).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(oid4vci::issuer_metadata))
        .routes(routes!(oid4vci::authorization_server_metadata))
        .routes(routes!(oid4vci::credential_offer))
        .routes(routes!(oid4vci::token))
        .routes(routes!(oid4vci::nonce))
        .routes(routes!(oid4vci::credential))
        .routes(routes!(oid4vci::notification))
        .routes(routes!(exchanges::interaction))
        .routes(routes!(exchanges::participate))
        .routes(routes!(exchanges::current_request))
        .routes(routes!(exchanges::lcw_request))
}
