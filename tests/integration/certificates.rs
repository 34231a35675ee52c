//! Learners' downloads as real tools see them: the PDF certificate read by poppler (`pdftotext`,
//! `pdfinfo`, `pdfdetach`, `pdftoppm`) and `qpdf`, its QR code decoded from a rendered page, the baked
//! badge, and `microcred verify` on both. The tools are Debian packages `.ci/run` installs; without
//! them these tests say so and skip, unless `REQUIRE_TOOLS` is set (as in CI).

use std::path::Path;
use std::process::Command;

use microcred::certificate::{self, Facts, Labels, Paper, Template};
use microcred::domain::api_key::Role;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, assert_problem};

/// Whether the PDF tools are installed (panics when they are required and missing).
fn tools() -> bool {
    let present = ["pdftotext", "pdfinfo", "pdfdetach", "pdftoppm", "qpdf"]
        .iter()
        .all(|tool| Command::new(tool).arg("-v").output().is_ok());
    if !present {
        assert!(
            std::env::var_os("REQUIRE_TOOLS").is_none(),
            "REQUIRE_TOOLS is set but poppler-utils or qpdf is missing"
        );
        eprintln!("skipping: install poppler-utils and qpdf (apt-get install poppler-utils qpdf) to run the PDF tests");
    }
    present
}

fn run(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool).args(args).output().unwrap();
    assert!(output.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn text_of(pdf: &Path) -> String {
    run("pdftotext", &["-enc", "UTF-8", pdf.to_str().unwrap(), "-"])
}

/// The QR code of the first page, rendered at 150 dpi and decoded.
fn qr_of(pdf: &Path) -> String {
    let prefix = format!("{}-page", pdf.with_extension("").display());
    run("pdftoppm", &["-r", "150", "-gray", "-png", "-singlefile", pdf.to_str().unwrap(), &prefix]);
    let png = std::fs::read(format!("{prefix}.png")).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buffer).unwrap();
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::Rgb => 3,
        other => panic!("unexpected colour type {other:?}"),
    };
    let (w, h) = (frame.width as usize, frame.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buffer[(y * w + x) * channels]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the page");
    grids[0].decode().unwrap().1
}

async fn award(app: &TestApp, assessor: &str, achievement_id: &str, name: &str, email: &str) -> Value {
    app.award(
        assessor,
        json!({"achievement_id": achievement_id, "recipient": {"name": name, "email": email}, "result": "92"}),
    )
    .await
}

