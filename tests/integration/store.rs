//! The store conformance story: the same walk through every `Store` method on SQLite and on PostgreSQL.

use std::sync::Arc;

use microcred::domain::achievement::{Achievement, AchievementId, AchievementSpec};
use microcred::domain::api_key::{ApiKey, ApiToken, Role};
use microcred::domain::audit::AuditEntry;
use microcred::domain::award::{CredentialId, IssuedCredential};
use microcred::domain::delivery::DeliveryStatus;
use microcred::domain::issuer::{DidMethod, Issuer, IssuerId};
use microcred::service::now;
use microcred::store::{self, BatchRecord, IssuerKey, NewDelivery, PoolSettings, Store, StoreError};
use sqlx::Connection as _;
use uuid::Uuid;

use crate::support::PgDatabase;

fn issuer(slug: &str, name: &str) -> Issuer {
    Issuer {
        id: IssuerId(Uuid::new_v4()),
        slug: slug.parse().unwrap(),
        did: format!("did:web:example.eu:issuers:{slug}"),
        did_method: DidMethod::Web,
        name: name.to_owned(),
        url: Some("https://example.eu/".parse().unwrap()),
        email: Some("certs@example.eu".parse().unwrap()),
        country: Some("GR".parse().unwrap()),
        description: Some("Ελληνικά, български, español, italiano — 認定 🎓".to_owned()),
        logo_url: None,
        suspension_enabled: slug == "beta",
        mail: Default::default(),
        holder_binding_required: false,
        created_at: now(),
    }
}

fn key(issuer: &Issuer, byte: u8) -> IssuerKey {
    IssuerKey {
        key_id: format!("z6Mk-test-{}-{byte}", issuer.slug),
        issuer_id: issuer.id,
        public_key: [byte; 32],
        created_at: now(),
        retired_at: None,
    }
}

fn entry(action: &'static str, subject: &str) -> AuditEntry {
    AuditEntry {
        at: now(),
        api_key_id: None,
        issuer_id: None,
        action,
        subject: subject.to_owned(),
        reason: Some("test — тест".into()),
    }
}

