//! PostgreSQL backend: the deployment past one machine (several stateless replicas over one database).
//! Connections open lazily, so a replica starts even while the database restarts, and `/readyz` tells.

use std::str::FromStr;
use std::sync::Arc;

use sqlx::postgres::PgConnectOptions;
use sqlx::{PgPool, Postgres};

use uuid::Uuid;

use super::group_commit::GroupCommit;
use super::{BatchRecord, ConnectError, NewDelivery, PoolSettings, StoreError, StoreResult, unix_ms};
use crate::domain::audit::AuditEntry;
use crate::domain::award::IssuedCredential;
use crate::domain::status::StatusSlot;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL implementation of [`Store`](super::Store).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The pool group commits and batches write through: the same one (PostgreSQL's buffer cache serves
    /// every connection alike, unlike SQLite's per-connection cache; see `SqliteStore::writer`).
    writer: PgPool,
    /// Concurrent single awards share a transaction ([`GroupCommit`]).
    group: Arc<GroupCommit>,
}

impl PgStore {
    /// Prepares a pool for a `postgres://` URL (no connection is made yet).
    pub fn connect(url: &str, settings: &PoolSettings) -> Result<Self, ConnectError> {
        let options = PgConnectOptions::from_str(url).map_err(ConnectError::Open)?;
        let pool = settings.pool_options::<sqlx::Postgres>().connect_lazy_with(options);
        Ok(Self { writer: pool.clone(), pool, group: Arc::new(GroupCommit::new(1)) })
    }

    /// See [`Store::refresh_statistics`](super::Store::refresh_statistics): the tables awards grow, then the
    /// row count the sample estimated, in one transaction.
    ///
    /// The sample is a tenth of the default (`default_statistics_target` 10: 3,000 rows, 10 common values and
    /// histogram buckets per column). What these refreshes are for is the table's size, which any sample
    /// gives; with the default 30,000 rows, refreshing every tenth of growth took a fifth of PostgreSQL's
    /// CPU while awards poured into a new database, and the lighter refresh took its p99 latency from 38 to
    /// 30 ms (BENCHMARKS.md, "Issue 20, session 20"). The cost: since these refreshes come more often than
    /// autovacuum's (which take the full sample), the planner mostly sees 10 common values per column, not
    /// 100, which is coarser for skewed columns such as `achievement_id`.
    const REFRESH_STATISTICS: Option<(&'static [&'static str], &'static str)> = Some((
        &["SET LOCAL default_statistics_target = 10", "ANALYZE credential, audit_event"],
        "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'credential'::regclass",
    ));

    /// See [`Store::take_deliveries`](super::Store::take_deliveries): `SKIP LOCKED` lets replicas take
    /// different rows at the same moment instead of waiting for each other's.
    const TAKE_DELIVERIES: &'static str = "UPDATE delivery SET next_attempt_at = $2, attempts = attempts + 1 \
        WHERE credential_id IN (SELECT credential_id FROM delivery WHERE status = 'pending' AND next_attempt_at <= $1 \
        ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING credential_id, recipient_email, attempts";

    /// See [`LifecycleStore::take_notices`](super::lifecycle::LifecycleStore::take_notices).
    const TAKE_NOTICES: &'static str = "UPDATE notice SET next_attempt_at = $2, attempts = attempts + 1 \
        WHERE notice_key IN (SELECT notice_key FROM notice WHERE status = 'pending' AND next_attempt_at <= $1 \
        ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
        RETURNING notice_key, issuer_id, credential_id, recipient_email, attempts, next_attempt_at";

    /// See [`LifecycleStore::backfill_valid_until_ms`](super::lifecycle::LifecycleStore::backfill_valid_until_ms).
    const BACKFILL_VALID_UNTIL_MS: &'static str = "UPDATE credential \
        SET valid_until_ms = (EXTRACT(EPOCH FROM valid_until) * 1000)::BIGINT \
        WHERE credential_id IN (SELECT credential_id FROM credential \
        WHERE valid_until IS NOT NULL AND valid_until_ms IS NULL LIMIT 10000)";

    /// See [`Store::insert_batch`](super::Store::insert_batch). Up to [`Self::ROWS_PER_STATEMENT`] rows per
    /// table (every group commit), everything is one statement, so one round trip and no `BEGIN`/`COMMIT` (a
    /// statement is its own transaction; the foreign keys are checked at its end). A larger batch is one
    /// transaction of such statements, so that no message holds a whole batch's documents (30 MB for
    /// 10,000; the batch's memory target is 150 MB).
    async fn insert_rows(
        &self,
        credentials: &[IssuedCredential],
        audits: &[AuditEntry],
        deliveries: &[NewDelivery],
        batch: Option<&BatchRecord>,
    ) -> StoreResult<()> {
        const N: usize = PgStore::ROWS_PER_STATEMENT;
        if credentials.len() <= N && audits.len() <= N && deliveries.len() <= N {
            return insert_rows(&self.pool, credentials, audits, deliveries, batch).await;
        }
        let mut tx = self.writer.begin().await.map_err(Self::error)?;
        let part = |rows: usize, i: usize| (i * N).min(rows)..((i + 1) * N).min(rows);
        let parts = credentials.len().max(audits.len()).max(deliveries.len()).div_ceil(N);
        for i in 0..parts {
            let (c, a, d) = (part(credentials.len(), i), part(audits.len(), i), part(deliveries.len(), i));
            let b = batch.filter(|_| i == 0);
            insert_rows(&mut *tx, &credentials[c], &audits[a], &deliveries[d], b).await?;
        }
        tx.commit().await.map_err(Self::error)
    }

    /// Most rows of a table in one statement of [`Self::insert_rows`].
    const ROWS_PER_STATEMENT: usize = 1_000;

    fn error(e: sqlx::Error) -> StoreError {
        StoreError::classify(e, |db| db.constraint().map(str::to_owned))
    }
}

