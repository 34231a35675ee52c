//! Status lists: allocating a credential's slots, revoking, suspending and reinstating, and publishing the
//! signed lists. Checking another credential's status is in `status_lists.rs`.

use tracing::info;
use uuid::Uuid;

use super::{Microcred, audit, now};
use crate::domain::api_key::ApiKey;
use crate::error::{Error, Result};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::domain::award::{CredentialId, IssuedCredential, StatusReasons};
use crate::domain::issuer::Issuer;
use crate::domain::status::{LIST_SIZE, StatusList, StatusListId, StatusPurpose, StatusSlot, permuted_index};
use crate::domain::validation::ValidationErrors;
use crate::vc::proof::{self, Cryptosuite};

/// A published status list: its version, the signed credential and the decoded bits.
#[derive(Debug)]
pub struct PublishedList {
    /// The list's version when this copy was made.
    pub version: i64,
    /// The signed `BitstringStatusListCredential`.
    pub credential: serde_json::Value,
    /// The bits, decoded once for verification.
    pub bits: Vec<u8>,
}

/// Free indexes of one status list that this process claimed and may hand out (see
/// [`Microcred::allocate_status`]): a block of the list's keyed order.
#[derive(Debug)]
pub(super) struct StatusPool {
    list: StatusListId,
    free: Vec<u32>,
    /// When the database last said that `free` was free.
    checked: Instant,
}

impl StatusPool {
    /// After this long, the rest of a pool is checked against the database again before use. Blocks of the
    /// keyed order are disjoint, so this finds something only where indexes were drawn at random: by a
    /// replica of an earlier version during an upgrade, which would otherwise come back as conflicts at
    /// insert time (each one a second signature). At a low award rate it is one query per block.
    const FRESH: Duration = Duration::from_secs(2);

    fn new(list: StatusListId, free: Vec<u32>) -> Self {
        Self { list, free, checked: Instant::now() }
    }

    /// The next free index, unless the pool is empty or no longer fresh.
    fn take(&mut self) -> Option<StatusSlot> {
        if self.checked.elapsed() > Self::FRESH {
            return None;
        }
        self.free.pop().map(|index| StatusSlot { list: self.list, index })
    }

    /// The list and the indexes left, if there are some and the pool is no longer fresh.
    fn stale(&self) -> Option<(StatusListId, Vec<u32>)> {
        (!self.free.is_empty() && self.checked.elapsed() > Self::FRESH).then(|| (self.list, self.free.clone()))
    }
}

/// How long verifiers and caches may keep a published list, in milliseconds (the credential's `ttl`).
/// Short, because a revocation must show quickly; `ETag` revalidation keeps re-fetching cheap.
pub const STATUS_TTL_MS: u64 = 1_000;

impl Microcred {
    /// The `credentialStatus` of a credential: one entry object (what Open Badges 3.0 allows), or an array
    /// with the suspension entry too.
    pub(super) fn status_entries(&self, revocation: StatusSlot, suspension: Option<StatusSlot>) -> serde_json::Value {
        let revocation = self.status_entry(revocation, StatusPurpose::Revocation);
        match suspension {
            None => revocation,
            Some(slot) => {
                serde_json::Value::Array(vec![revocation, self.status_entry(slot, StatusPurpose::Suspension)])
            }
        }
    }

    /// `n` free indexes of the issuer's lists for `purpose` (see [`Self::allocate_status`]): claimed from the
    /// list's shared count like a single award's block, the indexes at those positions of the list's order,
    /// less those taken (one read of the list's taken indexes rather than one query each).
    pub(super) async fn allocate_statuses(
        &self,
        issuer: &Issuer,
        purpose: StatusPurpose,
        n: u32,
    ) -> Result<Vec<StatusSlot>> {
        let mut slots = Vec::with_capacity(n as usize);
        while slots.len() < n as usize {
            let list = match self.store.latest_status_list(issuer.id, purpose).await? {
                Some(list) => list,
                None => self.open_status_list(issuer, purpose).await?,
            };
            let want = n - slots.len() as u32;
            let used = self.store.claim_status_slots(list.id, want).await?;
            let capacity = list.size / 2;
            let before = used.saturating_sub(want);
            if before >= capacity {
                self.open_status_list(issuer, purpose).await?;
                continue;
            }
            let take = want.min(capacity - before);
            let order = self.status_order(&list).await?;
            let taken: HashSet<u32> = self.store.taken_status_indexes(list.id).await?.into_iter().collect();
            slots.extend(
                (before..before + take)
                    .map(|position| permuted_index(&order, list.size, position))
                    .filter(|index| !taken.contains(index))
                    .map(|index| StatusSlot { list: list.id, index }),
            );
            if take < want {
                self.open_status_list(issuer, purpose).await?;
            }
        }
        Ok(slots)
    }

