//! Persistence of the certification lifecycle: successors (renewals and corrections), suspension deadlines,
//! bulk status changes, the reminder outbox (`notice`) and the job lease. Part of [`Store`](super::Store)
//! (a supertrait), implemented for both backends by [`impl_lifecycle_store!`] with the same SQL.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{NewDelivery, StoreResult};
use crate::domain::audit::AuditEntry;
use crate::domain::award::{CredentialId, IssuedCredential, StatusReasons};
use crate::domain::issuer::IssuerId;
use crate::domain::lifecycle::Succession;
use crate::domain::status::{StatusListId, StatusPurpose};

/// A reminder or digest to queue (an outbox row), keyed so that it is queued once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    /// `reminder:<credential>:<days>` or `digest:<issuer>:<ISO week>`.
    pub key: String,
    /// `expiry_reminder` or `expiry_digest`.
    pub kind: &'static str,
    /// The issuer it is from (or to, for a digest).
    pub issuer_id: IssuerId,
    /// The credential a reminder is about.
    pub credential_id: Option<CredentialId>,
    /// Where it goes.
    pub recipient_email: String,
    /// For a reminder: how many days before expiry.
    pub days_before: Option<u32>,
    /// `pending`, or `skipped` for a threshold passed before an earlier one was sent.
    pub status: &'static str,
    /// When it was queued (by the application's clock).
    pub created_at: OffsetDateTime,
    /// When it is first due to be sent, Unix ms by the system clock (sending runs on real time).
    pub due_ms: i64,
}

/// A queued notice taken for sending, until its lease ends.
#[derive(Debug, Clone)]
pub struct TakenNotice {
    /// Its key.
    pub key: String,
    /// The issuer.
    pub issuer_id: IssuerId,
    /// The credential a reminder is about.
    pub credential_id: Option<CredentialId>,
    /// Where it goes.
    pub recipient_email: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// Its lease's end (Unix ms): with `attempts`, the fence its outcome is recorded under.
    pub lease_until_ms: i64,
}

/// A credential nearing its `validUntil`, with the smallest reminder threshold already queued for it.
#[derive(Debug, Clone)]
pub struct Expiring {
    /// The credential.
    pub id: CredentialId,
    /// Its issuer.
    pub issuer_id: IssuerId,
    /// The learner's address.
    pub email: String,
    /// When it expires.
    pub valid_until_ms: i64,
    /// The nearest reminder (in days before expiry) already queued or skipped, if any.
    pub reminded: Option<u32>,
}

/// What a bulk change needs to know of a credential: whose it is and its status, not its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusState {
    /// The credential.
    pub id: CredentialId,
    /// Its issuer.
    pub issuer_id: IssuerId,
    /// Whether it has a revocation entry.
    pub revocable: bool,
    /// Whether it has a suspension entry.
    pub suspendable: bool,
    /// Whether it is revoked.
    pub revoked: bool,
    /// Whether it is suspended.
    pub suspended: bool,
}

/// A bulk status change: which rows, to what.
#[derive(Debug, Clone, Copy)]
pub struct BulkChange<'a> {
    /// The credentials to change (each checked by the service to be in the state the change leaves).
    pub ids: &'a [CredentialId],
    /// Which status.
    pub purpose: StatusPurpose,
    /// Set (with reasons) or clear (reinstate).
    pub set: Option<StatusReasons<'a>>,
    /// When.
    pub at: OffsetDateTime,
}

/// The lifecycle's persistence.
#[async_trait]
pub trait LifecycleStore: Send + Sync {
    /// In one transaction: marks `predecessor` as followed by `successor` (a renewal supersedes it; a
    /// correction revokes it with `revocation`), bumps its status list's version (so cached verdicts are
    /// recomputed everywhere), and stores the successor with its audit entries and delivery. `Ok(false)`,
    /// with nothing stored, when the predecessor is no longer current (revoked, suspended, superseded or
    /// replaced since the service looked).
    async fn insert_successor(
        &self,
        successor: &IssuedCredential,
        predecessor: CredentialId,
        succession: Succession,
        revocation: Option<StatusReasons<'_>>,
        audits: &[AuditEntry],
        delivery: Option<&NewDelivery>,
    ) -> StoreResult<bool>;

    /// The status of credentials by id (missing ones left out), in no particular order.
    async fn status_states(&self, ids: &[CredentialId]) -> StoreResult<Vec<StatusState>>;

