//! Bearer-token authentication of API callers.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AppState;
use super::problem::{Kind, Problem};
use crate::domain::api_key::ApiKey;

/// The API key that authenticated this request. Extracting it answers 401 when the token is missing,
/// malformed, unknown or revoked.
#[derive(Debug, Clone)]
pub(super) struct Caller(pub ApiKey);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            Problem::new(Kind::Unauthorized, "this endpoint needs an API token: Authorization: Bearer <token>")
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| Problem::new(Kind::Unauthorized, "the Authorization header must be: Bearer <token>"))?;
        state.app.authenticate(token).await.map(Caller).map_err(Problem::from)
    }
}
