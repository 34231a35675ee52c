//! A printed certificate that was altered never shows "Valid" (issue 14, part 3): the page's verdict is the
//! JSON's, every printed fact is compared in the printed language and named printed versus signed, a forged
//! credential reads as altered or forged with its claims marked untrusted, a PDF whose attachment was removed
//! is checked against the credential its printed URL names, and employers can type or paste a link or id.

use microcred::certificate::{self, Facts, Labels, Paper, Template};
use microcred::vc::verify::Outcome;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

const HTML: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

fn verdict_of(html: &str) -> &str {
    let start = html.find("data-verdict=\"").expect("a verdict banner") + "data-verdict=\"".len();
    &html[start..start + html[start..].find('"').unwrap()]
}

/// An awarded credential (with a result) and its signed document.
async fn awarded(app: &TestApp) -> (String, Value) {
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let issued = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Иван Петров", "email": "ivan@example.bg"}, "result": "92"}),
        )
        .await;
    (issued["id"].as_str().unwrap().to_owned(), issued["credential"].clone())
}

/// A certificate printing `facts` (in `lang`) with the genuine signed `credential` embedded.
fn printed(credential: &Value, facts: &Facts, lang: &str) -> Vec<u8> {
    certificate::pdf::render(
        facts,
        credential.to_string().as_bytes(),
        &Template::builtin(),
        Labels::for_tag(lang),
        Paper::A4,
    )
    .unwrap()
}

/// The PDF without its embedded credential (as if someone deleted the attachment).
fn without_attachment(pdf: &[u8]) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(pdf).unwrap();
    let catalog = doc.catalog_mut().unwrap();
    catalog.remove(b"AF");
    catalog.remove(b"Names");
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    assert!(matches!(certificate::extract::read_pdf(&out), Err(certificate::extract::ExtractError::NoCredential)));
    out
}

async fn upload_page(app: &TestApp, pdf: &[u8], lang: &str) -> String {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(pdf.to_vec()).file_name("certificate.pdf").mime_str("application/pdf").unwrap(),
    );
    let response = app
        .client
        .post(app.url(&format!("/verify?lang={lang}")))
        .header("accept", HTML)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn an_altered_certificate_is_red_everywhere_and_names_each_fact_on_sqlite() {
    altered_certificates(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_altered_certificate_is_red_everywhere_and_names_each_fact_on_postgres() {
    altered_certificates(Backend::Postgres).await;
}

async fn altered_certificates(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (_, credential) = awarded(&app).await;

    let genuine = Facts::of(&credential, "es");
    let mut one_letter = genuine.clone();
    one_letter.learner = "Иван Петроb".into();
    let mut more_credits = genuine.clone();
    more_credits.ects = genuine.ects.map(|e| e + 1.0);
    let cases = [(one_letter, "learner", "Иван Петроb"), (more_credits, "workload", "6 créditos ECTS")];
    for (facts, fact, shown) in cases {
        let pdf = printed(&credential, &facts, "es");
        let report = app.app.verify_file(&pdf).await.unwrap();
        assert!(
            report
                .report
                .checks
                .iter()
                .all(|c| c.name != "proof" || c.status == microcred::vc::verify::CheckStatus::Pass)
        );
        assert!(!report.verified, "{fact}");
        assert_eq!(report.report.outcome, Outcome::Altered, "{fact}");
        let mismatches = report.printed_mismatches.clone().unwrap();
        assert_eq!(mismatches.iter().map(|m| m.fact).collect::<Vec<_>>(), [fact]);
        assert!(mismatches[0].printed.as_deref().is_some_and(|p| p.contains(shown)), "{mismatches:?}");
        assert!(report.report.errors.iter().any(|e| e.kind.ends_with("/problems/altered-certificate")));

        // The JSON answer and the page agree: red, with the fact printed versus signed, in Spanish.
        let json: Value = app
            .client
            .post(app.url("/verify"))
            .header("content-type", "application/pdf")
            .body(pdf.clone())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(json["verified"], false);
        assert_eq!(json["report"]["outcome"], "altered");
        let html = upload_page(&app, &pdf, "es").await;
        assert_eq!(verdict_of(&html), "altered", "{fact}");
        assert!(html.contains("Certificado alterado"));
        assert!(html.contains("impreso «") && html.contains(shown), "{fact}: the page names what was printed");
        assert!(!html.contains("verdict-valid"));
    }

    // The genuine certificate, in Bulgarian, is green with every fact matching.
    let pdf = printed(&credential, &Facts::of(&credential, "bg"), "bg");
    let report = app.app.verify_file(&pdf).await.unwrap();
    assert!(report.verified, "{:#?}", report.printed_mismatches);
    assert_eq!(verdict_of(&upload_page(&app, &pdf, "bg").await), "valid");
}

#[tokio::test]
async fn a_forged_credential_reads_as_altered_or_forged_and_its_claims_are_untrusted() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_, mut credential) = awarded(&app).await;
    credential["credentialSubject"]["name"] = json!("Мария Иванова");
    let response = app
        .client
        .post(app.url("/verify?lang=it"))
        .header("accept", HTML)
        .header("content-type", "application/json")
        .body(credential.to_string())
        .send()
        .await
        .unwrap();
    let html = response.text().await.unwrap();
    assert_eq!(verdict_of(&html), "invalid");
    assert!(html.contains("Alterata o contraffatta"), "the headline says altered or forged, not a glitch");
    assert!(html.contains("class=\"card untrusted\""));
    assert!(html.contains("non verificato"), "the claims are marked as not verified");
}

