//! `GET /api/v1/audit` (admin): the audit log.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::page_limit;
use crate::domain::audit::AuditEvent;
use crate::domain::validation::ValidationErrors;
use crate::error::Result;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::openapi::responses::{Denied, Invalid};

/// Paging of `GET /api/v1/audit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    after: Option<i64>,
    limit: Option<u32>,
}

/// `GET /api/v1/audit?after=&limit=` (admin): the audit log, oldest first; page on with `after` = the last
/// `id` seen. Read-only: nothing in it can be changed through the API.
#[utoipa::path(
    get,
    operation_id = "credentials_audit",
    path = "/api/v1/audit",
    tag = "operations",
    security(("bearer" = [])),
    params(
        ("after" = Option<i64>, Query, description = "Last id seen"),
        ("limit" = Option<u32>, Query, description = "1 to 1000"),
    ),
    responses((status = 200, description = "Audit events, newest first", body = serde_json::Value, example = json!([
        {"at": "2026-01-20T10:02:11.204518Z", "api_key_id": "5c1d…", "issuer_id": "9e2a…", "action": "credential.revoke",
         "subject": "6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a", "reason": "wrong learner selected"},
        {"at": "2026-01-15T09:12:44.118032Z", "api_key_id": "5c1d…", "issuer_id": "9e2a…", "action": "credential.issue",
         "subject": "6f1c2d9e-8a43-4b7e-9a57-2c1f0e3d4b5a", "reason": null}
    ])), Denied, Invalid)
)]
pub(super) async fn audit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<AuditEvent>>> {
    let Query(q) = query.map_err(|e| ValidationErrors::single("query", e.body_text()))?;
    let limit = page_limit(q.limit).map_err(|e| ValidationErrors::single("limit", e))?;
    Ok(Json(state.app.audit_events(&caller, q.after, limit).await?))
}
