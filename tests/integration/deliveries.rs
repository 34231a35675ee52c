//! Learners receive their credentials by e-mail, through a real SMTP server (aiosmtpd): the message's MIME
//! structure, language and links, the attached certificate verifying with `microcred verify`, temporary
//! and permanent failures, `notify: false` and sending again, a SIGKILL with a thousand messages in flight,
//! and two replicas over one PostgreSQL database sharing two thousand.

use std::collections::HashMap;
use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders as _};
use serde_json::{Value, json};

use crate::crash::{Setup, serve_with, wait_ready};
use crate::smtp::{Mode, SmtpServer, credential_in};
use crate::support::{Backend, TestApp};
use microcred::domain::api_key::Role;

/// A service that sends its e-mail to `smtp`.
async fn with_mail(backend: Backend, smtp: &SmtpServer) -> Option<TestApp> {
    let url = smtp.url();
    TestApp::spawn_with(backend, move |s| {
        s.smtp_url = Some(url.parse().unwrap());
        s.mail_concurrency = Some(4);
        s.mail_retry_base_secs = Some(1);
        s.mail_from = Some("Universal Certification Solutions <certificates@ucs.example>".into());
    })
    .await
}

/// A label of the Bulgarian files, for comparing with what the learner receives.
fn bulgarian(key: &str) -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/i18n/bg.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    table[key].as_str().unwrap().to_owned()
}

/// The credential's `delivery` once `done` says it is settled (at most 20 s).
async fn delivery_when(app: &TestApp, token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let view = app.get_json_as(token, &format!("/api/v1/credentials/{id}")).await;
        if done(&view["delivery"]) || std::time::Instant::now() > deadline {
            return view["delivery"].clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn an_award_reaches_the_learner_in_their_language(backend: Backend) {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    let Some(app) = with_mail(backend, &smtp).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let admin = app.token(Role::Admin).await;
    let patched = app
        .client
        .patch(app.url("/api/v1/issuers/ucs"))
        .bearer_auth(&admin)
        .json(&json!({"mail": {"sender_name": "UCS — Сертификати", "reply_to": "registrar@ucs.example.eu"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    let name = "Иван <Петров> & Co";
    let award = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "language": "bg",
                   "recipient": {"name": name, "email": "Ivan.Petrov@Example.BG"}}),
        )
        .await;
    let id = award["id"].as_str().unwrap();
    let messages = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(messages.len(), 1, "one message for one award");
    let raw = &messages[0];
    let message = MessageParser::default().parse(raw).unwrap();

    // Headers: in Bulgarian, encoded for mail (RFC 2047), from the issuer, replies to its registrar.
    let achievement = "Умни градове: основи";
    assert_eq!(message.subject(), Some(bulgarian("mail_subject").replace("{achievement}", achievement).as_str()));
    let raw_subject = message.header_raw("Subject").unwrap();
    assert!(raw_subject.is_ascii() && raw_subject.contains("=?utf-8?"), "{raw_subject}");
    let from = message.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("UCS — Сертификати"));
    assert_eq!(from.address(), Some("certificates@ucs.example"));
    assert_eq!(message.reply_to().unwrap().first().unwrap().address(), Some("registrar@ucs.example.eu"));
    assert_eq!(message.to().unwrap().first().unwrap().address(), Some("ivan.petrov@example.bg"));
    assert!(message.message_id().is_some_and(|id| id.contains('@')), "a Message-ID, for de-duplication");

    // MIME: a plain-text and an HTML alternative of the same message.
    let root = message.root_part().content_type().unwrap();
    assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("alternative")));
    assert_eq!((message.text_body_count(), message.html_body_count()), (1, 1));
    // Both parts, the name as written in the text and escaped in the HTML.
    let text = message.body_text(0).unwrap();
    let html = message.body_html(0).unwrap();
    assert!(text.contains(name), "{text}");
    assert!(text.contains(&bulgarian("mail_greeting").replace("{name}", name)), "{text}");
    // askama writes numeric character references.
    let unescaped = html.replace("&#60;", "&lt;").replace("&#62;", "&gt;").replace("&#38;", "&amp;");
    assert!(unescaped.contains("Иван &lt;Петров&gt; &amp; Co"), "{html}");
    assert!(!html.contains("<Петров>"), "{html}");
    assert!(html.contains("lang=\"bg\""));
    // The learner's space: a link in HTML, in angle brackets in the text (no trailing punctuation in it).
    let space = format!("{}/me?lang=bg", app.base);
    assert!(html.contains(&format!("href=\"{space}\"")), "{html}");
    assert!(text.contains(&format!("<{space}>")), "{text}");
    assert_eq!(message.attachments().count(), 0, "no certificate attached unless the issuer chooses");
    assert_eq!(credential_in(&message).as_deref(), Some(id));

    // Sent, not yet claimed; the links open the credential's page, PDF and JSON.
    let delivery = delivery_when(&app, &assessor, id, |d| d["status"] == "sent").await;
    assert_eq!(delivery["status"], "sent", "{delivery}");
    assert_eq!(delivery["attempts"], 1);
    assert!(delivery["sent_at"].is_string() && delivery["claimed_at"].is_null(), "{delivery}");
    let links: Vec<&str> = text.split_whitespace().filter(|w| w.starts_with("http")).collect();
    let page = links.iter().find(|l| l.contains("claim=")).unwrap();
    for link in &links {
        let response = app.client.get(*link).header("accept", "text/html").send().await.unwrap();
        assert_eq!(response.status(), 200, "{link}");
    }
    assert!(links.iter().any(|l| l.contains(&format!("/credentials/{id}.pdf"))), "{links:?}");
    assert!(links.iter().any(|l| l.ends_with(&format!("/credentials/{id}.json"))), "{links:?}");
    let page_html = app.client.get(*page).send().await.unwrap().text().await.unwrap();
    let page_html = page_html.replace("&#60;", "&lt;").replace("&#62;", "&gt;");
    assert!(page_html.contains("Иван &lt;Петров&gt;"), "the link opens this learner's credential");
    let delivery = delivery_when(&app, &assessor, id, |d| d["claimed_at"].is_string()).await;
    assert!(delivery["claimed_at"].is_string(), "opening the e-mail's link claims it: {delivery}");

    // The CSV export carries the same state.
    let csv = app
        .client
        .get(app.url("/api/v1/credentials.csv"))
        .bearer_auth(&assessor)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| row[headers.iter().position(|h| h == name).unwrap()].to_owned();
    assert_eq!(cell("delivery_status"), "sent");
    assert_eq!(cell("delivery_attempts"), "1");
    assert!(!cell("sent_at").is_empty() && !cell("claimed_at").is_empty());
}

