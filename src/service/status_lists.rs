//! The status check of verification: each `credentialStatus` entry is looked up in the list it names —
//! this deployment's own lists from memory while the polled version snapshot says they are current (else
//! from the database), other hosts' lists fetched through the guarded client
//! (only with `--did-web-resolution true`) and verified like any credential — and validated by
//! [`crate::vc::status`]. A list that cannot be retrieved or validated makes the status unknown, never
//! "not revoked".

use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;

use super::{Microcred, PublishedList};
use crate::error::Error;
use crate::vc::status::{self, BitstringStatusListEntry, StatusError, StatusErrorKind};
use crate::vc::verify::{CheckStatus, NoStatusLists, Outcome, StatusChecker, StatusFinding, Verifier};

/// Largest status list credential fetched from another host: a list of a million entries with every bit
/// set compresses to about 170 KB; this allows ten times that.
pub const MAX_STATUS_LIST_BYTES: usize = 2 * 1024 * 1024;

/// Most status entries one credential may have: each may cost a fetch and a verification, so a credential
/// with thousands cannot tie up the server (a real one has one per purpose).
pub const MAX_STATUS_ENTRIES: usize = 8;

/// Checks status entries for the service's verifier.
#[derive(Debug)]
pub(super) struct StatusLists<'a> {
    pub(super) app: &'a Microcred,
    pub(super) now: OffsetDateTime,
}

/// A list credential, from the database or fetched.
enum ListCredential {
    Own(Arc<PublishedList>),
    Remote(Value),
}

#[async_trait::async_trait]
impl StatusChecker for StatusLists<'_> {
    async fn check(&self, credential: &Value) -> StatusFinding {
        let entries = match status::entries(credential) {
            None => return StatusFinding::None,
            Some(Err(e)) => return StatusFinding::Unknown(e),
            Some(Ok(entries)) => entries,
        };
        let issuer = crate::vc::model::issuer_id(credential).unwrap_or_default();
        if entries.len() > MAX_STATUS_ENTRIES {
            return StatusFinding::Unknown(StatusError::new(
                StatusErrorKind::MalformedValue,
                format!("{} status entries; at most {MAX_STATUS_ENTRIES} are checked", entries.len()),
            ));
        }
        let mut finding = StatusFinding::Active;
        for entry in &entries {
            let set = match self.list(entry).await {
                Ok(ListCredential::Own(list)) => {
                    status::check_entry(entry, &list.credential, Some(&list.bits), issuer, self.now)
                }
                Ok(ListCredential::Remote(list)) => status::check_entry(entry, &list, None, issuer, self.now),
                Err(e) => Err(e),
            };
            match set {
                Err(e) => return StatusFinding::Unknown(e),
                Ok(true) if entry.status_purpose == "revocation" => return StatusFinding::Revoked,
                Ok(true) if entry.status_purpose == "suspension" => finding = StatusFinding::Suspended,
                // A set `refresh` or `message` bit does not withdraw the credential.
                Ok(_) => {}
            }
        }
        finding
    }
}

impl StatusLists<'_> {
    /// The list credential an entry names.
    async fn list(&self, entry: &BitstringStatusListEntry) -> Result<ListCredential, StatusError> {
        let url = &entry.status_list_credential;
        let retrieval = |detail: String| StatusError::new(StatusErrorKind::Retrieval, detail);
        if let Some(id) = self.app.urls.status_list_id(url) {
            let id = id.map_err(|()| retrieval(format!("there is no status list at {url}")))?;
            return match self.app.current_status_list(id).await {
                Ok(list) => Ok(ListCredential::Own(list)),
                Err(Error::NotFound { .. }) => Err(retrieval(format!("there is no status list at {url}"))),
                Err(e) => Err(retrieval(format!("status list {url} could not be read: {e}"))),
            };
        }
        let Some(client) = &self.app.remote else {
            return Err(retrieval(format!(
                "status list {url} is on another host, and fetching from other hosts is switched off (--did-web-resolution)"
            )));
        };
        let parsed = url::Url::parse(url).map_err(|e| {
            StatusError::new(StatusErrorKind::MalformedValue, format!("statusListCredential {url:?} is not a URL: {e}"))
        })?;
        let body = client
            .get(
                &parsed,
                "application/vc+ld+json, application/vc, application/ld+json, application/json",
                MAX_STATUS_LIST_BYTES,
            )
            .await
            .map_err(|e| retrieval(e.0))?;
        let list: Value =
            serde_json::from_slice(&body).map_err(|e| retrieval(format!("status list {url} is not JSON: {e}")))?;
        // The list is a credential of its own: it must verify (proof, issuer, validity) before its bits count.
        let verifier = Verifier { keys: &self.app.resolver, status: &NoStatusLists, now: self.now };
        let invalid = |detail: String| StatusError::new(StatusErrorKind::Verification, detail);
        let report = verifier
            .verify(&list)
            .await
            .map_err(|e| invalid(format!("status list {url} could not be verified: {e}")))?;
        // A list re-signed a moment ago on a server whose clock runs ahead is current: `check_entry` allows
        // that skew on `validFrom`, and checks the rest of the validity period.
        let just_signed = report.outcome == Outcome::NotYetValid
            && report.checks.iter().all(|c| c.status != CheckStatus::Fail || c.name == "validity");
        if !report.verified && !just_signed {
            let why: Vec<&str> = report.errors.iter().map(|e| e.detail.as_str()).collect();
            return Err(invalid(format!("status list {url} does not verify: {}", why.join("; "))));
        }
        Ok(ListCredential::Remote(list))
    }
}
