//! The HTTP interface, split by audience: [`public`] (what learners and employers fetch: credential pages,
//! downloads, `/verify`, status lists, DID documents), [`api`] (the assessors' API), [`vcapi`] (the W3C
//! VC-API), and the operations routes (health, problem types, the API description). [`negotiate`] decides
//! page or problem, [`problem`] maps every error to RFC 9457, [`pages`] renders the HTML.
//!
//! Handlers parse, call one [`Microcred`](crate::service::Microcred) use case and map its result. The route
//! list ([`documented_routes`]) is also the OpenAPI document's list of operations.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::routing::get;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service::Microcred;

mod api;
mod auth;
mod caching;
mod extract;
mod health;
mod negotiate;
pub mod openapi;
mod pages;
pub mod problem;
mod public;
mod ratelimit;
mod vcapi;
mod wallet;

/// Shared state of every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The use cases, shared by every request.
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
                // The outbox is shared by every replica: each reports the same queue.
                if let Err(e) = app.observe_deliveries().await {
                    tracing::warn!(error = %e, "cannot read the outbox for metrics");
                }
                ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics::handle().render())
            }
        }),
    )
}

impl HttpSettings {
    /// Settings that serve only to list the routes for the OpenAPI document (no route built with them is
    /// served: the server builds its settings from the configuration).
    fn for_documentation() -> Self {
        Self {
            max_body_bytes: 0,
            max_batch_bytes: 0,
            request_timeout: Duration::ZERO,
            max_upload_bytes: 0,
            rate_limit_per_second: 0,
            rate_limit_burst: 0,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Every documented route: the public ones (rate-limited per client address), the assessors' API, the
/// VC-API and the operations routes. The OpenAPI document is read from the same list.
fn documented_routes(settings: &HttpSettings) -> OpenApiRouter<AppState> {
    let limit = ratelimit::RateLimit::new(settings.rate_limit_per_second, settings.rate_limit_burst)
        .trusting(settings.trusted_proxies.clone());
    let public = public::routes(settings)
        .merge(vcapi::public_routes())
        .merge(wallet::routes())
        .route_layer(axum::middleware::from_fn_with_state(limit, ratelimit::limit));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(public)
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .merge(api::routes(settings))
        .merge(vcapi::routes())
        .routes(routes!(problem::describe))
}

/// Answers a panic in a handler with a 500 (logged) instead of a reset connection, and gives every error
/// response a problem body ([`problem::fill_empty_errors`]), the panic's included.
fn answer_panics_and_errors<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    routes
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(axum::middleware::map_response(problem::fill_empty_errors))
}

/// Builds the whole router: the documented routes, the pages' assets, the API description, problem
/// fallbacks, and the layers every request passes (limits, timeout, security headers, metrics, tracing).
pub fn router(app: Arc<Microcred>, settings: &HttpSettings) -> Router {
    let state = AppState { app };
    let (documented, _) = documented_routes(settings).split_for_parts();
    let routes = documented
        .route("/assets/{name}", get(public::asset))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(openapi::docs))
        .fallback(negotiate::unknown_address)
        .method_not_allowed_fallback(problem::method_not_allowed);
    answer_panics_and_errors(routes)
        .layer(axum::middleware::map_response(pages::security_headers))
        .route_layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(axum::extract::DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, settings.request_timeout))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The matched route, not the raw path, so spans group by endpoint and ids stay out of span names.
            let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
            tracing::info_span!("request", method = %req.method(), route)
        }))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt as _;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_with_a_problem_body() {
        async fn boom() -> &'static str {
            panic!("a bug")
        }
        let routes = Router::new().route("/boom", get(boom));
        let response =
            answer_panics_and_errors(routes).oneshot(Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["status"], 500);
        assert!(!body.windows(5).any(|w| w == b"a bug"), "the panic's message stays in the log");
    }
}
