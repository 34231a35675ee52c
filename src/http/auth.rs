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
        let BearerToken(token) = BearerToken::from_request_parts(parts, state).await?;
        state.app.authenticate(&token).await.map(Caller).map_err(Problem::from)
    }
}

/// The request's bearer token, not yet checked: for a handler that checks it together with what it reads
/// anyway (a single award), which must then answer 401 before any other error. Extracting it answers 401
/// when the `Authorization` header is missing or not `Bearer <token>`.
#[derive(Debug, Clone)]
pub(super) struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            Problem::new(Kind::Unauthorized, "this endpoint needs an API token: Authorization: Bearer <token>")
        })?;
        header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|token| Self(token.trim().to_owned()))
            .ok_or_else(|| Problem::new(Kind::Unauthorized, "the Authorization header must be: Bearer <token>"))
    }
}
