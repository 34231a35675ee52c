//! Verification: any credential or credential file (JSON, certificate PDF, baked PNG) checked on request,
//! and the verdicts of issued credentials, cached so that a page view costs a lookup, not a
//! signature check, and never shows a stale verdict.
//!
//! A verdict is computed by really verifying the signed credential and its status lists (the
//! credentials-core verifier), and kept with the versions of the status lists it read and the next moment
//! its validity period changes. It is reused only while every one of those lists still has that version
//! and that moment has not come. List versions are polled from the database every
//! [`STATUS_POLL`] (one small query for all lists, shared by every request), and updated at once when this
//! process changes a status, so a revocation shows here immediately and on other replicas within the
//! poll interval.
//!
//! Beside each verdict the cache keeps its renderings (the public page in each language asked for), so that
//! a page view of a cached verdict costs a lookup, not a template render. A rendering is tagged with the
//! verdict it was made from and is used only with that verdict, so it is never staler than the verdict.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use time::OffsetDateTime;

use super::Microcred;
use crate::certificate::{self, badge};
use crate::domain::award::{CredentialId, IssuedCredential};
use crate::domain::status::StatusListId;
use crate::error::{Error, Result};
use crate::vc::verify::{Outcome, ReportProblem, VerificationReport, Verifier, VerifyError};

/// How often status-list versions are read from the database.
pub const STATUS_POLL: Duration = Duration::from_millis(200);
/// A version snapshot older than this (the poller stopped) is not trusted: verdicts are recomputed.
const SNAPSHOT_MAX_AGE: Duration = Duration::from_secs(2);
/// A version snapshot older than this is not trusted for a status list itself (verification reads it from the
/// database): the `ttl` each list gives verifiers, so the lists this process checks against are never older
/// than a verifier caching them would keep them.
const LIST_SNAPSHOT_MAX_AGE: Duration = Duration::from_millis(super::status::STATUS_TTL_MS);
/// Memory the verdict cache may use by default, in MiB (`--verdict-cache-mb`): about 16,000 verdicts of
/// typical credentials and 11,000 pages (9 KB each), so that the hot set of a large course's employers stays
/// cached, while a flood of very large credentials (the VC-API takes documents up to the body limit) cannot
/// exhaust memory.
pub const DEFAULT_CACHE_MIB: u64 = 512;
/// The share of the cache's budget its renderings may use: one in five bytes. A page (about 9 KB) is about a
/// third of its verdict's weight, so this holds a page in one language for most cached verdicts.
const RENDERINGS_SHARE: u64 = 5;

/// Distinguishes every verdict made by this process, so a rendering can name the verdict it shows.
static SERIAL: AtomicU64 = AtomicU64::new(0);

/// A credential's verdict, with what the public page and the JSON API show.
#[derive(Debug)]
pub struct Verdict {
    /// The stored credential (status reasons and dates, links).
    pub credential: IssuedCredential,
    /// The signed document, parsed.
    pub document: Value,
    /// What verifying it found, when it was last checked.
    pub report: VerificationReport,
    /// The report as JSON, serialized once.
    pub report_json: bytes::Bytes,
    versions: Vec<(StatusListId, i64)>,
    fresh_until: Option<OffsetDateTime>,
    /// Estimated bytes held, for the cache's budget.
    weight: u64,
    /// Which verdict this is (renderings name it).
    serial: u64,
}

impl Verdict {
    /// Bytes a verdict holds, estimated from its sizes: the credential as text and parsed into
    /// `serde_json::Value` (ordered maps: about 4.8 times the text alone), the stored row, and the report as a
    /// struct and as JSON. The factors are fitted to the server's measured memory (`scripts/bench-memory.sh`:
    /// about 25 KB more resident memory per cached verdict of a typical credential), rounded up.
    fn estimate_weight(document_text: usize, report_json: usize) -> u64 {
        (document_text * 8 + report_json * 4 + 2048) as u64
    }
}

/// Weighs cached verdicts by their estimated bytes.
#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl quick_cache::Weighter<CredentialId, Arc<Verdict>> for ByBytes {
    fn weight(&self, _: &CredentialId, verdict: &Arc<Verdict>) -> u64 {
        verdict.weight
    }
}

