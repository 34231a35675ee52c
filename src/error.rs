//! The service layer's error: what went wrong with a use case, in terms a client can act on.
//! `http::problem` maps it to RFC 9457 responses; the CLI prints it.

use crate::domain::validation::ValidationErrors;
use crate::keys::KeyError;
use crate::store::{Constraint, StoreError};

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is invalid; every problem is listed.
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("{what} {id} not found")]
    NotFound {
        /// Kind of thing ("issuer", "API key").
        what: &'static str,
        /// The identifier asked for.
        id: String,
    },
    /// The request conflicts with existing data.
    #[error("{0}")]
    Conflict(String),
    /// No valid credentials were presented.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The caller is authenticated but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The operation is not possible for this resource (e.g. rotating a did:key issuer): a 409 the client
    /// can act on, never logged. Faults of the server are [`Error::Internal`].
    #[error("{0}")]
    NotPossible(String),
    /// The request body is in a format this endpoint does not take.
    #[error("{0}")]
    Unsupported(String),
    /// An OAuth 2.0 / OpenID4VCI protocol error, answered in that protocol's shape
    /// (`{"error", "error_description"}`), not as problem details.
    #[error(transparent)]
    OAuth(#[from] crate::vc::oid4vci::OAuthError),
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
    /// A key file failed.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// Something of ours failed (rendering a certificate, signing a credential the server built, a task that
    /// panicked, a corrupt stored answer): a 500, logged with its cause, never detailed to the client.
    #[error("{0}")]
    Internal(String),
}

/// The answer to every bad API token (unknown, malformed, wrong secret, revoked), so that a caller learns
/// nothing about which part was wrong.
pub(crate) const TOKEN_REFUSED: &str = "the API token is invalid or revoked";

impl From<StoreError> for Error {
    /// A credential refused because its caller's API key was revoked meanwhile (see
    /// [`Constraint::RevokedApiKey`]) is the answer to every bad token, 401; every other store error stays one.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(Constraint::RevokedApiKey) => Self::Unauthorized(TOKEN_REFUSED),
            other => Self::Store(other),
        }
    }
}

/// Result alias for use cases.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Turns a named constraint violation into a domain error (realworld-axum-sqlx's `on_constraint`).
pub trait OnConstraint<T> {
    /// Maps a conflict on `constraint` with `f`; other errors pass through.
    fn on_constraint(self, constraint: Constraint, f: impl FnOnce() -> Error) -> Result<T>;
}

impl<T> OnConstraint<T> for Result<T, StoreError> {
    fn on_constraint(self, constraint: Constraint, f: impl FnOnce() -> Error) -> Result<T> {
        match self {
            Err(StoreError::Conflict(c)) if c == constraint => Err(f()),
            other => other.map_err(Error::from),
        }
    }
}

/// `error: cause: cause…`, for logs.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