fn conflict(result: Result<(), StoreError>) -> String {
    match result {
        Err(StoreError::Conflict(constraint)) => constraint.to_string(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// The `i`th row of a test batch of issuer `issuer`: a VC-API credential (no achievement), `{"n":i}` as its
/// document.
fn batch_row(issuer: &Issuer, i: usize) -> IssuedCredential {
    IssuedCredential {
        id: CredentialId(Uuid::new_v4()),
        issuer_id: issuer.id,
        achievement_id: None,
        recipient_name: None,
        recipient_email: None,
        recipient_lookup: None,
        external_id: Some(format!("urn:test:{i}")),
        document: serde_json::value::to_raw_value(&serde_json::json!({ "n": i })).unwrap(),
        issued_at: now(),
        valid_until: None,
        language: None,
        allow_duplicate: false,
        idempotency_key: None,
        request_hash: None,
        api_key_id: None,
        status: None,
        suspension: None,
        revoked_at: None,
        revocation_reason: None,
        revocation_public_reason: None,
        suspended_at: None,
        suspension_reason: None,
        suspension_public_reason: None,
        suspended_until: None,
        superseded_by: None,
        replaced_by: None,
    }
}

fn batch_record(issuer: &Issuer, key: &str) -> BatchRecord {
    BatchRecord {
        id: Uuid::new_v4(),
        issuer_id: issuer.id,
        idempotency_key: key.to_owned(),
        request_hash: [7; 32],
        response: "[]".to_owned(),
        created_at: now(),
    }
}

/// Stores `rows` as one batch, each with an audit entry and a queued e-mail.
async fn store_rows(
    store: &dyn Store,
    rows: &[IssuedCredential],
    record: Option<&BatchRecord>,
) -> Result<(), StoreError> {
    let audits: Vec<AuditEntry> = rows.iter().map(|c| entry("credential.issue", &c.id.to_string())).collect();
    let deliveries: Vec<NewDelivery> = rows
        .iter()
        .map(|c| NewDelivery {
            credential_id: c.id,
            recipient_email: "learner@example.eu".to_owned(),
            status: DeliveryStatus::Pending,
            created_at: now(),
        })
        .collect();
    store.insert_batch(rows, &audits, &deliveries, record).await
}

async fn story(store: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    store.migrate().await.expect("migrating twice is a no-op");
    store.ping().await.unwrap();
    assert!(store.issuers().await.unwrap().is_empty());

    // Issuers round-trip exactly, in any script.
    let a = issuer("alpha", "Γιώργος Παπαδόπουλος Academy");
    let b = issuer("beta", "Иван Петров ЕООД");
    store.insert_issuer(&a, &key(&a, 1)).await.unwrap();
    store.insert_issuer(&b, &key(&b, 2)).await.unwrap();
    assert_eq!(store.issuer_by_slug(&a.slug).await.unwrap(), Some(a.clone()));
    assert_eq!(store.issuer_by_id(b.id).await.unwrap(), Some(b.clone()));
    assert_eq!(store.issuers().await.unwrap(), vec![a.clone(), b.clone()]);
    assert_eq!(store.issuer_by_slug(&"missing".parse().unwrap()).await.unwrap(), None);

    // Unique constraints live in the database and are reported by name, identically on both backends.
    let mut same_slug = issuer("alpha", "Other");
    same_slug.did = "did:web:example.eu:issuers:other".into();
    assert_eq!(conflict(store.insert_issuer(&same_slug, &key(&same_slug, 3)).await), "issuer_slug_key");
    let mut same_did = issuer("gamma", "Other");
    same_did.did = a.did.clone();
    assert_eq!(conflict(store.insert_issuer(&same_did, &key(&same_did, 4)).await), "issuer_did_key");
    // The failed inserts left nothing behind, not even the key rows of the same transaction.
    assert_eq!(store.issuers().await.unwrap().len(), 2);
    assert_eq!(store.issuer_keys(same_did.id).await.unwrap(), vec![]);

    // Rotation retires the active key and keeps it; exactly one key stays active.
    let mut next = key(&a, 5);
    next.created_at = now();
    store.rotate_key(&next, &entry("key.rotate", &next.key_id)).await.unwrap();
    let keys = store.issuer_keys(a.id).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].key_id, key(&a, 1).key_id);
    assert_eq!(keys[0].retired_at, Some(next.created_at));
    assert_eq!(keys[1], next);
    assert_eq!(keys.iter().filter(|k| k.retired_at.is_none()).count(), 1);
    // Re-using a key id is refused, and the failed rotation keeps the current key active.
    assert_eq!(conflict(store.rotate_key(&next, &entry("key.rotate", &next.key_id)).await), "issuer_key_pkey");
    assert_eq!(store.issuer_keys(a.id).await.unwrap(), keys);
    // Verification reads one key by the issuer's DID: the retired one still verifies what it signed; another
    // issuer's key, an unknown key id or an unknown DID give nothing.
    assert_eq!(store.issuer_key_by_did(&a.did, &keys[0].key_id).await.unwrap(), Some(Some(keys[0].clone())));
    assert_eq!(store.issuer_key_by_did(&a.did, &next.key_id).await.unwrap(), Some(Some(next.clone())));
    assert_eq!(store.issuer_key_by_did(&b.did, &next.key_id).await.unwrap(), Some(None));
    assert_eq!(store.issuer_key_by_did(&a.did, "z6MkNoSuchKey").await.unwrap(), Some(None));
    assert_eq!(store.issuer_key_by_did("did:web:nobody", &next.key_id).await.unwrap(), None);

    // Achievements: content stored as a whole, listed per issuer, updated in place.
    let spec: AchievementSpec = serde_json::from_value(serde_json::json!({
        "name": "Умни градове", "description": "Έξυπνες πόλεις", "criteria": "Exam", "achievement_type": "MicroCredential",
        "learning_outcomes": ["Outcome 🏙️"], "ects": 5.0, "participation": "blended"
    }))
    .unwrap();
    let mut achievement =
        Achievement { id: AchievementId(Uuid::new_v4()), issuer_id: a.id, spec, created_at: now(), updated_at: now() };
    store.insert_achievement(&achievement).await.unwrap();
    assert_eq!(store.achievement(achievement.id).await.unwrap(), Some(achievement.clone()));
    assert_eq!(store.achievements(a.id).await.unwrap(), vec![achievement.clone()]);
    assert_eq!(store.achievements(b.id).await.unwrap(), vec![]);
    achievement.spec.ects = Some(6.0);
    achievement.updated_at = now();
    assert!(store.update_achievement(&achievement).await.unwrap());
    assert_eq!(store.achievement(achievement.id).await.unwrap(), Some(achievement.clone()));
    let mut unknown = achievement.clone();
    unknown.id = AchievementId(Uuid::new_v4());
    assert!(!store.update_achievement(&unknown).await.unwrap());

    // What an award reads, in one query: the achievement as updated, its issuer, the key that is active now
    // (not the retired one), and no earlier award of it to this learner.
    let source = store.award_source(achievement.id, "learner@example.eu", None).await.unwrap().unwrap();
    assert_eq!(source.achievement, achievement);
    assert_eq!(source.issuer, a);
    assert_eq!(source.active_key, Some(next.clone()));
    assert_eq!(source.held, None);
    assert!(source.api_key.is_none(), "none asked for");
    assert!(store.award_source(unknown.id, "learner@example.eu", None).await.unwrap().is_none());

    // API keys: only a hash is stored; revocation is idempotent; unknown ids are reported.
    let token = ApiToken::generate();
    let api_key = ApiKey {
        id: token.id(),
        issuer_id: b.id,
        role: Role::Assessor,
        name: "LMS — Moodle".into(),
        created_at: now(),
        revoked_at: None,
    };
    store.insert_api_key(&api_key, &token.hash(), &entry("api_key.create", &api_key.id.to_string())).await.unwrap();
    let (found, hash) = store.api_key(token.id()).await.unwrap().unwrap();
    assert_eq!(found, api_key);
    assert!(hash.matches(&token.hash()));
    // An award reads its caller's key with the rest: the same key and hash, none for an unknown key, and
    // none when the achievement is unknown.
    let (read, read_hash) =
        store.award_source(achievement.id, "x@example.eu", Some(token.id())).await.unwrap().unwrap().api_key.unwrap();
    assert_eq!(read, api_key);
    assert!(read_hash.matches(&token.hash()));
    let unknown_key = ApiToken::generate().id();
    assert!(
        store.award_source(achievement.id, "x@example.eu", Some(unknown_key)).await.unwrap().unwrap().api_key.is_none()
    );
    assert!(store.award_source(unknown.id, "x@example.eu", Some(token.id())).await.unwrap().is_none());
    // Signing a VC-API client's credential reads the issuer named by DID, its active key and the caller's key
    // in one query: another issuer's caller is read too (the service refuses it), an unknown key reads as
    // none, and an unknown DID gives nothing.
    let signing = store.signing_source(&a.did, token.id()).await.unwrap().unwrap();
    assert_eq!(signing.issuer, a);
    assert_eq!(signing.active_key, Some(next.clone()), "the active key, not the retired one");
    let (read, read_hash) = signing.api_key.unwrap();
    assert_eq!(read, api_key);
    assert!(read_hash.matches(&token.hash()));
    let own = store.signing_source(&b.did, unknown_key).await.unwrap().unwrap();
    assert_eq!((own.issuer, own.active_key), (b.clone(), store.issuer_keys(b.id).await.unwrap().pop()));
    assert!(own.api_key.is_none());
    assert!(store.signing_source("did:web:nobody", token.id()).await.unwrap().is_none());
    assert_eq!(store.api_keys().await.unwrap(), vec![api_key.clone()]);
    let revoke = entry("api_key.revoke", &api_key.id.to_string());
    assert!(store.revoke_api_key(api_key.id, &revoke).await.unwrap());
    assert!(store.revoke_api_key(api_key.id, &entry("api_key.revoke", "again")).await.unwrap());
    assert_eq!(store.api_key(api_key.id).await.unwrap().unwrap().0.revoked_at, Some(revoke.at));
    let read = store.award_source(achievement.id, "x@example.eu", Some(token.id())).await.unwrap().unwrap();
    assert_eq!(read.api_key.unwrap().0.revoked_at, Some(revoke.at), "an award sees the revocation at once");
    let read = store.signing_source(&b.did, token.id()).await.unwrap().unwrap();
    assert_eq!(read.api_key.unwrap().0.revoked_at, Some(revoke.at), "so does a VC-API signature");
    assert!(!store.revoke_api_key(ApiToken::generate().id(), &entry("api_key.revoke", "unknown")).await.unwrap());

    // The audit log holds exactly the changes that happened, in order: not the failed rotation, not the
    // repeated or unknown revocation.
    let events = store.audit_events(None, 100).await.unwrap();
    let actions: Vec<(&str, &str)> = events.iter().map(|e| (e.action.as_str(), e.subject.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("key.rotate", next.key_id.as_str()),
            ("api_key.create", &*api_key.id.to_string()),
            ("api_key.revoke", &*api_key.id.to_string())
        ]
    );
    assert_eq!(store.audit_events(Some(events[1].id), 100).await.unwrap().len(), 1);
    assert!(store.api_key(ApiToken::generate().id()).await.unwrap().is_none());

    // A batch larger than one statement (PostgreSQL stores 1,000 rows a statement) is stored whole, with its
    // audit entries, e-mails and record; one that meets a conflict in its last row stores nothing at all.
    let rows = |n: usize| -> Vec<IssuedCredential> { (0..n).map(|i| batch_row(&b, i)).collect() };
    let mut first = rows(2_345);
    first[7].idempotency_key = Some("retry-7".into());
    store_rows(&*store, &first, Some(&batch_record(&b, "batch-1"))).await.unwrap();
    let ids: Vec<CredentialId> = first.iter().map(|c| c.id).collect();
    assert_eq!(store.deliveries(&ids).await.unwrap().len(), first.len());
    for i in [0, 999, 1_000, 2_344] {
        assert_eq!(
            store.credential(ids[i]).await.unwrap().map(|c| c.document.get().to_owned()),
            Some(format!("{{\"n\":{i}}}"))
        );
    }
    assert_eq!(store.batch_by_idempotency_key(b.id, "batch-1").await.unwrap().unwrap().response, "[]");
    let mut second = rows(1_500);
    second[1_499].idempotency_key = Some("retry-7".into());
    assert_eq!(
        conflict(store_rows(&*store, &second, Some(&batch_record(&b, "batch-2"))).await),
        "credential_idempotency_key"
    );
    let ids: Vec<CredentialId> = second.iter().map(|c| c.id).collect();
    assert!(store.credential(ids[0]).await.unwrap().is_none(), "the first part was rolled back");
    assert!(store.deliveries(&ids).await.unwrap().is_empty());
    assert!(store.batch_by_idempotency_key(b.id, "batch-2").await.unwrap().is_none());

    // A credential is stored only for an API key that is not revoked (what lets `/credentials/issue` sign from a
    // copy of the caller's key read a moment ago): nothing of a group holding one is stored, nor one alone.
    let live_token = ApiToken::generate();
    let live = ApiKey { id: live_token.id(), name: "live".into(), revoked_at: None, ..api_key.clone() };
    store.insert_api_key(&live, &live_token.hash(), &entry("api_key.create", "live")).await.unwrap();
    let by = |key: &ApiKey, i: usize| IssuedCredential { api_key_id: Some(key.id), ..batch_row(&b, i) };
    let stored = by(&live, 9_000);
    store_rows(&*store, std::slice::from_ref(&stored), None).await.unwrap();
    assert!(store.credential(stored.id).await.unwrap().is_some());
    let group = [by(&live, 9_001), by(&api_key, 9_002), batch_row(&b, 9_003)];
    assert_eq!(conflict(store_rows(&*store, &group, None).await), "credential_api_key_live");
    for row in &group {
        assert!(store.credential(row.id).await.unwrap().is_none(), "the group stored nothing");
    }
    let alone = by(&api_key, 9_004);
    let audit = entry("credential.issue", &alone.id.to_string());
    assert_eq!(conflict(store.insert_credential(&alone, &audit, None).await), "credential_api_key_live");
    assert!(store.credential(alone.id).await.unwrap().is_none());
    store.insert_credential(&by(&live, 9_005), &audit, None).await.unwrap();

    store.close().await;
}

#[tokio::test]
async fn store_story_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nested/folder/test.db").display());
    let store = store::connect(&url, &PoolSettings::default()).await.unwrap();
    story(store).await;
    assert!(dir.path().join("nested/folder/test.db").exists(), "the folder and file are created");
}

