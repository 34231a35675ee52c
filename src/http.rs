//! The HTTP interface: routing, extractors, and the one mapping from errors to RFC 9457 responses.
//! Handlers parse, call one [`Microcred`](crate::service::Microcred) use case and map its result.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::service::Microcred;

mod achievements;
mod auth;
mod credentials;
mod extract;
mod health;
mod issuers;
pub mod openapi;
pub mod pages;
pub mod problem;
pub mod ratelimit;
mod vcapi;

/// Shared state of every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The application.
    pub app: Arc<Microcred>,
}

/// HTTP-level limits.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Largest accepted batch upload.
    pub max_batch_bytes: usize,
    /// Longest time a request may take.
    pub request_timeout: Duration,
    /// Largest file accepted by `POST /verify`.
    pub max_upload_bytes: usize,
    /// Requests per second per client address on the public endpoints (0: no limit).
    pub rate_limit_per_second: u32,
    /// Burst above that rate.
    pub rate_limit_burst: u32,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// The metrics router, served on its own address: `GET /metrics` in Prometheus text format, with gauges
/// (database pool, status snapshot age) sampled at each scrape.
pub fn metrics_router(app: Arc<Microcred>) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let app = Arc::clone(&app);
            async move {
                let (open, idle) = app.store().pool_usage();
                metrics::gauge!("microcred_db_pool_connections", "state" => "open").set(f64::from(open));
                metrics::gauge!("microcred_db_pool_connections", "state" => "idle").set(idle as f64);
                let (verdicts, bytes) = app.verdict_cache_usage();
                metrics::gauge!("microcred_verdict_cache_entries").set(verdicts as f64);
                metrics::gauge!("microcred_verdict_cache_bytes").set(bytes as f64);
                if let Some(age) = app.status_snapshot_age() {
                    metrics::gauge!("microcred_status_snapshot_age_seconds").set(age);
                }
                ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics::handle().render())
            }
        }),
    )
}

/// Builds the whole router: public pages and documents (rate-limited per client address), the authenticated
/// API, and problem fallbacks.
pub fn router(app: Arc<Microcred>, settings: &HttpSettings) -> Router {
    let state = AppState { app };
    let limit = ratelimit::RateLimit::new(settings.rate_limit_per_second, settings.rate_limit_burst)
        .trusting(settings.trusted_proxies.clone());
    let public = Router::new()
        .route("/issuers/{slug}/did.json", get(issuers::did_document))
        .route("/achievements/{id}", get(achievements::public))
        .route("/contexts/microcredential/v1", get(achievements::extension_context))
        .route("/status/{id}", get(credentials::status_list))
        .route("/credentials/verify", post(vcapi::verify))
        .route("/presentations/verify", post(vcapi::verify_presentation))
        .route("/credentials/{file}", get(credentials::public_file))
        .route("/api/v1/verify/{id}", get(pages::report))
        .route(
            "/verify",
            get(pages::verify_page).post(pages::verify_upload).layer(DefaultBodyLimit::max(settings.max_upload_bytes)),
        )
        .route_layer(axum::middleware::from_fn_with_state(limit, ratelimit::limit));
    Router::new()
        .merge(public)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/assets/{name}", get(pages::asset))
        .route("/api/v1/issuers", get(issuers::list).post(issuers::create))
        .route("/api/v1/achievements", get(achievements::list).post(achievements::create))
        .route("/api/v1/achievements/{id}", get(achievements::get).patch(achievements::patch))
        .route("/api/v1/credentials", get(credentials::list).post(credentials::issue))
        .route("/api/v1/credentials.csv", get(credentials::export))
        .route(
            "/api/v1/credentials/batch",
            post(credentials::issue_batch).layer(DefaultBodyLimit::max(settings.max_batch_bytes)),
        )
        .route("/api/v1/credentials/{id}", get(credentials::get))
        .route("/api/v1/credentials/{id}/revoke", post(credentials::revoke))
        .route("/api/v1/credentials/{id}/suspend", post(credentials::suspend))
        .route("/api/v1/credentials/{id}/reinstate", post(credentials::reinstate))
        .route("/api/v1/audit", get(credentials::audit))
        .route("/credentials/issue", post(vcapi::issue))
        .route("/credentials/status", post(vcapi::status))
        .route("/status/{id}/publish", post(vcapi::publish))
        .route("/problems/{kind}", get(problem::describe))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(openapi::docs))
        .fallback(pages::unknown_address)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(axum::middleware::map_response(problem::fill_empty_errors))
        .layer(axum::middleware::map_response(pages::security_headers))
        .route_layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, settings.request_timeout))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The matched route, not the raw path, so spans group by endpoint and ids stay out of span names.
            let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
            tracing::info_span!("request", method = %req.method(), route)
        }))
        .with_state(state)
}
