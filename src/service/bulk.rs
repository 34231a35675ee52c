//! Bulk status changes: revoke, suspend or reinstate many credentials in one request (by ids, a CSV of ids or
//! a filter), all-or-nothing by default, each credential audited and reported, and each affected status
//! list changed (and so re-signed when next fetched) once, not once per credential.

use std::collections::{HashMap, HashSet};

use super::status::{CheckedReasons, checked_reasons};
use super::{Microcred, audit};
use crate::domain::api_key::ApiKey;
use crate::domain::award::{CredentialId, StatusReasons};
use crate::domain::status::StatusPurpose;
use crate::domain::validation::ValidationErrors;
use crate::error::{Error, Result};
use crate::store::CredentialFilter;
use crate::store::lifecycle::{BulkChange, StatusState};

/// The most credentials one bulk request may change.
pub const MAX_BULK: usize = 100_000;

/// What a bulk request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BulkAction {
    /// Revoke (permanent).
    Revoke,
    /// Suspend (optionally `until` a deadline).
    Suspend,
    /// Lift a suspension.
    Reinstate,
}

/// Which credentials.
#[derive(Debug, Clone)]
pub enum BulkTargets {
    /// These ids (the order of the report).
    Ids(Vec<CredentialId>),
    /// Every credential of the caller's issuer the filter matches.
    Filter(CredentialFilter),
}

/// What became of one credential.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    /// The credential.
    #[schema(value_type = String)]
    pub id: CredentialId,
    /// `revoked`, `suspended`, `reinstated` (changed now), `unchanged` (already so) or `refused`.
    pub outcome: &'static str,
    /// Why it was refused or left unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The report of an applied bulk request.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BulkReport {
    /// The action.
    pub action: BulkAction,
    /// Credentials changed now.
    pub changed: usize,
    /// Credentials already in that state.
    pub unchanged: usize,
    /// Credentials refused (only with `atomic: false`; otherwise a refusal changes nothing).
    pub refused: usize,
    /// Status lists changed (each republished once).
    pub status_lists: usize,
    /// One entry per credential, in the request's order.
    pub results: Vec<BulkResult>,
}

impl Microcred {
    /// Applies `action` to `targets` for `caller`'s issuer. With `atomic` (the default), any credential the
    /// action cannot apply to (unknown, another issuer's, no suspension entry, revoked…) refuses the whole
    /// request (422, each named) and nothing changes; without it, those are reported and the rest applied.
    pub async fn bulk_status(
        &self,
        caller: &ApiKey,
        action: BulkAction,
        targets: BulkTargets,
        reasons: Option<StatusReasons<'_>>,
        atomic: bool,
    ) -> Result<BulkReport> {
        let purpose = match action {
            BulkAction::Revoke => StatusPurpose::Revocation,
            BulkAction::Suspend | BulkAction::Reinstate => StatusPurpose::Suspension,
        };
        let reasons_until = reasons.and_then(|r| r.until);
        let reasons: Option<CheckedReasons> = match (action, reasons) {
            (BulkAction::Reinstate, _) => None,
            (_, Some(r)) => Some(checked_reasons(r, purpose, self.clock_now())?),
            (_, None) => {
                Some(checked_reasons(StatusReasons { note: "", public: None, until: None }, purpose, self.clock_now())?)
            }
        };
        if action == BulkAction::Reinstate && reasons_until.is_some() {
            return Err(ValidationErrors::single("until", "is for suspensions only").into());
        }
        let by_filter = matches!(targets, BulkTargets::Filter(_));
        let (ids, found) = self.bulk_targets(caller, targets).await?;
        let mut results = Vec::with_capacity(ids.len());
        let mut to_change = Vec::new();
        for id in &ids {
            let (outcome, reason) = match found.get(id) {
                None => ("refused", Some("no such credential".to_owned())),
                Some(c) if Self::require_issuer(caller, c.issuer_id).is_err() => {
                    ("refused", Some("no such credential".to_owned()))
                }
                Some(c) => judge(c, action, by_filter),
            };
            if outcome == "change" {
                to_change.push(*id);
            }
            results.push(BulkResult { id: *id, outcome, reason });
        }
        let refused = results.iter().filter(|r| r.outcome == "refused").count();
        if atomic && refused > 0 {
            let mut errors = ValidationErrors::default();
            for r in results.iter().filter(|r| r.outcome == "refused") {
                errors.add(format!("credentials.{}", r.id), r.reason.clone().unwrap_or_default());
            }
            return Err(errors.into());
        }
        let done = match action {
            BulkAction::Revoke => "revoked",
            BulkAction::Suspend => "suspended",
            BulkAction::Reinstate => "reinstated",
        };
        let verb = match action {
            BulkAction::Revoke => "credential.revoke",
            BulkAction::Suspend => "credential.suspend",
            BulkAction::Reinstate => "credential.reinstate",
        };
        let logged = reasons.as_ref().map(|r| format!("{} (bulk)", r.logged())).unwrap_or_else(|| "bulk".into());
        let audits: Vec<_> = to_change
            .iter()
            .filter_map(|id| found.get(id))
            .map(|c| audit(Some(caller), Some(c.issuer_id), verb, &c.id.to_string(), Some(logged.clone())))
            .collect();
        let at = self.clock_now();
        let change = BulkChange { ids: &to_change, purpose, set: reasons.as_ref().map(CheckedReasons::as_reasons), at };
        let lists = if to_change.is_empty() {
            Vec::new()
        } else {
            self.store.bulk_set_status(change, &audits).await?.ok_or_else(|| {
                Error::Conflict(
                    "some of these credentials changed while this request ran; nothing was changed, retry".into(),
                )
            })?
        };
        self.note_status_changes(lists.clone()).await;
        metrics::counter!("microcred_status_changes_total", "action" => verb).increment(to_change.len() as u64);
        tracing::info!(
            action = verb,
            changed = to_change.len(),
            lists = lists.len(),
            "bulk {verb} of {} credentials",
            to_change.len()
        );
        for r in &mut results {
            if r.outcome == "change" {
                r.outcome = done;
            }
        }
        Ok(BulkReport {
            action,
            changed: to_change.len(),
            unchanged: results.iter().filter(|r| r.outcome == "unchanged").count(),
            refused,
            status_lists: lists.len(),
            results,
        })
    }