#[tokio::test]
async fn store_story_on_postgres() {
    let Some(db) = PgDatabase::create().await else { return };
    let store = store::connect(&db.url, &PoolSettings::default()).await.unwrap();
    story(store).await;
}

#[tokio::test]
async fn replicas_migrating_the_same_postgres_database_at_once_do_not_conflict() {
    let Some(db) = PgDatabase::create().await else { return };
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(store::connect(&db.url, &PoolSettings::default()).await.unwrap());
    }
    let migrations: Vec<_> = stores
        .iter()
        .map(|s| {
            let s = Arc::clone(s);
            tokio::spawn(async move { s.migrate().await })
        })
        .collect();
    for migration in migrations {
        migration.await.unwrap().expect("every replica's migration succeeds");
    }
    assert!(stores[0].issuers().await.unwrap().is_empty());
}

/// The pool tests a connection only after it has been idle a while (not before every query, sqlx's default,
/// which cost a round trip per query): a connection the server dropped while the service was quiet must still
/// be replaced before a query meets it.
#[tokio::test]
async fn a_connection_postgres_dropped_while_idle_is_replaced_before_use() {
    let Some(db) = PgDatabase::create().await else { return };
    let settings = PoolSettings { max_connections: 1, ..PoolSettings::default() };
    let store = store::connect(&db.url, &settings).await.unwrap();
    store.migrate().await.unwrap();
    assert!(store.issuers().await.unwrap().is_empty());
    let mut admin = sqlx::PgConnection::connect(&db.url).await.unwrap();
    // Let the pool's own test of the returned connection finish, so the connection is idle when it is dropped.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let dropped: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() \
         AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(dropped, vec![(true,)], "the pool's one connection was terminated");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let issuers = store.issuers().await.expect("the dropped connection is replaced, not handed to the query");
    assert!(issuers.is_empty());
}

