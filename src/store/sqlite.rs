//! SQLite backend: the embedded default. WAL mode (readers never block the writer), foreign keys on, and
//! `synchronous = NORMAL`, which in WAL mode keeps the file consistent through a process kill at any point;
//! only an operating-system crash or power loss can lose the last commits.

use std::str::FromStr;
use std::sync::Arc;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

use super::group_commit::GroupCommit;
use super::{BatchRecord, ConnectError, NewDelivery, PoolSettings, StoreError, StoreResult};
use crate::domain::audit::AuditEntry;
use crate::domain::award::IssuedCredential;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite implementation of [`Store`](super::Store).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection of its own for group commits and batches. A SQLite connection drops its whole page
    /// cache whenever another connection has written since its last transaction, and the pool hands out its
    /// connections in turn, so each group used to start from a cold cache and read the index pages it
    /// inserts into again (BENCHMARKS.md, "Issue 20, session 20"). Its own connection finds them cached,
    /// and groups queue for it here instead of in SQLite's busy handler, which sleeps.
    writer: SqlitePool,
    /// Concurrent single awards share a transaction ([`GroupCommit`]).
    group: Arc<GroupCommit>,
}

impl SqliteStore {
    /// Opens (creating if missing, with its folder) the database file named by a `sqlite://PATH` URL.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, ConnectError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(ConnectError::Open)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Temporary storage in memory: a transaction of many rows (a group of awards, a batch) otherwise
            // spills its statement journal to a temporary file it creates, writes and deletes at every commit
            // (BENCHMARKS.md, "Issue 20, session 19"). Sorts and temporary b-trees then stay in memory too; every
            // sort microcred asks for is over a bounded set (a page, a batch's learners, an issuer's keys) or
            // answered from an index, except the delivery counts of the metrics (one small key per message).
            .pragma("temp_store", "memory")
            // Checkpoint the write-ahead log every 10,000 pages (about 40 MB) instead of SQLite's 1,000: a
            // checkpoint copies the newest version of each page the log holds into the database file, and the
            // pages awards write most (the indexes' last leaves) are the same from one commit to the next, so a
            // longer log copies each of them once where a short one copied it ten times. Checkpoints ran inside
            // the group commits and took a tenth of the writer's time (BENCHMARKS.md, "Issue 20, session 21").
            .pragma("wal_autocheckpoint", "10000")
            .busy_timeout(std::time::Duration::from_secs(5));
        if let Some(folder) = options.get_filename().parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(folder)
                .await
                .map_err(|source| ConnectError::Folder { path: folder.to_owned(), source })?;
        }
        let pool =
            settings.pool_options::<sqlx::Sqlite>().connect_with(options.clone()).await.map_err(ConnectError::Open)?;
        let writer = settings
            .pool_options::<sqlx::Sqlite>()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(ConnectError::Open)?;
        Ok(Self { pool, writer, group: Arc::new(GroupCommit::new(1)) })
    }

    /// See [`Store::refresh_statistics`](super::Store::refresh_statistics): SQLite plans from the fixed
    /// statistics a migration writes (`20261204000000_planner_statistics.sql` says why), the same on every
    /// connection; an `ANALYZE` would reach only the connection that ran it.
    const REFRESH_STATISTICS: Option<(&'static [&'static str], &'static str)> = None;

    /// See [`Store::take_deliveries`](super::Store::take_deliveries): SQLite runs one writer at a time, so
    /// the update alone is atomic.
    const TAKE_DELIVERIES: &'static str = "UPDATE delivery SET next_attempt_at = $2, attempts = attempts + 1 \
        WHERE credential_id IN (SELECT credential_id FROM delivery WHERE status = 'pending' AND next_attempt_at <= $1 \
        ORDER BY next_attempt_at LIMIT $3) RETURNING credential_id, recipient_email, attempts";

    /// See [`LifecycleStore::take_notices`](super::lifecycle::LifecycleStore::take_notices).
    const TAKE_NOTICES: &'static str = "UPDATE notice SET next_attempt_at = $2, attempts = attempts + 1 \
        WHERE notice_key IN (SELECT notice_key FROM notice WHERE status = 'pending' AND next_attempt_at <= $1 \
        ORDER BY next_attempt_at LIMIT $3) \
        RETURNING notice_key, issuer_id, credential_id, recipient_email, attempts, next_attempt_at";

    /// See [`LifecycleStore::backfill_valid_until_ms`](super::lifecycle::LifecycleStore::backfill_valid_until_ms):
    /// `valid_until` is RFC 3339 text here.
    const BACKFILL_VALID_UNTIL_MS: &'static str = "UPDATE credential \
        SET valid_until_ms = CAST(strftime('%s', valid_until) AS INTEGER) * 1000 \
        WHERE credential_id IN (SELECT credential_id FROM credential \
        WHERE valid_until IS NOT NULL AND valid_until_ms IS NULL LIMIT 10000)";

    /// SQLite reports a unique violation as "UNIQUE constraint failed: table.column"; this maps the
    /// columns back to the constraint names the PostgreSQL tree uses, so callers see one vocabulary.
    /// See [`Store::insert_batch`](super::Store::insert_batch): one transaction, many rows to a statement.
    async fn insert_rows(
        &self,
        credentials: &[IssuedCredential],
        audits: &[AuditEntry],
        deliveries: &[NewDelivery],
        batch: Option<&BatchRecord>,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await.map_err(Self::error)?;
        insert_credential_rows(&mut tx, credentials).await?;
        insert_audits(&mut tx, audits).await?;
        insert_deliveries(&mut tx, deliveries).await?;
        if let Some(b) = batch {
            sqlx::query(
                "INSERT INTO award_batch (award_batch_id, issuer_id, idempotency_key, request_hash, response, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(b.id)
            .bind(b.issuer_id.0)
            .bind(&b.idempotency_key)
            .bind(&b.request_hash[..])
            .bind(&b.response)
            .bind(b.created_at)
            .execute(&mut *tx)
            .await
            .map_err(Self::error)?;
        }
        tx.commit().await.map_err(Self::error)
    }

    fn error(e: sqlx::Error) -> StoreError {
        StoreError::classify(e, |db| {
            let message = db.message();
            let columns = message.split_once(": ").map(|(_, c)| c)?;
            let name = match columns {
                "issuer.slug" => "issuer_slug_key",
                "issuer.did" => "issuer_did_key",
                "issuer.issuer_id" => "issuer_pkey",
                "issuer_key.key_id" => "issuer_key_pkey",
                "issuer_key.issuer_id" => "issuer_key_one_active_key",
                "api_key.api_key_id" => "api_key_pkey",
                "credential.issuer_id, credential.idempotency_key" => "credential_idempotency_key",
                "credential.achievement_id, credential.recipient_email" => "credential_one_award_per_recipient",
                "credential.credential_id" => "credential_pkey",
                "award_batch.issuer_id, award_batch.idempotency_key" => "award_batch_idempotency_key",
                "credential.status_list_id, credential.status_index" => "credential_status_index_key",
                "credential.suspension_list_id, credential.suspension_index" => "credential_suspension_index_key",
                other => other,
            };
            Some(name.to_owned())
        })
    }
}

impl_store!(SqliteStore, Sqlite, MIGRATOR);
impl_lifecycle_store!(SqliteStore, sqlx::Sqlite);
