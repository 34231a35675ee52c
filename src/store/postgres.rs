//! PostgreSQL backend: the deployment past one machine (several stateless replicas over one database).
//! Connections open lazily, so a replica starts even while the database restarts, and `/readyz` tells.

use std::str::FromStr;
use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

use super::group_commit::GroupCommit;
use super::{ConnectError, PoolSettings, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL implementation of [`Store`](super::Store).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Concurrent single awards share a transaction ([`GroupCommit`]).
    group: Arc<GroupCommit>,
}

impl PgStore {
    /// Prepares a pool for a `postgres://` URL (no connection is made yet).
    pub fn connect(url: &str, settings: &PoolSettings) -> Result<Self, ConnectError> {
        let options = PgConnectOptions::from_str(url).map_err(ConnectError::Open)?;
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_lazy_with(options);
        Ok(Self { pool, group: Arc::new(GroupCommit::new(4)) })
    }

    /// See [`Store::refresh_statistics`](super::Store::refresh_statistics): the tables awards grow, then the
    /// row count the sample estimated.
    const REFRESH_STATISTICS: Option<(&'static str, &'static str)> = Some((
        "ANALYZE credential, audit_event",
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

    fn error(e: sqlx::Error) -> StoreError {
        StoreError::classify(e, |db| db.constraint().map(str::to_owned))
    }
}

impl_store!(PgStore, Postgres, MIGRATOR);
impl_lifecycle_store!(PgStore, sqlx::Postgres);