/// A rendering of a verdict: the verdict's serial and the bytes.
type Rendering = (u64, bytes::Bytes);

/// Weighs renderings by their length, plus their key and the table's overhead.
#[derive(Debug, Clone, Copy)]
struct ByLength;

impl quick_cache::Weighter<(CredentialId, &'static str), Rendering> for ByLength {
    fn weight(&self, _: &(CredentialId, &'static str), rendering: &Rendering) -> u64 {
        rendering.1.len() as u64 + 128
    }
}

/// The verdict cache, its renderings, and the status-list version snapshot it is checked against.
#[derive(Debug)]
pub struct Verdicts {
    cache: quick_cache::sync::Cache<CredentialId, Arc<Verdict>, ByBytes>,
    renderings: quick_cache::sync::Cache<(CredentialId, &'static str), Rendering, ByLength>,
    versions: RwLock<Snapshot>,
}

#[derive(Debug)]
struct Snapshot {
    taken: Option<Instant>,
    versions: HashMap<StatusListId, i64>,
}

impl Default for Verdicts {
    fn default() -> Self {
        Self::with_budget(DEFAULT_CACHE_MIB * 1024 * 1024)
    }
}

impl Verdicts {
    /// A cache holding verdicts and their renderings of at most `bytes` (estimated) in all; 0 keeps none.
    pub fn with_budget(bytes: u64) -> Self {
        let for_renderings = bytes / RENDERINGS_SHARE;
        let for_verdicts = bytes - for_renderings;
        // A verdict of a typical credential weighs about 30 KB, a page about 10 KB; the item estimates only
        // size the tables.
        let items = |bytes: u64, each: u64| usize::try_from(bytes / each).unwrap_or(usize::MAX).clamp(16, 1 << 20);
        Self {
            cache: quick_cache::sync::Cache::with_weighter(items(for_verdicts, 30_000), for_verdicts.max(1), ByBytes),
            renderings: quick_cache::sync::Cache::with_weighter(
                items(for_renderings, 10_000),
                for_renderings.max(1),
                ByLength,
            ),
            versions: RwLock::new(Snapshot { taken: None, versions: HashMap::new() }),
        }
    }

    fn is_fresh(&self, verdict: &Verdict, now: OffsetDateTime) -> bool {
        if verdict.fresh_until.is_some_and(|until| now >= until) {
            return false;
        }
        let Ok(snapshot) = self.versions.read() else { return false };
        snapshot.taken.is_some_and(|t| t.elapsed() < SNAPSHOT_MAX_AGE)
            && verdict.versions.iter().all(|(list, version)| snapshot.versions.get(list) == Some(version))
    }

    /// The version of `list` in the polled snapshot, if the snapshot holds the list and was taken less than a
    /// status list's `ttl` ago ([`LIST_SNAPSHOT_MAX_AGE`]).
    pub(super) fn snapshot_version(&self, list: StatusListId) -> Option<i64> {
        let snapshot = self.versions.read().ok()?;
        snapshot.taken.filter(|t| t.elapsed() < LIST_SNAPSHOT_MAX_AGE)?;
        snapshot.versions.get(&list).copied()
    }

    /// Drops `list` from the snapshot (its new version could not be read): verdicts that read it are
    /// recomputed and verification reads the list from the database, until the next poll.
    fn forget(&self, list: StatusListId) {
        if let Ok(mut snapshot) = self.versions.write() {
            snapshot.versions.remove(&list);
        }
    }

    /// Records versions read from the database (never moving one backwards); `asked`: when the query that read
    /// every list's version was sent (its answer is at least that recent), for a complete snapshot.
    fn note(&self, versions: impl IntoIterator<Item = (StatusListId, i64)>, asked: Option<Instant>) {
        let Ok(mut snapshot) = self.versions.write() else { return };
        for (list, version) in versions {
            let known = snapshot.versions.entry(list).or_insert(version);
            *known = (*known).max(version);
        }
        if asked.is_some() {
            snapshot.taken = asked;
        }
    }
}

/// The next moment a credential's validity verdict changes: `validFrom` if still ahead, else `validUntil`
/// if still ahead.
fn next_boundary(document: &Value, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let at = |key: &str| document.get(key).and_then(Value::as_str).and_then(crate::domain::xsd::parse_date_time_stamp);
    [at("validFrom").or_else(|| at("issuanceDate")), at("validUntil").or_else(|| at("expirationDate"))]
        .into_iter()
        .flatten()
        .filter(|t| *t > now)
        .min()
}

impl Microcred {
    /// The verdict of an issued credential: from the cache while still true, else verified afresh.
    pub async fn verdict(&self, id: CredentialId) -> Result<Arc<Verdict>> {
        let now = self.clock_now();
        if let Some(hit) = self.verdicts.cache.get(&id)
            && self.verdicts.is_fresh(&hit, now)
        {
            return Ok(hit);
        }
        let credential = self.issued_credential(id).await?;
        let document: Value = serde_json::from_str(credential.document.get())
            .map_err(|e| Error::Internal(format!("stored credential {id} is not JSON: {e}")))?;
        // Versions first: a change racing with this verification makes the verdict stale, never wrong.
        let mut versions = Vec::new();
        for slot in credential.status.iter().chain(credential.suspension.iter()) {
            versions.push((slot.list, self.published_status_list(slot.list).await?.version));
        }
        // The row again, after the versions: a renewal or correction committed meanwhile (which bumps the
        // version) is then seen here, never cached under the new version as if it had not happened.
        let credential = self.issued_credential(id).await?;
        let report =
            self.verify(&document).await.map_err(|e| Error::Internal(format!("verifying {id}: {e}")))?.with_successors(
                self.successor_url(credential.superseded_by),
                self.successor_url(credential.replaced_by),
                self.successor_url(self.current_version(&credential).await?),
            );
        let report_json: bytes::Bytes = serde_json::to_vec(&report).map_err(|e| Error::Internal(e.to_string()))?.into();
        self.verdicts.note(versions.iter().copied(), None);
        let verdict = Arc::new(Verdict {
            weight: Verdict::estimate_weight(credential.document.get().len(), report_json.len()),
            fresh_until: next_boundary(&document, now),
            credential,
            document,
            report,
            report_json,
            versions,
            serial: SERIAL.fetch_add(1, Ordering::Relaxed),
        });
        self.verdicts.cache.insert(id, Arc::clone(&verdict));
        Ok(verdict)
    }

    /// The latest credential of the chain of renewals and corrections that follows `c`, if any (at most 32
    /// steps: a chain cannot loop through the API, and a damaged one must not loop here).
    async fn current_version(&self, c: &IssuedCredential) -> Result<Option<CredentialId>> {
        let mut next = c.superseded_by.or(c.replaced_by);
        let mut latest = None;
        for _ in 0..32 {
            let Some(id) = next else { break };
            latest = Some(id);
            next = self.store.credential(id).await?.and_then(|n| n.superseded_by.or(n.replaced_by));
        }
        Ok(latest)
    }

    /// The public `id` of a renewal or correction, if any.
    fn successor_url(&self, id: Option<CredentialId>) -> Option<String> {
        id.map(|s| self.urls.credential(s))
    }

    /// A rendering of `verdict` (the verdict of credential `id`), named by `key` (the page in one language,
    /// say): made by `render` the first time it is asked for, then kept while the cache keeps it and used for
    /// as long as `verdict` is the credential's current verdict.
    pub fn rendering(
        &self,
        id: CredentialId,
        verdict: &Verdict,
        key: &'static str,
        render: impl FnOnce() -> Result<bytes::Bytes>,
    ) -> Result<bytes::Bytes> {
        let renderings = &self.verdicts.renderings;
        if let Some((serial, bytes)) = renderings.get(&(id, key))
            && serial == verdict.serial
        {
            return Ok(bytes);
        }
        let bytes = render()?;
        renderings.insert((id, key), (verdict.serial, bytes.clone()));
        Ok(bytes)
    }

    /// Verdicts cached, and the estimated bytes of the verdicts and their renderings (for metrics).
    pub fn verdict_cache_usage(&self) -> (usize, u64) {
        (self.verdicts.cache.len(), self.verdicts.cache.weight() + self.verdicts.renderings.weight())
    }

    /// Seconds since the status-version snapshot was last refreshed (`None` before the first refresh): how
    /// late a revocation made on another replica can show here.
    pub fn status_snapshot_age(&self) -> Option<f64> {
        self.verdicts.versions.read().ok()?.taken.map(|t| t.elapsed().as_secs_f64())
    }

    /// Reads every status list's version into the snapshot verdicts are checked against.
    pub async fn refresh_status_versions(&self) -> Result<()> {
        let asked = Instant::now();
        let versions = self.store.status_list_versions().await?;
        self.verdicts.note(versions, Some(asked));
        Ok(())
    }

    /// After this process changed a list: its new version, at once.
    pub(super) async fn note_status_change(&self, list: StatusListId) {
        match self.store.status_list(list).await {
            Ok(Some(read)) => self.verdicts.note([(read.id, read.version)], None),
            _ => self.verdicts.forget(list),
        }
    }

    /// Polls status-list versions every [`STATUS_POLL`] until the process ends (spawned by `serve`).
    pub fn spawn_status_poller(&self) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(STATUS_POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = app.refresh_status_versions().await {
                    tracing::warn!(error = %e, "could not read status-list versions; verdicts are recomputed until it works");
                }
            }
        })
    }
}

