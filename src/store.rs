//! Persistence: the one place that knows SQL.
//!
//! [`Store`] speaks domain types. Two implementations share their queries (SQLite accepts PostgreSQL's
//! `$1` placeholders) through the [`impl_store!`] macro in `store/queries.rs`, and keep what differs — pool
//! options, migrations, how a constraint violation is reported — in `store/sqlite.rs` and
//! `store/postgres.rs`. The backend is chosen by the URL scheme.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::domain::achievement::{Achievement, AchievementId};
use crate::domain::api_key::{ApiKey, ApiKeyId, SecretHash};
use crate::domain::audit::{AuditEntry, AuditEvent};
use crate::domain::award::{CredentialId, IssuedCredential, StatusReasons};
use crate::domain::delivery::{Delivery, DeliveryStatus};
use crate::domain::issuer::{Issuer, IssuerId, Slug};
use crate::domain::status::{StatusList, StatusListId, StatusPurpose};
use crate::domain::wallet::{WalletCredential, WalletOffer, WalletProtocol};

#[macro_use]
mod queries;
mod group_commit;
#[macro_use]
pub mod lifecycle;
mod postgres;
mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Failures of the store, split by what a caller can do about them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique or check constraint refused the write: which one, named once by the backend.
    #[error("conflict with existing data ({0})")]
    Conflict(Constraint),
    /// The database cannot be reached right now (connection refused, pool timed out): retry later.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Applying migrations failed.
    #[error("database migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A row holds a value the domain refuses (edited by hand, or a bug).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error")]
    Other(#[source] sqlx::Error),
}

impl StoreError {
    /// Classifies a driver error; `constraint_of` extracts the violated constraint's name.
    fn classify(e: sqlx::Error, constraint_of: impl Fn(&dyn sqlx::error::DatabaseError) -> Option<String>) -> Self {
        match e {
            // SQLite reports a trigger's `RAISE(ABORT, …)` as neither: its message is the constraint's name.
            sqlx::Error::Database(ref db)
                if db.is_unique_violation()
                    || db.is_check_violation()
                    || db.message() == Constraint::RevokedApiKey.name() =>
            {
                let name = constraint_of(db.as_ref())
                    .or_else(|| (db.message() == Constraint::RevokedApiKey.name()).then(|| db.message().to_owned()))
                    .unwrap_or_else(|| "unknown".to_owned());
                Self::Conflict(Constraint::from_name(&name))
            }
            // Can't talk to the database: refused, cut off mid-handshake or mid-query, pool exhausted.
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => Self::Unavailable(e),
            // PostgreSQL shutting down or starting up (SQLSTATE class 57), or a connection exception (08).
            sqlx::Error::Database(ref db)
                if db.code().is_some_and(|code| code.starts_with("57") || code.starts_with("08")) =>
            {
                Self::Unavailable(e)
            }
            other => Self::Other(other),
        }
    }
}

/// The constraints a caller reacts to, by meaning; their names are identical in both migration trees
/// (`migrations/{sqlite,postgres}`), and `store/sqlite.rs` maps SQLite's column lists back to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    /// `issuer_slug_key`: another issuer has this slug.
    IssuerSlug,
    /// `issuer_did_key`: another issuer has this DID.
    IssuerDid,
    /// `issuer_key_one_active_key`: an issuer has at most one active key (a concurrent rotation).
    OneActiveKey,
    /// `credential_status_index_key`: another credential holds this revocation status-list index.
    StatusIndex,
    /// `credential_suspension_index_key`: another credential holds this suspension status-list index.
    SuspensionIndex,
    /// `credential_idempotency_key`: the issuer already issued a credential under this `Idempotency-Key`.
    IdempotencyKey,
    /// `award_batch_idempotency_key`: the issuer already sent a batch under this `Idempotency-Key`.
    BatchIdempotencyKey,
    /// `credential_one_award_per_recipient`: the learner already holds this achievement.
    DuplicateAward,
    /// `credential_api_key_live` (a trigger in both trees): the API key a credential is stored for has been
    /// revoked, so the credential is not stored. Where a use case signs from a cached API key
    /// (`service/signing_sources.rs`), this is what makes a revocation made elsewhere take effect at once.
    RevokedApiKey,
    /// Any other constraint (primary keys, checks), by its name.
    Other(String),
}

