//! Liveness and readiness probes for orchestrators and load balancers.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use super::problem::{Kind, Problem};

/// `GET /healthz`: the process is alive (no dependency is checked, so a database outage does not get the
/// process restarted).
#[utoipa::path(
    get,
    operation_id = "health_healthz",
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The process is alive", body = serde_json::Value, example = json!({"status": "ok"})))
)]
pub(super) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers; 503 problem details when it does not, so a load balancer sends
/// traffic elsewhere until it recovers.
#[utoipa::path(
    get,
    operation_id = "health_readyz",
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "The database answers", body = serde_json::Value, example = json!({"status": "ready"})),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    match state.app.store().ping().await {
        Ok(()) => Ok(Json(json!({ "status": "ready" }))),
        Err(e) => {
            tracing::warn!(error = %super::problem::error_chain(&e), "readiness check failed");
            Err(Problem::new(Kind::Unavailable, "the database cannot be reached"))
        }
    }
}