impl Microcred {
    /// Verifies any credential (ours or another issuer's) and reports every check.
    pub async fn verify(&self, credential: &serde_json::Value) -> Result<VerificationReport, VerifyError> {
        let now = self.clock_now();
        let status = super::status_lists::StatusLists { app: self, now };
        let verifier = Verifier { keys: &self.resolver, status: &status, now };
        verifier.verify(credential).await
    }
}

/// What kind of file was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// A credential (JSON).
    Json,
    /// A certificate PDF with its embedded credential.
    Pdf,
    /// A baked Open Badges PNG.
    Png,
    /// A baked Open Badges SVG.
    Svg,
}

/// The verification of a file: the credential's report, and for a PDF whether its printed facts match.
#[derive(Debug, serde::Serialize)]
pub struct FileReport {
    /// What the file was.
    pub kind: FileKind,
    /// `true` when the credential verifies and, for a PDF, the page shows its facts.
    pub verified: bool,
    /// The credential's verification report.
    pub report: crate::vc::verify::VerificationReport,
    /// For a PDF: the credential's facts the printed page does not show (empty: they all match).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub printed_mismatches: Option<Vec<certificate::Mismatch>>,
    /// The credential that was checked.
    pub credential: Value,
}

/// Why a file could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Neither JSON, nor a PDF with an embedded credential, nor a baked PNG.
    #[error("{0}")]
    Unreadable(String),
    /// The credential could not be checked (a key that cannot be resolved…).
    #[error(transparent)]
    Verify(#[from] crate::vc::verify::VerifyError),
}