/// One statement of [`PgStore::insert_rows`]: each table's columns as arrays (UNNEST), in data-modifying CTEs.
/// Arrays rather than a `VALUES` list: the text is the same for 1 row or 1,000, so each connection prepares and
/// plans it once, where a `VALUES` list of each new length was parsed and planned again (5,000 parameters for 256
/// rows): that planning was much of PostgreSQL's work per group commit.
async fn insert_rows<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    credentials: &[IssuedCredential],
    audits: &[AuditEntry],
    deliveries: &[NewDelivery],
    batch: Option<&BatchRecord>,
) -> StoreResult<()> {
    let c = credentials;
    let column = |f: fn(&IssuedCredential) -> Option<Uuid>| c.iter().map(f).collect::<Vec<_>>();
    let text = |f: fn(&IssuedCredential) -> Option<&str>| c.iter().map(f).collect::<Vec<_>>();
    let index = |slot: Option<StatusSlot>| slot.map(|s| i64::from(s.index));
    sqlx::query(INSERT_ROWS)
        .bind(c.iter().map(|c| c.id.0).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.issuer_id.0).collect::<Vec<_>>())
        .bind(column(|c| c.achievement_id.map(|a| a.0)))
        .bind(text(|c| c.recipient_name.as_deref()))
        .bind(text(|c| c.recipient_email.as_deref()))
        .bind(c.iter().map(|c| c.document.get()).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.issued_at).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.valid_until).collect::<Vec<_>>())
        .bind(text(|c| c.language.as_deref()))
        .bind(c.iter().map(|c| c.allow_duplicate).collect::<Vec<_>>())
        .bind(text(|c| c.idempotency_key.as_deref()))
        .bind(c.iter().map(|c| c.request_hash.map(|h| h.to_vec())).collect::<Vec<_>>())
        .bind(column(|c| c.api_key_id.map(|k| k.0)))
        .bind(column(|c| c.status.map(|s| s.list.0)))
        .bind(c.iter().map(|c| index(c.status)).collect::<Vec<_>>())
        .bind(column(|c| c.suspension.map(|s| s.list.0)))
        .bind(c.iter().map(|c| index(c.suspension)).collect::<Vec<_>>())
        .bind(text(|c| c.external_id.as_deref()))
        .bind(c.iter().map(|c| c.recipient_lookup.map(|h| h.to_vec())).collect::<Vec<_>>())
        .bind(c.iter().map(|c| c.valid_until.map(unix_ms)).collect::<Vec<_>>())
        .bind(audits.iter().map(|e| e.at).collect::<Vec<_>>())
        .bind(audits.iter().map(|e| e.api_key_id.map(|k| k.0)).collect::<Vec<_>>())
        .bind(audits.iter().map(|e| e.issuer_id.map(|i| i.0)).collect::<Vec<_>>())
        .bind(audits.iter().map(|e| e.action).collect::<Vec<_>>())
        .bind(audits.iter().map(|e| e.subject.as_str()).collect::<Vec<_>>())
        .bind(audits.iter().map(|e| e.reason.as_deref()).collect::<Vec<_>>())
        .bind(deliveries.iter().map(|d| d.credential_id.0).collect::<Vec<_>>())
        .bind(deliveries.iter().map(|d| d.recipient_email.as_str()).collect::<Vec<_>>())
        .bind(deliveries.iter().map(|d| d.status.as_str()).collect::<Vec<_>>())
        .bind(deliveries.iter().map(|d| unix_ms(d.created_at)).collect::<Vec<_>>())
        .bind(deliveries.iter().map(|d| d.created_at).collect::<Vec<_>>())
        .bind(batch.iter().map(|b| b.id).collect::<Vec<_>>())
        .bind(batch.iter().map(|b| b.issuer_id.0).collect::<Vec<_>>())
        .bind(batch.iter().map(|b| b.idempotency_key.as_str()).collect::<Vec<_>>())
        .bind(batch.iter().map(|b| b.request_hash.to_vec()).collect::<Vec<_>>())
        .bind(batch.iter().map(|b| b.response.as_str()).collect::<Vec<_>>())
        .bind(batch.iter().map(|b| b.created_at).collect::<Vec<_>>())
        .execute(executor)
        .await
        .map_err(PgStore::error)?;
    Ok(())
}