impl Constraint {
    /// The constraint with this name in the migrations.
    pub fn from_name(name: &str) -> Self {
        match name {
            "issuer_slug_key" => Self::IssuerSlug,
            "issuer_did_key" => Self::IssuerDid,
            "issuer_key_one_active_key" => Self::OneActiveKey,
            "credential_status_index_key" => Self::StatusIndex,
            "credential_suspension_index_key" => Self::SuspensionIndex,
            "credential_idempotency_key" => Self::IdempotencyKey,
            "award_batch_idempotency_key" => Self::BatchIdempotencyKey,
            "credential_one_award_per_recipient" => Self::DuplicateAward,
            "credential_api_key_live" => Self::RevokedApiKey,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Its name in the migrations.
    pub fn name(&self) -> &str {
        match self {
            Self::IssuerSlug => "issuer_slug_key",
            Self::IssuerDid => "issuer_did_key",
            Self::OneActiveKey => "issuer_key_one_active_key",
            Self::StatusIndex => "credential_status_index_key",
            Self::SuspensionIndex => "credential_suspension_index_key",
            Self::IdempotencyKey => "credential_idempotency_key",
            Self::BatchIdempotencyKey => "award_batch_idempotency_key",
            Self::DuplicateAward => "credential_one_award_per_recipient",
            Self::RevokedApiKey => "credential_api_key_live",
            Self::Other(name) => name,
        }
    }

    /// A status-list index another credential took first (a race between replicas): draw again.
    pub fn is_status_index(&self) -> bool {
        matches!(self, Self::StatusIndex | Self::SuspensionIndex)
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A key of an issuer as stored: public half and life cycle.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IssuerKey {
    /// `z6Mk…`, the multibase of `public_key`.
    pub key_id: String,
    /// The issuer it belongs to.
    pub issuer_id: IssuerId,
    /// The raw Ed25519 public key.
    #[serde(skip)]
    pub public_key: [u8; 32],
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stopped signing; it stays published.
    #[serde(with = "time::serde::rfc3339::option")]
    pub retired_at: Option<OffsetDateTime>,
}

/// What issuing one award reads, in one round trip ([`Store::award_source`]): the achievement, its issuer, the
/// issuer's active key, the learner's earlier award of the achievement, if any, and the caller's API key.
#[derive(Debug, Clone)]
pub struct AwardSource {
    /// The achievement awarded.
    pub achievement: Achievement,
    /// Its issuer.
    pub issuer: Issuer,
    /// The issuer's active key (at most one is active), `None` if every key was retired.
    pub active_key: Option<IssuerKey>,
    /// The oldest credential of this achievement already held by the e-mail address asked about (whether or not
    /// it was awarded with `allow_duplicate`): the duplicate check of a single award.
    pub held: Option<CredentialId>,
    /// The API key asked about with its secret's hash, if asked and it exists (revoked or not): an award
    /// checks its caller's token in the same round trip.
    pub api_key: Option<(ApiKey, SecretHash)>,
}

/// What signing a credential a VC-API client built reads, in one round trip ([`Store::signing_source`]): the
/// issuer its `issuer` names, that issuer's active key, and the caller's API key.
#[derive(Debug, Clone)]
pub struct SigningSource {
    /// The issuer.
    pub issuer: Issuer,
    /// Its active key (at most one is active), `None` if every key was retired.
    pub active_key: Option<IssuerKey>,
    /// The caller's API key with its secret's hash, if it exists (revoked or not).
    pub api_key: Option<(ApiKey, SecretHash)>,
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything microcred persists, in domain terms. Writes that belong together happen in one transaction.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug + lifecycle::LifecycleStore {
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Closes the pool, waiting for connections to be returned.
    async fn close(&self);
    /// Open connections and idle ones among them (for metrics).
    fn pool_usage(&self) -> (u32, usize);

    /// Stores a new issuer together with its first (active) key.
    async fn insert_issuer(&self, issuer: &Issuer, key: &IssuerKey) -> StoreResult<()>;
    /// Replaces an issuer's profile (every column but its id, slug, DID, DID method and creation time) and
    /// records `audit`, in one transaction; `false` if there is no such issuer.
    async fn update_issuer(&self, issuer: &Issuer, audit: &AuditEntry) -> StoreResult<bool>;
    /// All issuers, oldest first.
    async fn issuers(&self) -> StoreResult<Vec<Issuer>>;
    /// The issuer with this slug.
    async fn issuer_by_slug(&self, slug: &Slug) -> StoreResult<Option<Issuer>>;
    /// The issuer with this id.
    async fn issuer_by_id(&self, id: IssuerId) -> StoreResult<Option<Issuer>>;

    /// Every key of an issuer, oldest first.
    async fn issuer_keys(&self, issuer: IssuerId) -> StoreResult<Vec<IssuerKey>>;
    /// The key `key_id` (active or retired) of the issuer whose DID is `did`, in one query: what verifying a
    /// proof by one of this service's issuers reads. `None` if no issuer of this service has that DID (another
    /// host's); `Some(None)` if ours has no such key.
    async fn issuer_key_by_did(&self, did: &str, key_id: &str) -> StoreResult<Option<Option<IssuerKey>>>;
    /// Retires the issuer's active key and makes `new_key` the active one, atomically, with its audit entry.
    async fn rotate_key(&self, new_key: &IssuerKey, audit: &AuditEntry) -> StoreResult<()>;

    /// Stores a new achievement.
    async fn insert_achievement(&self, achievement: &Achievement) -> StoreResult<()>;
    /// Replaces an achievement's content; `false` if there is no such achievement.
    async fn update_achievement(&self, achievement: &Achievement) -> StoreResult<bool>;
    /// One achievement.
    async fn achievement(&self, id: AchievementId) -> StoreResult<Option<Achievement>>;
    /// An issuer's achievements, oldest first.
    async fn achievements(&self, issuer: IssuerId) -> StoreResult<Vec<Achievement>>;
    /// The achievement `achievement` with its issuer, the issuer's active key, the oldest credential of it held
    /// by `email` (lower-cased) and the API key `api_key` (if given), in one query: a single award makes one
    /// round trip for all it needs to read, its caller's key included. `None` if there is no such achievement
    /// (whether or not the API key exists).
    async fn award_source(
        &self,
        achievement: AchievementId,
        email: &str,
        api_key: Option<ApiKeyId>,
    ) -> StoreResult<Option<AwardSource>>;
    /// The issuer whose DID is `did` with its active key and the API key `api_key`, in one query: what signing
    /// a VC-API client's credential reads. `None` if no issuer of this service has that DID (whether or not the
    /// API key exists).
    async fn signing_source(&self, did: &str, api_key: ApiKeyId) -> StoreResult<Option<SigningSource>>;

    /// Stores a checked image under its digest; storing the same bytes again changes nothing.
    async fn insert_image(&self, image: &crate::domain::image::Image, at: OffsetDateTime) -> StoreResult<()>;
    /// The image with this digest.
    async fn image(&self, digest: &str) -> StoreResult<Option<crate::domain::image::Image>>;

    /// Stores an issued credential, its audit entry and its queued e-mail (if any) in one transaction.
    async fn insert_credential(
        &self,
        credential: &IssuedCredential,
        audit: &AuditEntry,
        delivery: Option<&NewDelivery>,
    ) -> StoreResult<()>;
    /// One issued credential.
    async fn credential(&self, id: CredentialId) -> StoreResult<Option<IssuedCredential>>;
    /// The credential an issuer issued under an `Idempotency-Key`.
    async fn credential_by_idempotency_key(&self, issuer: IssuerId, key: &str)
    -> StoreResult<Option<IssuedCredential>>;
    /// The newest credential issued through the VC-API with this `id`, of `issuer` when given.
    async fn credential_by_external_id(
        &self,
        external_id: &str,
        issuer: Option<IssuerId>,
    ) -> StoreResult<Option<CredentialId>>;
    /// The credentials of `achievement` held by any of `emails` (lower-cased), oldest first: the duplicate
    /// check of an award, and of a whole batch in one query per 500 learners rather than one each.
    async fn holders(&self, achievement: AchievementId, emails: &[&str]) -> StoreResult<Vec<(String, CredentialId)>>;
    /// Credentials matching `filter`, in issue order, at most `filter.limit`.
    async fn list_credentials(&self, filter: &CredentialFilter) -> StoreResult<Vec<IssuedCredential>>;

    /// The newest status list of an issuer for a purpose.
    async fn latest_status_list(&self, issuer: IssuerId, purpose: StatusPurpose) -> StoreResult<Option<StatusList>>;
    /// One status list.
    async fn status_list(&self, id: StatusListId) -> StoreResult<Option<StatusList>>;
    /// Every status list's current version (one small read, polled to keep cached verdicts honest).
    async fn status_list_versions(&self) -> StoreResult<Vec<(StatusListId, i64)>>;
    /// Opens a new status list.
    async fn insert_status_list(&self, list: &StatusList) -> StoreResult<()>;
    /// Counts `n` more indexes handed out from `list`; returns how many have been.
    async fn claim_status_slots(&self, list: StatusListId, n: u32) -> StoreResult<u32>;
    /// Every index of `list` a credential holds.
    async fn taken_status_indexes(&self, list: StatusListId) -> StoreResult<Vec<u32>>;
    /// Stores a batch's credentials, their audit entries, their queued e-mails and (under an
    /// `Idempotency-Key`) the batch's answer, all in one transaction.
    async fn insert_batch(
        &self,
        credentials: &[IssuedCredential],
        audits: &[AuditEntry],
        deliveries: &[NewDelivery],
        batch: Option<&BatchRecord>,
    ) -> StoreResult<()>;
    /// Brings the query planner's statistics up to date after many inserts (PostgreSQL's manual advises
    /// `ANALYZE` after large loads; see [`crate::service::statistics`]) and returns the credential count it
    /// estimated. SQLite plans from fixed statistics that a migration writes (an `ANALYZE` would reach only
    /// the pool connection that ran it): it does nothing and returns `None`.
    async fn refresh_statistics(&self) -> StoreResult<Option<u64>>;
    /// The batch an issuer sent under an `Idempotency-Key`.
    async fn batch_by_idempotency_key(&self, issuer: IssuerId, key: &str) -> StoreResult<Option<BatchRecord>>;
    /// Those of `indexes` of `list` that a credential already holds, in no particular order: one query for a
    /// block of candidate indexes (see [`crate::service`]'s status allocation).
    async fn status_slots_taken(&self, list: StatusListId, indexes: &[u32]) -> StoreResult<Vec<u32>>;
    /// Sets (`Some(reasons)`) or clears (`None`) a credential's revocation or suspension, and bumps the
    /// version of the list it is on, in one transaction. `false` if the credential has no entry for it.
    async fn set_credential_status(
        &self,
        id: CredentialId,
        purpose: StatusPurpose,
        set: Option<StatusReasons<'_>>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Audit events after `after` (a sequence number), oldest first, at most `limit`.
    async fn audit_events(&self, after: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEvent>>;
    /// Indexes whose bit is set in a list.
    async fn set_status_indexes(&self, list: StatusListId, purpose: StatusPurpose) -> StoreResult<Vec<u32>>;

    /// Stores a new API key with the hash of its secret, and its audit entry.
    async fn insert_api_key(&self, key: &ApiKey, secret_hash: &SecretHash, audit: &AuditEntry) -> StoreResult<()>;
    /// All API keys, oldest first.
    async fn api_keys(&self) -> StoreResult<Vec<ApiKey>>;
    /// One API key with its secret hash, for authentication.
    async fn api_key(&self, id: ApiKeyId) -> StoreResult<Option<(ApiKey, SecretHash)>>;
    /// Marks an API key revoked (recording `audit` when it changed); `false` if there is no such key.
    async fn revoke_api_key(&self, id: ApiKeyId, audit: &AuditEntry) -> StoreResult<bool>;

    /// Takes up to `limit` pending deliveries due at `now_ms` (Unix ms) for this process: counts an attempt
    /// and moves each past `lease_until_ms`, so no other replica takes it until then (PostgreSQL skips rows
    /// another replica is taking at the same moment). Returns them with their credentials.
    async fn take_deliveries(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<TakenDelivery>>;
    /// Records the outcomes of sending, in one transaction; an outcome whose attempt is no longer the
    /// delivery's latest (its lease ran out and another process took it, or it was queued again) is dropped.
    async fn record_deliveries(&self, outcomes: &[DeliveryOutcome]) -> StoreResult<()>;
    /// A credential's delivery, if it has one.
    async fn delivery(&self, id: CredentialId) -> StoreResult<Option<Delivery>>;
    /// The deliveries of these credentials (those that have one).
    async fn deliveries(&self, ids: &[CredentialId]) -> StoreResult<HashMap<CredentialId, Delivery>>;
    /// Queues a credential's e-mail again, now (a new delivery, or a fresh start of its existing one), with
    /// its audit entry.
    async fn requeue_delivery(&self, delivery: &NewDelivery, audit: &AuditEntry) -> StoreResult<()>;
    /// Records that the learner opened the credential from their e-mail or space, the first time only;
    /// `true` if this was the first time.
    async fn mark_claimed(&self, id: CredentialId, at: OffsetDateTime) -> StoreResult<bool>;
    /// Pending and failed deliveries, and when the oldest pending one was queued (for metrics).
    async fn delivery_queue(&self) -> StoreResult<DeliveryQueue>;

    /// The deployment secret `name`, storing `candidate` if there is none yet (the first replica's wins).
    async fn deployment_secret(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>>;
    /// The issuer of the newest credential whose recipient look-up hash is `lookup`, if any.
    async fn latest_issuer_of(&self, lookup: &[u8; 32]) -> StoreResult<Option<IssuerId>>;
    /// Credentials whose recipient look-up hash is `lookup`, newest first.
    async fn credentials_by_lookup(&self, lookup: &[u8; 32]) -> StoreResult<Vec<IssuedCredential>>;
    /// Up to `limit` awards stored before look-up hashes existed: their ids and addresses.
    async fn credentials_missing_lookup(&self, limit: u32) -> StoreResult<Vec<(CredentialId, String)>>;
    /// Sets recipient look-up hashes.
    async fn set_recipient_lookups(&self, lookups: &[(CredentialId, [u8; 32])]) -> StoreResult<()>;
    /// Stores a sign-in token's hash for a learner, valid until `expires_ms`.
    async fn insert_sign_in_token(&self, token: &LearnerToken) -> StoreResult<()>;
    /// How many sign-in tokens were made for `lookup` that are valid after `after_ms`.
    async fn recent_sign_in_tokens(&self, lookup: &[u8; 32], after_ms: i64) -> StoreResult<u32>;
    /// Uses a sign-in token once: its learner if it exists, is unused and valid at `now_ms`.
    async fn redeem_sign_in_token(&self, token_hash: &[u8; 32], now_ms: i64) -> StoreResult<Option<LearnerToken>>;
    /// Stores a learner's session (by the hash of its cookie).
    async fn insert_learner_session(&self, session: &LearnerToken) -> StoreResult<()>;
    /// The learner's session with this hash, if valid at `now_ms`.
    async fn learner_session(&self, session_hash: &[u8; 32], now_ms: i64) -> StoreResult<Option<LearnerToken>>;
    /// Ends a learner's session.
    async fn delete_learner_session(&self, session_hash: &[u8; 32]) -> StoreResult<()>;

    /// Stores a new wallet offer, with its audit entry; with `replaces` (a `created_by`), the open offers of the
    /// same credential by the same creator end now. Expired offers' codes are cleared on the way.
    async fn insert_wallet_offer(
        &self,
        offer: &WalletOffer,
        replaces: Option<&str>,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    /// The offer with this public id.
    async fn wallet_offer(&self, offer_id: &str) -> StoreResult<Option<WalletOffer>>;
    /// Marks an open offer served and returns it with its code, which leaves the database (its URI hands it
    /// out once); `None` when it was served before, used, or has expired.
    async fn serve_wallet_offer(&self, offer_id: &str, now_ms: i64) -> StoreResult<Option<WalletOffer>>;
    /// The offer whose pre-authorized code hashes to `code_hash`.
    async fn wallet_offer_by_code(&self, code_hash: &[u8; 32]) -> StoreResult<Option<WalletOffer>>;
    /// Counts a wrong transaction code against an offer, with its audit entry.
    async fn note_tx_code_failure(&self, offer_id: &str, audit: &AuditEntry) -> StoreResult<()>;
    /// Uses an open offer for `protocol`: sets `redeemed_at`, clears the code and, for OpenID4VCI, stores the
    /// access token's hash. False when it was used or expired meanwhile (single use under races).
    async fn redeem_wallet_offer(
        &self,
        offer_id: &str,
        now_ms: i64,
        protocol: WalletProtocol,
        token: Option<(&[u8; 32], i64)>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// The offer an unexpired access token was issued for.
    async fn wallet_offer_by_token(&self, token_hash: &[u8; 32], now_ms: i64) -> StoreResult<Option<WalletOffer>>;
    /// Stores a `c_nonce` (its hash) until `expires_ms`; expired ones are dropped on the way.
    async fn insert_wallet_nonce(&self, nonce_hash: &[u8; 32], expires_ms: i64) -> StoreResult<()>;
    /// Accepts a `c_nonce` once: true if it was handed out, unexpired and not accepted before.
    async fn take_wallet_nonce(&self, nonce_hash: &[u8; 32], now_ms: i64) -> StoreResult<bool>;
    /// Records a credential handed to a wallet through OpenID4VCI, with its audit entry; false (nothing
    /// written) when the offer already gave one.
    async fn insert_wallet_credential(&self, issued: &WalletCredential, audit: &AuditEntry) -> StoreResult<bool>;
    /// Finishes a VCALM exchange in one transaction: uses the open offer, records the credential handed to
    /// the wallet and its audit entry, and marks the award claimed. False (nothing written) when the offer
    /// was used or expired meanwhile.
    async fn finish_exchange(&self, issued: &WalletCredential, audit: &AuditEntry) -> StoreResult<bool>;
    /// The wallet credential with this `notification_id`.
    async fn wallet_credential(&self, notification_id: &str) -> StoreResult<Option<WalletCredential>>;
    /// Records a wallet's notification event, with its audit entry.
    async fn set_wallet_event(
        &self,
        notification_id: &str,
        event: &str,
        at_ms: i64,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    /// Every wallet copy of an award, oldest first.
    async fn wallet_credentials(&self, credential: CredentialId) -> StoreResult<Vec<WalletCredential>>;
}

/// Milliseconds since the Unix epoch: how the outbox and the learners' tokens store the times rows are
/// compared by (an integer compares the same on both databases).
pub fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// An e-mail to queue with its credential (an outbox row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// The credential it delivers.
    pub credential_id: CredentialId,
    /// Where it goes.
    pub recipient_email: String,
    /// `Pending`, or `Skipped` for `notify: false`.
    pub status: DeliveryStatus,
    /// When it was queued (and is first due).
    pub created_at: OffsetDateTime,
}

/// A delivery a worker took, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct TakenDelivery {
    /// The credential to deliver.
    pub credential: IssuedCredential,
    /// Where it goes.
    pub recipient_email: String,
    /// Attempts made, this one included.
    pub attempts: u32,
    /// The lease's end (Unix ms): with `attempts`, what recording the outcome checks, so that a process
    /// whose lease ran out cannot overwrite the outcome of the one that took the message after it.
    pub lease_until_ms: i64,
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOutcome {
    /// Which delivery.
    pub credential_id: CredentialId,
    /// The attempt it records: `attempts` and `lease_until_ms` as taken ([`TakenDelivery`]).
    pub taken: (u32, i64),
    /// `Sent`, `Failed`, or `Pending` to retry.
    pub status: DeliveryStatus,
    /// The failure, if it failed.
    pub last_error: Option<String>,
    /// When to try again (Unix ms), if pending.
    pub next_attempt_ms: i64,
    /// When the server accepted it, if it did.
    pub sent_at: Option<OffsetDateTime>,
}

/// The outbox at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryQueue {
    /// Pending and failed deliveries (those that need sending or attention).
    pub by_status: Vec<(DeliveryStatus, u64)>,
    /// When the oldest pending delivery was queued.
    pub oldest_pending: Option<OffsetDateTime>,
}

/// A learner's sign-in token or session, as stored: the SHA-256 of the secret the learner holds, never
/// the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerToken {
    /// SHA-256 of the token or cookie value.
    pub hash: [u8; 32],
    /// The learner's look-up hash.
    pub recipient_lookup: [u8; 32],
    /// The address they signed in with (shown to them).
    pub email: String,
    /// Unix ms.
    pub expires_ms: i64,
}

/// The columns a one-query signing read selects besides the issuer's: its active key (`k`) and the caller's API
/// key (`ak`), under the names `rows::SignerColumns` reads. A macro, so that `concat!` can build the queries.
macro_rules! signer_columns {
    () => {
        "k.key_id AS active_key_id, k.public_key AS active_public_key, k.created_at AS active_key_created_at, \
        ak.api_key_id AS caller_key_id, ak.issuer_id AS caller_issuer_id, ak.role AS caller_role, \
        ak.name AS caller_name, ak.secret_hash AS caller_secret_hash, \
        ak.created_at AS caller_created_at, ak.revoked_at AS caller_revoked_at"
    };
}

/// [`Store::award_source`]'s one query (`$1` the achievement, `$2` the learner's e-mail, `$3` the caller's API
/// key or NULL). The duplicate check is the same query as `holders` (so it uses the same index), as a scalar
/// subquery; public so that a test can check its plan.
pub const AWARD_SOURCE_SQL: &str = concat!(
    "SELECT i.*, a.achievement_id, a.spec AS achievement_spec, \
    a.created_at AS achievement_created_at, a.updated_at AS achievement_updated_at, \
    (SELECT c.credential_id FROM credential c WHERE c.achievement_id = a.achievement_id \
     AND c.recipient_email = $2 ORDER BY c.issued_at, c.credential_id LIMIT 1) AS held, ",
    signer_columns!(),
    " FROM achievement a JOIN issuer i ON i.issuer_id = a.issuer_id \
    LEFT JOIN issuer_key k ON k.issuer_id = a.issuer_id AND k.retired_at IS NULL \
    LEFT JOIN api_key ak ON ak.api_key_id = $3 \
    WHERE a.achievement_id = $1"
);

/// [`Store::signing_source`]'s one query (`$1` the issuer's DID, `$2` the caller's API key).
pub const SIGNING_SOURCE_SQL: &str = concat!(
    "SELECT i.*, ",
    signer_columns!(),
    " FROM issuer i \
    LEFT JOIN issuer_key k ON k.issuer_id = i.issuer_id AND k.retired_at IS NULL \
    LEFT JOIN api_key ak ON ak.api_key_id = $2 \
    WHERE i.did = $1"
);

/// The query that reads the indexes whose bit is set in a list for `purpose`. It must be answered from the
/// partial indexes `credential_revoked_idx` / `credential_suspended_idx` (migration 000800), not by walking
/// every credential of the list; public so that a test can check both databases' plans.
pub fn set_status_indexes_sql(purpose: StatusPurpose) -> &'static str {
    match purpose {
        StatusPurpose::Revocation => {
            "SELECT status_index FROM credential WHERE status_list_id = $1 AND revoked_at IS NOT NULL"
        }
        StatusPurpose::Suspension => {
            "SELECT suspension_index FROM credential WHERE suspension_list_id = $1 AND suspended_at IS NOT NULL"
        }
    }
}

fn spec_json(achievement: &Achievement) -> StoreResult<String> {
    serde_json::to_string(&achievement.spec)
        .map_err(|e| StoreError::Corrupt(format!("achievement {}: {e}", achievement.id)))
}

/// Which credentials to list. Every filter is optional; `after` is the keyset cursor.
#[derive(Debug, Clone, Default)]
pub struct CredentialFilter {
    /// Only this issuer's.
    pub issuer_id: Option<IssuerId>,
    /// Only awards of this achievement.
    pub achievement_id: Option<AchievementId>,
    /// Only this recipient (lower-cased e-mail).
    pub email: Option<String>,
    /// Issued at or after.
    pub issued_after: Option<OffsetDateTime>,
    /// Issued before.
    pub issued_before: Option<OffsetDateTime>,
    /// Resume after this (issued_at, id).
    pub after: Option<(OffsetDateTime, CredentialId)>,
    /// Most rows returned.
    pub limit: u32,
}

/// A batch sent with an `Idempotency-Key`, and the answer it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRecord {
    /// Identity.
    pub id: uuid::Uuid,
    /// Scope of the key.
    pub issuer_id: IssuerId,
    /// The `Idempotency-Key` header's value, as the client sent it.
    pub idempotency_key: String,
    /// SHA-256 of the request.
    pub request_hash: [u8; 32],
    /// The JSON answer.
    pub response: String,
    /// When.
    pub created_at: OffsetDateTime,
}

/// Pool and connection settings common to both backends.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// How long a request waits for a connection before the database counts as unavailable.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_connections: 10, acquire_timeout: Duration::from_secs(5) }
    }
}

impl PoolSettings {
    /// A connection idle longer than this is tested (a round trip) before it is used again.
    const TEST_AFTER_IDLE: Duration = Duration::from_secs(1);

    /// Pool options for these settings.
    ///
    /// sqlx tests every connection it hands out by default (`test_before_acquire`): a round trip before each
    /// query, on top of the one it makes when the connection comes back to the pool. Under load a
    /// connection was used a moment ago, and that second test has just succeeded, so it is tested only after
    /// [`Self::TEST_AFTER_IDLE`] unused: a connection the database dropped while the service was quiet (a
    /// restart, an idle timeout) is still found and replaced before a request meets it.
    fn pool_options<DB: sqlx::Database>(&self) -> sqlx::pool::PoolOptions<DB> {
        use sqlx::Connection as _;
        sqlx::pool::PoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.acquire_timeout)
            .test_before_acquire(false)
            .before_acquire(|connection: &mut DB::Connection, meta| {
                Box::pin(async move {
                    if meta.idle_for > Self::TEST_AFTER_IDLE {
                        connection.ping().await?;
                    }
                    Ok(true)
                })
            })
    }
}

/// Why a database URL was refused before connecting.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("unsupported database URL scheme {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnknownScheme(String),
    /// The folder for a SQLite file could not be created.
    #[error("cannot create folder {path} for the SQLite database: {source}")]
    Folder {
        /// The folder that could not be created (the database file's parent).
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The driver refused the URL or could not connect.
    #[error("cannot open database: {0}")]
    Open(#[source] sqlx::Error),
}

/// Opens the store named by `url` (`sqlite://…` or `postgres://…`). Connections are opened lazily, so an
/// unreachable server is reported by [`Store::ping`] or the first query, not here.
pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Arc<dyn Store>, ConnectError> {
    let scheme = url.split_once(':').map_or(url, |(s, _)| s);
    match scheme {
        "sqlite" => Ok(Arc::new(SqliteStore::connect(url, settings).await?)),
        "postgres" | "postgresql" => Ok(Arc::new(PgStore::connect(url, settings)?)),
        other => Err(ConnectError::UnknownScheme(other.to_owned())),
    }
}

/// Database rows, decoded the same way from both backends.
mod rows {
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::{AwardSource, IssuerKey, LearnerToken, SigningSource, StoreError};
    use crate::domain::achievement::{Achievement, AchievementId};
    use crate::domain::api_key::{ApiKey, ApiKeyId, SecretHash};
    use crate::domain::audit::AuditEvent;
    use crate::domain::award::{CredentialId, IssuedCredential};
    use crate::domain::delivery::Delivery;
    use crate::domain::issuer::{Issuer, IssuerId};
    use crate::domain::status::{StatusList, StatusListId, StatusSlot};

    pub(super) fn corrupt(what: &str, value: &str) -> StoreError {
        StoreError::Corrupt(format!("{what} {value:?}"))
    }

    #[derive(sqlx::FromRow)]
    pub(super) struct DeliveryRow {
        credential_id: Uuid,
        status: String,
        attempts: i64,
        last_error: Option<String>,
        sent_at: Option<OffsetDateTime>,
        claimed_at: Option<OffsetDateTime>,
    }

    impl TryFrom<DeliveryRow> for (CredentialId, Delivery) {
        type Error = StoreError;
        fn try_from(r: DeliveryRow) -> Result<Self, StoreError> {
            let delivery = Delivery {
                status: r.status.parse().map_err(|_| corrupt("delivery status", &r.status))?,
                attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
                last_error: r.last_error,
                sent_at: r.sent_at,
                claimed_at: r.claimed_at,
            };
            Ok((CredentialId(r.credential_id), delivery))
        }
    }

    /// A sign-in token or session read back.
    pub(super) fn learner_token(
        hash: [u8; 32],
        lookup: Vec<u8>,
        email: String,
        expires_ms: i64,
    ) -> Result<LearnerToken, StoreError> {
        let recipient_lookup = lookup.try_into().map_err(|_| corrupt("learner look-up", "not 32 bytes"))?;
        Ok(LearnerToken { hash, recipient_lookup, email, expires_ms })
    }

    /// A `wallet_offer` row.
    #[derive(sqlx::FromRow)]
    pub(super) struct WalletOfferRow {
        offer_id: String,
        credential_id: Uuid,
        code: Option<String>,
        code_hash: Vec<u8>,
        tx_code_hash: Option<Vec<u8>>,
        tx_code_failures: i64,
        challenge: String,
        created_by: String,
        created_at: i64,
        expires_at: i64,
        served_at: Option<i64>,
        redeemed_at: Option<i64>,
        protocol: Option<String>,
        token_hash: Option<Vec<u8>>,
        token_expires_at: Option<i64>,
    }

    fn hash32(what: &str, bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
        bytes.try_into().map_err(|_| corrupt(what, "not 32 bytes"))
    }

    fn protocol(text: &str) -> Result<crate::domain::wallet::WalletProtocol, StoreError> {
        crate::domain::wallet::WalletProtocol::parse(text).ok_or_else(|| corrupt("wallet protocol", text))
    }

    impl TryFrom<WalletOfferRow> for crate::domain::wallet::WalletOffer {
        type Error = StoreError;
        fn try_from(r: WalletOfferRow) -> Result<Self, StoreError> {
            Ok(Self {
                offer_id: r.offer_id,
                credential_id: CredentialId(r.credential_id),
                code: r.code,
                code_hash: hash32("offer code hash", r.code_hash)?,
                tx_code_hash: r.tx_code_hash.map(|h| hash32("tx code hash", h)).transpose()?,
                tx_code_failures: r.tx_code_failures,
                challenge: r.challenge,
                created_by: r.created_by,
                created_ms: r.created_at,
                expires_ms: r.expires_at,
                served_ms: r.served_at,
                redeemed_ms: r.redeemed_at,
                protocol: r.protocol.as_deref().map(protocol).transpose()?,
                token_hash: r.token_hash.map(|h| hash32("token hash", h)).transpose()?,
                token_expires_ms: r.token_expires_at,
            })
        }
    }

    /// A `wallet_credential` row.
    #[derive(sqlx::FromRow)]
    pub(super) struct WalletCredentialRow {
        notification_id: String,
        offer_id: String,
        credential_id: Uuid,
        holder: Option<String>,
        protocol: String,
        issued_at: i64,
        event: Option<String>,
        event_at: Option<i64>,
    }

    impl TryFrom<WalletCredentialRow> for crate::domain::wallet::WalletCredential {
        type Error = StoreError;
        fn try_from(r: WalletCredentialRow) -> Result<Self, StoreError> {
            Ok(Self {
                notification_id: r.notification_id,
                offer_id: r.offer_id,
                credential_id: CredentialId(r.credential_id),
                holder: r.holder,
                protocol: protocol(&r.protocol)?,
                issued_ms: r.issued_at,
                event: r.event,
                event_ms: r.event_at,
            })
        }
    }

    #[derive(sqlx::FromRow)]
    pub(super) struct IssuerRow {
        issuer_id: Uuid,
        slug: String,
        did: String,
        did_method: String,
        name: String,
        url: Option<String>,
        email: Option<String>,
        country: Option<String>,
        description: Option<String>,
        logo_url: Option<String>,
        suspension_enabled: bool,
        mail_sender_name: Option<String>,
        mail_reply_to: Option<String>,
        attach_pdf: bool,
        holder_binding_required: bool,
        expiry_reminder_days: String,
        created_at: OffsetDateTime,
    }

    impl TryFrom<IssuerRow> for Issuer {
        type Error = StoreError;
        fn try_from(r: IssuerRow) -> Result<Self, StoreError> {
            let url = |v: Option<String>| v.map(|u| u.parse().map_err(|_| corrupt("issuer url", &u))).transpose();
            Ok(Issuer {
                id: IssuerId(r.issuer_id),
                slug: r.slug.parse().map_err(|_| corrupt("issuer slug", &r.slug))?,
                did_method: r.did_method.parse().map_err(|_| corrupt("did method", &r.did_method))?,
                did: r.did,
                name: r.name,
                url: url(r.url)?,
                email: r.email.map(|e| e.parse().map_err(|_| corrupt("issuer email", &e))).transpose()?,
                country: r.country.map(|c| c.parse().map_err(|_| corrupt("country", &c))).transpose()?,
                description: r.description,
                logo_url: url(r.logo_url)?,
                suspension_enabled: r.suspension_enabled,
                mail: crate::domain::issuer::MailSettings {
                    sender_name: r.mail_sender_name,
                    reply_to: r
                        .mail_reply_to
                        .map(|e| e.parse().map_err(|_| corrupt("issuer reply-to", &e)))
                        .transpose()?,
                    attach_pdf: r.attach_pdf,
                    expiry_reminder_days: crate::domain::lifecycle::parse_reminder_days(&r.expiry_reminder_days)
                        .map_err(|_| corrupt("issuer reminder days", &r.expiry_reminder_days))?,
                },
                holder_binding_required: r.holder_binding_required,
                created_at: r.created_at,
            })
        }
    }

    #[derive(sqlx::FromRow)]
    pub(super) struct IssuerKeyRow {
        key_id: String,
        issuer_id: Uuid,
        public_key: Vec<u8>,
        created_at: OffsetDateTime,
        retired_at: Option<OffsetDateTime>,
    }

    impl TryFrom<IssuerKeyRow> for IssuerKey {
        type Error = StoreError;
        fn try_from(r: IssuerKeyRow) -> Result<Self, StoreError> {
            Ok(IssuerKey {
                public_key: r.public_key.try_into().map_err(|_| corrupt("public key of", &r.key_id))?,
                key_id: r.key_id,
                issuer_id: IssuerId(r.issuer_id),
                created_at: r.created_at,
                retired_at: r.retired_at,
            })
        }
    }

    /// [`Store::issuer_key_by_did`]'s row: the issuer, and the key's columns if it has that key.
    #[derive(sqlx::FromRow)]
    pub(super) struct IssuerKeyByDidRow {
        issuer_id: Uuid,
        key_id: Option<String>,
        public_key: Option<Vec<u8>>,
        created_at: Option<OffsetDateTime>,
        retired_at: Option<OffsetDateTime>,
    }

    impl TryFrom<IssuerKeyByDidRow> for Option<IssuerKey> {
        type Error = StoreError;
        fn try_from(r: IssuerKeyByDidRow) -> Result<Self, StoreError> {
            let (Some(key_id), Some(public_key), Some(created_at)) = (r.key_id, r.public_key, r.created_at) else {
                return Ok(None);
            };
            IssuerKey::try_from(IssuerKeyRow {
                key_id,
                issuer_id: r.issuer_id,
                public_key,
                created_at,
                retired_at: r.retired_at,
            })
            .map(Some)
        }
    }

    /// The columns the `signer_columns!` macro of `store.rs` selects: the issuer's active key and the caller's
    /// API key, each NULL when absent.
    #[derive(sqlx::FromRow)]
    pub(super) struct SignerColumns {
        active_key_id: Option<String>,
        active_public_key: Option<Vec<u8>>,
        active_key_created_at: Option<OffsetDateTime>,
        caller_key_id: Option<Uuid>,
        caller_issuer_id: Option<Uuid>,
        caller_role: Option<String>,
        caller_name: Option<String>,
        caller_secret_hash: Option<Vec<u8>>,
        caller_created_at: Option<OffsetDateTime>,
        caller_revoked_at: Option<OffsetDateTime>,
    }

    impl SignerColumns {
        /// The issuer's active key and the caller's API key (with its secret's hash), where found.
        #[allow(clippy::type_complexity)]
        fn into_keys(self, issuer: IssuerId) -> Result<(Option<IssuerKey>, Option<(ApiKey, SecretHash)>), StoreError> {
            let active_key = match (self.active_key_id, self.active_public_key, self.active_key_created_at) {
                (Some(key_id), Some(public_key), Some(created_at)) => Some(IssuerKey::try_from(IssuerKeyRow {
                    key_id,
                    issuer_id: issuer.0,
                    public_key,
                    created_at,
                    retired_at: None,
                })?),
                _ => None,
            };
            let api_key = match (
                self.caller_key_id,
                self.caller_issuer_id,
                self.caller_role,
                self.caller_name,
                self.caller_secret_hash,
                self.caller_created_at,
            ) {
                (Some(api_key_id), Some(issuer_id), Some(role), Some(name), Some(secret_hash), Some(created_at)) => {
                    Some(<(ApiKey, SecretHash)>::try_from(ApiKeyRow {
                        api_key_id,
                        issuer_id,
                        role,
                        name,
                        secret_hash,
                        created_at,
                        revoked_at: self.caller_revoked_at,
                    })?)
                }
                _ => None,
            };
            Ok((active_key, api_key))
        }
    }

    /// [`AwardSource`]'s row: the issuer's columns under their own names, the others prefixed (see
    /// [`AWARD_SOURCE_SQL`](super::AWARD_SOURCE_SQL)).
    #[derive(sqlx::FromRow)]
    pub(super) struct AwardSourceRow {
        #[sqlx(flatten)]
        issuer: IssuerRow,
        achievement_id: Uuid,
        achievement_spec: String,
        achievement_created_at: OffsetDateTime,
        achievement_updated_at: OffsetDateTime,
        held: Option<Uuid>,
        #[sqlx(flatten)]
        signer: SignerColumns,
    }

    impl TryFrom<AwardSourceRow> for AwardSource {
        type Error = StoreError;
        fn try_from(r: AwardSourceRow) -> Result<Self, StoreError> {
            let issuer = Issuer::try_from(r.issuer)?;
            let achievement = Achievement::try_from(AchievementRow {
                achievement_id: r.achievement_id,
                issuer_id: issuer.id.0,
                spec: r.achievement_spec,
                created_at: r.achievement_created_at,
                updated_at: r.achievement_updated_at,
            })?;
            let (active_key, api_key) = r.signer.into_keys(issuer.id)?;
            Ok(AwardSource { achievement, issuer, active_key, held: r.held.map(CredentialId), api_key })
        }
    }

    /// [`SigningSource`]'s row (see [`SIGNING_SOURCE_SQL`](super::SIGNING_SOURCE_SQL)).
    #[derive(sqlx::FromRow)]
    pub(super) struct SigningSourceRow {
        #[sqlx(flatten)]
        issuer: IssuerRow,
        #[sqlx(flatten)]
        signer: SignerColumns,
    }

    impl TryFrom<SigningSourceRow> for SigningSource {
        type Error = StoreError;
        fn try_from(r: SigningSourceRow) -> Result<Self, StoreError> {
            let issuer = Issuer::try_from(r.issuer)?;
            let (active_key, api_key) = r.signer.into_keys(issuer.id)?;
            Ok(SigningSource { issuer, active_key, api_key })
        }
    }

    #[derive(sqlx::FromRow)]
    pub(super) struct AchievementRow {
        achievement_id: Uuid,
        issuer_id: Uuid,
        spec: String,
        created_at: OffsetDateTime,
        updated_at: OffsetDateTime,
    }

    impl TryFrom<AchievementRow> for Achievement {
        type Error = StoreError;
        fn try_from(r: AchievementRow) -> Result<Self, StoreError> {
            Ok(Achievement {
                id: AchievementId(r.achievement_id),
                issuer_id: IssuerId(r.issuer_id),
                spec: serde_json::from_str(&r.spec)
                    .map_err(|e| StoreError::Corrupt(format!("achievement {}: {e}", r.achievement_id)))?,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
        }
    }

    #[derive(sqlx::FromRow)]
    pub(super) struct CredentialRow {
        credential_id: Uuid,
        issuer_id: Uuid,
        achievement_id: Option<Uuid>,
        recipient_name: Option<String>,
        recipient_email: Option<String>,
        document: String,
        issued_at: OffsetDateTime,
        valid_until: Option<OffsetDateTime>,
        language: Option<String>,
        allow_duplicate: bool,
        idempotency_key: Option<String>,
        request_hash: Option<Vec<u8>>,
        api_key_id: Option<Uuid>,
        status_list_id: Option<Uuid>,
        status_index: Option<i64>,
        revoked_at: Option<OffsetDateTime>,
        revocation_reason: Option<String>,
        revocation_public_reason: Option<String>,
        suspension_list_id: Option<Uuid>,
        suspension_index: Option<i64>,
        suspended_at: Option<OffsetDateTime>,
        suspension_reason: Option<String>,
        suspension_public_reason: Option<String>,
        external_id: Option<String>,
        recipient_lookup: Option<Vec<u8>>,
        suspended_until: Option<i64>,
        superseded_by: Option<Uuid>,
        replaced_by: Option<Uuid>,
    }

    impl CredentialRow {
        /// The row's credential id, readable before the row is checked.
        pub(super) fn id(&self) -> Uuid {
            self.credential_id
        }
    }

    fn slot(list: Option<Uuid>, index: Option<i64>) -> Option<StatusSlot> {
        Some(StatusSlot { list: StatusListId(list?), index: u32::try_from(index?).ok()? })
    }

    #[derive(sqlx::FromRow)]
    pub(super) struct AuditRow {
        audit_event_id: i64,
        at: OffsetDateTime,
        api_key_id: Option<Uuid>,
        issuer_id: Option<Uuid>,
        action: String,
        subject: String,
        reason: Option<String>,
    }

    impl From<AuditRow> for AuditEvent {
        fn from(r: AuditRow) -> Self {
            AuditEvent {
                id: r.audit_event_id,
                at: r.at,
                api_key_id: r.api_key_id.map(ApiKeyId),
                issuer_id: r.issuer_id.map(IssuerId),
                action: r.action,
                subject: r.subject,
                reason: r.reason,
            }
        }
    }

    #[derive(sqlx::FromRow)]
    pub(super) struct StatusListRow {
        status_list_id: Uuid,
        issuer_id: Uuid,
        purpose: String,
        size: i64,
        version: i64,
        created_at: OffsetDateTime,
    }

    impl TryFrom<StatusListRow> for StatusList {
        type Error = StoreError;
        fn try_from(r: StatusListRow) -> Result<Self, StoreError> {
            Ok(StatusList {
                id: StatusListId(r.status_list_id),
                issuer_id: IssuerId(r.issuer_id),
                purpose: r.purpose.parse().map_err(|_| corrupt("status purpose", &r.purpose))?,
                size: u32::try_from(r.size).map_err(|_| corrupt("status list size", &r.size.to_string()))?,
                version: r.version,
                created_at: r.created_at,
            })
        }
    }

    impl TryFrom<CredentialRow> for IssuedCredential {
        type Error = StoreError;
        fn try_from(r: CredentialRow) -> Result<Self, StoreError> {
            let id = r.credential_id;
            Ok(IssuedCredential {
                id: CredentialId(id),
                issuer_id: IssuerId(r.issuer_id),
                achievement_id: r.achievement_id.map(AchievementId),
                recipient_name: r.recipient_name,
                recipient_email: r.recipient_email,
                recipient_lookup: r
                    .recipient_lookup
                    .map(|h| h.try_into().map_err(|_| corrupt("recipient look-up of credential", &id.to_string())))
                    .transpose()?,
                external_id: r.external_id,
                document: serde_json::from_str(&r.document)
                    .map_err(|e| StoreError::Corrupt(format!("credential {id}: {e}")))?,
                issued_at: r.issued_at,
                valid_until: r.valid_until,
                language: r.language,
                allow_duplicate: r.allow_duplicate,
                idempotency_key: r.idempotency_key,
                request_hash: r
                    .request_hash
                    .map(|h| h.try_into().map_err(|_| corrupt("request hash of credential", &id.to_string())))
                    .transpose()?,
                api_key_id: r.api_key_id.map(ApiKeyId),
                status: slot(r.status_list_id, r.status_index),
                suspension: slot(r.suspension_list_id, r.suspension_index),
                revoked_at: r.revoked_at,
                revocation_reason: r.revocation_reason,
                revocation_public_reason: r.revocation_public_reason,
                suspended_at: r.suspended_at,
                suspension_reason: r.suspension_reason,
                suspension_public_reason: r.suspension_public_reason,
                suspended_until: r
                    .suspended_until
                    .map(|ms| {
                        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                            .map_err(|_| corrupt("suspension deadline of credential", &id.to_string()))
                    })
                    .transpose()?,
                superseded_by: r.superseded_by.map(CredentialId),
                replaced_by: r.replaced_by.map(CredentialId),
            })
        }
    }

    #[derive(sqlx::FromRow)]
    pub(super) struct ApiKeyRow {
        api_key_id: Uuid,
        issuer_id: Uuid,
        role: String,
        name: String,
        secret_hash: Vec<u8>,
        created_at: OffsetDateTime,
        revoked_at: Option<OffsetDateTime>,
    }

    impl TryFrom<ApiKeyRow> for (ApiKey, SecretHash) {
        type Error = StoreError;
        fn try_from(r: ApiKeyRow) -> Result<Self, StoreError> {
            let hash = r.secret_hash.try_into().map_err(|_| corrupt("secret hash of api key", &r.name))?;
            let key = ApiKey {
                id: ApiKeyId(r.api_key_id),
                issuer_id: IssuerId(r.issuer_id),
                role: r.role.parse().map_err(|_| corrupt("role", &r.role))?,
                name: r.name,
                created_at: r.created_at,
                revoked_at: r.revoked_at,
            };
            Ok((key, SecretHash(hash)))
        }
    }
}
