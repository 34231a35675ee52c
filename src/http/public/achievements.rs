//! The achievements credentials name, and microcred's JSON-LD extension context.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::domain::achievement::AchievementId;
use crate::error::Result;
use crate::http::AppState;
use crate::http::extract::UuidPath;
use crate::http::openapi::responses::NotFound;
use crate::vc::credential;

/// `GET /achievements/{id}` (public): the Open Badges 3.0 `Achievement` that credentials name, as JSON-LD.
///
/// See: <https://www.imsglobal.org/spec/ob/v3p0/#achievement>
#[utoipa::path(
    get,
    operation_id = "achievements_public",
    path = "/achievements/{id}",
    tag = "public",
    params(("id" = uuid::Uuid, Path, description = "The resource id")),
    responses(
        (status = 200, description = "The Open Badges 3.0 Achievement (JSON-LD)", body = serde_json::Value, example = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": "https://certs.example.eu/achievements/0b6f7a52-6f3e-4c1e-9d7b-2a4f5e6d7c8b", "type": ["Achievement"],
            "name": "Умни градове: основи", "description": "Foundations of smart-city services", "achievementType": "MicroCredential",
            "criteria": {"narrative": "Pass the final written exam"}, "creditsAvailable": 5.0, "inLanguage": "bg"
        })),
        NotFound,
    )
)]
pub(super) async fn achievement(State(state): State<AppState>, UuidPath(id): UuidPath) -> Result<Json<Value>> {
    let (achievement, _) = state.app.achievement(AchievementId(id)).await?;
    let ob = credential::Achievement::from_spec(state.app.urls().achievement(achievement.id), &achievement.spec);
    let mut document = serde_json::to_value(&ob).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut document {
        map.insert("@context".into(), Value::Array(ob.contexts()));
    }
    Ok(Json(document))
}

/// `GET /contexts/microcredential/v1`: microcred's JSON-LD extension context, the terms for the EU
/// micro-credential elements Open Badges 3.0 lacks. Credentials embed the same definitions inline, so no
/// verifier needs this document; it is here for people and tools that want to read the vocabulary.
#[utoipa::path(
    get,
    operation_id = "contexts_microcredential",
    path = "/contexts/microcredential/v1",
    tag = "public",
    responses((status = 200, description = "The JSON-LD context (application/ld+json)", body = serde_json::Value,
        example = json!({"@context": {"@protected": true, "workloadHours": {"@id": "https://w3id.org/microcred/vocab#workloadHours"}}})))
)]
pub(super) async fn extension_context() -> Response {
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
