//! The module catalogue through the API: create, list, read and change achievements.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderName, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::achievement::{Achievement, AchievementId, AchievementInput};
use crate::error::Result;
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::extract::{ApiJson, UuidPath};
use crate::http::openapi::responses::{Denied, Invalid, NotFound};

/// An achievement as the API shows it: its content, its issuer's slug and its public URL.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct AchievementView {
    #[serde(flatten)]
    achievement: Achievement,
    url: String,
}

impl AchievementView {
    fn new(achievement: Achievement, state: &AppState) -> Self {
        let url = state.app.urls().achievement(achievement.id);
        Self { achievement, url }
    }
}

/// `POST /api/v1/achievements`.
#[utoipa::path(
    post,
    operation_id = "achievements_create",
    path = "/api/v1/achievements",
    tag = "achievements",
    security(("bearer" = [])),
    request_body = AchievementInput,
    responses(
        (status = 201, description = "Created", body = AchievementView,
            headers(("Location" = String, description = "The achievement in the API: /api/v1/achievements/{id}"))),
        Denied,
        Invalid,
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<AchievementInput>,
) -> Result<(StatusCode, [(HeaderName, String); 1], Json<AchievementView>)> {
    let achievement = state.app.create_achievement(&caller, input).await?;
    let location = [(header::LOCATION, format!("/api/v1/achievements/{}", achievement.id))];
    Ok((StatusCode::CREATED, location, Json(AchievementView::new(achievement, &state))))
}

/// Filters of `GET /api/v1/achievements`.
#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    /// Issuer slug (admins; assessors see their own).
    issuer: Option<String>,
}

/// `GET /api/v1/achievements[?issuer=SLUG]`.
#[utoipa::path(
    get,
    operation_id = "achievements_list",
    path = "/api/v1/achievements",
    tag = "achievements",
    security(("bearer" = [])),
    params(("issuer" = Option<String>, Query, description = "Issuer slug (admins)")),
    responses((status = 200, description = "The catalogue", body = Vec<AchievementView>), Denied)
)]
pub(super) async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<AchievementView>>> {
    let achievements = state.app.achievements_for(&caller, query.issuer.as_deref()).await?;
    Ok(Json(achievements.into_iter().map(|a| AchievementView::new(a, &state)).collect()))
}

/// `GET /api/v1/achievements/{id}`.
#[utoipa::path(
    get,
    operation_id = "achievements_get",
    path = "/api/v1/achievements/{id}",
    tag = "achievements",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    responses((status = 200, description = "One achievement", body = AchievementView), Denied, NotFound)
)]
pub(super) async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
) -> Result<Json<AchievementView>> {
    let achievement = state.app.achievement_for(&caller, AchievementId(id)).await?;
    Ok(Json(AchievementView::new(achievement, &state)))
}

/// `PATCH /api/v1/achievements/{id}` with a JSON merge patch (RFC 7396).
#[utoipa::path(
    patch,
    operation_id = "achievements_patch",
    path = "/api/v1/achievements/{id}",
    tag = "achievements",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    request_body(content = serde_json::Value, description = "JSON merge patch (RFC 7396): the fields to change; null removes an optional one",
        example = json!({"name": "Умни градове: основи (2026)", "prerequisites": null, "learning_outcomes": ["Explain urban data platforms", "Design a digital service for a city"]})),
    responses((status = 200, description = "Updated", body = AchievementView), Denied, NotFound, Invalid)
)]
pub(super) async fn patch(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
    ApiJson(patch): ApiJson<Value>,
) -> Result<Json<AchievementView>> {
    let achievement = state.app.update_achievement(&caller, AchievementId(id), &patch).await?;
    Ok(Json(AchievementView::new(achievement, &state)))
}

/// `PUT /api/v1/achievements/{id}/image`: the achievement's badge image, a PNG or an SVG of at most 512 KiB,
/// sent as the body (`Content-Type: image/png` or `image/svg+xml`) or as the form field `file`. It is
/// checked (a PNG of 32 to 2,048 pixels a side; an SVG without scripts, event handlers or references to
/// other files; refusals say why), stored, and served from `/images/<digest>.<png|svg>`; later awards name
/// it and bake it into their badges. (A `data:` URL in the JSON `image` of a create or a patch does the same.)
///
/// See: <https://www.imsglobal.org/spec/ob/v3p0/#image>
#[utoipa::path(
    put,
    operation_id = "achievements_put_image",
    path = "/api/v1/achievements/{id}/image",
    tag = "achievements",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    request_body(content = Vec<u8>, description = "The image (image/png, image/svg+xml, or multipart/form-data with the field file)", content_type = "image/png"),
    responses((status = 200, description = "Updated; `image` is the stored image's URL", body = AchievementView), Denied, NotFound, Invalid)
)]
pub(super) async fn put_image(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UuidPath(id): UuidPath,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<AchievementView>> {
    let file = crate::http::extract::uploaded_file(&headers, body, "the image").await?;
    let achievement = state.app.set_achievement_image(&caller, AchievementId(id), file.to_vec()).await?;
    Ok(Json(AchievementView::new(achievement, &state)))
}
