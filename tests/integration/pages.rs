//! The public credential page and the verification endpoints as employers meet them: each verdict, in
//! their language, from real verification; the same 404 for any unknown id; escaping; security headers;
//! the rate limit; uploads of JSON, PDF and PNG (valid, tampered, from another issuer).

use microcred::domain::audit::AuditEntry;
use microcred::domain::award::CredentialId;
use microcred::domain::status::StatusPurpose;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, assert_problem};

const HTML: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

async fn award(app: &TestApp, assessor: &str, achievement_id: &str, extra: Value) -> Value {
    let mut body = json!({"achievement_id": achievement_id, "recipient": {"name": "Иван Петров", "email": format!("{}@example.eu", uuid::Uuid::new_v4())}});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.award(assessor, body).await
}

async fn page(app: &TestApp, id: &str, accept_language: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = app
        .client
        .get(app.url(&format!("/credentials/{id}")))
        .header("accept", HTML)
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn verdict_of(html: &str) -> &str {
    let start = html.find("data-verdict=\"").expect("a verdict banner") + "data-verdict=\"".len();
    &html[start..start + html[start..].find('"').unwrap()]
}

/// A page of a credential that is not current: no LinkedIn button, no present-tense "has completed", the
/// files offered as records.
fn assert_not_current(html: &str, linkedin: &str, present_tense: &str, records: &str) {
    assert!(!html.contains(linkedin), "a LinkedIn button on a credential that is not current");
    assert!(!html.contains(present_tense), "{present_tense:?} on a credential that is not current");
    assert!(html.contains(records), "{records:?} missing");
}

async fn report(app: &TestApp, id: &str) -> Value {
    let response = app.client.get(app.url(&format!("/api/v1/verify/{id}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

async fn pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(true).await;

    // Valid, in the employer's language, with the facts, the checks and the downloads.
    let valid = award(&app, &assessor, &achievement_id, json!({"result": "92"})).await;
    let id = valid["id"].as_str().unwrap().to_owned();
    let (status, headers, html) = page(&app, &id, "el-GR,el;q=0.9,en;q=0.5").await;
    assert_eq!(status, 200);
    assert_eq!(verdict_of(&html), "valid");
    for expected in [
        "Έγκυρο",
        "Иван Петров",
        "Умни градове: основи",
        "Universal Certification Solutions",
        "Explain urban data platforms",
        "5 πιστωτικές μονάδες ECTS (125 ώρες)",
        "Η ψηφιακή υπογραφή είναι ακέραιη",
        // The awarding body's country (EU Annex I), named in the page's language.
        "Χώρα του φορέα απονομής",
        "Βουλγαρία",
        // A current credential is stated in the present.
        "ολοκλήρωσε με επιτυχία το μικροδιαπιστευτήριο",
        // Described following the Council Recommendation, not as endorsed by the European Union.
        "σύμφωνα με τη Σύσταση του Συμβουλίου της ΕΕ",
    ] {
        assert!(html.contains(expected), "{expected:?} missing");
    }
    assert!(!html.contains("Ευρωπαϊκή Ένωση"), "the header does not read as an EU endorsement");
    for link in [
        format!("/credentials/{id}.pdf"),
        format!("/credentials/{id}.json"),
        format!("/credentials/{id}.png"),
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME".into(),
    ] {
        assert!(html.contains(&link), "{link} missing");
    }
    assert!(html.contains("property=\"og:title\""));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("referrer-policy"));
    let (_, _, bulgarian) = page(&app, &format!("{id}?lang=bg"), "el").await;
    assert!(bulgarian.contains("Валидно"), "?lang= wins over Accept-Language");
    let report_json = report(&app, &id).await;
    assert_eq!(report_json["verified"], true);
    assert_eq!(report_json["outcome"], "valid");
    // Machines asking for JSON get the signed credential at the same address.
    let response = app
        .client
        .get(app.url(&format!("/credentials/{id}")))
        .header("accept", "application/vc+ld+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/vc+ld+json");
    assert_eq!(response.json::<Value>().await.unwrap(), valid["credential"]);

    // Revoked: verdict, date and reason, right after the revocation (neither the cached verdict nor the page
    // rendered from it is reused).
    let (_, _, before) = page(&app, &id, "en").await;
    assert_eq!(verdict_of(&before), "valid");
    assert_eq!(page(&app, &id, "en").await.2, before, "the same page twice");
    let revoke = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{id}/revoke")))
        .bearer_auth(&assessor)
        .json(&json!({"note": "Plagiarism found in the final essay", "public_reason": "Assessment misconduct"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    let (_, _, html) = page(&app, &id, "en").await;
    assert_eq!(verdict_of(&html), "revoked");
    assert!(
        html.contains("Reason: Assessment misconduct") && html.contains("The issuer revoked this credential on"),
        "{html}"
    );
    // The assessor's note is for the issuer's records: never on the page nor in the public report.
    assert!(!html.contains("Plagiarism"), "{html}");
    // Not presented as held: no LinkedIn button, no present tense, the files offered as records.
    assert_not_current(&html, "linkedin.com", "has successfully completed", "Records of this credential");
    assert!(html.contains("for the micro-credential"), "{html}");
    assert!(!report(&app, &id).await.to_string().contains("Plagiarism"));
    assert_eq!(report(&app, &id).await["outcome"], "revoked");

    // Suspended, then reinstated.
    let other = award(&app, &assessor, &achievement_id, json!({})).await;
    let other_id = other["id"].as_str().unwrap().to_owned();
    assert_eq!(report(&app, &other_id).await["outcome"], "valid");
    app.client
        .post(app.url(&format!("/api/v1/credentials/{other_id}/suspend")))
        .bearer_auth(&assessor)
        .json(&json!({"reason": "Learner disputes the grade", "public_reason": "Under review"}))
        .send()
        .await
        .unwrap();
    let (_, _, html) = page(&app, &other_id, "it").await;
    assert_eq!(verdict_of(&html), "suspended");
    assert!(html.contains("Sospesa") && html.contains("Motivo: Under review"));
    assert!(!html.contains("disputes"), "the note, sent as the older `reason`, stays private: {html}");
    assert_not_current(&html, "linkedin.com", "ha completato con successo", "Documenti di questa credenziale");
    app.client
        .post(app.url(&format!("/api/v1/credentials/{other_id}/reinstate")))
        .bearer_auth(&assessor)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(report(&app, &other_id).await["outcome"], "valid");

    // Expired and not yet valid, with their dates.
    let expired = award(
        &app,
        &assessor,
        &achievement_id,
        json!({"awarded_at": "2020-01-15T09:00:00Z", "valid_until": "2021-01-15T09:00:00Z"}),
    )
    .await;
    let (_, _, html) = page(&app, expired["id"].as_str().unwrap(), "es").await;
    assert_eq!(verdict_of(&html), "expired");
    assert!(html.contains("Caducada") && html.contains("15 de enero de 2021"));
    assert_not_current(&html, "linkedin.com", "ha completado con éxito", "Registros de esta credencial");
    assert!(html.contains("por la microcredencial"));
    let future = award(&app, &assessor, &achievement_id, json!({"awarded_at": "2099-03-01T00:00:00Z"})).await;
    let (_, _, html) = page(&app, future["id"].as_str().unwrap(), "en").await;
    assert_eq!(verdict_of(&html), "not-yet-valid");
    assert!(html.contains("1 March 2099"));
    assert_not_current(&html, "linkedin.com", "has successfully completed", "Records of this credential");

    // Another replica revokes (straight in the database, so this process is not told): the poller notices.
    let third = award(&app, &assessor, &achievement_id, json!({})).await;
    let third_id = third["id"].as_str().unwrap().to_owned();
    assert_eq!(report(&app, &third_id).await["outcome"], "valid");
    assert_eq!(verdict_of(&page(&app, &third_id, "bg").await.2), "valid");
    let audit = AuditEntry {
        at: time::OffsetDateTime::now_utc(),
        api_key_id: None,
        issuer_id: None,
        action: "credential.revoke",
        subject: third_id.clone(),
        reason: Some("elsewhere".into()),
    };
    let changed = app
        .app
        .store()
        .set_credential_status(
            CredentialId(third_id.parse().unwrap()),
            StatusPurpose::Revocation,
            Some(microcred::domain::award::StatusReasons { note: "elsewhere", public: None, until: None }),
            &audit,
        )
        .await
        .unwrap();
    assert!(changed);
    let mut outcome = Value::Null;
    for _ in 0..30 {
        outcome = report(&app, &third_id).await["outcome"].clone();
        if outcome == "revoked" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(outcome, "revoked", "seen within the poll interval");
    let (_, _, html) = page(&app, &third_id, "bg").await;
    assert_eq!(verdict_of(&html), "revoked", "the page too");

    // Markup in a learner's name is text.
    for name in ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>"] {
        let hostile = award(
            &app,
            &assessor,
            &achievement_id,
            json!({"recipient": {"name": name, "email": format!("{}@example.eu", uuid::Uuid::new_v4())}}),
        )
        .await;
        let (_, _, html) = page(&app, hostile["id"].as_str().unwrap(), "en").await;
        assert!(!html.contains(name), "unescaped: {name}");
        assert!(!html.contains("<script>alert") && !html.contains("<img src=x"));
        // Shown as text: the escaped name, decoded, is the name.
        let decoded = html
            .replace("&#60;", "<")
            .replace("&#62;", ">")
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&#38;", "&");
        assert!(decoded.contains(&format!("<h1 class=\"learner\">{name}</h1>")), "{name} not shown as text");
    }

    // Unknown ids: one and the same 404 page, however the id looks.
    let mut bodies = Vec::new();
    for unknown in [
        uuid::Uuid::new_v4().to_string(),
        "not-a-uuid".into(),
        "..%2F..%2Fetc%2Fpasswd".into(),
        "1".into(),
        "%3Cscript%3E".into(),
        "%FF".into(),
        "%FF.pdf".into(),
        "../../no/such/page".into(),
    ] {
        let (status, headers, html) = page(&app, &unknown, "en").await;
        assert_eq!(status, 404, "{unknown}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"), "{unknown}");
        bodies.push(html);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "the 404 pages differ");
    // Worded for any address (it said "Credential not found" for /issuers/nope and /foo too).
    assert!(bodies[0].contains("Not found") && bodies[0].contains("no credential, page or file"));
    // An address no route serves: the same page for browsers, problem details for programs.
    let (status, _, html) = page(&app, "x/no/such/page", "en").await;
    assert_eq!((status, html == bodies[0]), (404, true));
    assert_problem(app.client.get(app.url("/no/such/page")).send().await.unwrap(), 404).await;
    assert_problem(app.client.get(app.url("/api/v1/verify/%FF")).send().await.unwrap(), 404).await;
    assert_problem(
        app.client.get(app.url(&format!("/api/v1/verify/{}", uuid::Uuid::new_v4()))).send().await.unwrap(),
        404,
    )
    .await;
    assert_problem(app.client.get(app.url("/api/v1/verify/nope")).send().await.unwrap(), 404).await;
}

#[tokio::test]
async fn pages_on_sqlite() {
    pages(Backend::Sqlite).await;
}

#[tokio::test]
async fn pages_on_postgres() {
    pages(Backend::Postgres).await;
}

/// `POST /verify`: JSON, PDF and PNG uploads; tampered and foreign credentials; not a credential; too big;
/// and the HTML form.
#[tokio::test]
async fn uploads_are_verified_and_never_stored() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.max_upload_bytes = Some(200_000)).await.unwrap();
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let issued = award(&app, &assessor, &achievement_id, json!({})).await;
    let id = issued["id"].as_str().unwrap();
    let upload = |body: Vec<u8>, content_type: &str| {
        app.client.post(app.url("/verify")).header("content-type", content_type).body(body).send()
    };
    let pdf = app
        .client
        .get(app.url(&format!("/credentials/{id}.pdf")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let png = app
        .client
        .get(app.url(&format!("/credentials/{id}.png")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let credential = serde_json::to_vec(&issued["credential"]).unwrap();
    let before = app.stored_credentials().await;
    for (body, kind) in [(credential.clone(), "json"), (pdf.clone(), "pdf"), (png.clone(), "png")] {
        let response = upload(body, "application/octet-stream").await.unwrap();
        assert_eq!(response.status(), 200);
        let report: Value = response.json().await.unwrap();
        assert_eq!(report["kind"], kind);
        assert_eq!(report["verified"], true, "{report}");
    }
    let pdf_report: Value = upload(pdf.clone(), "application/pdf").await.unwrap().json().await.unwrap();
    assert_eq!(pdf_report["printed_mismatches"], json!([]));

    // Tampered: a verdict (200), not an error.
    let mut tampered = issued["credential"].clone();
    tampered["credentialSubject"]["name"] = json!("Мария Иванова");
    let report: Value =
        upload(serde_json::to_vec(&tampered).unwrap(), "application/json").await.unwrap().json().await.unwrap();
    assert_eq!(report["verified"], false);
    assert_eq!(report["report"]["outcome"], "invalid");
    // Another issuer's credential (did:key), signed by another implementation.
    let peer = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/peer-signed/ob3-did-key-eddsa-rdfc-2022.json"
    ))
    .unwrap();
    let report: Value = upload(peer, "application/json").await.unwrap().json().await.unwrap();
    assert_eq!(report["verified"], true, "{report}");
    // Tampered PDF and PNG: the files are well-formed, the credential inside is not genuine.
    let tampered_text = tampered.to_string();
    let labels = microcred::certificate::Labels::for_tag("en");
    let template = microcred::certificate::Template::builtin();
    let tampered_pdf =
        microcred::certificate::render_pdf(&tampered_text, &template, labels, microcred::certificate::Paper::A4)
            .unwrap();
    let tampered_png = microcred::certificate::badge::bake(None, &tampered_text).unwrap();
    for (body, kind) in [(tampered_pdf, "pdf"), (tampered_png, "png")] {
        let report: Value = upload(body, "application/octet-stream").await.unwrap().json().await.unwrap();
        assert_eq!((report["kind"].as_str(), report["verified"].as_bool()), (Some(kind), Some(false)), "{report}");
        assert_eq!(report["report"]["outcome"], "invalid");
    }
    // Another issuer's credential (did:key) as a baked badge and as a certificate.
    let peer_text = String::from_utf8(
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/peer-signed/ob3-did-key-eddsa-rdfc-2022.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let peer_png = microcred::certificate::badge::bake(None, &peer_text).unwrap();
    let peer_pdf =
        microcred::certificate::render_pdf(&peer_text, &template, labels, microcred::certificate::Paper::A4).unwrap();
    for (body, kind) in [(peer_png, "png"), (peer_pdf, "pdf")] {
        let report: Value = upload(body, "application/octet-stream").await.unwrap().json().await.unwrap();
        assert_eq!((report["kind"].as_str(), report["verified"].as_bool()), (Some(kind), Some(true)), "{report}");
    }
    // Not a credential, and too big.
    assert_problem(upload(b"hello".to_vec(), "text/plain").await.unwrap(), 422).await;
    // JSON that is not a credential, and an empty file: 422 saying so, never a verdict (found by trying).
    let body = assert_problem(upload(br#"{"foo":1}"#.to_vec(), "application/json").await.unwrap(), 422).await;
    assert!(body["detail"].as_str().unwrap().contains("not a verifiable credential"), "{body}");
    let body = assert_problem(upload(b"  \n".to_vec(), "application/json").await.unwrap(), 422).await;
    assert!(body["detail"].as_str().unwrap().contains("the file is empty"), "{body}");
    assert_problem(upload(vec![b' '; 300_000], "application/json").await.unwrap(), 413).await;

    // The HTML form, as a browser sends it.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(pdf).file_name("certificate.pdf").mime_str("application/pdf").unwrap(),
    );
    let response =
        app.client.post(app.url("/verify?lang=bg")).header("accept", HTML).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert_eq!(verdict_of(&html), "valid");
    assert!(html.contains("Отпечатаният сертификат съответства на вграденото в него удостоверение."));
    let page = app.client.get(app.url("/verify")).header("accept", HTML).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("enctype=\"multipart/form-data\""));
    // A file too large for the form, or a form without the file: the form again, saying so in their language.
    let browser_form = |part: &str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .part(part.to_owned(), reqwest::multipart::Part::bytes(bytes).file_name("x.pdf"));
        app.client.post(app.url("/verify?lang=el")).header("accept", HTML).multipart(form).send()
    };
    let response = browser_form("file", vec![b'%'; 300_000]).await.unwrap();
    assert_eq!(response.status(), 413);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Το αρχείο είναι πολύ μεγάλο") && html.contains("enctype=\"multipart/form-data\""), "{html}");
    let response = browser_form("other", b"{}".to_vec()).await.unwrap();
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Δεν ήταν δυνατός ο έλεγχος του αρχείου: the form has no field named file")
    );
    // Programs get problem details for the same.
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(vec![b'%'; 300_000]));
    assert_problem(app.client.post(app.url("/verify")).multipart(form).send().await.unwrap(), 413).await;
    assert_eq!(app.stored_credentials().await, before, "uploads are never stored");
}

/// The public endpoints are rate-limited per address: 429 with Retry-After past the burst, as problem details
/// for programs and as a page for people.
#[tokio::test]
async fn public_endpoints_are_rate_limited() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.rate_limit_per_second = Some(1);
        s.rate_limit_burst = Some(3);
    })
    .await
    .unwrap();
    let url = app.url(&format!("/api/v1/verify/{}", uuid::Uuid::new_v4()));
    for _ in 0..3 {
        assert_eq!(app.client.get(&url).send().await.unwrap().status(), 404);
    }
    let limited = app.client.get(&url).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_problem(limited, 429).await;
    // A person (the credential page from a QR code) gets a page saying when to try again, in their language.
    let (status, headers, html) = page(&app, &uuid::Uuid::new_v4().to_string(), "it").await;
    assert_eq!(status, 429);
    assert!(headers.contains_key("retry-after") && headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(html.contains("Troppe richieste") && html.contains("Riprovi tra "), "{html}");
    // The authenticated API and health checks are not limited.
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}