#[tokio::test]
async fn a_certificate_without_its_attachment_is_checked_by_its_printed_url_on_sqlite() {
    without_attachments(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_certificate_without_its_attachment_is_checked_by_its_printed_url_on_postgres() {
    without_attachments(Backend::Postgres).await;
}

async fn without_attachments(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (id, credential) = awarded(&app).await;
    let served = app.client.get(app.url(&format!("/credentials/{id}.pdf?lang=el"))).send().await.unwrap();
    let stripped = without_attachment(&served.bytes().await.unwrap());
    let report = app.app.verify_file(&stripped).await.unwrap();
    assert!(report.verified, "{:#?} {:#?}", report.report, report.printed_mismatches);
    assert_eq!(report.credential, credential, "the stored credential its URL names");

    let mut facts = Facts::of(&credential, "el");
    facts.achievement = "Έξυπνες πόλεις: προχωρημένο επίπεδο".into();
    let altered = without_attachment(&printed(&credential, &facts, "el"));
    let report = app.app.verify_file(&altered).await.unwrap();
    assert_eq!(report.report.outcome, Outcome::Altered);
    assert_eq!(report.printed_mismatches.unwrap()[0].fact, "achievement");

    // Not ours and nothing embedded: could not check.
    let foreign = without_attachment(
        &certificate::render_pdf(
            &microcred::vc::credential::example("did:web:elsewhere.example", "https://elsewhere.example")
                .to_value()
                .to_string(),
            &Template::builtin(),
            Labels::for_tag("en"),
            Paper::A4,
        )
        .unwrap(),
    );
    assert!(app.app.verify_file(&foreign).await.is_err());
}

#[tokio::test]
async fn employers_can_type_or_paste_a_link_or_id() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (id, _) = awarded(&app).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for typed in
        [app.url(&format!("/credentials/{id}")), format!(" {id} "), app.url(&format!("/credentials/{id}.pdf?lang=bg"))]
    {
        let response = client
            .get(app.url("/verify"))
            .query(&[("credential", typed.as_str()), ("lang", "bg")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{typed}");
        assert_eq!(response.headers()["location"], format!("/credentials/{id}?lang=bg"));
    }
    for unknown in
        [uuid::Uuid::new_v4().to_string(), "https://elsewhere.example/credentials/x".to_owned(), "hello".to_owned()]
    {
        let response = client
            .get(app.url("/verify"))
            .header("accept", HTML)
            .query(&[("credential", unknown.as_str()), ("lang", "es")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{unknown}");
        assert!(response.text().await.unwrap().contains("Ninguna credencial de este servicio"));
    }
    // Programs get problem details for an unknown link.
    let response = client
        .get(app.url("/verify"))
        .header("accept", "application/json")
        .query(&[("credential", "hello")])
        .send()
        .await
        .unwrap();
    crate::support::assert_problem(response, 404).await;
    let form =
        app.client.get(app.url("/verify?lang=en")).header("accept", HTML).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("name=\"credential\""), "the page offers the field");
}
