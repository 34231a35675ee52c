//! HTTP conventions an API client relies on: a created resource is located (`Location`), an address with a
//! trailing slash leads to the one without it, and the API's status and CSV export say when a credential
//! has expired; the export is a file spreadsheets open in the right encoding.

use microcred::domain::api_key::Role;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

#[tokio::test]
async fn created_resources_are_located_and_a_trailing_slash_leads_to_the_route() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let admin = app.token(Role::Admin).await;
    let created = app
        .client
        .post(app.url("/api/v1/issuers"))
        .bearer_auth(&admin)
        .json(&json!({"slug": "ucs", "name": "Universal Certification Solutions", "country": "BG"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["location"], "/api/v1/issuers/ucs");
    let assessor = app.token_for("ucs", Role::Assessor).await;
    let issuer = app.get_json_as(&assessor, "/api/v1/issuers/ucs").await;
    assert_eq!(issuer["name"], "Universal Certification Solutions");

    let created = app
        .client
        .post(app.url("/api/v1/achievements"))
        .bearer_auth(&assessor)
        .json(&crate::achievements::micro_credential())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let achievement: Value = created.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/achievements/{}", achievement["id"].as_str().unwrap()));
    assert_eq!(app.get_json_as(&assessor, &location).await["id"], achievement["id"]);

    let award =
        json!({"achievement_id": achievement["id"], "recipient": {"name": "Ana García", "email": "ana@example.es"}});
    let created =
        app.client.post(app.url("/api/v1/credentials")).bearer_auth(&assessor).json(&award).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let credential: Value = created.json().await.unwrap();
    assert_eq!(app.get_json_as(&assessor, &location).await["id"], credential["id"]);

    // A trailing slash: a permanent redirect (308 keeps the method and body) to the route without it, with
    // the query; never to another host.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(app.url("/api/v1/credentials/?limit=5")).bearer_auth(&assessor).send().await.unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(response.headers()["location"], "/api/v1/credentials?limit=5");
    let followed = app.client.get(app.url("/api/v1/credentials/")).bearer_auth(&assessor).send().await.unwrap();
    assert_eq!(followed.status(), 200, "a client that follows redirects gets the listing");
    let response = client.get(app.url("//evil.example/")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn an_expired_credential_says_so_in_the_api_and_the_export() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let expired = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Γιώργος Παπαδόπουλος", "email": "g@example.gr"},
                   "awarded_at": "2020-01-15T09:00:00Z", "valid_until": "2021-01-15T09:00:00Z", "result": "87"}),
        )
        .await;
    assert_eq!(expired["status"], "expired");
    let current = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Ана", "email": "a@example.bg"}}),
        )
        .await;
    assert_eq!(current["status"], "active");

    let response = app.client.get(app.url("/api/v1/credentials.csv")).bearer_auth(&assessor).send().await.unwrap();
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFid,"), "a UTF-8 byte-order mark, then the header");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        [
            "id",
            "achievement_id",
            "name",
            "email",
            "status",
            "issued_at",
            "valid_until",
            "page",
            "awarded_at",
            "result",
            "json",
            "pdf",
            "png",
            "delivery_status",
            "delivery_attempts",
            "delivery_last_error",
            "sent_at",
            "claimed_at"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let row = rows.iter().find(|r| r[0] == *expired["id"].as_str().unwrap()).unwrap();
    assert_eq!((&row[2], &row[4], &row[8], &row[9]), ("Γιώργος Παπαδόπουλος", "expired", "2020-01-15T09:00:00Z", "87"));
    assert_eq!(row[11], *expired["links"]["pdf"].as_str().unwrap());
    let row = rows.iter().find(|r| r[0] == *current["id"].as_str().unwrap()).unwrap();
    assert_eq!((&row[4], &row[9]), ("active", ""));
}

#[tokio::test]
async fn award_dates_may_be_plain_dates_meaning_that_day_in_utc() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let issued = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Lucía", "email": "lucia@example.es"},
                   "awarded_at": "2026-01-15", "valid_until": "2029-01-15"}),
        )
        .await;
    assert_eq!(issued["credential"]["validFrom"], "2026-01-15T00:00:00Z");
    assert_eq!(issued["credential"]["validUntil"], "2029-01-15T23:59:59Z");
    let refused = app
        .client
        .post(app.url("/api/v1/credentials"))
        .bearer_auth(&assessor)
        .json(&json!({"achievement_id": achievement_id, "recipient": {"name": "Lucía", "email": "l2@example.es"},
                      "awarded_at": "15.01.2026"}))
        .send()
        .await
        .unwrap();
    let body = crate::support::assert_problem(refused, 422).await;
    assert_eq!(body["errors"][0]["field"], "awarded_at");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("2026-06-30"), "{body}");
}

#[tokio::test]
async fn a_csv_batch_may_be_uploaded_as_a_form_file() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let url = app.url(&format!("/api/v1/credentials/batch?achievement_id={achievement_id}"));
    let csv = "name,email,result\nMaria Rossi,maria@example.it,88\nΓιώργος Παπαδόπουλος,giorgos@example.gr,95\n";
    let form = |field: &str| {
        reqwest::multipart::Form::new()
            .part(field.to_owned(), reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("class.csv"))
    };
    let response = app
        .client
        .post(&url)
        .bearer_auth(&assessor)
        .header("Idempotency-Key", "class-2026")
        .multipart(form("file"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let outcome: Value = response.json().await.unwrap();
    assert_eq!((outcome["issued"].as_u64(), outcome["rejected"].as_u64()), (Some(2), Some(0)), "{outcome}");
    // The same file sent raw is the same request: a retry, not a second batch.
    let again = app
        .client
        .post(&url)
        .bearer_auth(&assessor)
        .header("Idempotency-Key", "class-2026")
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(app.stored_credentials().await, 2);
    // A form without the field says which field it wants.
    let response = app.client.post(&url).bearer_auth(&assessor).multipart(form("upload")).send().await.unwrap();
    let body = crate::support::assert_problem(response, 422).await;
    assert_eq!(body["errors"][0]["field"], "file", "{body}");
}