    /// The status of the credentials `filter` matches (its `limit` applies), oldest first.
    async fn status_states_matching(&self, filter: &super::CredentialFilter) -> StoreResult<Vec<StatusState>>;

    /// Applies a bulk status change in one transaction: every row must still be in the state the service saw
    /// (else `Ok(None)` and nothing changes), each audited, each affected list's version bumped once.
    /// The affected lists.
    async fn bulk_set_status(
        &self,
        change: BulkChange<'_>,
        audits: &[AuditEntry],
    ) -> StoreResult<Option<Vec<StatusListId>>>;

    /// Revokes, at `at`, every suspension whose deadline is at or before `now_ms` and that was neither lifted
    /// nor revoked ("withdrawn"), each audited with `template` (its subject and issuer filled in). Exactly once
    /// per credential however many replicas run it (a conditional update). The credentials and their lists.
    async fn withdraw_due_suspensions(
        &self,
        now_ms: i64,
        public_reason: &str,
        template: &AuditEntry,
    ) -> StoreResult<Vec<(CredentialId, Option<StatusListId>)>>;

    /// Takes (or renews) the lease of job `name` for `holder` until `until_ms`, if it is free, expired at
    /// `now_ms`, or already `holder`'s. Whether `holder` has it.
    async fn take_job_lease(&self, name: &str, holder: &str, now_ms: i64, until_ms: i64) -> StoreResult<bool>;

    /// Gives the lease up (at shutdown), if `holder` has it.
    async fn release_job_lease(&self, name: &str, holder: &str) -> StoreResult<()>;

    /// Current credentials with a learner address expiring in `(now_ms, to_ms]` whose next look for
    /// reminders is due at `now_ms` (never looked at, or `next_reminder_ms` passed), soonest first, at most
    /// `limit`, each with the nearest reminder already queued.
    async fn reminder_candidates(&self, now_ms: i64, to_ms: i64, limit: u32) -> StoreResult<Vec<Expiring>>;

    /// Records when to look at each credential for reminders next (Unix ms).
    async fn set_next_reminders(&self, next: &[(CredentialId, i64)]) -> StoreResult<()>;

    /// Fills in `valid_until_ms` of up to 10,000 rows that lack it (inserted by an older version). How many.
    async fn backfill_valid_until_ms(&self) -> StoreResult<u64>;

    /// Current credentials with a learner address expiring in `(from_ms, to_ms]`, soonest first, at most
    /// `limit`, each with the nearest reminder already queued.
    async fn expiring_credentials(
        &self,
        from_ms: i64,
        to_ms: i64,
        issuer: Option<IssuerId>,
        limit: u32,
    ) -> StoreResult<Vec<Expiring>>;

    /// Queues notices; a key already queued is left as it is. How many were new.
    async fn insert_notices(&self, notices: &[NewNotice]) -> StoreResult<u64>;

    /// Whether a notice with this key was queued.
    async fn notice_exists(&self, key: &str) -> StoreResult<bool>;

