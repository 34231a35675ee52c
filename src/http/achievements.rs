//! The module catalogue: the assessors' API and the public achievement documents credentials point to.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use super::auth::Caller;
use super::extract::{ApiJson, UuidPath};
use crate::domain::achievement::{Achievement, AchievementId, AchievementInput};
use crate::error::Result;
use crate::vc::credential;

/// An achievement as the API shows it: its content, its issuer's slug and its public URL.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AchievementView {
    #[serde(flatten)]
    achievement: Achievement,
    url: String,
}

impl AchievementView {
    fn new(achievement: Achievement, state: &AppState) -> Self {
        let url = state.app.achievement_url(achievement.id);
        Self { achievement, url }
    }
}

/// `POST /api/v1/achievements`.
#[utoipa::path(post, operation_id = "achievements_create", path = "/api/v1/achievements", tag = "achievements", security(("bearer" = [])), request_body = crate::domain::achievement::AchievementInput, responses((status = 201, description = "Created", body = AchievementView), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields, each named", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<AchievementInput>,
) -> Result<(StatusCode, Json<AchievementView>)> {
    let achievement = state.app.create_achievement(&caller, input).await?;
    Ok((StatusCode::CREATED, Json(AchievementView::new(achievement, &state))))
}

/// Filters of `GET /api/v1/achievements`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Issuer slug (admins; assessors see their own).
    issuer: Option<String>,
}

/// `GET /api/v1/achievements[?issuer=SLUG]`.
#[utoipa::path(get, operation_id = "achievements_list", path = "/api/v1/achievements", tag = "achievements", security(("bearer" = [])), params(("issuer" = Option<String>, Query, description = "Issuer slug (admins)")), responses((status = 200, description = "The catalogue", body = Vec<AchievementView>), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<AchievementView>>> {
    let achievements = state.app.achievements_for(&caller, query.issuer.as_deref()).await?;
    Ok(Json(achievements.into_iter().map(|a| AchievementView::new(a, &state)).collect()))
}

/// `GET /api/v1/achievements/{id}`.
#[utoipa::path(get, operation_id = "achievements_get", path = "/api/v1/achievements/{id}", tag = "achievements", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "The resource id")), responses((status = 200, description = "One achievement", body = AchievementView), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
) -> Result<Json<AchievementView>> {
    let achievement = state.app.achievement_for(&caller, AchievementId(id)).await?;
    Ok(Json(AchievementView::new(achievement, &state)))
}

/// `PATCH /api/v1/achievements/{id}` with a JSON merge patch (RFC 7396).
#[utoipa::path(patch, operation_id = "achievements_patch", path = "/api/v1/achievements/{id}", tag = "achievements", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "The resource id")), request_body(content = serde_json::Value, description = "JSON merge patch (RFC 7396)"), responses((status = 200, description = "Updated", body = AchievementView), (status = 401, description = "Missing or invalid API token", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong role or another issuer", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found", body = crate::http::problem::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields, each named", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
    ApiJson(patch): ApiJson<Value>,
) -> Result<Json<AchievementView>> {
    let achievement = state.app.update_achievement(&caller, AchievementId(id), &patch).await?;
    Ok(Json(AchievementView::new(achievement, &state)))
}

/// `GET /achievements/{id}` (public): the Open Badges 3.0 `Achievement` that credentials name, as JSON-LD.
#[utoipa::path(get, operation_id = "achievements_public", path = "/achievements/{id}", tag = "public", params(("id" = uuid::Uuid, Path, description = "The resource id")), responses((status = 200, description = "The Open Badges 3.0 Achievement (JSON-LD)", body = serde_json::Value), (status = 404, description = "Not found", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn public(State(state): State<AppState>, UuidPath(id): UuidPath) -> Result<Json<Value>> {
    let (achievement, _) = state.app.achievement(AchievementId(id)).await?;
    let ob = credential::Achievement::from_spec(state.app.achievement_url(achievement.id), &achievement.spec);
    let mut document = serde_json::to_value(&ob).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut document {
        map.insert("@context".into(), Value::Array(ob.contexts()));
    }
    Ok(Json(document))
}

/// `GET /contexts/microcredential/v1`: microcred's JSON-LD extension context, the terms for the EU
/// micro-credential elements Open Badges 3.0 lacks. Credentials embed the same definitions inline, so no
/// verifier needs this document; it is here for people and tools that want to read the vocabulary.
#[utoipa::path(get, operation_id = "contexts_microcredential", path = "/contexts/microcredential/v1", tag = "public", responses((status = 200, description = "The JSON-LD context (application/ld+json)", body = serde_json::Value)))]
pub async fn extension_context() -> Response {
    let document = crate::vc::contexts::bundled(crate::vc::contexts::MICROCRED_V1).unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "application/ld+json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        document,
    )
        .into_response()
}
