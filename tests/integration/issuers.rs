//! Issuer profiles change over HTTP (admin, JSON merge patch, validated as a whole, audited), on SQLite and
//! PostgreSQL: credentials issued afterwards carry the new profile, those issued before stay as signed.

use microcred::domain::api_key::Role;
use serde_json::{Value, json};

use crate::achievements::micro_credential;
use crate::support::{Backend, TestApp, assert_problem};

async fn issuer_profiles(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = app.token(Role::Admin).await;
    let assessor = app.token(Role::Assessor).await;
    let patch = |slug: &str, token: &str, body: Value| {
        app.client.patch(app.url(&format!("/api/v1/issuers/{slug}"))).bearer_auth(token).json(&body).send()
    };
    let create_achievement = || async {
        app.client.post(app.url("/api/v1/achievements")).bearer_auth(&assessor).json(&micro_credential()).send().await
    };

    // The default issuer `serve` creates has no country, so it cannot award micro-credentials yet; the
    // refusal says how to set it.
    let body = assert_problem(create_achievement().await.unwrap(), 422).await;
    assert_eq!(body["errors"][0]["field"], "issuer.country");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("PATCH /api/v1/issuers/"), "{body}");

    // Refused as a whole, nothing stored: the EU's code for Greece, a slug change, a missing name.
    let body = assert_problem(
        patch("default", &admin, json!({"country": "EL", "slug": "renamed", "name": null})).await.unwrap(),
        422,
    )
    .await;
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["slug", "name", "country"], "{body}");
    assert!(body["errors"][2]["message"].as_str().unwrap().contains("Greece is GR"), "{body}");
    assert_problem(patch("default", &admin, json!({"colour": "red"})).await.unwrap(), 422).await;
    // Only admins; an unknown issuer is 404.
    assert_problem(patch("default", &assessor, json!({"country": "BG"})).await.unwrap(), 403).await;
    assert_problem(patch("nobody", &admin, json!({"country": "BG"})).await.unwrap(), 404).await;
    let stored = app.app.issuer(&"default".parse().unwrap()).await.unwrap();
    assert_eq!(stored.country, None, "a refused patch changes nothing");

    // An admin sets the country and corrects the name: 200 with the new profile and what it affects.
    let response =
        patch("default", &admin, json!({"country": "bg", "name": "Universal Certifcation Solutions"})).await.unwrap();
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!((updated["country"].as_str(), updated["slug"].as_str()), (Some("BG"), Some("default")));
    assert!(updated["note"].as_str().unwrap().contains("already issued are signed and stay"), "{updated}");

    // Now the catalogue takes a micro-credential, and an award carries the profile of the moment.
    let response = create_achievement().await.unwrap();
    assert_eq!(response.status(), 201);
    let achievement_id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let award =
        |email: &str| json!({"achievement_id": achievement_id, "recipient": {"name": "Иван Петров", "email": email}});
    let first = app.award(&assessor, award("ivan@example.bg")).await;
    assert_eq!(first["credential"]["issuer"]["name"], "Universal Certifcation Solutions");
    assert!(first["credential"]["credentialStatus"].is_object(), "one status entry without suspension");

    // A typo fixed and suspension switched on: later awards carry both; the earlier credential is unchanged
    // and still genuine.
    let response =
        patch("default", &admin, json!({"name": "Universal Certification Solutions", "suspension_enabled": true}))
            .await
            .unwrap();
    assert_eq!(response.status(), 200);
    let second = app.award(&assessor, award("maria@example.bg")).await;
    assert_eq!(second["credential"]["issuer"]["name"], "Universal Certification Solutions");
    assert_eq!(second["credential"]["credentialStatus"].as_array().map(Vec::len), Some(2), "revocation and suspension");
    let first_now = app.get_json_as(&assessor, &format!("/api/v1/credentials/{}", first["id"].as_str().unwrap())).await;
    assert_eq!(first_now["credential"], first["credential"], "an issued credential is never rewritten");
    let report = app.get_json(&format!("/api/v1/verify/{}", first["id"].as_str().unwrap())).await;
    assert_eq!(report["outcome"], "valid", "{report}");

    // Each change is audited with the fields it changed; a patch that changes nothing is not an event.
    assert_eq!(patch("default", &admin, json!({"country": "BG"})).await.unwrap().status(), 200);
    let events: Value = app.get_json_as(&admin, "/api/v1/audit?limit=1000").await;
    let updates: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "issuer.update")
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert_eq!(updates, ["changed: name, country", "changed: name, suspension_enabled"]);

    // The public profile: a page for people in their language, with the country, the DID, every key (the
    // retired one with its dates) and the catalogue; the OB 3.0 Profile for programs, as credentials carry it.
    app.app.rotate_key(&"default".parse().unwrap()).await.unwrap();
    let response = app.client.get(app.url("/issuers/default")).header("accept-language", "bg").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = response.text().await.unwrap();
    let (_, keys) = app.app.issuer_keys(&"default".parse().unwrap()).await.unwrap();
    assert_eq!(keys.len(), 2);
    for expected in [
        "Профил на издателя",
        "Universal Certification Solutions",
        "България",
        first["credential"]["issuer"]["id"].as_str().unwrap(),
        &keys[0].key_id,
        &keys[1].key_id,
        "използван от",
        "в употреба от",
        "Умни градове: основи",
        &format!("/achievements/{achievement_id}"),
    ] {
        assert!(page.contains(expected), "{expected:?} not on the profile page:\n{page}");
    }
    let profile: Value = app
        .client
        .get(app.url("/issuers/default"))
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut signed = second["credential"]["issuer"].clone();
    signed["@context"] = json!(second["credential"]["@context"].as_array().unwrap()[..2]);
    assert_eq!(profile, signed, "the Profile credentials carry, with the OB 3.0 contexts");
    let missing = app.client.get(app.url("/issuers/nobody")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_problem(
        app.client.get(app.url("/issuers/No_Such")).header("accept", "application/json").send().await.unwrap(),
        404,
    )
    .await;
}

#[tokio::test]
async fn issuer_profiles_on_sqlite() {
    issuer_profiles(Backend::Sqlite).await;
}

#[tokio::test]
async fn issuer_profiles_on_postgres() {
    issuer_profiles(Backend::Postgres).await;
}