    /// The key of `list`'s own pseudorandom order of its indexes ([`permuted_index`]): from the deployment's
    /// secret, so that nobody else can tell from an index when, or next to which, a credential was issued.
    async fn status_order(&self, list: &StatusList) -> Result<[u8; 32]> {
        Ok(super::learners::digest(&[b"microcred status order", &self.salt().await?, list.id.0.as_bytes()]))
    }

    /// The `credentialStatus` entry for a slot.
    pub(super) fn status_entry(&self, slot: StatusSlot, purpose: StatusPurpose) -> serde_json::Value {
        let list = self.urls.status_list(slot.list);
        serde_json::json!({
            "id": format!("{list}#{}", slot.index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose.as_str(),
            "statusListIndex": slot.index.to_string(),
            "statusListCredential": list,
        })
    }

    /// A free index in the issuer's current list for `purpose`, opening a new list when the current one is
    /// half full (at most half of a list's indexes are used: each credential stays among 65,536 others whose
    /// bit is unset). The database's unique index guarantees that no index is handed out twice, whatever
    /// raced.
    ///
    /// Most awards touch no table here: the process claims a block of positions from the list's shared count
    /// at a time and takes the indexes at those positions of the list's keyed order, less those already
    /// taken (one query; [`StatusPool`], [`Self::claimed_indexes`]).
    pub(super) async fn allocate_status(&self, issuer: &Issuer, purpose: StatusPurpose) -> Result<StatusSlot> {
        /// Capacity claimed from the shared count at a time, so most awards write nothing for it. A process
        /// that stops loses what it had left of its block: lists count as full a little earlier, no more.
        const BLOCK: u32 = 256;
        let key = (issuer.id, purpose);
        let take = || self.status_budget.lock().ok().and_then(|mut budget| budget.get_mut(&key)?.take());
        if let Some(slot) = take() {
            return Ok(slot);
        }
        let _refill = self.status_refill.lock().await;
        // Another award may have refilled the pool while this one waited for its turn.
        if let Some(slot) = take() {
            return Ok(slot);
        }
        // A pool claimed a while ago: see `StatusPool::FRESH`.
        let stale = self.status_budget.lock().ok().and_then(|budget| budget.get(&key).and_then(StatusPool::stale));
        if let Some((list, drawn)) = stale {
            let taken: HashSet<u32> = self.store.status_slots_taken(list, &drawn).await?.into_iter().collect();
            let free = drawn.into_iter().filter(|index| !taken.contains(index)).collect();
            if let Ok(mut budget) = self.status_budget.lock() {
                budget.insert(key, StatusPool::new(list, free));
            }
            if let Some(slot) = take() {
                return Ok(slot);
            }
        }
        for _ in 0..4 {
            let list = match self.store.latest_status_list(issuer.id, purpose).await? {
                Some(list) => list,
                None => self.open_status_list(issuer, purpose).await?,
            };
            let used = self.store.claim_status_slots(list.id, BLOCK).await?;
            if used > list.size / 2 {
                self.open_status_list(issuer, purpose).await?;
                continue;
            }
            let free = self.claimed_indexes(&list, used, BLOCK).await?;
            if let Ok(mut budget) = self.status_budget.lock() {
                budget.insert(key, StatusPool::new(list.id, free));
            }
            if let Some(slot) = take() {
                return Ok(slot);
            }
        }
        Err(Error::NotPossible("no free status-list index could be found; try again".into()))
    }

    /// The indexes at the `n` positions up to `used` in `list`'s own pseudorandom order
    /// ([`permuted_index`], keyed by the deployment's secret and the list), less those a credential already
    /// holds (one query). The positions come from the list's shared count, so two replicas drawing at the
    /// same moment get different indexes: with random draws, each replica's block often held an index of
    /// the other's, and the group commit that met it stored its whole group again one award at a time
    /// (BENCHMARKS.md, "Issue 20, session 20"). Indexes drawn at random before this order existed are what
    /// the query leaves out.
    async fn claimed_indexes(&self, list: &StatusList, used: u32, n: u32) -> Result<Vec<u32>> {
        let order = self.status_order(list).await?;
        let mut drawn: Vec<u32> =
            (used.saturating_sub(n)..used).map(|position| permuted_index(&order, list.size, position)).collect();
        let taken: HashSet<u32> = self.store.status_slots_taken(list.id, &drawn).await?.into_iter().collect();
        drawn.retain(|index| !taken.contains(index));
        // `StatusPool::take` pops from the end: hand the block out in its order.
        drawn.reverse();
        Ok(drawn)
    }

    pub(super) async fn open_status_list(&self, issuer: &Issuer, purpose: StatusPurpose) -> Result<StatusList> {
        let list = StatusList {
            id: StatusListId(Uuid::new_v4()),
            issuer_id: issuer.id,
            purpose,
            size: LIST_SIZE,
            version: 0,
            created_at: now(),
        };
        self.store.insert_status_list(&list).await?;
        info!(status_list.id = %list.id, issuer.slug = %issuer.slug, purpose = purpose.as_str(), "opened status list {}", list.id);
        Ok(list)
    }
    /// Revokes a credential, permanently: `note` for assessors and the audit log (required), `public` for
    /// the credential's page (optional).
    pub async fn revoke(
        &self,
        caller: &ApiKey,
        id: CredentialId,
        reasons: StatusReasons<'_>,
    ) -> Result<IssuedCredential> {
        self.change_status(caller, id, StatusPurpose::Revocation, Some(reasons)).await
    }

    /// Suspends a credential whose issuer gave it a suspension entry (reasons as for [`Microcred::revoke`]).
    pub async fn suspend(
        &self,
        caller: &ApiKey,
        id: CredentialId,
        reasons: StatusReasons<'_>,
    ) -> Result<IssuedCredential> {
        self.change_status(caller, id, StatusPurpose::Suspension, Some(reasons)).await
    }

    /// Lifts a suspension. A revoked credential stays revoked.
    pub async fn reinstate(&self, caller: &ApiKey, id: CredentialId) -> Result<IssuedCredential> {
        self.reinstate_noting(caller, id, None).await
    }

    /// Lifts a suspension, with why for the audit log (`note`, optional).
    pub async fn reinstate_noting(
        &self,
        caller: &ApiKey,
        id: CredentialId,
        note: Option<&str>,
    ) -> Result<IssuedCredential> {
        let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => {
                Some(crate::domain::issuer::check_text(n, 500).map_err(|e| ValidationErrors::single("note", e))?)
            }
            None => None,
        };
        let credential = self.issued_credential_for(caller, id).await?;
        if credential.revoked_at.is_some() {
            return Err(Error::Conflict("this credential is revoked, and revocation is permanent".into()));
        }
        if credential.suspended_at.is_none() {
            return Err(Error::Conflict("this credential is not suspended".into()));
        }
        self.change_status_noting(caller, id, StatusPurpose::Suspension, None, note).await
    }

