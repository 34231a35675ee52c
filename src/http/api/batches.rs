//! `POST /api/v1/credentials/batch`: many awards at once, as a JSON array or a CSV file.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::idempotency_key;
use crate::domain::award::AwardInput;
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::openapi::responses::{Denied, Invalid, TooLarge};
use crate::service::Issued;
use crate::service::batch::{BatchOutcome, BatchRequest, ParsedRows};

/// Options of `POST /api/v1/credentials/batch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BatchQuery {
    /// The achievement of rows that name none.
    achievement_id: Option<String>,
    /// Issue the valid rows even if others are invalid (default: all or nothing).
    partial: Option<bool>,
    /// E-mail each credential to its learner (default true).
    notify: Option<bool>,
}

/// `POST /api/v1/credentials/batch[?achievement_id=&partial=true]` with a JSON array of awards or a CSV file
/// (`Content-Type: text/csv`). 201 when every row was issued; 200 with per-row results when `partial`
/// rejected some, or for a retried `Idempotency-Key`; 422 listing every bad row otherwise.
#[utoipa::path(
    post,
    operation_id = "credentials_issue_batch",
    path = "/api/v1/credentials/batch",
    tag = "awards",
    security(("bearer" = [])),
    params(
        ("achievement_id" = Option<uuid::Uuid>, Query, description = "For rows naming none"),
        ("partial" = Option<bool>, Query, description = "Issue the valid rows"),
        ("notify" = Option<bool>, Query, description = "E-mail each credential to its learner (default true; false when the issuer delivers them itself)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    request_body(
        description = "A JSON array of awards, or a CSV file (a header row naming the columns; comma or semicolon), raw or as the form field `file`",
        content(
            (Vec<AwardInput> = "application/json"),
            (String = "text/csv"),
            (String = "multipart/form-data")
        )
    ),
    responses(
        (status = 201, description = "All issued", body = BatchOutcome),
        (status = 200, description = "Partly issued, or a retry", body = BatchOutcome),
        Denied,
        TooLarge,
        (status = 415, description = "Neither JSON nor CSV", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        Invalid,
    )
)]
pub(super) async fn issue_batch(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<BatchQuery>, QueryRejection>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<BatchOutcome>)> {
    let Query(q) = query.map_err(|e| ValidationErrors::single("query", e.body_text()))?;
    let key = idempotency_key(&headers)?;
    let mut hasher = Sha256::new();
    // `notify` joins the hash only when given, so retries of batches sent before it existed still match.
    hasher.update(format!("{:?}|{:?}|", q.achievement_id, q.partial));
    if let Some(notify) = q.notify {
        hasher.update(format!("notify={notify}|"));
    }
    let (rows, columns) = rows(&headers, body, &mut hasher).await?;
    let request = BatchRequest {
        rows,
        partial: q.partial.unwrap_or(false),
        achievement_id: q.achievement_id,
        columns,
        notify: q.notify.unwrap_or(true),
    };
    let (outcome, issued) = state.app.issue_batch(&caller, request, key.as_deref(), hasher.finalize().into()).await?;
    let status = if issued == Issued::Created && outcome.rejected == 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(outcome)))
}

/// A CSV batch's headers as written, by canonical column (none for JSON).
type Columns = std::collections::BTreeMap<&'static str, String>;

/// The batch's rows, numbered from 1, each an award or why it is not one; the request's meaning goes into
/// `hasher` (so a retry with the same rows is recognised whatever its spacing).
async fn rows(headers: &HeaderMap, body: axum::body::Bytes, hasher: &mut Sha256) -> Result<(ParsedRows, Columns)> {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_lowercase();
    let csv = if content_type.starts_with("multipart/form-data") {
        Some(crate::http::extract::uploaded_file(headers, body.clone(), "the CSV file").await?)
    } else {
        content_type.starts_with("text/csv").then(|| body.clone())
    };
    if let Some(csv) = csv {
        hasher.update(&csv);
        // Up to --max-batch-bytes of text to read: off the async workers.
        let batch = tokio::task::spawn_blocking(move || crate::domain::batch_csv::parse_csv(&csv))
            .await
            .map_err(|e| Error::Internal(format!("reading the CSV was interrupted: {e}")))??;
        return Ok((batch.rows, batch.columns));
    }
    if !content_type.starts_with("application/json") {
        return Err(Error::Unsupported(
            "send a JSON array (application/json), a CSV file (text/csv), or a form with the CSV file as the field file \
             (multipart/form-data)"
                .into(),
        ));
    }
    let items: Vec<Value> = serde_json::from_slice(&body)
        .map_err(|e| ValidationErrors::single("body", format!("expected a JSON array of awards: {e}")))?;
    hasher.update(serde_json_canonicalizer::to_vec(&items).unwrap_or_default());
    let rows = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| (i + 1, serde_json::from_value::<AwardInput>(item).map_err(|e| e.to_string())))
        .collect();
    Ok((rows, Columns::new()))
}
