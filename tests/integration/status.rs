//! Revocation and suspension through W3C Bitstring Status Lists, on SQLite and PostgreSQL: published
//! lists, verification verdicts, and the rules of each transition.

use std::collections::HashSet;

use microcred::domain::api_key::Role;
use microcred::domain::status::{bit, decode_list};
use microcred::vc::verify::{CheckStatus, Outcome};
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, assert_problem};

struct Setup {
    app: TestApp,
    assessor: String,
    achievement_id: String,
}

async fn setup(backend: Backend, suspension: bool) -> Option<Setup> {
    let app = TestApp::spawn(backend).await?;
    let (assessor, achievement_id) = app.issuer_with_achievement(suspension).await;
    Some(Setup { app, assessor, achievement_id })
}

impl Setup {
    async fn award(&self, email: &str) -> Value {
        let response = self.app.client.post(self.app.url("/api/v1/credentials")).bearer_auth(&self.assessor)
            .json(&json!({"achievement_id": self.achievement_id, "recipient": {"name": "Γιώργος Παπαδόπουλος", "email": email}}))
            .send().await.unwrap();
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    async fn post(&self, id: &str, action: &str, body: Value) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(&format!("/api/v1/credentials/{id}/{action}")))
            .bearer_auth(&self.assessor)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// The bit of `entry` in its published list, fetched as any verifier would.
    async fn published_bit(&self, entry: &Value) -> (bool, String) {
        let response = self.app.client.get(entry["statusListCredential"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/vc+ld+json");
        assert_eq!(response.headers()["cache-control"], "public, max-age=1");
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let list: Value = response.json().await.unwrap();
        assert_eq!(list["type"], json!(["VerifiableCredential", "BitstringStatusListCredential"]));
        assert_eq!(list["credentialSubject"]["statusPurpose"], entry["statusPurpose"]);
        assert!(
            self.app.app.verify(&list).await.unwrap().verified,
            "the published list is itself a verified credential"
        );
        let bits = decode_list(list["credentialSubject"]["encodedList"].as_str().unwrap()).unwrap();
        assert_eq!(bits.len(), 16_384, "131,072 bits");
        let index: u32 = entry["statusListIndex"].as_str().unwrap().parse().unwrap();
        (bit(&bits, index).unwrap(), etag)
    }
}

fn status_check(report: &microcred::vc::verify::VerificationReport) -> CheckStatus {
    report.checks.iter().find(|c| c.name == "status").unwrap().status
}

async fn revocation(backend: Backend) {
    let Some(s) = setup(backend, false).await else { return };
    let issued = s.award("learner@example.eu").await;
    let id = issued["id"].as_str().unwrap();
    let credential = &issued["credential"];
    let entry = &credential["credentialStatus"];
    assert_eq!(entry["type"], "BitstringStatusListEntry");
    assert_eq!(entry["statusPurpose"], "revocation");
    assert!(entry["statusListIndex"].is_string());
    assert_eq!(
        entry["id"],
        format!("{}#{}", entry["statusListCredential"].as_str().unwrap(), entry["statusListIndex"].as_str().unwrap())
    );
    assert!(
        microcred::vc::schema::achievement_credential_violations(credential).is_empty(),
        "one status object keeps the OB schema"
    );

    let (set, etag) = s.published_bit(entry).await;
    assert!(!set);
    // The store sees the slot as taken (the check every new allocation makes), on both databases.
    let list = microcred::domain::status::StatusListId(
        uuid::Uuid::try_parse(entry["statusListCredential"].as_str().unwrap().rsplit('/').next().unwrap()).unwrap(),
    );
    let index: u32 = entry["statusListIndex"].as_str().unwrap().parse().unwrap();
    let next = (index + 1) % 131_072;
    assert_eq!(s.app.app.store().status_slots_taken(list, &[next, index]).await.unwrap(), [index]);
    assert_eq!(s.app.app.store().status_slots_taken(list, &[next]).await.unwrap(), Vec::<u32>::new());
    let report = s.app.app.verify(credential).await.unwrap();
    assert_eq!((report.outcome, status_check(&report)), (Outcome::Valid, CheckStatus::Pass));
    // A cached copy revalidates cheaply.
    let not_modified = s
        .app
        .client
        .get(entry["statusListCredential"].as_str().unwrap())
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);

    // Bad revocations change nothing.
    assert_problem(s.post(id, "revoke", json!({})).await, 422).await;
    let body = assert_problem(s.post(id, "suspend", json!({"reason": "check"})).await, 409).await;
    assert!(body["detail"].as_str().unwrap().contains("no suspension status entry"), "{body}");
    let stranger = s.app.token(Role::Assessor).await;
    let response = s
        .app
        .client
        .post(s.app.url(&format!("/api/v1/credentials/{id}/revoke")))
        .bearer_auth(&stranger)
        .json(&json!({"reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 403).await;
    assert!(!s.published_bit(entry).await.0);

    // Revoke: the published list has the bit set at once, and verification says revoked.
    let revoked: Value =
        s.post(id, "revoke", json!({"reason": "Plagiarism in the final assessment"})).await.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    let (set, new_etag) = s.published_bit(entry).await;
    assert!(set);
    assert_ne!(new_etag, etag);
    let report = s.app.app.verify(credential).await.unwrap();
    assert_eq!((report.outcome, report.verified, status_check(&report)), (Outcome::Revoked, false, CheckStatus::Fail));
    assert!(
        report.checks.iter().filter(|c| c.name != "status").all(|c| c.status != CheckStatus::Fail),
        "only the status fails"
    );
    // Permanent: reinstating is refused, revoking again is harmless.
    assert_problem(s.post(id, "reinstate", json!({})).await, 409).await;
    assert_eq!(s.post(id, "revoke", json!({"reason": "again"})).await.status(), 200);
    let listed: Value = s
        .app
        .client
        .get(s.app.url("/api/v1/credentials"))
        .bearer_auth(&s.assessor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["status"], "revoked");

    // The audit log recorded who did what, and assessors cannot read it.
    let admin = s.app.token(Role::Admin).await;
    let events: Value =
        s.app.client.get(s.app.url("/api/v1/audit")).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    let revocations: Vec<&Value> =
        events.as_array().unwrap().iter().filter(|e| e["action"] == "credential.revoke").collect();
    assert_eq!(revocations.len(), 1, "the repeated revocation changed nothing and recorded nothing: {events}");
    assert_eq!(revocations[0]["subject"], id);
    assert_eq!(revocations[0]["reason"], "Plagiarism in the final assessment");
    // Sent as `reason` (the note's older name), it is a note: the public page does not show it.
    let page = s.app.client.get(s.app.url(&format!("/credentials/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-verdict=\"revoked\"") && !page.contains("Plagiarism"), "{page}");
    assert!(revocations[0]["api_key_id"].is_string());
    assert!(events.as_array().unwrap().iter().any(|e| e["action"] == "credential.issue" && e["subject"] == id));
    assert_problem(s.app.client.get(s.app.url("/api/v1/audit")).bearer_auth(&s.assessor).send().await.unwrap(), 403)
        .await;

    // Many awards never share an index.
    let mut slots = HashSet::new();
    for i in 0..20 {
        let c = s.award(&format!("learner{i}@example.eu")).await;
        let e = &c["credential"]["credentialStatus"];
        assert!(slots.insert((
            e["statusListCredential"].as_str().unwrap().to_owned(),
            e["statusListIndex"].as_str().unwrap().to_owned()
        )));
    }
}

async fn suspension(backend: Backend) {
    let Some(s) = setup(backend, true).await else { return };
    let issued = s.award("learner@example.eu").await;
    let id = issued["id"].as_str().unwrap();
    let credential = &issued["credential"];
    let entries = credential["credentialStatus"].as_array().expect("revocation and suspension entries");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["statusPurpose"], "suspension");
    assert_ne!(entries[0]["statusListCredential"], entries[1]["statusListCredential"], "separate lists");

    let suspended: Value = s.post(id, "suspend", json!({"reason": "Under review"})).await.json().await.unwrap();
    assert_eq!(suspended["status"], "suspended");
    assert!(s.published_bit(&entries[1]).await.0);
    assert!(!s.published_bit(&entries[0]).await.0);
    let report = s.app.app.verify(credential).await.unwrap();
    assert_eq!((report.outcome, report.verified), (Outcome::Suspended, false));

    let reinstated: Value = s.post(id, "reinstate", json!({})).await.json().await.unwrap();
    assert_eq!(reinstated["status"], "active");
    assert!(!s.published_bit(&entries[1]).await.0);
    assert!(s.app.app.verify(credential).await.unwrap().verified);
    assert_problem(s.post(id, "reinstate", json!({})).await, 409).await;
}

#[tokio::test]
async fn revocation_on_sqlite() {
    revocation(Backend::Sqlite).await;
}

#[tokio::test]
async fn revocation_on_postgres() {
    revocation(Backend::Postgres).await;
}

#[tokio::test]
async fn suspension_on_sqlite() {
    suspension(Backend::Sqlite).await;
}

#[tokio::test]
async fn suspension_on_postgres() {
    suspension(Backend::Postgres).await;
}

/// How many indexes each of the issuer's revocation lists has handed out in blocks (`status_list.used`), oldest
/// list first; with `set`, first sets every list's count to that.
async fn claimed_by_list(app: &TestApp, backend: Backend, set: Option<i64>) -> Vec<i64> {
    const SQL: &str = "SELECT CAST(used AS BIGINT) FROM status_list WHERE purpose = 'revocation' ORDER BY created_at";
    const SET: &str = "UPDATE status_list SET used = $1";
    let rows: Vec<(i64,)> = match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database_url()).await.unwrap();
            if let Some(used) = set {
                sqlx::query(SET).bind(used).execute(&pool).await.unwrap();
            }
            sqlx::query_as(SQL).fetch_all(&pool).await.unwrap()
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.database_url()).await.unwrap();
            if let Some(used) = set {
                sqlx::query(SET).bind(used).execute(&pool).await.unwrap();
            }
            sqlx::query_as(SQL).fetch_all(&pool).await.unwrap()
        }
    };
    rows.into_iter().map(|(used,)| used).collect()
}