async fn certificates(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    if !tools() {
        return;
    }
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let issued = award(&app, &assessor, &achievement_id, "Иван Петров", "ivan@example.bg").await;
    let id = issued["id"].as_str().unwrap().to_owned();
    let dir = app.dir.path();

    // The certificate: a PDF that qpdf accepts, within the size budget, cacheable and deterministic.
    let pdf_url = issued["links"]["pdf"].as_str().unwrap().to_owned();
    assert_eq!(pdf_url, app.url(&format!("/credentials/{id}.pdf")));
    let response = app.client.get(&pdf_url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let bytes = response.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(bytes.len() <= 64 * 1024, "{} bytes", bytes.len());
    let again = app.client.get(&pdf_url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes, again.to_vec(), "the same credential gives the same bytes");
    let not_modified = app.client.get(&pdf_url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(not_modified.status(), 304);
    let pdf = dir.join("certificate.pdf");
    std::fs::write(&pdf, &bytes).unwrap();
    run("qpdf", &["--check", pdf.to_str().unwrap()]);

    // The text is real text, in Cyrillic and Greek, with the EU facts; the labels are in the achievement's
    // language (Bulgarian) since the award asked for none.
    let text = text_of(&pdf);
    let flowing = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Иван Петров",
        "Умни градове: основи",
        "Universal Certification Solutions",
        "Сертификат за постижение",
        "Explain urban data platforms",
        "Progettare servizi digitali per la città",
        "5 кредита ECTS (125 часа)",
        "Written exam, proctored online",
        "Internal QA of the Erasmus+ consortium, ISO 21001",
        "Сканирайте за проверка",
        "92",
        // The awarding body's country (EU Annex I), in the certificate's language.
        "Държава на издателя България",
        &id,
    ] {
        assert!(flowing.contains(expected), "{expected:?} not in:\n{text}");
    }
    // Metadata.
    let info = run("pdfinfo", &[pdf.to_str().unwrap()]);
    assert!(info.contains("Title:           Умни градове: основи — Иван Петров"), "{info}");
    assert!(info.contains("Author:          Universal Certification Solutions"), "{info}");
    assert!(info.contains("Page size:       841.89 x 595.276 pts (A4)"), "{info}");
    assert!(info.contains("CreationDate:"), "{info}");

    // The embedded credential is the stored one, byte for byte.
    let list = run("pdfdetach", &["-list", pdf.to_str().unwrap()]);
    assert!(list.contains("credential.json"), "{list}");
    let attached = dir.join("attached.json");
    run("pdfdetach", &["-save", "1", "-o", attached.to_str().unwrap(), pdf.to_str().unwrap()]);
    let stored: Value =
        app.client.get(app.url(&format!("/credentials/{id}.json"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&std::fs::read(&attached).unwrap()).unwrap(), stored);

    // The QR code, read off the rendered page, is the credential's public URL.
    assert_eq!(qr_of(&pdf), app.url(&format!("/credentials/{id}")));

    // Labels in the learner's languages; US Letter on request.
    for (lang, title) in [
        ("en", "Certificate of Achievement"),
        ("el", "Πιστοποιητικό Επίτευξης"),
        ("es", "Certificado de logro"),
        ("it", "Certificato di conseguimento"),
    ] {
        let localized = app.client.get(format!("{pdf_url}?lang={lang}")).send().await.unwrap();
        assert_ne!(localized.headers()["etag"].to_str().unwrap(), etag);
        let path = dir.join(format!("certificate-{lang}.pdf"));
        std::fs::write(&path, localized.bytes().await.unwrap()).unwrap();
        assert!(text_of(&path).contains(title), "{lang}");
    }
    let letter = dir.join("letter.pdf");
    std::fs::write(
        &letter,
        app.client.get(format!("{pdf_url}?paper=letter")).send().await.unwrap().bytes().await.unwrap(),
    )
    .unwrap();
    assert!(run("pdfinfo", &[letter.to_str().unwrap()]).contains("Page size:       792 x 612 pts (letter)"));
    assert_eq!(qr_of(&letter), app.url(&format!("/credentials/{id}")));
    assert_problem(app.client.get(format!("{pdf_url}?paper=legal")).send().await.unwrap(), 422).await;
    assert_problem(
        app.client.get(app.url(&format!("/credentials/{}.pdf", uuid::Uuid::new_v4()))).send().await.unwrap(),
        404,
    )
    .await;
    assert_problem(app.client.get(app.url(&format!("/credentials/{id}.exe"))).send().await.unwrap(), 404).await;

    // A Greek learner, a very long name, and markup in a name: all printed exactly, as text, on the page.
    let greek = award(&app, &assessor, &achievement_id, "Γιώργος Παπαδόπουλος", "giorgos@example.gr").await;
    let long_name =
        "Maria Alexandra Konstantina Papadopoulou-Ivanova de la Santísima Trinidad y Fernández de Córdoba Hohenzollern";
    let long = award(&app, &assessor, &achievement_id, long_name, "long@example.es").await;
    let markup = award(&app, &assessor, &achievement_id, "<script>alert(1)</script>", "x@example.it").await;
    for (credential, name) in
        [(&greek, "Γιώργος Παπαδόπουλος"), (&long, long_name), (&markup, "<script>alert(1)</script>")]
    {
        let path = dir.join("other.pdf");
        std::fs::write(
            &path,
            app.client.get(credential["links"]["pdf"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap(),
        )
        .unwrap();
        let text = text_of(&path);
        let squashed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(squashed.contains(name), "{name:?} not in:\n{text}");
        // Every word lies inside the inner frame (13.5 mm = 38.3 pt from each edge of the A4 page).
        let boxes = run("pdftotext", &["-bbox", path.to_str().unwrap(), "-"]);
        for line in boxes.lines().filter(|l| l.trim_start().starts_with("<word")) {
            let attr = |name: &str| -> f64 {
                let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                line[start..].split('"').next().unwrap().parse().unwrap()
            };
            assert!(attr("xMin") >= 38.0 && attr("xMax") <= 841.89 - 38.0, "outside the frame: {line}");
            assert!(attr("yMin") >= 38.0 && attr("yMax") <= 595.28 - 38.0, "outside the frame: {line}");
        }
    }

    // The baked badge carries the credential; `microcred verify` accepts the PDF and the PNG.
    let response = app.client.get(issued["links"]["png"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    let badge = response.bytes().await.unwrap().to_vec();
    assert_eq!(serde_json::from_str::<Value>(&certificate::badge::extract(&badge).unwrap()).unwrap(), stored);
    let badge_path = dir.join("badge.png");
    std::fs::write(&badge_path, &badge).unwrap();
    for file in [&pdf, &badge_path] {
        let report = app.app.verify_file(&std::fs::read(file).unwrap()).await.unwrap();
        assert!(report.verified, "{}: {:#?}", file.display(), report.report);
    }
    let pdf_report = app.app.verify_file(&bytes).await.unwrap();
    assert_eq!(pdf_report.printed_mismatches, Some(vec![]));

    // A PDF whose page names someone else than its embedded credential is caught.
    let mut facts = Facts::of(&stored, "en");
    facts.learner = "Мария Иванова".into();
    let forged = certificate::pdf::render(
        &facts,
        stored.to_string().as_bytes(),
        &Template::builtin(),
        Labels::for_tag("en"),
        Paper::A4,
    )
    .unwrap();
    let report = app.app.verify_file(&forged).await.unwrap();
    let proof = report.report.checks.iter().find(|c| c.name == "proof").unwrap();
    assert_eq!(proof.status, microcred::vc::verify::CheckStatus::Pass, "the embedded credential itself is genuine");
    assert_eq!(report.report.outcome, microcred::vc::verify::Outcome::Altered, "but the certificate was altered");
    assert!(!report.verified);
    assert_eq!(report.printed_mismatches.unwrap()[0].fact, "learner");

    // A PDF whose embedded credential was tampered with (and printed to match) fails verification.
    let mut tampered = stored.clone();
    tampered["credentialSubject"]["name"] = json!("Мария Иванова");
    tampered["credentialSubject"]["identifier"][0]["identityHash"] = json!("Мария Иванова");
    let tampered_pdf =
        certificate::render_pdf(&tampered.to_string(), &Template::builtin(), Labels::for_tag("bg"), Paper::A4).unwrap();
    let report = app.app.verify_file(&tampered_pdf).await.unwrap();
    assert_eq!(report.printed_mismatches, Some(vec![]), "the page matches the (tampered) credential");
    assert!(!report.verified);
    assert_eq!(serde_json::to_value(report.report.outcome).unwrap(), "invalid");
    let tampered_path = dir.join("tampered.pdf");
    std::fs::write(&tampered_path, &tampered_pdf).unwrap();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_microcred"))
        .env("MICROCRED_DATABASE_URL", app.database_url())
        .env("MICROCRED_KEYS_DIR", dir.join("keys"))
        .env("MICROCRED_PUBLIC_URL", &app.base)
        .args(["verify", tampered_path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(cli.status.code(), Some(1), "{}", String::from_utf8_lossy(&cli.stdout));
    assert!(String::from_utf8_lossy(&cli.stdout).starts_with("NOT VERIFIED (invalid)"));

    // Revoked: the certificate still downloads, and verifying it says revoked.
    let admin_revoke = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{id}/revoke")))
        .bearer_auth(&assessor)
        .json(&json!({"reason": "issued in error"}))
        .send()
        .await
        .unwrap();
    assert_eq!(admin_revoke.status(), 200);
    let report = app.app.verify_file(&bytes).await.unwrap();
    assert!(!report.verified);
    assert_eq!(serde_json::to_value(report.report.outcome).unwrap(), "revoked");
}

#[tokio::test]
async fn certificates_on_sqlite() {
    certificates(Backend::Sqlite).await;
}

#[tokio::test]
async fn certificates_on_postgres() {
    certificates(Backend::Postgres).await;
}

/// Templates are data: an operator's template in `<templates-dir>/certificates/` is used by achievements
/// that name it, without a rebuild; an unknown name is refused.
#[tokio::test]
async fn an_operator_template_is_used_by_the_achievements_that_name_it() {
    let templates = tempfile::tempdir().unwrap();
    std::fs::create_dir(templates.path().join("certificates")).unwrap();
    let default = include_str!("../../templates/certificates/default.toml");
    let custom = default
        .replace("name = \"default\"", "name = \"consortium\"")
        .replace("text = \"{label.certificate_title}\"", "text = \"Erasmus+ Smart City Skills\"");
    std::fs::write(templates.path().join("certificates/consortium.toml"), custom).unwrap();
    let dir = templates.path().to_owned();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.templates_dir = Some(dir)).await.unwrap();
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let patch = |template: &str| {
        app.client
            .patch(app.url(&format!("/api/v1/achievements/{achievement_id}")))
            .bearer_auth(&assessor)
            .json(&json!({"certificate_template": template}))
            .send()
    };
    let body = assert_problem(patch("nope").await.unwrap(), 422).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("consortium"), "{body}");
    assert_eq!(patch("consortium").await.unwrap().status(), 200);
    let issued = award(&app, &assessor, &achievement_id, "Lucía Fernández", "lucia@example.es").await;
    let credential = &issued["credential"];
    let pdf = certificate::render_pdf(&credential.to_string(), &Template::builtin(), Labels::for_tag("en"), Paper::A4)
        .unwrap();
    let served = app.client.get(issued["links"]["pdf"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    assert_ne!(served.to_vec(), pdf, "the operator's template, not the built-in one");
    let contents = certificate::extract::read_pdf(&served).unwrap();
    assert!(contents.text.iter().any(|t| t == "Erasmus+ Smart City Skills"), "{:?}", contents.text);
    assert!(
        certificate::printed_mismatches(&contents.text, &serde_json::from_slice(&contents.credential).unwrap())
            .is_empty()
    );
}

/// The command line writes and verifies certificates and badges.
#[tokio::test]
async fn the_command_line_writes_and_verifies_certificates() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let issued = award(&app, &assessor, &achievement_id, "Γιώργος Παπαδόπουλος", "giorgos@example.gr").await;
    let id = issued["id"].as_str().unwrap();
    let dir = app.dir.path();
    let db = format!("sqlite://{}", dir.join("db/microcred.db").display());
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_microcred"))
            .current_dir(dir)
            .env("MICROCRED_DATABASE_URL", &db)
            .env("MICROCRED_KEYS_DIR", dir.join("keys"))
            .env("MICROCRED_PUBLIC_URL", &app.base)
            .args(args)
            .output()
            .unwrap()
    };
    let pdf = dir.join("cli.pdf");
    let output = cli(&["pdf", id, "-o", pdf.to_str().unwrap(), "--lang", "el"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let contents = certificate::extract::read_pdf(&std::fs::read(&pdf).unwrap()).unwrap();
    assert!(contents.text.iter().any(|t| t.contains("Πιστοποιητικό Επίτευξης")));
    let output = cli(&["verify", pdf.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.starts_with("VERIFIED") && stdout.contains("printed"), "{stdout}");
    let png = dir.join("cli.png");
    assert!(cli(&["badge", id, "-o", png.to_str().unwrap()]).status.success());
    let output = cli(&["verify", png.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    // Not a credential at all: exit 2.
    std::fs::write(dir.join("junk.pdf"), b"%PDF-1.7 junk").unwrap();
    assert_eq!(cli(&["verify", dir.join("junk.pdf").to_str().unwrap()]).status.code(), Some(2));
}

/// A learner name in each script certificates print: the bundled Noto Sans prints the first three, the
/// system's Noto fonts (`fonts-noto-core`, `fonts-noto-cjk`) the others.
const SCRIPT_NAMES: [(&str, &str); 11] = [
    ("Latin", "Zoë Ødegård"),
    ("Greek", "Σοφία Παπαδοπούλου"),
    ("Cyrillic", "Иван Петров"),
    ("Arabic", "ليلى حداد"),
    ("Hebrew", "נועה כהן"),
    ("CJK", "李伟"),
    ("CJK and Latin", "李伟 (Li Wei)"),
    ("Devanagari", "अनन्या शर्मा"),
    ("Thai", "สมชาย ใจดี"),
    ("Armenian", "Արամ Պետրոսյան"),
    ("Georgian", "ნინო ბერიძე"),
];

/// Whether the system's Noto fonts print every script of [`SCRIPT_NAMES`] (panics when they are required,
/// as in CI, and missing).
fn script_fonts() -> bool {
    let chain = certificate::FontChain::system();
    let missing: Vec<&str> = SCRIPT_NAMES
        .iter()
        .filter(|(_, name)| !chain.unprintable(name).is_empty())
        .map(|(script, _)| *script)
        .collect();
    if !missing.is_empty() {
        assert!(std::env::var_os("REQUIRE_TOOLS").is_none(), "REQUIRE_TOOLS is set but no font prints {missing:?}");
        eprintln!("skipping: no font prints {missing:?} (apt-get install fonts-noto-core fonts-noto-cjk)");
    }
    missing.is_empty()
}

/// pdftotext's text with the bidi marks poppler puts around right-to-left lines (U+202B … U+202C) taken
/// out, and whitespace runs made single spaces.
fn flowing_text(pdf: &Path) -> String {
    let text: String =
        text_of(pdf).chars().filter(|c| !matches!(*c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')).collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every learner's name prints exactly: one learner per script is awarded, and their certificate read by
/// poppler shows the name in logical order, microcred's own check finds the printed name matching the
/// credential, and the public page shows it.
#[tokio::test]
async fn learners_named_in_every_script_get_certificates_that_print_their_names_exactly() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    if !tools() || !script_fonts() {
        return;
    }
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    for (n, (script, name)) in SCRIPT_NAMES.iter().enumerate() {
        // Arrange
        let issued = award(&app, &assessor, &achievement_id, name, &format!("learner{n}@example.eu")).await;
        let id = issued["id"].as_str().unwrap();
        // Act
        let bytes =
            app.client.get(issued["links"]["pdf"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
        let pdf = app.dir.path().join(format!("script-{n}.pdf"));
        std::fs::write(&pdf, &bytes).unwrap();
        let page = app.client.get(app.url(&format!("/credentials/{id}"))).send().await.unwrap().text().await.unwrap();
        // Assert
        let text = flowing_text(&pdf);
        assert!(text.contains(name), "{script}: {name:?} not in pdftotext's text:\n{text}");
        run("qpdf", &["--check", pdf.to_str().unwrap()]);
        let report = app.app.verify_file(&bytes).await.unwrap();
        assert_eq!(report.printed_mismatches, Some(vec![]), "{script}");
        assert!(report.verified, "{script}: {:#?}", report.report);
        assert!(page.contains(name), "{script}: the public page does not show {name:?}");
        let again =
            app.client.get(issued["links"]["pdf"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(bytes, again, "{script}: the same credential gives the same bytes");
    }
}

/// A character no font prints (private use U+E000 here; an emoji such as U+1F600 where no outline emoji
/// font is installed) is refused with a 422 naming it, for a single award, a batch row and the VC-API, and
/// nothing is issued.
#[tokio::test]
async fn names_with_characters_no_font_prints_are_refused_at_award_time() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let expected = "these characters cannot be printed on the certificate: U+E000 \\u{e000}";

    let single = app
        .client
        .post(app.url("/api/v1/credentials"))
        .bearer_auth(&assessor)
        .json(&json!({"achievement_id": achievement_id, "recipient": {"name": "Ana \u{E000} Lima", "email": "ana@example.pt"}}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(single, 422).await;
    assert_eq!(body["errors"][0]["field"], "recipient.name", "{body}");
    assert_eq!(body["errors"][0]["message"], expected, "{body}");

    let url = app.url(&format!("/api/v1/credentials/batch?achievement_id={achievement_id}"));
    let rows = json!([
        {"recipient": {"name": "Иван Петров", "email": "ivan@example.bg"}},
        {"recipient": {"name": "Ana \u{E000} Lima", "email": "ana@example.pt"}},
    ]);
    let batch = app.client.post(&url).bearer_auth(&assessor).json(&rows).send().await.unwrap();
    let body = assert_problem(batch, 422).await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["errors"][0]["field"], "rows[2].recipient.name", "{body}");
    assert_eq!(body["errors"][0]["message"], expected, "{body}");
    let csv = "name,email\nAna \u{E000} Lima,ana@example.pt\n";
    let body = assert_problem(
        app.client.post(&url).bearer_auth(&assessor).header("content-type", "text/csv").body(csv).send().await.unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "rows[2].recipient.name", "{body}");
    // The VC-API signs credentials whose certificates print the learner's name too.
    let admin = app.token(Role::Assessor).await;
    let did = app.app.issuer(&"default".parse().unwrap()).await.unwrap().did;
    let vc = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                    "issuer": did, "credentialSubject": {"name": "Ana \u{E000} Lima"}});
    let response = app
        .client
        .post(app.url("/credentials/issue"))
        .bearer_auth(&admin)
        .json(&json!({"credential": vc}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 422).await;
    assert_eq!(body["errors"][0]["field"], "credential.credentialSubject.name", "{body}");
    assert_eq!(body["errors"][0]["message"], expected, "{body}");
    assert_eq!(app.stored_credentials().await, 0, "nothing was issued");

    // An emoji face: refused unless a font has it (Debian ships Noto's emoji only as colour bitmaps).
    if certificate::FontChain::system().source_for('\u{1F600}').is_none() {
        let emoji = app
            .client
            .post(app.url("/api/v1/credentials"))
            .bearer_auth(&assessor)
            .json(&json!({"achievement_id": achievement_id, "recipient": {"name": "Ana 😀 Lima", "email": "ana@example.pt"}}))
            .send()
            .await
            .unwrap();
        let body = assert_problem(emoji, 422).await;
        assert_eq!(body["errors"][0]["message"], "these characters cannot be printed on the certificate: U+1F600 😀");
    }
}
