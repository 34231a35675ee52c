//! Batches of awards over HTTP on SQLite and PostgreSQL: CSV and JSON, all-or-nothing and partial,
//! idempotent retries, duplicates, limits.

use serde_json::{Value, json};

use crate::support::{Backend, TestApp, assert_problem};

async fn batches(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| s.max_batch_bytes = Some(64 * 1024)).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let achievement_id = achievement_id.as_str();
    let url = app.url(&format!("/api/v1/credentials/batch?achievement_id={achievement_id}"));
    let csv = |body: &str| {
        app.client.post(&url).bearer_auth(&assessor).header("content-type", "text/csv").body(body.to_owned())
    };
    let count = || async {
        let page: Value = app.get_json_as(&assessor, "/api/v1/credentials?limit=1000").await;
        page["items"].as_array().unwrap().len()
    };

    // One bad row refuses the whole CSV (semicolons, BOM), naming the row as a spreadsheet shows it.
    let bad = "\u{feff}name;email;result\nИван Петров;ivan@example.bg;92\nΓιώργος Παπαδόπουλος;not-an-email;88\nLucía García;lucia@example.es;\n";
    let body = assert_problem(csv(bad).send().await.unwrap(), 422).await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["errors"][0]["field"], "rows[3].recipient.email");
    assert_eq!((body["errors"][0]["rows"].clone(), body["errors"][0]["column"].clone()), (json!([3]), json!("email")));
    assert_eq!(count().await, 0, "nothing was issued");

    // With partial=true the good rows are issued and the bad one reported.
    let response = app
        .client
        .post(format!("{url}&partial=true"))
        .bearer_auth(&assessor)
        .header("content-type", "text/csv")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.unwrap();
    assert_eq!((outcome["issued"].as_u64(), outcome["rejected"].as_u64()), (Some(2), Some(1)));
    let rows = outcome["rows"].as_array().unwrap();
    assert_eq!(rows.iter().map(|r| r["row"].as_u64().unwrap()).collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(rows[1]["status"], "rejected");
    assert_eq!(rows[0]["status"], "issued");
    let issued_id = rows[0]["id"].as_str().unwrap();
    let one: Value = app.get_json_as(&assessor, &format!("/api/v1/credentials/{issued_id}")).await;
    assert_eq!(one["credential"]["credentialSubject"]["name"], "Иван Петров");
    assert!(app.app.verify(&one["credential"]).await.unwrap().verified);
    assert_eq!(count().await, 2);

    // Learners who already hold the achievement, or appear twice, are rejected by row.
    let body = assert_problem(
        csv("name,email\nИван,IVAN@example.bg\nAna,ana@example.es\nAna B,ana@example.es\n").send().await.unwrap(),
        422,
    )
    .await;
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["rows[2].recipient.email", "rows[4].recipient.email"]);

    // A JSON batch under an Idempotency-Key: the retry returns the same answer and issues nothing more.
    let awards = json!([
        {"achievement_id": achievement_id, "recipient": {"name": "Marco Rossi", "email": "marco@example.it"}},
        {"achievement_id": achievement_id, "recipient": {"name": "Μαρία", "email": "maria@example.gr"}, "result": "A"}
    ]);
    let post = |key: &str, body: &Value| {
        app.client
            .post(app.url("/api/v1/credentials/batch"))
            .bearer_auth(&assessor)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
    };
    let first = post("batch-1", &awards).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = post("batch-1", &awards).await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(count().await, 4);
    assert_problem(post("batch-1", &json!([awards[0]])).await.unwrap(), 422).await;

    // Limits and formats.
    assert_problem(
        app.client
            .post(&url)
            .bearer_auth(&assessor)
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap(),
        415,
    )
    .await;
    assert_problem(csv("name,email\n").send().await.unwrap(), 422).await;
    let big = format!("name,email\n{}", "Someone With A Long Name,someone@example.eu\n".repeat(2000));
    assert_problem(csv(&big).send().await.unwrap(), 413).await;
    assert_problem(
        app.client
            .post(&url)
            .header("content-type", "text/csv")
            .body("name,email\nx,x@example.eu\n")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert_eq!(count().await, 4);

    // A class list as a Spanish spreadsheet exports it: headers in Spanish with accents, and every row's date
    // written the local way. The mistake is said once, naming the column as written and its rows.
    let rows: String = (1..=40).map(|i| format!("Alumno {i};alumno{i}@example.es;15/01/2026\n")).collect();
    let spanish = format!("Nombre y apellidos;Correo electrónico;Fecha de emisión\n{rows}");
    let body = assert_problem(csv(&spanish).send().await.unwrap(), 422).await;
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "one shared mistake, said once: {body}");
    assert_eq!(errors[0]["field"], "rows[*].awarded_at");
    assert_eq!(errors[0]["column"], "Fecha de emisión");
    assert!(errors[0]["message"].as_str().unwrap().starts_with("every row (40 rows): "), "{body}");
    assert_eq!(errors[0]["rows"].as_array().unwrap().len(), 40);
    assert_eq!((errors[0]["rows"][0].as_u64(), errors[0]["rows"][39].as_u64()), (Some(2), Some(41)));
    // An unknown column is named with its letter and the accepted names.
    let body = assert_problem(csv("Nombre,Correo,Colour\nAna,ana@example.es,red\n").send().await.unwrap(), 422).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("column C \"Colour\"") && message.contains("accepted: name"), "{body}");
    // Excel's "CSV (Comma delimited)" in Windows-1251: refused with how to save as UTF-8, nothing issued.
    let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Име,Имейл\nИван Иванов,ivan.ivanov@example.bg\n");
    let response =
        app.client.post(&url).bearer_auth(&assessor).header("content-type", "text/csv").body(cp1251.into_owned());
    let body = assert_problem(response.send().await.unwrap(), 422).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("Windows-1251") && message.contains("CSV UTF-8"), "{body}");
    assert_eq!(count().await, 4);
    // With plain dates, the same file is issued; Bulgarian headers work alike.
    let fixed = spanish.replace("15/01/2026", "2026-01-15");
    assert_eq!(csv(&fixed).send().await.unwrap().status(), 201);
    let bulgarian = "Име и фамилия,Ел. поща,Оценка\nПетър Петров,petar@example.bg,отличен\n";
    assert_eq!(csv(bulgarian).send().await.unwrap().status(), 201);
    assert_eq!(count().await, 45);
}