#[tokio::test]
async fn an_award_reaches_the_learner_in_their_language_on_sqlite() {
    an_award_reaches_the_learner_in_their_language(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_award_reaches_the_learner_in_their_language_on_postgres() {
    an_award_reaches_the_learner_in_their_language(Backend::Postgres).await;
}

#[tokio::test]
async fn a_link_without_the_right_claim_token_claims_nothing() {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    let Some(app) = with_mail(Backend::Sqlite, &smtp).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let award = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Ana", "email": "ana@example.pt"}}),
        )
        .await;
    let id = award["id"].as_str().unwrap();
    delivery_when(&app, &assessor, id, |d| d["status"] == "sent").await;
    // An employer opening the QR code's address, or someone guessing, does not claim it.
    for query in ["", "?claim=0123456789abcdef0123456789abcdef", "?claim="] {
        let response = app.client.get(app.url(&format!("/credentials/{id}{query}"))).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let view = app.get_json_as(&assessor, &format!("/api/v1/credentials/{id}")).await;
    assert!(view["delivery"]["claimed_at"].is_null(), "{view}");
}

#[tokio::test]
async fn an_issuer_can_attach_the_certificate_and_it_verifies() {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    let Some(app) = with_mail(Backend::Sqlite, &smtp).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let admin = app.token(Role::Admin).await;
    let patched = app
        .client
        .patch(app.url("/api/v1/issuers/ucs"))
        .bearer_auth(&admin)
        .json(&json!({"mail": {"attach_pdf": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let issuer: Value = patched.json().await.unwrap();
    assert_eq!(issuer["mail"]["attach_pdf"], true, "{issuer}");
    app.award(
        &assessor,
        json!({"achievement_id": achievement_id, "language": "el",
               "recipient": {"name": "Γιώργος Παπαδόπουλος", "email": "giorgos@example.gr"}}),
    )
    .await;
    let messages = smtp.wait_for(1, Duration::from_secs(30)).await;
    let message = MessageParser::default().parse(&messages[0]).unwrap();
    let root = message.root_part().content_type().unwrap();
    assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("mixed")), "the message, then the attachment");
    let attachment = message.attachments().next().expect("the certificate is attached");
    assert_eq!(attachment.content_type().map(|c| (c.ctype(), c.subtype())), Some(("application", Some("pdf"))));
    assert!(attachment.attachment_name().is_some_and(|n| n.ends_with(".pdf")));
    assert!(message.body_text(0).unwrap().contains("Γιώργος Παπαδόπουλος"));
    let pdf = app.dir.path().join("attached.pdf");
    std::fs::write(&pdf, attachment.contents()).unwrap();
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_microcred"))
        .args(["verify", "--database-url", &app.database_url(), "--public-url", &app.base])
        .args(["--keys-dir", app.keys_dir().to_str().unwrap(), pdf.to_str().unwrap()])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "the attached certificate verifies: {report}");
    assert!(report.contains("printed"), "{report}");
}

#[tokio::test]
async fn notify_false_sends_nothing_until_asked_and_sending_again_is_audited() {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    let Some(app) = with_mail(Backend::Sqlite, &smtp).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let award = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "notify": false,
                   "recipient": {"name": "Lucía Fernández", "email": "lucia@example.es"}}),
        )
        .await;
    let id = award["id"].as_str().unwrap();
    let batch = app
        .client
        .post(app.url(&format!("/api/v1/credentials/batch?achievement_id={achievement_id}&notify=false")))
        .bearer_auth(&assessor)
        .json(&json!([{"recipient": {"name": "Marco Rossi", "email": "marco@example.it"}}]))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.status(), 201);
    let batch: Value = batch.json().await.unwrap();
    let batch_id = batch["rows"][0]["id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(smtp.messages().is_empty(), "notify: false sends nothing");
    for credential in [id, batch_id] {
        let view = app.get_json_as(&assessor, &format!("/api/v1/credentials/{credential}")).await;
        assert_eq!(view["delivery"]["status"], "skipped", "{view}");
    }

    let again = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{id}/notify")))
        .bearer_auth(&assessor)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 202);
    let queued: Value = again.json().await.unwrap();
    assert_eq!(queued["status"], "pending", "{queued}");
    let messages = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(messages.len(), 1);
    let message = MessageParser::default().parse(&messages[0]).unwrap();
    assert_eq!(message.to().unwrap().first().unwrap().address(), Some("lucia@example.es"));
    let delivery = delivery_when(&app, &assessor, id, |d| d["status"] == "sent").await;
    assert_eq!(delivery["status"], "sent");

    let admin = app.token(Role::Admin).await;
    let audit = app.get_json_as(&admin, "/api/v1/audit").await;
    let notified: Vec<&Value> = audit["events"]
        .as_array()
        .or_else(|| audit.as_array())
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "credential.notify")
        .collect();
    assert_eq!(notified.len(), 1, "{audit}");
    assert_eq!(notified[0]["subject"], id);

    // Another issuer's assessor cannot, and an unknown credential is a 404.
    let unknown = app
        .client
        .post(app.url("/api/v1/credentials/00000000-0000-4000-8000-000000000000/notify"))
        .bearer_auth(&assessor)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_temporary_failure_is_retried_and_a_permanent_one_fails() {
    let Some(smtp) = SmtpServer::start(Mode { temporary: 1, permanent: false }) else { return };
    let Some(app) = with_mail(Backend::Sqlite, &smtp).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let award = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Ana", "email": "ana@example.pt"}}),
        )
        .await;
    let id = award["id"].as_str().unwrap();
    // 451 first: pending, with the server's words, until the retry a second or so later succeeds.
    let retrying = delivery_when(&app, &assessor, id, |d| d["attempts"] == 1 && d["last_error"].is_string()).await;
    assert_eq!(retrying["status"], "pending", "{retrying}");
    assert!(retrying["last_error"].as_str().unwrap().contains("451"), "{retrying}");
    let sent = delivery_when(&app, &assessor, id, |d| d["status"] == "sent").await;
    assert_eq!(sent["attempts"], 2, "{sent}");
    assert_eq!(smtp.messages().len(), 1);

    let Some(refusing) = SmtpServer::start(Mode { temporary: 0, permanent: true }) else { return };
    let Some(app) = with_mail(Backend::Sqlite, &refusing).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let award = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Ana", "email": "ana@example.pt"}}),
        )
        .await;
    let id = award["id"].as_str().unwrap();
    let failed = delivery_when(&app, &assessor, id, |d| d["status"] == "failed").await;
    assert_eq!(failed["status"], "failed", "550 is not retried: {failed}");
    assert_eq!(failed["attempts"], 1);
    assert!(failed["last_error"].as_str().unwrap().contains("550"), "{failed}");
    assert!(refusing.messages().is_empty());
}

