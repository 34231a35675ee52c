//! The W3C VC-API endpoints, so standard tools and the W3C conformance suites can drive microcred.
//!
//! They differ from microcred's own API where VC-API clients expect it: `/credentials/verify` answers 200
//! only for a credential that verifies and 422 (with a non-empty `errors` list) for one that does not, and
//! `/credentials/issue` validates the data model and refuses what it cannot sign faithfully.
//! See <https://w3c-ccg.github.io/vc-api/>.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::{BearerToken, Caller};
use super::extract::{ApiJson, UuidPath};
use super::openapi::responses::{Denied, Invalid, NotFound};
use super::problem::Problem;
use crate::domain::award::StatusReasons;
use crate::domain::status::StatusPurpose;
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::vc::proof::Cryptosuite;
use crate::vc::verify::{ReportProblem, VerificationReport};

/// The VC-API routes that need an API token: issue, status, publish.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(issue)).routes(routes!(status)).routes(routes!(publish))
}

/// The public VC-API routes: verify a credential or a presentation (rate-limited with the other public
/// routes).
pub(super) fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify)).routes(routes!(verify_presentation))
}

/// `POST /credentials/issue` body (VC-API `IssueCredentialRequest`).
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct IssueRequest {
    /// The credential to sign (VC Data Model 2.0, no proof); its `issuer` is the DID of the caller's issuer.
    #[schema(value_type = Object, required = true)]
    credential: Option<Value>,
    /// How to sign it.
    #[schema(nullable = false)]
    options: Option<IssueOptions>,
}

/// Options of `POST /credentials/issue`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(super) struct IssueOptions {
    /// The Data Integrity cryptosuite: `eddsa-rdfc-2022` (the default) or `eddsa-jcs-2022`.
    #[schema(nullable = false, example = "eddsa-rdfc-2022")]
    cryptosuite: Option<String>,
}

/// `POST /credentials/issue` answer (VC-API `IssueCredentialResponse`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Issued {
    /// The signed credential, with its Data Integrity proof.
    #[schema(value_type = Object)]
    verifiable_credential: Box<serde_json::value::RawValue>,
}

/// `POST /credentials/issue` (assessor or admin of the issuer named in `credential.issuer`): signs a
/// credential built by the caller → 201 `{verifiableCredential}`. `options.cryptosuite` may ask for
/// `eddsa-jcs-2022`.
#[utoipa::path(
    post,
    operation_id = "vcapi_issue",
    path = "/credentials/issue",
    tag = "vc-api",
    security(("bearer" = [])),
    request_body = IssueRequest,
    responses((status = 201, description = "Signed", body = Issued), Denied, Invalid)
)]
pub(super) async fn issue(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    body: std::result::Result<ApiJson<IssueRequest>, Problem>,
) -> std::result::Result<(StatusCode, Json<Issued>), Problem> {
    // The token is checked in the issuer's own read (one round trip for both); a request refused before that
    // read is refused only after the token is checked, so a bad token gets 401 whatever else is wrong.
    let (credential, suite) = match issue_request(body) {
        Ok(request) => request,
        Err(refused) => {
            state.app.authenticate(&token).await?;
            return Err(refused);
        }
    };
    let signed = state.app.issue_vc_api(&token, credential, suite).await?;
    Ok((StatusCode::CREATED, Json(Issued { verifiable_credential: signed })))
}

/// An issue request's credential and cryptosuite (`eddsa-rdfc-2022` unless `options.cryptosuite` names another).
fn issue_request(
    body: std::result::Result<ApiJson<IssueRequest>, Problem>,
) -> std::result::Result<(Value, Cryptosuite), Problem> {
    let ApiJson(request) = body?;
    let credential =
        request.credential.ok_or_else(|| Error::from(ValidationErrors::single("credential", "is required")))?;
    let suite = match request.options.unwrap_or_default().cryptosuite {
        None => Cryptosuite::EddsaRdfc2022,
        Some(name) => {
            name.parse().map_err(|e: String| Error::from(ValidationErrors::single("options.cryptosuite", e)))?
        }
    };
    Ok((credential, suite))
}