    pub(super) async fn change_status(
        &self,
        caller: &ApiKey,
        id: CredentialId,
        purpose: StatusPurpose,
        reasons: Option<StatusReasons<'_>>,
    ) -> Result<IssuedCredential> {
        self.change_status_noting(caller, id, purpose, reasons, None).await
    }

    /// [`Self::change_status`], with a note for the audit log of a reinstatement (which has no reasons).
    async fn change_status_noting(
        &self,
        caller: &ApiKey,
        id: CredentialId,
        purpose: StatusPurpose,
        reasons: Option<StatusReasons<'_>>,
        note: Option<String>,
    ) -> Result<IssuedCredential> {
        let credential = self.issued_credential_for(caller, id).await?;
        let reasons = match reasons {
            None => None,
            Some(r) => Some(checked_reasons(r, purpose, self.clock_now())?),
        };
        if reasons.as_ref().is_some_and(|r| r.until.is_some()) {
            if credential.suspended_at.is_some() {
                return Err(Error::Conflict(
                    "this credential is already suspended: reinstate it, then suspend it again with the new deadline"
                        .into(),
                ));
            }
            if credential.status.is_none() {
                return Err(Error::Conflict(
                    "this credential has no revocation status entry, so a deadline could not withdraw it".into(),
                ));
            }
        }
        if purpose == StatusPurpose::Suspension && credential.suspension.is_none() {
            return Err(Error::Conflict(
                "this credential has no suspension status entry: Open Badges 3.0 allows one status entry, so suspension is \
                 added only for issuers that enable it (issuer create --suspension, or suspension_enabled in PATCH /api/v1/issuers/{slug}) and only to credentials issued after that"
                    .into(),
            ));
        }
        let action = match (purpose, reasons.is_some()) {
            (StatusPurpose::Revocation, _) => "credential.revoke",
            (StatusPurpose::Suspension, true) => "credential.suspend",
            (StatusPurpose::Suspension, false) => "credential.reinstate",
        };
        // The audit log keeps both: what the assessor noted, and what the page says.
        let logged = reasons.as_ref().map(CheckedReasons::logged).or(note);
        let entry = audit(Some(caller), Some(credential.issuer_id), action, &id.to_string(), logged);
        let set = reasons.as_ref().map(CheckedReasons::as_reasons);
        if !self.store.set_credential_status(id, purpose, set, &entry).await? {
            return Err(Error::Conflict("this credential has no status entry for that purpose".into()));
        }
        info!(credential.id = %id, purpose = purpose.as_str(), set = reasons.is_some(), "changed status of credential {id}");
        metrics::counter!("microcred_status_changes_total", "action" => action).increment(1);
        let list = match purpose {
            StatusPurpose::Revocation => credential.status,
            StatusPurpose::Suspension => credential.suspension,
        };
        if let Some(slot) = list {
            self.note_status_change(slot.list).await;
        }
        self.issued_credential(id).await
    }