/// PostgreSQL compresses each stored credential as its row is written; with its default method (pglz) that
/// was 7 % of the database's CPU time in an award, so the documents use lz4 where the server has it.
#[tokio::test]
async fn postgres_compresses_stored_credentials_with_lz4_when_it_can() {
    let Some(db) = PgDatabase::create().await else { return };
    let store = store::connect(&db.url, &PoolSettings::default()).await.unwrap();
    store.migrate().await.unwrap();
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let lz4: Option<(bool,)> =
        sqlx::query_as("SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
            .fetch_optional(&mut conn)
            .await
            .unwrap();
    // PostgreSQL before 14 has one compression method and nothing to choose; the migration leaves it alone.
    let Some((lz4,)) = lz4 else { return };
    let methods: Vec<(String, String)> = sqlx::query_as(
        "SELECT attrelid::regclass::text || '.' || attname, attcompression::text FROM pg_attribute \
         WHERE (attrelid, attname) IN (('credential'::regclass, 'document'), ('award_batch'::regclass, 'response')) \
         ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let expected = if lz4 { "l" } else { "" };
    assert_eq!(
        methods,
        vec![
            ("award_batch.response".to_owned(), expected.to_owned()),
            ("credential.document".to_owned(), expected.to_owned())
        ]
    );
    conn.close().await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn an_unreachable_postgres_server_is_reported_as_unavailable() {
    // Nothing listens on port 1; connections are lazy, so the failure shows at the first query.
    let settings = PoolSettings { acquire_timeout: std::time::Duration::from_secs(2), ..PoolSettings::default() };
    let store = store::connect("postgres://postgres@127.0.0.1:1/none", &settings).await.unwrap();
    assert!(matches!(store.ping().await, Err(StoreError::Unavailable(_))));
}

/// Re-signing a status list must read only its set bits (the partial indexes of migration 000800); walking every
/// credential of the list made publication grow slower as lists filled. The plans are checked rather than timed.
#[tokio::test]
async fn reading_a_lists_set_bits_uses_the_partial_indexes_on_sqlite() {
    use microcred::domain::status::StatusPurpose;
    let (_dir, pool) = migrated_sqlite().await;
    for (purpose, index) in
        [(StatusPurpose::Revocation, "credential_revoked_idx"), (StatusPurpose::Suspension, "credential_suspended_idx")]
    {
        let sql = store::set_status_indexes_sql(purpose).replace("$1", "?1");
        let detail = sqlite_plan(&pool, &sql, None).await;
        assert!(detail.iter().any(|d| d.contains(&format!("COVERING INDEX {index}"))), "{purpose:?} reads {detail:?}");
    }
}

#[tokio::test]
async fn reading_a_lists_set_bits_uses_the_partial_indexes_on_postgres() {
    use microcred::domain::status::StatusPurpose;
    let Some(db) = PgDatabase::create().await else { return };
    store::connect(&db.url, &PoolSettings::default()).await.unwrap().migrate().await.unwrap();
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    // An empty table would be scanned whatever the indexes; forbid the scan to see which index the planner takes.
    sqlx::query("SET enable_seqscan = off").execute(&mut *conn).await.unwrap();
    for (purpose, index) in
        [(StatusPurpose::Revocation, "credential_revoked_idx"), (StatusPurpose::Suspension, "credential_suspended_idx")]
    {
        let sql = store::set_status_indexes_sql(purpose);
        let plan: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
            .bind(Uuid::nil())
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let plan: Vec<String> = plan.into_iter().map(|row| row.0).collect();
        assert!(plan.iter().any(|line| line.contains(index)), "{purpose:?} reads {plan:?}");
    }
}

/// The duplicate check of every award and the listing by learner must find a learner's credentials through the
/// index on `recipient_email`, not walk every credential of the achievement through the index that gives the
/// order (SQLite without statistics chose that one, and awards slowed as an achievement grew: 1,700/s fell below
/// 300/s by 4,000 credentials). The plans are checked on a fresh database, as every connection sees it.
#[tokio::test]
async fn finding_a_learners_credentials_uses_the_recipient_index_on_sqlite() {
    let (_dir, pool) = migrated_sqlite().await;
    for sql in [
        // `holders` (store/queries.rs), for one learner and for two.
        "SELECT recipient_email, credential_id FROM credential WHERE achievement_id = ?1 AND recipient_email IN (?2) \
         ORDER BY issued_at, credential_id",
        "SELECT recipient_email, credential_id FROM credential WHERE achievement_id = ?1 AND recipient_email IN (?2, ?2) \
         ORDER BY issued_at, credential_id",
        // `award_source` (store/queries.rs): the same check, as a subquery of the award's one read.
        microcred::store::AWARD_SOURCE_SQL,
        // `credentials` filtered by achievement and e-mail (store/queries.rs, push_credential_filter).
        "SELECT * FROM credential WHERE 1 = 1 AND issuer_id = ?1 AND achievement_id = ?1 AND recipient_email = ?2 \
         ORDER BY issued_at, credential_id LIMIT 50",
    ] {
        let detail = sqlite_plan(&pool, sql, Some("learner@example.eu")).await;
        assert!(detail.iter().any(|d| d.contains("INDEX credential_recipient_idx")), "{sql}\nreads {detail:?}");
    }
}

/// The one reads of an award and of a VC-API signature find each row they join through an index (the issuer by
/// DID, its active key, the caller's API key, the achievement): no step scans a table.
#[tokio::test]
async fn an_award_and_a_vc_api_signature_read_by_index_on_sqlite() {
    let (_dir, pool) = migrated_sqlite().await;
    for sql in [microcred::store::AWARD_SOURCE_SQL, microcred::store::SIGNING_SOURCE_SQL] {
        let detail = sqlite_plan(&pool, sql, Some("learner@example.eu")).await;
        assert!(detail.iter().all(|d| !d.starts_with("SCAN")), "{sql}\nreads {detail:?}");
        assert!(detail.iter().any(|d| d.contains("api_key")), "{sql}\nreads {detail:?}");
    }
}

/// A fresh, migrated SQLite database (in the returned folder) and a pool on it, as every connection sees it.
async fn migrated_sqlite() -> (tempfile::TempDir, sqlx::SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("plan.db").display());
    store::connect(&url, &PoolSettings::default()).await.unwrap().migrate().await.unwrap();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    (dir, pool)
}

/// The steps of SQLite's plan for `sql` (`EXPLAIN QUERY PLAN`), with a nil UUID bound first and `text` second.
async fn sqlite_plan(pool: &sqlx::SqlitePool, sql: &str, text: Option<&str>) -> Vec<String> {
    let explain = sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"));
    let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(explain).bind(Uuid::nil());
    if let Some(text) = text {
        query = query.bind(text);
    }
    query.fetch_all(pool).await.unwrap().into_iter().map(|row| row.3).collect()
}