/// `POST /credentials/verify` body (VC-API `VerifyCredentialRequest`).
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct VerifyRequest {
    /// The signed credential.
    #[serde(rename = "verifiableCredential")]
    #[schema(value_type = Object, required = true)]
    verifiable_credential: Option<Value>,
}

/// The answer when a credential or presentation could not be checked (400), and the answer of
/// `POST /presentations/verify`: the VC-API's verification result, with RFC 9457 problems.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct VerificationResult {
    /// Whether it verified.
    verified: bool,
    /// Why not.
    errors: Vec<ReportProblem>,
    /// What did not prevent it.
    warnings: Vec<ReportProblem>,
}

/// `POST /credentials/verify` (public): 200 with the report when the credential verifies (status
/// included); 422 with the report and a non-empty `errors` list when it does not; 400 when it could not be
/// checked.
#[utoipa::path(
    post,
    operation_id = "vcapi_verify",
    path = "/credentials/verify",
    tag = "vc-api",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Verified", body = VerificationReport),
        (status = 422, description = "Not verified; errors lists why", body = VerificationReport),
        (status = 400, description = "Could not verify", body = VerificationResult),
    )
)]
pub(super) async fn verify(State(state): State<AppState>, ApiJson(request): ApiJson<VerifyRequest>) -> Response {
    let Some(credential) = request.verifiable_credential.filter(Value::is_object) else {
        return rejected(StatusCode::BAD_REQUEST, "verifiableCredential must be a credential object");
    };
    match state.app.verify(&credential).await {
        Ok(report) if report.verified => (StatusCode::OK, Json(report)).into_response(),
        Ok(mut report) => {
            if report.errors.is_empty() {
                // A verdict such as "expired" is a failed check; clients need it in `errors`.
                report.errors.push(ReportProblem {
                    kind: "https://www.w3.org/TR/vc-data-model#RANGE_ERROR".into(),
                    title: "The credential is not valid now".into(),
                    detail: format!("{:?}", report.outcome),
                });
            }
            (StatusCode::UNPROCESSABLE_ENTITY, Json(report)).into_response()
        }
        Err(e) => rejected(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

fn rejected(status: StatusCode, detail: &str) -> Response {
    let problem = ReportProblem {
        kind: "https://www.w3.org/TR/vc-data-model#PARSING_ERROR".into(),
        title: "Could not verify".into(),
        detail: detail.into(),
    };
    (status, Json(VerificationResult { verified: false, errors: vec![problem], warnings: vec![] })).into_response()
}

/// `POST /credentials/status` body (VC-API `UpdateCredentialStatus`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct StatusRequest {
    /// The `id` of a credential this service issued.
    #[schema(required = true, nullable = false)]
    credential_id: Option<String>,
    /// Which status: `{"type": "BitstringStatusListEntry", "statusPurpose": "revocation" | "suspension"}`.
    #[schema(value_type = Object, required = true)]
    credential_status: Option<Value>,
    /// Set (`true`) or clear (`false`) it.
    #[schema(required = true, nullable = false)]
    status: Option<bool>,
}

impl StatusRequest {
    /// `(credentialId, statusPurpose, status)`, or 422 naming every missing or invalid field.
    fn checked(self) -> Result<(String, StatusPurpose, bool)> {
        let mut errors = ValidationErrors::default();
        let id = errors
            .check("credentialId", self.credential_id.ok_or("is required: the id of a credential this service issued"));
        let purpose = self.credential_status.as_ref().and_then(|s| s.get("statusPurpose")).and_then(Value::as_str);
        let purpose = errors.check(
            "credentialStatus.statusPurpose",
            match purpose {
                Some("revocation") => Ok(StatusPurpose::Revocation),
                Some("suspension") => Ok(StatusPurpose::Suspension),
                _ => Err("must be revocation or suspension"),
            },
        );
        let set = errors.check("status", self.status.ok_or("is required (true or false)"));
        errors.finish(())?;
        match (id, purpose, set) {
            (Some(id), Some(purpose), Some(set)) => Ok((id, purpose, set)),
            _ => Err(Error::Internal("the checked status request lost a field".into())),
        }
    }
}

/// `POST /credentials/status` (assessor or admin): `{credentialId, credentialStatus: {type,
/// statusPurpose}, status}` sets (`true`) or clears (`false`) a status of a credential microcred issued.
/// Revocation cannot be cleared.
#[utoipa::path(
    post,
    operation_id = "vcapi_status",
    path = "/credentials/status",
    tag = "vc-api",
    security(("bearer" = [])),
    request_body = StatusRequest,
    responses(
        (status = 200, description = "Changed"),
        Denied,
        (status = 404, description = "Not a credential this service issued", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Revocation cannot be cleared", body = Problem, content_type = "application/problem+json"),
        Invalid,
    )
)]
pub(super) async fn status(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(request): ApiJson<StatusRequest>,
) -> Result<StatusCode> {
    let (id, purpose, set) = request.checked()?;
    let id = state.app.credential_for_status(&caller, &id).await?;
    let reason = StatusReasons { note: "set through the VC-API status endpoint", public: None, until: None };
    match (purpose, set) {
        (StatusPurpose::Revocation, true) => state.app.revoke(&caller, id, reason).await?,
        (StatusPurpose::Revocation, false) => {
            return Err(Error::Conflict("revocation is permanent and cannot be cleared".into()));
        }
        (StatusPurpose::Suspension, true) => state.app.suspend(&caller, id, reason).await?,
        (StatusPurpose::Suspension, false) => state.app.reinstate(&caller, id).await?,
    };
    Ok(StatusCode::OK)
}

/// `POST /status/{list-id}/publish`: 204 once the list's current state is published — always at once
/// here, since a list is re-signed on the first request after any change.
#[utoipa::path(
    post,
    operation_id = "vcapi_publish",
    path = "/status/{id}/publish",
    tag = "vc-api",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    responses((status = 204, description = "Published"), Denied, NotFound)
)]
pub(super) async fn publish(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
) -> Result<StatusCode> {
    state.app.publish_status_list(&caller, crate::domain::status::StatusListId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /presentations/verify` body (VC-API `VerifyPresentationRequest`).
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct PresentationRequest {
    /// The signed presentation.
    #[serde(rename = "verifiablePresentation")]
    #[schema(value_type = Object, required = true)]
    verifiable_presentation: Option<Value>,
    /// What the presentation's proof must carry.
    #[schema(nullable = false)]
    options: Option<PresentationOptions>,
}

/// Options of `POST /presentations/verify`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(super) struct PresentationOptions {
    /// The challenge the verifier gave the holder.
    #[schema(nullable = false)]
    challenge: Option<String>,
    /// The domain the proof must be bound to.
    #[schema(nullable = false)]
    domain: Option<String>,
}

/// `POST /presentations/verify` (public): 200 when the presentation and every credential in it verify,
/// 422 with the problems otherwise, 400 when it could not be checked.
#[utoipa::path(
    post,
    operation_id = "vcapi_verify_presentation",
    path = "/presentations/verify",
    tag = "vc-api",
    request_body = PresentationRequest,
    responses(
        (status = 200, description = "Verified", body = VerificationResult),
        (status = 422, description = "Not verified", body = VerificationResult),
        (status = 400, description = "Could not verify", body = VerificationResult),
    )
)]
pub(super) async fn verify_presentation(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PresentationRequest>,
) -> Response {
    let Some(vp) = request.verifiable_presentation.filter(Value::is_object) else {
        return rejected(StatusCode::BAD_REQUEST, "verifiablePresentation must be a presentation object");
    };
    let options = request.options.unwrap_or_default();
    match state.app.verify_presentation(&vp, options.challenge.as_deref(), options.domain.as_deref()).await {
        Ok(problems) => {
            let errors: Vec<ReportProblem> = problems
                .into_iter()
                .map(|detail| ReportProblem {
                    kind: "https://www.w3.org/TR/vc-data-integrity#PROOF_VERIFICATION_ERROR".into(),
                    title: "The presentation does not verify".into(),
                    detail,
                })
                .collect();
            let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            (status, Json(VerificationResult { verified: errors.is_empty(), errors, warnings: vec![] })).into_response()
        }
        Err(e) => rejected(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}