/// [`insert_rows`]: credentials, audit entries, deliveries and the batch record (zero or one), each
/// table's columns as arrays, in the order of `insert_credential_rows`, `insert_audits` and
/// `insert_deliveries` (store/queries.rs).
const INSERT_ROWS: &str = "WITH credentials AS (INSERT INTO credential (credential_id, issuer_id, achievement_id, \
    recipient_name, recipient_email, document, issued_at, valid_until, language, allow_duplicate, idempotency_key, \
    request_hash, api_key_id, status_list_id, status_index, suspension_list_id, suspension_index, external_id, \
    recipient_lookup, valid_until_ms) \
    SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], \
    $8::timestamptz[], $9::text[], $10::boolean[], $11::text[], $12::bytea[], $13::uuid[], $14::uuid[], $15::bigint[], \
    $16::uuid[], $17::bigint[], $18::text[], $19::bytea[], $20::bigint[])), \
    audits AS (INSERT INTO audit_event (at, api_key_id, issuer_id, action, subject, reason) \
    SELECT * FROM UNNEST($21::timestamptz[], $22::uuid[], $23::uuid[], $24::text[], $25::text[], $26::text[])), \
    deliveries AS (INSERT INTO delivery (credential_id, recipient_email, status, next_attempt_at, created_at) \
    SELECT * FROM UNNEST($27::uuid[], $28::text[], $29::text[], $30::bigint[], $31::timestamptz[])) \
    INSERT INTO award_batch (award_batch_id, issuer_id, idempotency_key, request_hash, response, created_at) \
    SELECT * FROM UNNEST($32::uuid[], $33::uuid[], $34::text[], $35::bytea[], $36::text[], $37::timestamptz[])";

impl_store!(PgStore, Postgres, MIGRATOR);
impl_lifecycle_store!(PgStore, sqlx::Postgres);
