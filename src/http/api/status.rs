//! A credential's status through the API: revoke (permanent), suspend, reinstate.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::views::CredentialView;
use crate::domain::award::{CredentialId, StatusReasons};
use crate::domain::validation::ValidationErrors;
use crate::error::Result;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::extract::{ApiJson, UuidPath};
use crate::http::openapi::responses::{Denied, Invalid, NotFound};

/// The body of `/revoke` and `/suspend`: why, for the issuer's records (`note`, required; `reason` is its
/// older name), and optionally for the credential's public page (`public_reason`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Reason {
    /// For the issuer's assessors and the audit log; never shown publicly.
    note: Option<String>,
    /// The former name of `note`, still accepted.
    reason: Option<String>,
    /// Shown on the credential's page next to the verdict, if given.
    public_reason: Option<String>,
    /// Suspensions only: if not lifted by then (RFC 3339, or a date meaning the end of that day in UTC),
    /// the suspension becomes a revocation ("withdrawn"). The page shows "Suspended until …".
    until: Option<String>,
}

impl Reason {
    /// The reasons as the service takes them (`note`, else `reason`); 422 for a deadline that is not a date.
    fn reasons(&self) -> Result<StatusReasons<'_>> {
        let until = match self.until.as_deref() {
            None => None,
            Some(text) => Some(crate::domain::award::end_of_day_or_time(text).ok_or_else(|| {
                ValidationErrors::single("until", "must be an RFC 3339 date-time with a time zone, or a date")
            })?),
        };
        Ok(StatusReasons {
            note: self.note.as_deref().or(self.reason.as_deref()).unwrap_or_default(),
            public: self.public_reason.as_deref(),
            until,
        })
    }
}

/// `POST /api/v1/credentials/{id}/revoke` `{note, public_reason?}`: permanent.
#[utoipa::path(
    post,
    operation_id = "credentials_revoke",
    path = "/api/v1/credentials/{id}/revoke",
    tag = "status",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    request_body = Reason,
    responses((status = 200, description = "Revoked", body = CredentialView), Denied, NotFound, Invalid)
)]
pub(super) async fn revoke(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<CredentialView>> {
    let credential = state.app.revoke(&caller, CredentialId(id), body.reasons()?).await?;
    Ok(Json(CredentialView::new(state.app.urls(), credential)))
}

/// `POST /api/v1/credentials/{id}/suspend` `{note, public_reason?}`: 409 for a credential without a suspension entry.
#[utoipa::path(
    post,
    operation_id = "credentials_suspend",
    path = "/api/v1/credentials/{id}/suspend",
    tag = "status",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    request_body = Reason,
    responses(
        (status = 200, description = "Suspended", body = CredentialView),
        Denied,
        NotFound,
        (status = 409, description = "No suspension entry", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        Invalid,
    )
)]
pub(super) async fn suspend(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<CredentialView>> {
    let credential = state.app.suspend(&caller, CredentialId(id), body.reasons()?).await?;
    Ok(Json(CredentialView::new(state.app.urls(), credential)))
}

/// `POST /api/v1/credentials/{id}/reinstate`: lifts a suspension.
#[utoipa::path(
    post,
    operation_id = "credentials_reinstate",
    path = "/api/v1/credentials/{id}/reinstate",
    tag = "status",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    request_body(content = ReinstateInput, content_type = "application/json", description = "Optional: why, for the audit log"),
    responses(
        (status = 200, description = "Reinstated", body = CredentialView),
        Denied,
        NotFound,
        (status = 409, description = "Not suspended, or revoked", body = crate::http::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn reinstate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<CredentialView>> {
    let input = reinstate_input(&headers, &body)?;
    let note = input.note.as_deref().or(input.reason.as_deref());
    let credential = state.app.reinstate_noting(&caller, CredentialId(id), note).await?;
    Ok(Json(CredentialView::new(state.app.urls(), credential)))
}

/// The optional body of `/reinstate`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReinstateInput {
    /// Why, for the issuer's records and the audit log.
    note: Option<String>,
    /// The former name of `note` (as for `/revoke` and `/suspend`), still accepted.
    reason: Option<String>,
}

/// Nothing, or a JSON object sent as JSON: anything else is a mistake worth saying (415, 422).
fn reinstate_input(headers: &axum::http::HeaderMap, body: &[u8]) -> Result<ReinstateInput> {
    let value = crate::http::extract::optional_json_object(headers, body, "{\"note\": \"appeal upheld\"}")?;
    serde_json::from_value(value).map_err(|e| ValidationErrors::single("body", e.to_string()).into())
}