    /// Takes due pending notices (moving them past `lease_until_ms`, counting the attempt), in one statement
    /// (`SKIP LOCKED` on PostgreSQL): two processes never take the same notice while its lease lasts.
    async fn take_notices(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<TakenNotice>>;

    /// Records what became of a taken notice: `sent`, `pending` (retry at `next_attempt_ms`), `failed` or
    /// `skipped`; fenced by the attempt and lease it was taken under, so a process whose lease ran out cannot
    /// overwrite a newer outcome.
    async fn record_notice(
        &self,
        taken: &TakenNotice,
        status: &str,
        last_error: Option<&str>,
        next_attempt_ms: i64,
        sent_at: Option<OffsetDateTime>,
    ) -> StoreResult<()>;

    /// The credential `id` renews or corrects, if any: its id and why it was followed.
    async fn predecessor(&self, id: CredentialId) -> StoreResult<Option<(CredentialId, Succession)>>;

    /// The notices queued about a credential: (days before expiry, status), for the assessor's view and tests.
    async fn notices_of(&self, credential: CredentialId) -> StoreResult<Vec<(Option<u32>, String)>>;
}

/// The columns of a [`StatusState`], selected from `credential`.
pub(super) const STATUS_STATE_COLUMNS: &str = "SELECT credential_id, issuer_id, status_list_id IS NOT NULL, \
    suspension_list_id IS NOT NULL, revoked_at IS NOT NULL, suspended_at IS NOT NULL FROM credential";

/// A [`StatusState`] as the database returns it.
pub(super) type StatusStateRow = (uuid::Uuid, uuid::Uuid, bool, bool, bool, bool);

/// A row as a [`StatusState`].
pub(super) fn status_state((id, issuer, revocable, suspendable, revoked, suspended): StatusStateRow) -> StatusState {
    StatusState { id: CredentialId(id), issuer_id: IssuerId(issuer), revocable, suspendable, revoked, suspended }
}

/// An [`Expiring`] as the database returns it: id, issuer, address, `valid_until_ms`, the nearest reminder.
pub(super) type ExpiringRow = (uuid::Uuid, uuid::Uuid, String, i64, Option<i64>);

/// A row as an [`Expiring`].
pub(super) fn expiring((id, issuer, email, valid_until_ms, reminded): ExpiringRow) -> Expiring {
    Expiring {
        id: CredentialId(id),
        issuer_id: IssuerId(issuer),
        email,
        valid_until_ms,
        reminded: reminded.and_then(|d| u32::try_from(d).ok()),
    }
}

/// Implements [`LifecycleStore`] for a backend (see `impl_store!` in `queries.rs`).
macro_rules! impl_lifecycle_store {
    ($store:ty, $db:ty) => {
        use $crate::store::lifecycle::{ExpiringRow, STATUS_STATE_COLUMNS, StatusStateRow, expiring, status_state};
        #[async_trait::async_trait]
        impl $crate::store::lifecycle::LifecycleStore for $store {
            async fn insert_successor(
                &self,
                successor: &$crate::domain::award::IssuedCredential,
                predecessor: $crate::domain::award::CredentialId,
                succession: $crate::domain::lifecycle::Succession,
                revocation: Option<$crate::domain::award::StatusReasons<'_>>,
                audits: &[$crate::domain::audit::AuditEntry],
                delivery: Option<&$crate::store::NewDelivery>,
            ) -> $crate::store::StoreResult<bool> {
                use $crate::domain::lifecycle::Succession;
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                // The successor first: the predecessor's row names it (a foreign key checked at once).
                insert_credential_rows(&mut tx, std::slice::from_ref(successor)).await?;
                let marked = match succession {
                    Succession::Renewal => sqlx::query(
                        "UPDATE credential SET superseded_by = $1 WHERE credential_id = $2 \
                         AND superseded_by IS NULL AND replaced_by IS NULL AND revoked_at IS NULL AND suspended_at IS NULL",
                    )
                    .bind(successor.id.0)
                    .bind(predecessor.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::error)?,
                    Succession::Correction => sqlx::query(
                        "UPDATE credential SET replaced_by = $1, revoked_at = $2, revocation_reason = $3, \
                         revocation_public_reason = $4, suspended_until = NULL WHERE credential_id = $5 \
                         AND superseded_by IS NULL AND replaced_by IS NULL AND revoked_at IS NULL AND suspended_at IS NULL \
                         AND status_list_id IS NOT NULL",
                    )
                    .bind(successor.id.0)
                    .bind(successor.issued_at)
                    .bind(revocation.map(|r| r.note))
                    .bind(revocation.and_then(|r| r.public))
                    .bind(predecessor.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::error)?,
                };
                if marked.rows_affected() != 1 {
                    // Dropping the transaction rolls the successor back.
                    return Ok(false);
                }
                sqlx::query(
                    "UPDATE status_list SET version = version + 1 WHERE status_list_id = \
                     (SELECT status_list_id FROM credential WHERE credential_id = $1)",
                )
                .bind(predecessor.0)
                .execute(&mut *tx)
                .await
                .map_err(Self::error)?;
                insert_audits(&mut tx, audits).await?;
                insert_deliveries(&mut tx, delivery.map(std::slice::from_ref).unwrap_or_default()).await?;
                tx.commit().await.map_err(Self::error)?;
                Ok(true)
            }

            async fn status_states(
                &self,
                ids: &[$crate::domain::award::CredentialId],
            ) -> $crate::store::StoreResult<Vec<$crate::store::lifecycle::StatusState>> {
                let mut found = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(1_000) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(STATUS_STATE_COLUMNS);
                    q.push(" WHERE credential_id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(id.0);
                    }
                    q.push(")");
                    let rows: Vec<StatusStateRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(Self::error)?;
                    found.extend(rows.into_iter().map(status_state));
                }
                Ok(found)
            }

            async fn status_states_matching(
                &self,
                filter: &$crate::store::CredentialFilter,
            ) -> $crate::store::StoreResult<Vec<$crate::store::lifecycle::StatusState>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(STATUS_STATE_COLUMNS);
                q.push(" WHERE 1 = 1");
                push_credential_filter(&mut q, filter);
                q.push(" ORDER BY issued_at, credential_id LIMIT ").push_bind(i64::from(filter.limit));
                let rows: Vec<StatusStateRow> = q.build_query_as().fetch_all(&self.pool).await.map_err(Self::error)?;
                Ok(rows.into_iter().map(status_state).collect())
            }

            async fn bulk_set_status(
                &self,
                change: $crate::store::lifecycle::BulkChange<'_>,
                audits: &[$crate::domain::audit::AuditEntry],
            ) -> $crate::store::StoreResult<Option<Vec<$crate::domain::status::StatusListId>>> {
                use $crate::domain::status::StatusPurpose;
                // Which columns, and the state a row must be in for the change to apply.
                let (column, reasons, list_column, applies) = match (change.purpose, change.set.is_some()) {
                    (StatusPurpose::Revocation, _) => (
                        "revoked_at",
                        ("revocation_reason", "revocation_public_reason"),
                        "status_list_id",
                        "revoked_at IS NULL AND status_list_id IS NOT NULL",
                    ),
                    (StatusPurpose::Suspension, true) => (
                        "suspended_at",
                        ("suspension_reason", "suspension_public_reason"),
                        "suspension_list_id",
                        "suspended_at IS NULL AND revoked_at IS NULL AND suspension_list_id IS NOT NULL",
                    ),
                    (StatusPurpose::Suspension, false) => (
                        "suspended_at",
                        ("suspension_reason", "suspension_public_reason"),
                        "suspension_list_id",
                        "suspended_at IS NOT NULL AND revoked_at IS NULL AND suspension_list_id IS NOT NULL",
                    ),
                };
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                let mut changed = 0u64;
                let mut lists = std::collections::BTreeSet::new();
                for chunk in change.ids.chunks(1_000) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(format!("UPDATE credential SET {column} = "));
                    q.push_bind(change.set.map(|_| change.at));
                    q.push(format!(", {} = ", reasons.0)).push_bind(change.set.map(|r| r.note.to_owned()));
                    q.push(format!(", {} = ", reasons.1)).push_bind(change.set.and_then(|r| r.public.map(str::to_owned)));
                    q.push(", suspended_until = ").push_bind(change.set.and_then(|r| r.until).map($crate::store::unix_ms));
                    q.push(format!(" WHERE {applies} AND credential_id IN ("));
                    let mut ids = q.separated(", ");
                    for id in chunk {
                        ids.push_bind(id.0);
                    }
                    q.push(")");
                    changed += q.build().execute(&mut *tx).await.map_err(Self::error)?.rows_affected();
                    let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT DISTINCT {list_column} FROM credential WHERE {list_column} IS NOT NULL AND credential_id IN ("
                    ));
                    let mut ids = q.separated(", ");
                    for id in chunk {
                        ids.push_bind(id.0);
                    }
                    q.push(")");
                    let rows: Vec<(uuid::Uuid,)> = q.build_query_as().fetch_all(&mut *tx).await.map_err(Self::error)?;
                    lists.extend(rows.into_iter().map(|(l,)| l));
                }
                if changed != change.ids.len() as u64 {
                    // A row changed since the service looked: nothing is applied.
                    return Ok(None);
                }
                bump_list_versions(&mut tx, &lists).await?;
                insert_audits(&mut tx, audits).await?;
                tx.commit().await.map_err(Self::error)?;
                Ok(Some(lists.into_iter().map($crate::domain::status::StatusListId).collect()))
            }

            async fn withdraw_due_suspensions(
                &self,
                now_ms: i64,
                public_reason: &str,
                template: &$crate::domain::audit::AuditEntry,
            ) -> $crate::store::StoreResult<
                Vec<($crate::domain::award::CredentialId, Option<$crate::domain::status::StatusListId>)>,
            > {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                let rows: Vec<(uuid::Uuid, uuid::Uuid, Option<uuid::Uuid>)> = sqlx::query_as(
                    "UPDATE credential SET revoked_at = $1, revocation_reason = $2, revocation_public_reason = $3, \
                     suspended_until = NULL \
                     WHERE suspended_until IS NOT NULL AND suspended_until <= $4 AND suspended_at IS NOT NULL \
                     AND revoked_at IS NULL AND status_list_id IS NOT NULL \
                     RETURNING credential_id, issuer_id, status_list_id",
                )
                .bind(template.at)
                .bind(template.reason.as_deref())
                .bind(public_reason)
                .bind(now_ms)
                .fetch_all(&mut *tx)
                .await
                .map_err(Self::error)?;
                let lists: std::collections::BTreeSet<uuid::Uuid> = rows.iter().filter_map(|(_, _, l)| *l).collect();
                bump_list_versions(&mut tx, &lists).await?;
                let audits: Vec<$crate::domain::audit::AuditEntry> = rows
                    .iter()
                    .map(|(id, issuer, _)| $crate::domain::audit::AuditEntry {
                        subject: id.to_string(),
                        issuer_id: Some($crate::domain::issuer::IssuerId(*issuer)),
                        ..template.clone()
                    })
                    .collect();
                insert_audits(&mut tx, &audits).await?;
                tx.commit().await.map_err(Self::error)?;
                Ok(rows
                    .into_iter()
                    .map(|(id, _, list)| {
                        ($crate::domain::award::CredentialId(id), list.map($crate::domain::status::StatusListId))
                    })
                    .collect())
            }

            async fn take_job_lease(
                &self,
                name: &str,
                holder: &str,
                now_ms: i64,
                until_ms: i64,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO job_lease (name, holder, until_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms \
                     WHERE job_lease.until_ms < $4 OR job_lease.holder = excluded.holder",
                )
                .bind(name)
                .bind(holder)
                .bind(until_ms)
                .bind(now_ms)
                .execute(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_job_lease(&self, name: &str, holder: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM job_lease WHERE name = $1 AND holder = $2")
                    .bind(name)
                    .bind(holder)
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?;
                Ok(())
            }

            async fn reminder_candidates(
                &self,
                now_ms: i64,
                to_ms: i64,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::store::lifecycle::Expiring>> {
                let rows: Vec<ExpiringRow> = sqlx::query_as(
                    "SELECT c.credential_id, c.issuer_id, c.recipient_email, c.valid_until_ms, \
                     (SELECT MIN(n.days_before) FROM notice n WHERE n.credential_id = c.credential_id \
                      AND n.kind = 'expiry_reminder') \
                     FROM credential c WHERE c.valid_until_ms > $1 AND c.valid_until_ms <= $2 \
                     AND (c.next_reminder_ms IS NULL OR c.next_reminder_ms <= $1) \
                     AND c.revoked_at IS NULL AND c.suspended_at IS NULL AND c.superseded_by IS NULL \
                     AND c.recipient_email IS NOT NULL \
                     ORDER BY c.valid_until_ms, c.credential_id LIMIT $3",
                )
                .bind(now_ms)
                .bind(to_ms)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(rows.into_iter().map(expiring).collect())
            }

            async fn set_next_reminders(
                &self,
                next: &[($crate::domain::award::CredentialId, i64)],
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                for (id, at) in next {
                    sqlx::query("UPDATE credential SET next_reminder_ms = $1 WHERE credential_id = $2")
                        .bind(at)
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(Self::error)?;
                }
                tx.commit().await.map_err(Self::error)
            }

            async fn backfill_valid_until_ms(&self) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query(Self::BACKFILL_VALID_UNTIL_MS)
                    .execute(&self.pool)
                    .await
                    .map_err(Self::error)?
                    .rows_affected())
            }

            async fn expiring_credentials(
                &self,
                from_ms: i64,
                to_ms: i64,
                issuer: Option<$crate::domain::issuer::IssuerId>,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::store::lifecycle::Expiring>> {
                let rows: Vec<ExpiringRow> = sqlx::query_as(
                    "SELECT c.credential_id, c.issuer_id, c.recipient_email, c.valid_until_ms, \
                     (SELECT MIN(n.days_before) FROM notice n WHERE n.credential_id = c.credential_id \
                      AND n.kind = 'expiry_reminder') \
                     FROM credential c WHERE c.valid_until_ms > $1 AND c.valid_until_ms <= $2 \
                     AND c.revoked_at IS NULL AND c.suspended_at IS NULL AND c.superseded_by IS NULL \
                     AND c.recipient_email IS NOT NULL AND ($3 IS NULL OR c.issuer_id = $3) \
                     ORDER BY c.valid_until_ms, c.credential_id LIMIT $4",
                )
                .bind(from_ms)
                .bind(to_ms)
                .bind(issuer.map(|i| i.0))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(rows.into_iter().map(expiring).collect())
            }

            async fn insert_notices(
                &self,
                notices: &[$crate::store::lifecycle::NewNotice],
            ) -> $crate::store::StoreResult<u64> {
                let mut new = 0;
                let mut tx = self.pool.begin().await.map_err(Self::error)?;
                for n in notices {
                    new += sqlx::query(
                        "INSERT INTO notice (notice_key, kind, issuer_id, credential_id, recipient_email, days_before, \
                         status, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (notice_key) DO NOTHING",
                    )
                    .bind(&n.key)
                    .bind(n.kind)
                    .bind(n.issuer_id.0)
                    .bind(n.credential_id.map(|c| c.0))
                    .bind(&n.recipient_email)
                    .bind(n.days_before.map(i64::from))
                    .bind(n.status)
                    .bind(n.due_ms)
                    .bind(n.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(Self::error)?
                    .rows_affected();
                }
                tx.commit().await.map_err(Self::error)?;
                Ok(new)
            }

            async fn notice_exists(&self, key: &str) -> $crate::store::StoreResult<bool> {
                let found: Option<(String,)> = sqlx::query_as("SELECT notice_key FROM notice WHERE notice_key = $1")
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(Self::error)?;
                Ok(found.is_some())
            }

            async fn take_notices(
                &self,
                now_ms: i64,
                lease_until_ms: i64,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::store::lifecycle::TakenNotice>> {
                let rows: Vec<(String, uuid::Uuid, Option<uuid::Uuid>, String, i64, i64)> =
                    sqlx::query_as(Self::TAKE_NOTICES)
                        .bind(now_ms)
                        .bind(lease_until_ms)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(Self::error)?;
                Ok(rows
                    .into_iter()
                    .map(|(key, issuer, credential, email, attempts, lease)| $crate::store::lifecycle::TakenNotice {
                        key,
                        issuer_id: $crate::domain::issuer::IssuerId(issuer),
                        credential_id: credential.map($crate::domain::award::CredentialId),
                        recipient_email: email,
                        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                        lease_until_ms: lease,
                    })
                    .collect())
            }

            async fn record_notice(
                &self,
                taken: &$crate::store::lifecycle::TakenNotice,
                status: &str,
                last_error: Option<&str>,
                next_attempt_ms: i64,
                sent_at: Option<time::OffsetDateTime>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE notice SET status = $1, last_error = $2, next_attempt_at = $3, sent_at = $4 \
                     WHERE notice_key = $5 AND status = 'pending' AND attempts = $6 AND next_attempt_at = $7",
                )
                .bind(status)
                .bind(last_error)
                .bind(next_attempt_ms)
                .bind(sent_at)
                .bind(&taken.key)
                .bind(i64::from(taken.attempts))
                .bind(taken.lease_until_ms)
                .execute(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(())
            }

            async fn predecessor(
                &self,
                id: $crate::domain::award::CredentialId,
            ) -> $crate::store::StoreResult<
                Option<($crate::domain::award::CredentialId, $crate::domain::lifecycle::Succession)>,
            > {
                let row: Option<(uuid::Uuid, bool)> = sqlx::query_as(
                    "SELECT credential_id, replaced_by IS NOT NULL FROM credential \
                     WHERE superseded_by = $1 OR replaced_by = $1 LIMIT 1",
                )
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(row.map(|(old, corrected)| {
                    let why = if corrected {
                        $crate::domain::lifecycle::Succession::Correction
                    } else {
                        $crate::domain::lifecycle::Succession::Renewal
                    };
                    ($crate::domain::award::CredentialId(old), why)
                }))
            }

            async fn notices_of(
                &self,
                credential: $crate::domain::award::CredentialId,
            ) -> $crate::store::StoreResult<Vec<(Option<u32>, String)>> {
                let rows: Vec<(Option<i64>, String)> = sqlx::query_as(
                    "SELECT days_before, status FROM notice WHERE credential_id = $1 ORDER BY days_before DESC",
                )
                .bind(credential.0)
                .fetch_all(&self.pool)
                .await
                .map_err(Self::error)?;
                Ok(rows.into_iter().map(|(d, s)| (d.and_then(|d| u32::try_from(d).ok()), s)).collect())
            }
        }
    };
}
