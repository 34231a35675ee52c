//! The audit log: an append-only record of every issuance, revocation, suspension, reinstatement, key
//! rotation and API-key change — who did it, when, to what, and why.

use serde::Serialize;
use time::OffsetDateTime;

use super::api_key::ApiKeyId;
use super::issuer::IssuerId;

/// One action to record, written in the same transaction as the action itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: OffsetDateTime,
    /// Who: the API key, or `None` for the operator's command line.
    pub api_key_id: Option<ApiKeyId>,
    /// The issuer concerned.
    pub issuer_id: Option<IssuerId>,
    /// What, e.g. `credential.issue`.
    pub action: &'static str,
    /// The id of what was acted on.
    pub subject: String,
    /// Why, when a reason was given.
    pub reason: Option<String>,
}

/// A recorded action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// Sequence number (increasing).
    pub id: i64,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who (`null` for the operator's command line).
    pub api_key_id: Option<ApiKeyId>,
    /// The issuer concerned.
    pub issuer_id: Option<IssuerId>,
    /// What.
    pub action: String,
    /// On what.
    pub subject: String,
    /// Why.
    pub reason: Option<String>,
}