/// Behind a trusted proxy each client has its own budget, named by `X-Forwarded-For`; from anywhere else the header
/// is ignored, so a client cannot dodge the limit by writing a new address into each request.
#[tokio::test]
async fn the_rate_limit_sees_clients_behind_a_trusted_proxy_and_ignores_forged_headers() {
    let limited = |trusted: &'static str| {
        TestApp::spawn_with(Backend::Sqlite, move |s| {
            s.rate_limit_per_second = Some(1);
            s.rate_limit_burst = Some(2);
            s.trusted_proxies = Some(vec![trusted.parse().unwrap()]);
        })
    };
    let statuses = async |app: &TestApp, forwarded: &[&str]| {
        let url = app.url(&format!("/api/v1/verify/{}", uuid::Uuid::new_v4()));
        let mut out = Vec::new();
        for address in forwarded {
            let response = app.client.get(&url).header("x-forwarded-for", *address).send().await.unwrap();
            out.push(response.status().as_u16());
        }
        out
    };
    // The tests connect from 127.0.0.1: here it is the trusted proxy.
    let app = limited("127.0.0.1").await.unwrap();
    let answers =
        statuses(&app, &["198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.2", "198.51.100.1"]).await;
    assert_eq!(answers, [404, 404, 404, 404, 429], "two clients, two budgets");
    // Here it is not: every request counts against 127.0.0.1, whatever the header says.
    let app = limited("10.0.0.0/8").await.unwrap();
    assert_eq!(statuses(&app, &["198.51.100.1", "198.51.100.2", "198.51.100.3"]).await, [404, 404, 429]);
}

