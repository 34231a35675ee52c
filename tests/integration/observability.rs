//! What operators see: Prometheus metrics on their own address, and logs that never contain an API token
//! or a private key, whatever happens.

use std::io::Read as _;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::support::{Backend, TestApp, create_achievement};

#[tokio::test]
async fn metrics_count_requests_awards_and_timings() {
    microcred::metrics::handle();
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let router = microcred::http::metrics_router(std::sync::Arc::new(app.app.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });

    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let issued = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Lucía", "email": "lucia@example.es"}}),
        )
        .await;
    let id = issued["id"].as_str().unwrap();
    assert_eq!(app.client.get(app.url(&format!("/credentials/{id}.pdf"))).send().await.unwrap().status(), 200);
    assert_eq!(app.client.get(app.url(&format!("/api/v1/verify/{id}"))).send().await.unwrap().status(), 200);

    let response = reqwest::get(&metrics_url).await.unwrap();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    for expected in [
        r#"microcred_http_requests_total{route="/api/v1/credentials",method="POST",status="201"}"#,
        r#"microcred_http_requests_total{route="/api/v1/verify/{id}",method="GET",status="200"}"#,
        r#"microcred_http_request_duration_seconds_bucket{route="/credentials/{file}",method="GET""#,
        r#"microcred_credentials_issued_total{path="award"}"#,
        "microcred_signature_seconds_bucket",
        "microcred_pdf_render_seconds_bucket",
        r#"microcred_db_pool_connections{state="open"}"#,
        "microcred_status_snapshot_age_seconds",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    // Every metric says what it is.
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let name = line.split(['{', ' ']).next().unwrap();
        let base = ["_bucket", "_sum", "_count"].iter().fold(name, |n, suffix| n.strip_suffix(suffix).unwrap_or(n));
        assert!(text.contains(&format!("# HELP {base} ")), "{base} has no HELP line");
    }
    // One verdict is cached: the gauges say so.
    let gauge = |name: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{name}"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    assert_eq!(gauge("microcred_verdict_cache_entries"), 1.0);
    assert!((5_000.0..100_000.0).contains(&gauge("microcred_verdict_cache_bytes")));
    // The public address does not serve metrics.
    assert_eq!(app.client.get(app.url("/metrics")).send().await.unwrap().status(), 404);
}

/// A whole working session — key creation, issuance, a batch, revocation, the VC-API, failed logins with
/// wrong tokens, downloads and verification — at debug log level: neither the API tokens nor any part of
/// the private keys appears in anything the server or the command line writes.
#[tokio::test]
async fn logs_never_contain_tokens_or_private_keys() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let args = [
        "--public-url",
        &base,
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--metrics-bind",
        "127.0.0.1:0",
        "--log-level",
        "trace",
    ];
    // The command-line tools take the public URL and log level from the environment (their flags are
    // their own); the server takes every flag.
    let cli = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_microcred"))
            .current_dir(dir.path())
            .env("MICROCRED_PUBLIC_URL", &base)
            .env("MICROCRED_LOG_LEVEL", "trace")
            .args(extra)
            .output()
            .unwrap()
    };
    let mut logs = String::new();
    let migrated = cli(&["migrate"]);
    logs.push_str(&String::from_utf8_lossy(&migrated.stderr));
    let created = cli(&["issuer", "create", "--slug", "ucs", "--name", "UCS", "--country", "BG"]);
    logs.push_str(&String::from_utf8_lossy(&created.stderr));
    let mut tokens = Vec::new();
    for role in ["admin", "assessor"] {
        let output = cli(&["api-key", "create", "--issuer", "ucs", "--role", role, "--name", "logs"]);
        logs.push_str(&String::from_utf8_lossy(&output.stderr));
        tokens.push(String::from_utf8(output.stdout).unwrap().trim().to_owned());
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_microcred"))
        .current_dir(dir.path())
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/readyz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (admin, assessor) = (&tokens[0], &tokens[1]);
    let achievement_id = &create_achievement(&client, &base, assessor).await;
    let issued: Value = client
        .post(format!("{base}/api/v1/credentials"))
        .bearer_auth(assessor)
        .json(&json!({"achievement_id": achievement_id, "recipient": {"name": "Иван Петров", "email": "ivan@example.bg"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = issued["id"].as_str().unwrap();
    client
        .post(format!("{base}/api/v1/credentials/batch?achievement_id={achievement_id}"))
        .bearer_auth(assessor)
        .header("content-type", "text/csv")
        .body("name,email\nMaria,maria@example.es\n")
        .send()
        .await
        .unwrap();
    client
        .post(format!("{base}/api/v1/credentials/{id}/revoke"))
        .bearer_auth(assessor)
        .json(&json!({"reason": "test"}))
        .send()
        .await
        .unwrap();
    let did = issued["credential"]["issuer"]["id"].as_str().unwrap();
    client.post(format!("{base}/credentials/issue")).bearer_auth(assessor).json(&json!({"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "issuer": did, "credentialSubject": {"name": "x"}}})).send().await.unwrap();
    client.get(format!("{base}/api/v1/audit")).bearer_auth(admin).send().await.unwrap();
    // Wrong tokens: a near miss of a real one, and the real one with a bad secret.
    let near_miss = format!("{}x", &assessor[..assessor.len() - 1]);
    for bad in [near_miss.as_str(), "mc_00000000000000000000000000000000_AAAA"] {
        assert_eq!(client.get(format!("{base}/api/v1/issuers")).bearer_auth(bad).send().await.unwrap().status(), 401);
    }
    client.get(format!("{base}/credentials/{id}.pdf")).send().await.unwrap();
    client.get(format!("{base}/credentials/{id}")).send().await.unwrap();
    Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    server.wait().unwrap();
    for stream in [
        server.stdout.take().map(|mut s| {
            let mut t = String::new();
            s.read_to_string(&mut t).unwrap();
            t
        }),
        server.stderr.take().map(|mut s| {
            let mut t = String::new();
            s.read_to_string(&mut t).unwrap();
            t
        }),
    ]
    .into_iter()
    .flatten()
    {
        logs.push_str(&stream);
    }
    assert!(logs.contains("issued credential"), "the run was logged at all:\n{logs}");

    // A token is `mc_<id>_<secret>`, and the secret is base64url, which may itself contain `_`: split twice only,
    // or a short tail of the secret would be searched for (and found by chance).
    let secret_of = |token: &str| token.splitn(3, '_').nth(2).unwrap().to_owned();
    let mut secrets: Vec<String> = Vec::new();
    for token in &tokens {
        secrets.push(token.clone());
        secrets.push(secret_of(token));
    }
    secrets.push(secret_of(&near_miss));
    assert!(secrets.iter().all(|s| s.len() >= 43), "every secret is searched for whole");
    for entry in std::fs::read_dir(dir.path().join("keys/ucs")).unwrap() {
        let pem = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        secrets.push("PRIVATE KEY".into());
        secrets.extend(pem.lines().filter(|l| !l.starts_with("-----")).map(str::to_owned));
    }
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret ({}…) appears in the logs", &secret[..secret.len().min(6)]);
    }
}