    /// The ids a request names (without repeats, in order) and the credentials found.
    async fn bulk_targets(
        &self,
        caller: &ApiKey,
        targets: BulkTargets,
    ) -> Result<(Vec<CredentialId>, HashMap<CredentialId, StatusState>)> {
        let ids = match targets {
            BulkTargets::Ids(ids) => {
                let mut seen = HashSet::new();
                let ids: Vec<_> = ids.into_iter().filter(|id| seen.insert(*id)).collect();
                if ids.len() > MAX_BULK {
                    return Err(
                        ValidationErrors::single("ids", format!("at most {MAX_BULK} credentials at a time")).into()
                    );
                }
                ids
            }
            BulkTargets::Filter(mut filter) => {
                filter.limit = u32::try_from(MAX_BULK + 1).unwrap_or(u32::MAX);
                if caller.role != crate::domain::api_key::Role::Admin {
                    filter.issuer_id = Some(caller.issuer_id);
                }
                let rows = self.store.status_states_matching(&filter).await?;
                if rows.len() > MAX_BULK {
                    return Err(ValidationErrors::single(
                        "filter",
                        format!("matches more than {MAX_BULK} credentials: narrow it (issued_before, issued_after)"),
                    )
                    .into());
                }
                let ids = rows.iter().map(|c| c.id).collect();
                return Ok((ids, rows.into_iter().map(|c| (c.id, c)).collect()));
            }
        };
        let found = self.store.status_states(&ids).await?.into_iter().map(|c| (c.id, c)).collect();
        Ok((ids, found))
    }
}

/// Whether `action` changes `c` (`"change"`), leaves it as it is, or cannot apply, and why. A filter matches
/// revoked credentials too: a suspension or reinstatement leaves those as they are rather than refusing all.
fn judge(c: &StatusState, action: BulkAction, by_filter: bool) -> (&'static str, Option<String>) {
    let refuse = |why: &str| ("refused", Some(why.to_owned()));
    if by_filter && action != BulkAction::Revoke && c.revoked {
        return ("unchanged", Some("revoked".into()));
    }
    match action {
        BulkAction::Revoke if !c.revocable => refuse("it has no revocation status entry"),
        BulkAction::Revoke if c.revoked => ("unchanged", Some("already revoked".into())),
        BulkAction::Revoke => ("change", None),
        _ if !c.suspendable => {
            refuse("it has no suspension status entry (its issuer did not enable suspension when it was issued)")
        }
        _ if c.revoked => refuse("it is revoked, and revocation is permanent"),
        BulkAction::Suspend if c.suspended => ("unchanged", Some("already suspended".into())),
        BulkAction::Reinstate if !c.suspended => ("unchanged", Some("not suspended".into())),
        _ => ("change", None),
    }
}