    /// Marks a list as changed by this process, so verdicts that read it are recomputed at once.
    pub(super) async fn note_status_changes(&self, lists: Vec<StatusListId>) {
        for list in lists {
            self.note_status_change(list).await;
        }
    }

    /// Publishes a list's current state on behalf of its issuer's assessors and admins (VC-API `publish`).
    /// Lists here are re-signed on the first request after any change, so this only checks access and
    /// makes sure the signed copy is current.
    pub async fn publish_status_list(&self, caller: &ApiKey, id: StatusListId) -> Result<()> {
        let list = self
            .store
            .status_list(id)
            .await?
            .ok_or_else(|| Error::NotFound { what: "status list", id: id.to_string() })?;
        Self::require_issuer(caller, list.issuer_id)?;
        self.published_status_list(id).await.map(|_| ())
    }

    /// The list [`Self::published_status_list`] gives, without a query when the polled snapshot of list
    /// versions says the list kept in memory is current: what verification reads, so that checking a
    /// credential's status costs no query. A change made by this process shows at once (it updates the
    /// snapshot, or drops the list from it if it cannot read the new version), one made on another replica
    /// within the poll interval ([`super::verification::STATUS_POLL`]); a snapshot taken longer ago than the
    /// `ttl` the list gives verifiers ([`STATUS_TTL_MS`]) is not used, so a list is never older than a verifier
    /// caching it would keep it. Without such a snapshot, or when it disagrees with the list in memory, the
    /// database is read.
    pub(super) async fn current_status_list(&self, id: StatusListId) -> Result<Arc<PublishedList>> {
        if let Some(version) = self.verdicts.snapshot_version(id)
            && let Some(cached) = self.status_cache.lock().ok().and_then(|c| c.get(&id).cloned())
            && cached.version == version
        {
            return Ok(cached);
        }
        self.published_status_list(id).await
    }

