//! End to end in a real browser: Debian's headless Chromium, driven by `tests/browser/verdicts.mjs`
//! (playwright-core), opens the page of a valid, a revoked and an expired credential at phone size,
//! checks each verdict and that no request failed, screenshots them, and verifies a PDF on `/verify`.
//! Needs `chromium`, `node` and `npm ci --prefix tests/browser` (`.ci/run` does all three); without them
//! it says so and skips, unless `REQUIRE_BROWSER` is set. `UPDATE_SCREENSHOTS=1` writes the screenshots
//! to `docs/screenshots/`.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::support::{Backend, TestApp};

fn browser_available() -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ready = Path::new("/usr/bin/chromium").exists()
        && Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success())
        && root.join("tests/browser/node_modules/playwright-core").exists();
    if !ready {
        assert!(
            std::env::var_os("REQUIRE_BROWSER").is_none(),
            "REQUIRE_BROWSER is set but chromium, node or playwright-core is missing"
        );
        eprintln!("skipping: needs chromium, node and `npm ci --prefix tests/browser`");
    }
    ready
}

#[tokio::test]
async fn a_phone_browser_shows_each_verdict_and_verifies_an_uploaded_pdf() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let mut ids = Vec::new();
    for extra in
        [json!({}), json!({}), json!({"awarded_at": "2020-01-15T09:00:00Z", "valid_until": "2021-01-15T09:00:00Z"})]
    {
        let mut body = json!({"achievement_id": achievement_id, "recipient": {"name": "Γιώργος Παπαδόπουλος", "email": format!("{}@example.gr", uuid::Uuid::new_v4())}, "result": "92"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let issued = app.award(&assessor, body).await;
        ids.push(issued["id"].as_str().unwrap().to_owned());
    }
    let revoked = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{}/revoke", ids[1])))
        .bearer_auth(&assessor)
        .json(&json!({"reason": "Issued in error"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    // A renewed credential and a corrected one: each page says so, in two languages, and links the newer one.
    let renew = |id: &str, action: &str, body: serde_json::Value| {
        let request =
            app.client.post(app.url(&format!("/api/v1/credentials/{id}/{action}"))).bearer_auth(&assessor).json(&body);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 201);
            let body: serde_json::Value = response.json().await.unwrap();
            body["credential"]["id"].as_str().unwrap().to_owned()
        }
    };
    let extra = |name: &str| json!({"achievement_id": achievement_id, "recipient": {"name": name, "email": format!("{}@example.bg", uuid::Uuid::new_v4())}, "language": "bg"});
    let renewed = app.award(&assessor, extra("Мария Иванова")).await["id"].as_str().unwrap().to_owned();
    let renewal = renew(&renewed, "renew", json!({})).await;
    let corrected = app.award(&assessor, extra("Мариа Иванова")).await["id"].as_str().unwrap().to_owned();
    let correction = renew(&corrected, "replace", json!({"recipient": {"name": "Мария Иванова"}})).await;
    let pdf = app.dir.path().join("certificate.pdf");
    std::fs::write(
        &pdf,
        app.client.get(app.url(&format!("/credentials/{}.pdf", ids[0]))).send().await.unwrap().bytes().await.unwrap(),
    )
    .unwrap();
    let cases = json!([
        {"id": ids[0], "verdict": "valid", "label": "Valid"},
        {"id": ids[1], "verdict": "revoked", "label": "Revoked"},
        {"id": ids[2], "verdict": "expired", "label": "Expired"},
        {"id": renewed, "verdict": "superseded", "label": "Renewed — a newer credential replaces this one", "lang": "en", "next": renewal},
        {"id": renewed, "verdict": "superseded", "label": "Подновено — по-ново удостоверение заменя това", "lang": "bg", "next": renewal},
        {"id": corrected, "verdict": "replaced", "label": "Replaced by a corrected credential", "lang": "en", "next": correction},
        {"id": corrected, "verdict": "replaced", "label": "Заменено с коригирано удостоверение", "lang": "bg", "next": correction},
    ]);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shots = if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        root.join("docs/screenshots")
    } else {
        app.dir.path().join("shots")
    };
    std::fs::create_dir_all(&shots).unwrap();
    let api: serde_json::Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let operations: usize = api["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    let output = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/verdicts.mjs"))
        .env("BASE", &app.base)
        .env("CASES", cases.to_string())
        .env("PDF", &pdf)
        .env("SHOTS", &shots)
        .env("ISSUER", "ucs")
        .env("OPERATIONS", operations.to_string())
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "browser test failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("axe-core: no WCAG 2.2 A/AA violation"), "the accessibility check ran: {stdout}");
    for verdict in
        ["valid", "revoked", "expired", "upload", "superseded-en", "superseded-bg", "replaced-en", "replaced-bg"]
    {
        let png = std::fs::read(shots.join(format!("{verdict}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{verdict}.png");
    }
}

/// Runs `tests/browser/space.mjs` with `env`; asserts it passed and the accessibility check ran.
async fn space_phase(env: &[(&str, &str)]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = tokio::process::Command::new("node");
    command.arg(root.join("tests/browser/space.mjs"));
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "browser test of the learner's space failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("axe-core: no WCAG 2.2 A/AA violation"), "{stdout}");
}

#[tokio::test]
async fn a_learner_signs_in_with_the_emailed_link_in_a_phone_browser() {
    if !browser_available() {
        return;
    }
    let Some(smtp) = crate::smtp::SmtpServer::start(crate::smtp::Mode::default()) else { return };
    let url = smtp.url();
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| {
        s.smtp_url = Some(url.parse().unwrap());
        s.mail_concurrency = Some(2);
    })
    .await
    .unwrap();
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    for _ in 0..2 {
        app.award(
            &assessor,
            json!({"achievement_id": achievement_id, "allow_duplicate": true, "notify": false,
                   "recipient": {"name": "Maria Rossi", "email": "maria.rossi@example.it"}}),
        )
        .await;
    }
    let shots = if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
    } else {
        app.dir.path().join("shots")
    };
    std::fs::create_dir_all(&shots).unwrap();
    let shots = shots.to_str().unwrap();
    space_phase(&[("BASE", &app.base), ("PHASE", "ask"), ("EMAIL", "maria.rossi@example.it"), ("SHOTS", shots)]).await;
    let messages = smtp.wait_for(1, std::time::Duration::from_secs(20)).await;
    assert_eq!(messages.len(), 1, "the sign-in e-mail arrived");
    let message = mail_parser::MessageParser::default().parse(&messages[0]).unwrap();
    let text = message.body_text(0).unwrap();
    let link = text.split_whitespace().find(|w| w.contains("/me/sign-in/")).unwrap().to_owned();
    space_phase(&[("BASE", &app.base), ("PHASE", "open"), ("LINK", &link), ("COUNT", "2"), ("SHOTS", shots)]).await;
}
