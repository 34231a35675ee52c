//! The assessors' API under `/api/v1`: issuers, the module catalogue, awards (one at a time, in batches,
//! listed and exported), their status, and the audit log. Every route needs an API token
//! ([`Caller`](super::auth::Caller)); answers are JSON, errors RFC 9457 problem details.

use axum::extract::DefaultBodyLimit;
use axum::http::HeaderMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, HttpSettings};
use crate::domain::validation::ValidationErrors;
use crate::error::Result;

mod achievements;
mod audit;
mod batches;
mod credentials;
mod export;
mod issuers;
mod lifecycle;
mod status;
mod views;

/// The API's routes, each documented in the OpenAPI description by its own annotation.
pub(super) fn routes(settings: &HttpSettings) -> OpenApiRouter<AppState> {
    let (schemas, paths, batch) = routes!(batches::issue_batch);
    let (bulk_schemas, bulk_paths, bulk) = routes!(lifecycle::bulk);
    OpenApiRouter::new()
        .routes(routes!(issuers::list, issuers::create))
        .routes(routes!(issuers::get, issuers::update))
        .routes(routes!(issuers::put_logo))
        .routes(routes!(achievements::create, achievements::list))
        .routes(routes!(achievements::get, achievements::patch))
        .routes(routes!(achievements::put_image))
        .routes(routes!(credentials::issue, credentials::list))
        .routes(routes!(export::export))
        .routes((schemas, paths, batch.layer(DefaultBodyLimit::max(settings.max_batch_bytes))))
        .routes(routes!(credentials::get))
        .routes(routes!(credentials::notify))
        .routes(routes!(credentials::offer))
        .routes(routes!(status::revoke))
        .routes(routes!(status::suspend))
        .routes(routes!(status::reinstate))
        .routes(routes!(lifecycle::renew))
        .routes(routes!(lifecycle::replace))
        .routes((bulk_schemas, bulk_paths, bulk.layer(DefaultBodyLimit::max(settings.max_batch_bytes))))
        .routes(routes!(audit::audit))
}

/// The `Idempotency-Key` header, if sent: 1 to 255 visible ASCII characters (422 otherwise).
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().map(str::trim).filter(|k| (1..=255).contains(&k.len()));
    key.map(|k| Some(k.to_owned()))
        .ok_or_else(|| ValidationErrors::single("Idempotency-Key", "must be 1 to 255 visible ASCII characters").into())
}

/// The listing limit of `?limit=`: 100 by default, at most [`MAX_PAGE`] (422 beyond).
fn page_limit(limit: Option<u32>) -> std::result::Result<u32, String> {
    match limit {
        None => Ok(100),
        Some(n @ 1..=MAX_PAGE) => Ok(n),
        Some(_) => Err(format!("must be from 1 to {MAX_PAGE}")),
    }
}

/// Most items one page of a listing holds.
const MAX_PAGE: u32 = 1000;