#[tokio::test]
async fn batches_on_sqlite() {
    batches(Backend::Sqlite).await;
}

#[tokio::test]
async fn batches_on_postgres() {
    batches(Backend::Postgres).await;
}

/// After 1,000 new credentials microcred refreshes PostgreSQL's planner statistics (`ANALYZE`), so that awards
/// and listings are not planned for a table a tenth of its size until autovacuum comes by (where it runs at
/// all), with a small sample (statistics target 10); ten do not.
#[tokio::test]
async fn a_thousand_awards_refresh_the_planner_statistics_on_postgres() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let pool = sqlx::PgPool::connect(&app.database_url()).await.unwrap();
    let analyzed = || async {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT analyze_count + autoanalyze_count FROM pg_stat_user_tables WHERE relname = 'credential'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        count
    };
    let batch = |rows: usize, tag: &'static str| {
        let mut body = String::from("name;email\n");
        for i in 0..rows {
            body.push_str(&format!("Ελένη Νικολάου {i};{tag}{i}@example.gr\n"));
        }
        app.client
            .post(app.url(&format!("/api/v1/credentials/batch?achievement_id={achievement_id}")))
            .bearer_auth(&assessor)
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    let before = analyzed().await;
    assert_eq!(batch(10, "small").await.unwrap().status(), 201);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(analyzed().await, before, "ten awards leave the statistics as they were");
    assert_eq!(batch(1_000, "large").await.unwrap().status(), 201);
    let mut refreshed = false;
    for _ in 0..100 {
        if analyzed().await > before {
            refreshed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(refreshed, "the credential table was not analyzed after a batch of 1,000");
    // The refresh samples a tenth of the default: at most 10 histogram buckets (11 bounds) instead of 100.
    // Unless autovacuum analyzed the table after it, with its own (full) sample.
    let (ours, bounds): (bool, Option<i32>) = sqlx::query_as(
        "SELECT t.last_autoanalyze IS NULL OR t.last_analyze >= t.last_autoanalyze, \
         (SELECT array_length(s.histogram_bounds::text::text[], 1) FROM pg_stats s \
          WHERE s.schemaname = t.schemaname AND s.tablename = 'credential' AND s.attname = 'credential_id') \
         FROM pg_stat_user_tables t WHERE t.relname = 'credential'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let bounds = bounds.expect("the refresh gave credential_id a histogram");
    if ours {
        assert!(bounds <= 11, "the refresh sampled like a full ANALYZE: {bounds} histogram bounds");
    }
}

/// The CSV export streams every matching credential, across pages of the listing (1,000 rows each), once each and
/// in order of issue, with the header once; a filter applies to every page, and an empty result is the header.
async fn export_streams_every_page(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| s.max_batch_bytes = Some(1 << 20)).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let rows: Vec<Value> = (0..2_345)
        .map(|n| json!({"recipient": {"name": format!("Μαρία {n}"), "email": format!("maria{n}@example.gr")}}))
        .collect();
    app.batch(&assessor, &achievement_id, &Value::from(rows)).await;
    let export = |query: &'static str| {
        let request = app.client.get(app.url(&format!("/api/v1/credentials.csv{query}"))).bearer_auth(&assessor);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
            let text = response.text().await.unwrap();
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            assert_eq!(
                reader.headers().unwrap().iter().collect::<Vec<_>>()[..5],
                ["id", "achievement_id", "name", "email", "status"]
            );
            reader.records().map(|r| r.unwrap()).collect::<Vec<_>>()
        }
    };
    let all = export("").await;
    assert_eq!(all.len(), 2_345);
    let ids: std::collections::HashSet<&str> = all.iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), 2_345, "a row appears twice");
    let names: std::collections::HashSet<&str> = all.iter().map(|r| &r[2]).collect();
    assert!(names.contains("Μαρία 0") && names.contains("Μαρία 2344"));
    assert!(all.iter().all(|r| r[1] == achievement_id && &r[4] == "active"));
    let issued: Vec<&str> = all.iter().map(|r| &r[5]).collect();
    assert!(issued.windows(2).all(|w| w[0] <= w[1]), "not in order of issue");

    let one = export("?email=maria1234@example.gr").await;
    assert_eq!(one.len(), 1);
    assert_eq!(&one[0][2], "Μαρία 1234");
    assert!(export("?email=nobody@example.gr").await.is_empty());
}

#[tokio::test]
async fn export_streams_every_page_on_sqlite() {
    export_streams_every_page(Backend::Sqlite).await;
}

#[tokio::test]
async fn export_streams_every_page_on_postgres() {
    export_streams_every_page(Backend::Postgres).await;
}