    /// The signed `BitstringStatusListCredential` of a list, regenerated when the list's version changed
    /// (on any replica) and otherwise served from memory, so a change is published at the next request.
    pub async fn published_status_list(&self, id: StatusListId) -> Result<Arc<PublishedList>> {
        let list = self
            .store
            .status_list(id)
            .await?
            .ok_or_else(|| Error::NotFound { what: "status list", id: id.to_string() })?;
        if let Some(cached) = self.status_cache.lock().ok().and_then(|c| c.get(&id).cloned())
            && cached.version == list.version
        {
            return Ok(cached);
        }
        let issuer = self
            .store
            .issuer_by_id(list.issuer_id)
            .await?
            .ok_or_else(|| Error::NotFound { what: "issuer", id: list.issuer_id.to_string() })?;
        let set = self.store.set_status_indexes(id, list.purpose).await?;
        let encoded = crate::domain::status::encode_list(list.size, &set)
            .map_err(|e| Error::Internal(format!("cannot encode status list {id}: {e}")))?;
        let bits = crate::domain::status::decode_list(&encoded)
            .map_err(|e| Error::Internal(format!("cannot decode status list {id}: {e}")))?;
        let url = self.urls.status_list(id);
        let unsigned = serde_json::json!({
            "@context": [crate::vc::contexts::CREDENTIALS_V2],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer.did,
            "validFrom": proof::xsd_date_time(now()),
            "credentialSubject": {
                "id": format!("{url}#list"),
                "type": "BitstringStatusList",
                "statusPurpose": list.purpose.as_str(),
                "encodedList": encoded,
                "ttl": STATUS_TTL_MS,
            },
        });
        let (key, options) = self.assertion_signer(&issuer, Cryptosuite::EddsaRdfc2022, now()).await?;
        let credential = super::issuance::sign_blocking(move || {
            crate::metrics::timed("microcred_status_list_sign_seconds", || proof::secure(&unsigned, &options, &key))
        })
        .await?
        .map_err(|e| Error::Internal(format!("cannot sign status list {id}: {e}")))?;
        let published = Arc::new(PublishedList { version: list.version, credential, bits });
        // Never replace a newer version: two regenerations finishing out of order must not leave an older list
        // in memory, where verification may take it as current (`current_status_list`).
        if let Ok(mut cache) = self.status_cache.lock()
            && cache.get(&id).is_none_or(|cached| cached.version < published.version)
        {
            cache.insert(id, Arc::clone(&published));
        }
        Ok(published)
    }
}

/// Status reasons checked: a note (required), a public reason, and for a suspension an optional deadline.
#[derive(Debug, Clone)]
pub(super) struct CheckedReasons {
    pub(super) note: String,
    pub(super) public: Option<String>,
    pub(super) until: Option<time::OffsetDateTime>,
}

impl CheckedReasons {
    /// What the audit log keeps: the note, and what the page says.
    pub(super) fn logged(&self) -> String {
        let mut logged = self.note.clone();
        if let Some(public) = &self.public {
            logged.push_str(&format!(" (public: {public})"));
        }
        if let Some(until) = self.until {
            logged.push_str(&format!(" (until {})", proof::xsd_date_time(until)));
        }
        logged
    }

    pub(super) fn as_reasons(&self) -> StatusReasons<'_> {
        StatusReasons { note: &self.note, public: self.public.as_deref(), until: self.until }
    }
}

/// Checks reasons for setting a status at `now`: the note is required, texts are bounded, and a deadline
/// (`until`) is for suspensions only and must be ahead.
pub(super) fn checked_reasons(
    r: StatusReasons<'_>,
    purpose: StatusPurpose,
    now: time::OffsetDateTime,
) -> Result<CheckedReasons> {
    let mut errors = ValidationErrors::default();
    let note = match r.note.trim() {
        "" => {
            errors.add("note", "is required: why, for the issuer's records (not shown publicly)");
            None
        }
        note => errors.check("note", crate::domain::issuer::check_text(note, 500)),
    };
    let public = r.public.map(str::trim).filter(|p| !p.is_empty());
    let public = public.and_then(|p| errors.check("public_reason", crate::domain::issuer::check_text(p, 500)));
    let until = match (r.until, purpose) {
        (None, _) => None,
        (Some(_), StatusPurpose::Revocation) => {
            errors.add("until", "is for suspensions only: a revocation is permanent");
            None
        }
        (Some(until), StatusPurpose::Suspension) if until <= now => {
            errors.add("until", "must be in the future");
            None
        }
        (Some(until), StatusPurpose::Suspension) if until > now + time::Duration::days(3653) => {
            errors.add("until", "must be within ten years");
            None
        }
        (Some(until), StatusPurpose::Suspension) => Some(until),
    };
    Ok(errors.finish(CheckedReasons { note: note.unwrap_or_default(), public, until })?)
}