impl Microcred {
    /// Verifies a credential file of any kind microcred hands out (JSON, certificate PDF, baked PNG or SVG),
    /// recognised by its content, not its name.
    pub async fn verify_file(&self, bytes: &[u8]) -> std::result::Result<FileReport, FileError> {
        let unreadable = |e: &dyn std::fmt::Display| FileError::Unreadable(e.to_string());
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(unreadable(&"the file is empty"));
        }
        let (kind, credential, printed) = if bytes.starts_with(b"%PDF-") {
            let (credential, text) = match certificate::extract::read_pdf(bytes) {
                Ok(contents) => {
                    let credential: Value = serde_json::from_slice(&contents.credential)
                        .map_err(|e| unreadable(&format!("the embedded credential is not JSON ({e})")))?;
                    (credential, contents.text)
                }
                // A certificate whose attachment was removed (or a print scanned back): the credential its
                // printed URL names, when it is one of ours.
                Err(certificate::extract::ExtractError::NoCredential) => {
                    let text = certificate::extract::read_pdf_text(bytes).map_err(|e| unreadable(&e))?;
                    (self.printed_credential(&text).await.ok_or_else(|| unreadable(&NO_CREDENTIAL))?, text)
                }
                Err(e) => return Err(unreadable(&e)),
            };
            let mismatches = certificate::printed_mismatches(&text, &credential);
            (FileKind::Pdf, credential, Some(mismatches))
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            let text = badge::extract(bytes).map_err(|e| unreadable(&e))?;
            let credential: Value = serde_json::from_str(&text)
                .map_err(|e| unreadable(&format!("the baked credential is not JSON ({e})")))?;
            (FileKind::Png, credential, None)
        } else if crate::domain::image::looks_like_svg(bytes) {
            let text = badge::extract_svg(bytes).map_err(|e| unreadable(&e))?;
            let credential: Value = serde_json::from_str(&text)
                .map_err(|e| unreadable(&format!("the baked credential is not JSON ({e})")))?;
            (FileKind::Svg, credential, None)
        } else {
            let credential: Value = serde_json::from_slice(bytes).map_err(|e| {
                unreadable(&format!("not JSON ({e}), nor a certificate PDF or a baked badge PNG or SVG"))
            })?;
            (FileKind::Json, credential, None)
        };
        // Any JSON is not a credential: without the type, there is nothing to give a verdict on (found by
        // trying `{"foo":1}`, which read "Altered or forged" with its validity period "passed").
        let typed = match credential.get("type") {
            Some(Value::String(t)) => t == "VerifiableCredential",
            Some(Value::Array(types)) => types.iter().any(|t| t == "VerifiableCredential"),
            _ => false,
        };
        if !typed {
            return Err(unreadable(
                &"it is not a verifiable credential (its type does not include VerifiableCredential)",
            ));
        }
        let mut report = self.verify(&credential).await?;
        // One of ours that was renewed or corrected: the same verdict as its page (a file is no fresher).
        let own = credential.get("id").and_then(Value::as_str).and_then(|id| self.urls.credential_id(id));
        if let Some(own) = own
            && let Ok(stored) = self.issued_credential(own).await
        {
            let current = self.current_version(&stored).await.ok().flatten();
            report = report.with_successors(
                self.successor_url(stored.superseded_by),
                self.successor_url(stored.replaced_by),
                self.successor_url(current),
            );
        }
        if let Some(mismatches) = printed.as_ref().filter(|m| !m.is_empty()) {
            // The certificate in hand says something its credential does not: altered, whatever the
            // credential's own verdict (a forged credential stays "invalid").
            if report.outcome != Outcome::Invalid {
                report.outcome = Outcome::Altered;
            }
            report.verified = false;
            report.errors.push(ReportProblem {
                kind: self.urls.problem("altered-certificate"),
                title: "The printed certificate was altered".into(),
                detail: mismatches.iter().map(describe).collect::<Vec<_>>().join("; "),
            });
        }
        let verified = report.verified;
        Ok(FileReport { kind, verified, report, printed_mismatches: printed, credential })
    }

    /// The credential of this service that a link or id names, as an employer types or pastes it: the page
    /// URL (with or without `.pdf`, `.json`, `.png`, a query or a fragment) or the bare id. `None` when it
    /// names none that exists.
    pub async fn credential_by_link(&self, typed: &str) -> Option<CredentialId> {
        let id = self.urls.credential_link(typed)?;
        self.issued_credential(id).await.ok().map(|c| c.id)
    }

    /// The credential of this service whose URL a page prints, if any (and it exists).
    async fn printed_credential(&self, text: &[String]) -> Option<Value> {
        let id = self.urls.credential_in_text(&text.concat())?;
        let stored = self.issued_credential(id).await.ok()?;
        serde_json::from_str(stored.document.get()).ok()
    }
}

const NO_CREDENTIAL: &str =
    "the PDF has no embedded credential, and no credential of this service is printed on it (its verification URL)";

/// One mismatch, in words: `learner: printed "…", signed "…"`.
fn describe(m: &certificate::Mismatch) -> String {
    match &m.printed {
        Some(printed) => format!("{}: printed {printed:?}, signed {:?}", m.fact, m.expected),
        None => format!("{}: the page does not show the signed {:?}", m.fact, m.expected),
    }
}
