//! The module catalogue over HTTP, on SQLite and PostgreSQL: the EU micro-credential elements, merge
//! patches, roles, and the public achievement document.

use microcred::domain::api_key::Role;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, assert_problem};

pub fn micro_credential() -> Value {
    json!({
        "name": "Умни градове: основи",
        "description": "Έξυπνες πόλεις — βασικές αρχές 🏙️",
        "criteria": "Pass the final online assessment with at least 60 %.",
        "achievement_type": "MicroCredential",
        "learning_outcomes": ["Explain urban data platforms", "Progettare servizi digitali per la città"],
        "ects": 5,
        "hours": 125,
        "eqf_level": 6,
        "assessment_type": "Written exam, proctored online",
        "participation": "online",
        "quality_assurance": "Internal QA of the Erasmus+ consortium, ISO 21001",
        "language": "bg",
        "alignments": [{"target_name": "manage smart city infrastructure",
                        "target_url": "http://data.europa.eu/esco/skill/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                        "target_code": "S1.2.3", "target_framework": "ESCO"}],
        "supervision": "supervised-with-identity-verification"
    })
}

async fn catalogue(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = app.token(Role::Admin).await;
    let url = app.url("/api/v1/achievements");
    let assessor = app.another_issuer("ucs", "Universal Certification Solutions", "BG").await;

    // A micro-credential without its EU elements: 422 naming every missing one, nothing stored.
    let bare = json!({"name": "X", "description": "Y", "criteria": "Z", "achievement_type": "MicroCredential"});
    let body =
        assert_problem(app.client.post(&url).bearer_auth(&assessor).json(&bare).send().await.unwrap(), 422).await;
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["learning_outcomes", "ects", "assessment_type", "participation", "quality_assurance"]);
    // The default issuer has no country, which a micro-credential needs.
    let body = assert_problem(
        app.client
            .post(&url)
            .bearer_auth(&admin)
            .json(&{
                let mut m = micro_credential();
                m["issuer"] = json!("default");
                m
            })
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "issuer.country");
    // An admin must say which issuer.
    let body =
        assert_problem(app.client.post(&url).bearer_auth(&admin).json(&micro_credential()).send().await.unwrap(), 422)
            .await;
    assert_eq!(body["errors"][0]["field"], "issuer");

    // A complete one: 201, every script intact.
    let response = app.client.post(&url).bearer_auth(&assessor).json(&micro_credential()).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let achievement: Value = response.json().await.unwrap();
    let id = achievement["id"].as_str().unwrap().to_owned();
    assert_eq!(achievement["name"], "Умни градове: основи");
    assert_eq!(achievement["participation"], "online");
    assert_eq!(achievement["url"], app.url(&format!("/achievements/{id}")));
    let listed: Value = app.client.get(&url).bearer_auth(&assessor).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let fetched: Value =
        app.client.get(format!("{url}/{id}")).bearer_auth(&assessor).send().await.unwrap().json().await.unwrap();
    assert_eq!(fetched, achievement);

    // Merge patches: valid changes apply; invalid ones are refused and change nothing.
    let patched = app
        .client
        .patch(format!("{url}/{id}"))
        .bearer_auth(&assessor)
        .json(&json!({"ects": 6, "tags": ["IoT"], "hours": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["ects"], 6.0);
    assert!(patched.get("hours").is_none());
    for bad in [json!({"participation": "remote"}), json!({"learning_outcomes": null}), json!({"issuer": "default"})] {
        assert_problem(
            app.client.patch(format!("{url}/{id}")).bearer_auth(&assessor).json(&bad).send().await.unwrap(),
            422,
        )
        .await;
    }
    let current: Value =
        app.client.get(format!("{url}/{id}")).bearer_auth(&assessor).send().await.unwrap().json().await.unwrap();
    assert_eq!(current["participation"], "online");
    assert_eq!(current["learning_outcomes"].as_array().unwrap().len(), 2);

    // Another issuer's assessor may neither read nor change it; no token is 401; bad ids are 404.
    let other = app.token(Role::Assessor).await;
    assert_problem(app.client.get(format!("{url}/{id}")).bearer_auth(&other).send().await.unwrap(), 403).await;
    assert_problem(
        app.client.patch(format!("{url}/{id}")).bearer_auth(&other).json(&json!({"ects": 1})).send().await.unwrap(),
        403,
    )
    .await;
    let theirs: Value = app.client.get(&url).bearer_auth(&other).send().await.unwrap().json().await.unwrap();
    assert_eq!(theirs.as_array().unwrap().len(), 0);
    assert_problem(app.client.post(&url).json(&micro_credential()).send().await.unwrap(), 401).await;
    for missing in [format!("{url}/{}", uuid::Uuid::new_v4()), format!("{url}/not-a-uuid")] {
        assert_problem(app.client.get(&missing).bearer_auth(&assessor).send().await.unwrap(), 404).await;
    }

    // The public document is the OB 3.0 Achievement credentials point to, EQF level as an alignment.
    let public: Value =
        app.client.get(app.url(&format!("/achievements/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(public["@context"][1], "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json");
    assert_eq!(public["id"], app.url(&format!("/achievements/{id}")));
    assert_eq!(public["type"], json!(["Achievement"]));
    assert_eq!(public["achievementType"], "MicroCredential");
    assert_eq!(public["creditsAvailable"], 6.0);
    assert_eq!(public["criteria"]["narrative"], "Pass the final online assessment with at least 60 %.");
    let alignments = public["alignment"].as_array().unwrap();
    assert!(alignments.iter().any(|a| a["targetUrl"] == "http://data.europa.eu/snb/eqf/6"), "{public}");
    assert!(
        microcred::vc::canon::rdfc(&public).is_ok(),
        "the public document is valid JSON-LD with only defined terms"
    );
    assert_problem(
        app.client.get(app.url(&format!("/achievements/{}", uuid::Uuid::new_v4()))).send().await.unwrap(),
        404,
    )
    .await;
}

#[tokio::test]
async fn catalogue_on_sqlite() {
    catalogue(Backend::Sqlite).await;
}

#[tokio::test]
async fn catalogue_on_postgres() {
    catalogue(Backend::Postgres).await;
}

/// An achievement whose printed texts have a character no font prints is refused, naming each field, on
/// creation and on a change: its certificates would leave the character out (and microcred would then call
/// its own certificates altered).
#[tokio::test]
async fn achievements_refuse_what_their_certificates_cannot_print() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let url = app.url("/api/v1/achievements");
    let mut bad = micro_credential();
    bad["name"] = json!("Smart cities \u{E000}");
    bad["learning_outcomes"][1] = json!("Plan \u{E001} networks");
    let body = assert_problem(app.client.post(&url).bearer_auth(&assessor).json(&bad).send().await.unwrap(), 422).await;
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "learning_outcomes[1]"]);
    assert!(body.to_string().contains("U+E000") && body.to_string().contains("U+E001"), "{body}");

    let patch = app
        .client
        .patch(format!("{url}/{achievement_id}"))
        .bearer_auth(&assessor)
        .json(&json!({"quality_assurance": "ISO \u{E000}"}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(patch, 422).await;
    assert_eq!(body["errors"][0]["field"], "quality_assurance");
    // What the bundled font prints stays accepted.
    let mut fine = micro_credential();
    fine["name"] = json!("Умни градове — Έξυπνες πόλεις — Città");
    assert_eq!(app.client.post(&url).bearer_auth(&assessor).json(&fine).send().await.unwrap().status(), 201);
}