async fn claimed(app: &TestApp, backend: Backend) -> i64 {
    claimed_by_list(app, backend, None).await.iter().sum()
}

/// Eight awards at once to new learners (`tag` and `round` make their addresses): their status entries
/// (`list#index`).
async fn award_round(s: &Setup, tag: &str, round: usize) -> Vec<String> {
    let awards = (0..8).map(|i| {
        let body = json!({"achievement_id": s.achievement_id,
            "recipient": {"name": "Ана Петрова", "email": format!("ana.{tag}{round}-{i}@example.bg")}});
        s.app.award(&s.assessor, body)
    });
    let issued = futures_util::future::join_all(awards).await;
    let entry = |c: &Value| {
        let e = &c["credential"]["credentialStatus"];
        format!("{}#{}", e["statusListCredential"].as_str().unwrap(), e["statusListIndex"].as_str().unwrap())
    };
    issued.iter().map(entry).collect()
}

/// Status indexes are drawn a block (256) at a time, so that most awards write nothing for them: 400 awards,
/// eight at a time, claim two blocks and hold 400 distinct entries.
async fn status_indexes_are_drawn_in_blocks(backend: Backend) {
    let Some(s) = setup(backend, false).await else { return };
    let mut indexes = HashSet::new();
    for round in 0..50 {
        for index in award_round(&s, "a", round).await {
            assert!(indexes.insert(index), "an index handed out twice");
        }
    }
    assert_eq!(indexes.len(), 400);
    assert_eq!(claimed(&s.app, backend).await, 512);
}

