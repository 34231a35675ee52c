//! Bearer-token authentication of API callers.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AppState;
use super::problem::{Kind, Problem};
use crate::domain::api_key::{ApiKey, ApiToken};
use crate::service::Microcred;

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

/// The request's bearer token, well formed but not yet looked up: for a handler that checks it together with
/// what it reads anyway (a single award, a VC-API issue), and must then answer 401 before any other refusal. Extracting it
/// answers 401 when the `Authorization` header is missing, not `Bearer <token>`, or not a token microcred
/// could have made — before the body is read. `Debug` does not show the secret.
#[derive(Debug)]
pub(super) struct BearerToken(pub ApiToken);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            Problem::new(Kind::Unauthorized, "this endpoint needs an API token: Authorization: Bearer <token>")
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| Problem::new(Kind::Unauthorized, "the Authorization header must be: Bearer <token>"))?;
        Microcred::parse_token(token).map(Self).map_err(Problem::from)
    }
}