/// The verdict cache keeps within its memory budget (`--verdict-cache-mb`), with the pages rendered from its
/// verdicts: with 1 MiB it holds a few dozen verdicts and answers the rest by verifying again, correctly; with
/// 128 MiB it keeps every one.
#[tokio::test]
async fn the_verdict_cache_keeps_within_its_memory_budget() {
    for (mib, all_cached) in [(1, false), (128, true)] {
        let app = TestApp::spawn_with(Backend::Sqlite, |s| {
            s.verdict_cache_mb = Some(mib);
            s.rate_limit_per_second = Some(0);
        })
        .await
        .unwrap();
        let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
        let rows: Vec<serde_json::Value> = (0..120)
            .map(|n| serde_json::json!({"recipient": {"name": format!("Иван {n}"), "email": format!("ivan{n}@example.bg")}}))
            .collect();
        let outcome = app.batch(&assessor, &achievement_id, &serde_json::Value::from(rows)).await;
        let ids: Vec<&str> = outcome["rows"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        for round in 0..2 {
            for id in &ids {
                let report = app.get_json(&format!("/api/v1/verify/{id}")).await;
                assert_eq!(report["outcome"], "valid", "round {round}: {report}");
                // The pages rendered from the verdicts are kept within the same budget.
                let (status, _, html) = page(&app, id, "el").await;
                assert_eq!((status, verdict_of(&html)), (200, "valid"), "round {round}");
            }
        }
        let (entries, bytes) = app.app.verdict_cache_usage();
        assert!(bytes <= mib * 1024 * 1024, "{bytes} bytes cached over a {mib} MiB budget");
        if all_cached {
            assert_eq!(entries, 120);
        } else {
            assert!((1..120).contains(&entries), "{entries} verdicts in 1 MiB");
        }
    }
}

/// The verification guide's verdict table says what each verdict is called on the page, in every language: it
/// must be the labels the pages use.
#[test]
fn the_verification_guide_verdict_table_matches_the_page_labels() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/verification.md")).unwrap();
    let mut rows = 0;
    for line in readme.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let Some(outcome) = cells[0].strip_prefix('`').and_then(|c| c.strip_suffix('`')) else { continue };
        if cells.len() != 7 || cells[2] == "en" || !outcome.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            continue;
        }
        for (i, lang) in ["en", "bg", "el", "es", "it"].iter().enumerate() {
            let key = format!("verdict_{}", outcome.replace('-', "_"));
            let label = microcred::certificate::Labels::for_tag(lang).get(&key);
            assert_eq!(cells[2 + i], label, "verification guide verdict {outcome} in {lang}");
        }
        rows += 1;
    }
    assert_eq!(rows, 9, "one row per verdict");
}