#[tokio::test]
async fn status_indexes_are_drawn_in_blocks_on_sqlite() {
    status_indexes_are_drawn_in_blocks(Backend::Sqlite).await;
}

#[tokio::test]
async fn status_indexes_are_drawn_in_blocks_on_postgres() {
    status_indexes_are_drawn_in_blocks(Backend::Postgres).await;
}

/// When the list is half full, the award that finds its block used up opens the next list and draws from it;
/// no entry is handed out twice across the two lists.
async fn a_half_full_list_is_followed_by_a_new_one(backend: Backend) {
    let Some(s) = setup(backend, false).await else { return };
    let mut indexes = HashSet::new();
    indexes.extend(award_round(&s, "b", 0).await);
    let half = i64::from(microcred::domain::status::LIST_SIZE / 2);
    assert_eq!(claimed_by_list(&s.app, backend, Some(half)).await, [half]);
    for round in 1..40 {
        for index in award_round(&s, "b", round).await {
            assert!(indexes.insert(index), "an index handed out twice");
        }
    }
    assert_eq!(indexes.len(), 320);
    assert_eq!(
        claimed_by_list(&s.app, backend, None).await,
        [half + 256, 256],
        "one block claimed from the full list when the first ran out, then a block of the new one"
    );
}

#[tokio::test]
async fn a_half_full_list_is_followed_by_a_new_one_on_sqlite() {
    a_half_full_list_is_followed_by_a_new_one(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_half_full_list_is_followed_by_a_new_one_on_postgres() {
    a_half_full_list_is_followed_by_a_new_one(Backend::Postgres).await;
}

/// Two processes drawing status indexes from one list get disjoint blocks (issue 20): each claims positions
/// from the list's shared count and takes the indexes at those positions of the list's own pseudorandom order.
/// With blocks of random indexes, a block of one process often held an index the other had handed out; the
/// award that met it was signed again with another index, and its process claimed a block more than it used.
/// Here 2,048 awards, alternating between two processes, claim exactly 2,048 indexes.
async fn two_processes_draw_disjoint_blocks(backend: Backend) {
    let Some(s) = setup(backend, false).await else { return };
    let (one, two) = (&s.app.app, &s.app.another_process().await);
    let token = microcred::domain::api_key::ApiToken::parse(&s.assessor).unwrap();
    for i in 0..2048 {
        let input = serde_json::from_value(json!({"achievement_id": s.achievement_id,
            "recipient": {"name": "Ana Petrova", "email": format!("ana.c{i}@example.bg")}}))
        .unwrap();
        let process = if i % 2 == 0 { one } else { two };
        process.issue_award(&token, input, None, [0; 32]).await.unwrap();
    }
    assert_eq!(claimed(&s.app, backend).await, 2048, "a block claimed and not used up: an index drawn twice");
}

#[tokio::test]
async fn two_processes_draw_disjoint_blocks_on_sqlite() {
    two_processes_draw_disjoint_blocks(Backend::Sqlite).await;
}

#[tokio::test]
async fn two_processes_draw_disjoint_blocks_on_postgres() {
    two_processes_draw_disjoint_blocks(Backend::Postgres).await;
}