/// Reads a server's metrics endpoint address from its log line "metrics on http://ADDR/metrics".
fn metrics_address(log: &str) -> Option<String> {
    let at = log.find("metrics on http://")? + "metrics on http://".len();
    Some(log[at..].split('/').next()?.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_smtp_password_never_shows_in_logs_errors_or_metrics() {
    let Setup { dir, port, base, token, achievement_id, client } = Setup::new().await;
    // Nothing listens on port 9: every attempt fails (connection refused) and is logged.
    let log = dir.path().join("serve.log");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_microcred"))
        .current_dir(dir.path())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--public-url", &base])
        .args(["--metrics-bind", "127.0.0.1:0", "--log-level", "debug", "--mail-retry-base-secs", "1"])
        .args(["--smtp-url", "smtp://ucs:Sup3rS3cretPw@127.0.0.1:9"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut server = crate::crash::Server { child };
    wait_ready(&client, &base).await;
    let award: Value = client
        .post(format!("{base}/api/v1/credentials"))
        .bearer_auth(&token)
        .json(&json!({"achievement_id": achievement_id, "recipient": {"name": "Ana", "email": "ana@example.pt"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = award["id"].as_str().unwrap();
    let mut delivery = Value::Null;
    for _ in 0..200 {
        let view: Value = client
            .get(format!("{base}/api/v1/credentials/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        delivery = view["delivery"].clone();
        if delivery["attempts"].as_u64() >= Some(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivery["attempts"].as_u64() >= Some(2), "{delivery}");
    assert_eq!(delivery["status"], "pending", "a refused connection is temporary: {delivery}");
    assert!(!delivery.to_string().contains("Sup3rS3cretPw"), "{delivery}");
    let text = std::fs::read_to_string(&log).unwrap();
    let metrics = metrics_address(&text).expect("metrics address in the log");
    let scraped = client.get(format!("http://{metrics}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(scraped.contains("microcred_mail_deliveries{status=\"pending\"} 1"), "{scraped}");
    assert!(scraped.contains("microcred_mail_oldest_pending_seconds"), "{scraped}");
    assert!(!scraped.contains("Sup3rS3cretPw"));
    let _ = server.child.kill();
    let _ = server.child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("127.0.0.1:9"), "the log names the server: {text}");
    assert!(!text.contains("Sup3rS3cretPw"), "{text}");
}

/// The credential ids of every message received, and how many times each came.
fn received(smtp: &SmtpServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for raw in smtp.messages() {
        let message = MessageParser::default().parse(&raw).unwrap();
        *counts.entry(credential_in(&message).unwrap()).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_a_thousand_messages_in_flight_loses_none() {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    let Setup { dir, port, base, token, achievement_id, client } = Setup::new().await;
    let url = smtp.url();
    let args = ["--smtp-url", url.as_str(), "--mail-lease-secs", "2", "--mail-concurrency", "8"];
    let server = serve_with(dir.path(), port, &args);
    wait_ready(&client, &base).await;
    let mut csv_body = String::from("name;email\n");
    for i in 0..1_000 {
        csv_body.push_str(&format!("Мария Иванова {i};learner{i}@example.eu\n"));
    }
    let batch = client
        .post(format!("{base}/api/v1/credentials/batch?achievement_id={achievement_id}"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv_body)
        .send()
        .await
        .unwrap();
    assert_eq!(batch.status(), 201);
    let batch: Value = batch.json().await.unwrap();
    let issued: Vec<String> =
        batch["rows"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
    // Killed while messages are leaving.
    let before = smtp.wait_for(50, Duration::from_secs(60)).await.len();
    std::process::Command::new("kill").args(["-KILL", &server.child.id().to_string()]).status().unwrap();
    drop(server);
    let at_kill = smtp.messages().len();
    assert!(before >= 50 && at_kill < 1_000, "the kill came while messages were in flight ({at_kill} received)");

    let server = serve_with(dir.path(), port, &args);
    wait_ready(&client, &base).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while received(&smtp).len() < 1_000 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let counts = received(&smtp);
    let missing: Vec<&String> = issued.iter().filter(|id| !counts.contains_key(*id)).collect();
    assert!(missing.is_empty(), "{} of 1,000 never arrived", missing.len());
    let twice: usize = counts.values().filter(|n| **n > 1).count();
    // Only messages the server had accepted when the process died, before their outcome was recorded, can
    // come twice: at most one chunk of outcomes per sending slot.
    eprintln!("sigkill with {at_kill} of 1,000 delivered: {twice} sent twice");
    assert!(counts.values().all(|n| *n <= 2), "none more than twice");
    assert!(twice <= 16, "{twice} sent twice: more than the messages in flight at the kill");
    // And every delivery is recorded as sent.
    let mut pending = 1_000;
    for _ in 0..100 {
        let csv = client
            .get(format!("{base}/api/v1/credentials.csv"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        pending = csv.lines().filter(|l| l.contains(",pending,") || l.contains(",failed,")).count();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pending, 0, "every delivery recorded as sent");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgres_send_two_thousand_messages_once_each() {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    let Some(pg) = crate::support::PgDatabase::create().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let url = smtp.url();
    let start = |port: u16| {
        std::process::Command::new(env!("CARGO_BIN_EXE_microcred"))
            .current_dir(dir.path())
            .args(["serve", "--database-url", &pg.url, "--bind", &format!("127.0.0.1:{port}")])
            .args(["--public-url", "http://certs.microcred.test", "--issuer-country", "BG"])
            .args(["--rate-limit-per-second", "0", "--metrics-bind", "127.0.0.1:0", "--log-level", "warn"])
            .args(["--smtp-url", &url, "--mail-concurrency", "4"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let ports: Vec<u16> =
        (0..2).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()).collect();
    let replicas: Vec<crate::crash::Server> = ports.iter().map(|p| crate::crash::Server { child: start(*p) }).collect();
    let client = reqwest::Client::new();
    let bases: Vec<String> = ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    for base in &bases {
        wait_ready(&client, base).await;
    }
    let token = String::from_utf8(
        std::process::Command::new(env!("CARGO_BIN_EXE_microcred"))
            .current_dir(dir.path())
            .args(["api-key", "create", "--database-url", &pg.url, "--issuer", "default", "--role", "assessor"])
            .args(["--name", "replicas"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    let achievement_id = crate::support::create_achievement(&client, &bases[0], &token).await;
    // A thousand awards through each replica, in batches of a hundred.
    let mut issued = Vec::new();
    for (n, base) in bases.iter().enumerate() {
        for part in 0..10 {
            let rows: Vec<Value> = (0..100)
                .map(|i| json!({"recipient": {"name": format!("Learner {n}-{part}-{i}"), "email": format!("l{n}-{part}-{i}@example.eu")}}))
                .collect();
            let batch: Value = client
                .post(format!("{base}/api/v1/credentials/batch?achievement_id={achievement_id}"))
                .bearer_auth(&token)
                .json(&rows)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            issued.extend(batch["rows"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        }
    }
    assert_eq!(issued.len(), 2_000);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while smtp.messages().len() < 2_000 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Settle: anything sent twice would arrive now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let counts = received(&smtp);
    assert_eq!(counts.len(), 2_000, "none lost");
    assert!(counts.values().all(|n| *n == 1), "none sent by both replicas");
    assert!(issued.iter().all(|id| counts.contains_key(id)));
    drop(replicas);
}

#[tokio::test]
async fn a_vc_api_credential_that_names_an_address_in_the_clear_is_delivered_too() {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    let Some(app) = with_mail(Backend::Sqlite, &smtp).await else { return };
    let assessor = app.token(Role::Assessor).await;
    let did = app.app.issuer(&"default".parse().unwrap()).await.unwrap().did;
    let credential = |identifier: Value| {
        json!({"credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": did, "type": ["Profile"], "name": "Universidad de Ejemplo"},
            "name": "Ciudades inteligentes",
            "credentialSubject": {"type": ["AchievementSubject"], "name": "Lucía Fernández", "identifier": [identifier],
                "achievement": {"id": "https://example.es/achievements/1", "type": ["Achievement"], "name": "Ciudades inteligentes",
                                "description": "Fundamentos", "criteria": {"narrative": "Aprobar el examen"}}}
        }})
    };
    let issue = |body: Value| app.client.post(app.url("/credentials/issue")).bearer_auth(&assessor).json(&body).send();
    // An address hashed, as Open Badges advises: nothing to send it to.
    let hashed = issue(credential(json!({"type": "IdentityObject", "hashed": true, "identityType": "emailAddress",
        "identityHash": "sha256$3c9909afec25354d551dae21590bb26e38d53f2173b8d3dc3eee4c047e7ab1c1"})))
    .await
    .unwrap();
    assert_eq!(hashed.status(), 201);
    let clear = issue(credential(json!({"type": "IdentityObject", "hashed": false, "identityType": "emailAddress",
        "identityHash": "Lucia@Example.es"})))
    .await
    .unwrap();
    assert_eq!(clear.status(), 201);
    let messages = smtp.wait_for(1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages().len(), 1, "only the credential with an address in the clear is e-mailed");
    let message = MessageParser::default().parse(&messages[0]).unwrap();
    assert_eq!(message.to().unwrap().first().unwrap().address(), Some("lucia@example.es"));
    let text = message.body_text(0).unwrap();
    assert!(text.contains("Lucía Fernández") && text.contains("Ciudades inteligentes"), "{text}");
    let id = credential_in(&message).unwrap();
    let page = app.client.get(app.url(&format!("/credentials/{id}"))).send().await.unwrap();
    assert_eq!(page.status(), 200, "the link opens the credential's page");
}

#[tokio::test]
async fn a_credential_revoked_before_its_message_left_is_not_sent() {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    // This process queues messages but sends none, until a worker is started below.
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let award = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Ana", "email": "ana@example.pt"}}),
        )
        .await;
    let id = award["id"].as_str().unwrap();
    let revoked = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{id}/revoke")))
        .bearer_auth(&assessor)
        .json(&json!({"note": "wrong learner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let setup = microcred::service::deliveries::MailSetup {
        mailer: microcred::mail::Mailer::smtp(&smtp.url().parse().unwrap(), Duration::from_secs(10), 2).unwrap(),
        from: "microcred <certificates@example.eu>".parse().unwrap(),
        retry: Default::default(),
        lease: Duration::from_secs(20),
        concurrency: 2,
    };
    tokio::spawn(app.app.clone().with_mail(setup).run_deliveries());
    let delivery = delivery_when(&app, &assessor, id, |d| d["status"] != "pending").await;
    assert_eq!(delivery["status"], "skipped", "{delivery}");
    assert!(delivery["last_error"].as_str().unwrap().contains("revoked"), "{delivery}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(smtp.messages().is_empty(), "the learner is not told they hold a revoked credential");
    let again = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{id}/notify")))
        .bearer_auth(&assessor)
        .send()
        .await
        .unwrap();
    crate::support::assert_problem(again, 409).await;
}

#[tokio::test]
async fn an_admin_batch_over_several_issuers_mails_each_credential_to_its_own_learner() {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    let Some(app) = with_mail(Backend::Sqlite, &smtp).await else { return };
    let (_, ucs_achievement) = app.issuer_with_achievement(false).await;
    let admin = app.token(Role::Admin).await;
    let uni_assessor = app.another_issuer("uni", "Università di Esempio", "IT").await;
    let uni_achievement = crate::support::create_achievement(&app.client, &app.base, &uni_assessor).await;
    // Issuers A, B, A: the rows of A are not next to each other.
    let rows = json!([
        {"achievement_id": ucs_achievement, "recipient": {"name": "Ana", "email": "ana@example.pt"}},
        {"achievement_id": uni_achievement, "recipient": {"name": "Marco", "email": "marco@example.it"}},
        {"achievement_id": ucs_achievement, "recipient": {"name": "Иван", "email": "ivan@example.bg"}},
    ]);
    let batch =
        app.client.post(app.url("/api/v1/credentials/batch")).bearer_auth(&admin).json(&rows).send().await.unwrap();
    assert_eq!(batch.status(), 201, "{}", batch.text().await.unwrap());
    let batch: Value = batch.json().await.unwrap();
    let messages = smtp.wait_for(3, Duration::from_secs(20)).await;
    assert_eq!(messages.len(), 3);
    for (row, email) in
        batch["rows"].as_array().unwrap().iter().zip(["ana@example.pt", "marco@example.it", "ivan@example.bg"])
    {
        let id = row["id"].as_str().unwrap();
        let view = app.get_json_as(&admin, &format!("/api/v1/credentials/{id}")).await;
        assert_eq!(view["recipient"]["email"], email, "row {} answered with its own credential", row["row"]);
        let message = messages
            .iter()
            .map(|m| MessageParser::default().parse(m).unwrap())
            .find(|m| credential_in(m).as_deref() == Some(id))
            .unwrap();
        assert_eq!(message.to().unwrap().first().unwrap().address(), Some(email));
    }
}
