//! Awards over HTTP on SQLite and PostgreSQL: issuing, idempotent retries, duplicates, listing, access.

use microcred::domain::api_key::Role;
use microcred::vc::credential::IdentityObject;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, assert_problem};

async fn awards(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let url = app.url("/api/v1/credentials");
    let award = json!({"achievement_id": achievement_id, "recipient": {"name": "Иван Петров", "email": "Ivan@Example.bg"}, "result": "92"});

    // Issue: 201, a credential that verifies, names the learner and hashes the e-mail.
    let response = app
        .client
        .post(&url)
        .bearer_auth(&assessor)
        .header("Idempotency-Key", "award-1")
        .json(&award)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let issued: Value = response.json().await.unwrap();
    let id = issued["id"].as_str().unwrap().to_owned();
    let credential = &issued["credential"];
    assert_eq!(credential["id"], app.url(&format!("/credentials/{id}")));
    assert_eq!(issued["links"]["page"], credential["id"]);
    assert_eq!(issued["links"]["json"], app.url(&format!("/credentials/{id}.json")));
    assert_eq!(credential["credentialSubject"]["name"], "Иван Петров");
    assert_eq!(
        credential["credentialSubject"]["achievement"]["id"],
        app.url(&format!("/achievements/{achievement_id}"))
    );
    assert_eq!(credential["issuer"]["address"]["addressCountryCode"], "BG");
    let email: IdentityObject =
        serde_json::from_value(credential["credentialSubject"]["identifier"][1].clone()).unwrap();
    assert!(email.matches_email("ivan@example.bg"));
    assert!(
        !credential.to_string().to_lowercase().contains("ivan@example.bg"),
        "the address itself is not in the credential"
    );
    let report = app.app.verify(credential).await.unwrap();
    assert!(report.verified, "{report:#?}");
    assert!(microcred::vc::schema::achievement_credential_violations(credential).is_empty());
    // The EU elements OB 3.0 has no term for are in the credential, defined by the inline extension context
    // that the service also serves.
    let achievement = &credential["credentialSubject"]["achievement"];
    assert_eq!(
        achievement["learningOutcome"],
        json!(["Explain urban data platforms", "Progettare servizi digitali per la città"])
    );
    assert_eq!(achievement["workloadHours"], 125.0);
    assert_eq!(achievement["creditsAvailable"], 5.0);
    assert_eq!(achievement["assessmentType"], "Written exam, proctored online");
    assert_eq!(achievement["participationForm"], "online");
    assert_eq!(achievement["qualityAssurance"], "Internal QA of the Erasmus+ consortium, ISO 21001");
    let served: Value =
        app.client.get(app.url("/contexts/microcredential/v1")).send().await.unwrap().json().await.unwrap();
    assert_eq!(credential["@context"][2], served["@context"], "the inline context is the served one");
    let quads = microcred::vc::canon::rdfc(credential).unwrap();
    assert!(quads.contains("<https://w3id.org/microcred/v1#participationForm> \"online\""), "{quads}");

    // A retry with the same key and the same request (keys in another order) returns the same credential.
    let reordered = json!({"result": "92", "recipient": {"email": "Ivan@Example.bg", "name": "Иван Петров"}, "achievement_id": achievement_id});
    let retry = app
        .client
        .post(&url)
        .bearer_auth(&assessor)
        .header("Idempotency-Key", "award-1")
        .json(&reordered)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 200);
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["id"], id.as_str());
    assert_eq!(&retry["credential"], credential, "the very same signed document");
    // The same key with another request is refused.
    let other = json!({"achievement_id": achievement_id, "recipient": {"name": "Γιώργος", "email": "g@example.gr"}});
    let body = assert_problem(
        app.client
            .post(&url)
            .bearer_auth(&assessor)
            .header("Idempotency-Key", "award-1")
            .json(&other)
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "Idempotency-Key");

    // The same learner again: 409 naming the credential they hold, unless duplicates are asked for.
    let body = assert_problem(
        app.client
            .post(&url)
            .bearer_auth(&assessor)
            .json(&json!({"achievement_id": achievement_id, "recipient": {"name": "Ivan", "email": "IVAN@example.BG"}}))
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains(&id), "{body}");
    let again = app.client.post(&url).bearer_auth(&assessor)
        .json(&json!({"achievement_id": achievement_id, "recipient": {"name": "Иван Петров", "email": "ivan@example.bg"}, "allow_duplicate": true}))
        .send().await.unwrap();
    assert_eq!(again.status(), 201);

    // Bad requests: every field named; an unknown achievement; nothing stored by any of them.
    let body = assert_problem(
        app.client
            .post(&url)
            .bearer_auth(&assessor)
            .json(&json!({"recipient": {"email": "nope"}}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["achievement_id", "recipient.name", "recipient.email"]);
    let body = assert_problem(
        app.client
            .post(&url)
            .bearer_auth(&assessor)
            .json(&json!({"achievement_id": uuid::Uuid::new_v4(), "recipient": {"name": "X", "email": "x@example.eu"}}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "achievement_id");
    assert_problem(app.client.post(&url).json(&award).send().await.unwrap(), 401).await;

    // Another issuer's assessor can neither award this achievement nor read these credentials.
    let stranger = app.token(Role::Assessor).await;
    assert_problem(app.client.post(&url).bearer_auth(&stranger).json(&other).send().await.unwrap(), 403).await;
    assert_problem(app.client.get(format!("{url}/{id}")).bearer_auth(&stranger).send().await.unwrap(), 403).await;
    let theirs: Value = app.client.get(&url).bearer_auth(&stranger).send().await.unwrap().json().await.unwrap();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);

    // Listing, page by page.
    let mut seen = Vec::new();
    let mut next = format!("{url}?achievement_id={achievement_id}&limit=1");
    loop {
        let page: Value = app.client.get(&next).bearer_auth(&assessor).send().await.unwrap().json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
            assert_eq!(item["recipient"]["email"], "ivan@example.bg");
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => next = format!("{url}?achievement_id={achievement_id}&limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], id);
    let filtered: Value = app
        .client
        .get(format!("{url}?email=nobody@example.eu"))
        .bearer_auth(&assessor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 0);
    for bad in ["limit=0", "limit=1001", "cursor=garbage", "issued_after=yesterday", "status=revoked"] {
        assert_problem(app.client.get(format!("{url}?{bad}")).bearer_auth(&assessor).send().await.unwrap(), 422).await;
    }
    let one: Value =
        app.client.get(format!("{url}/{id}")).bearer_auth(&assessor).send().await.unwrap().json().await.unwrap();
    assert_eq!(&one["credential"], credential);

    // The public signed JSON, by its unguessable id.
    let download = app.client.get(app.url(&format!("/credentials/{id}.json"))).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/vc+ld+json");
    assert!(download.headers()["content-disposition"].to_str().unwrap().contains(&format!("credential-{id}.json")));
    assert_eq!(&download.json::<Value>().await.unwrap(), credential);
    for missing in [
        format!("/credentials/{}.json", uuid::Uuid::new_v4()),
        format!("/credentials/{id}.txt"),
        "/credentials/..%2Fetc.json".to_owned(),
    ] {
        assert_problem(app.client.get(app.url(&missing)).send().await.unwrap(), 404).await;
    }
}

#[tokio::test]
async fn awards_on_sqlite() {
    awards(Backend::Sqlite).await;
}

#[tokio::test]
async fn awards_on_postgres() {
    awards(Backend::Postgres).await;
}

/// Awards arriving at the same moment are committed together (group commit, issue 20), and each request
/// still gets its own answer: a retry with the same `Idempotency-Key` gets the same credential, a second
/// award of the achievement to the same learner gets 409 naming the first, and the rest are issued once.
async fn concurrent_awards(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let url = app.url("/api/v1/credentials");
    let send = |i: usize| {
        let email = match i {
            0 | 1 => "same.key@example.eu".to_owned(),
            2 | 3 => "twice@example.eu".to_owned(),
            i => format!("learner{i}@example.eu"),
        };
        let name = format!("Λήπτης {}", i.max(1));
        let body = json!({"achievement_id": achievement_id, "recipient": {"name": name, "email": email}});
        let mut request = app.client.post(&url).bearer_auth(&assessor).json(&body);
        if i <= 1 {
            request = request.header("Idempotency-Key", "same-key");
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (i, status, response.json::<Value>().await.unwrap())
        }
    };
    let answers = futures_util::future::join_all((0..64).map(send)).await;
    let mut issued = std::collections::HashSet::new();
    let (mut same_key, mut twice) = (Vec::new(), Vec::new());
    for (i, status, body) in answers {
        match i {
            0 | 1 => same_key.push((status, body)),
            2 | 3 => twice.push((status, body)),
            _ => {
                assert_eq!(status, 201, "award {i}: {body}");
                issued.insert(body["id"].as_str().unwrap().to_owned());
            }
        }
    }
    let key_ids: Vec<&str> = same_key.iter().filter_map(|(_, b)| b["id"].as_str()).collect();
    assert!(
        same_key
            .iter()
            .all(|(s, b)| [200, 201].contains(s) || (*s == 409 && b["detail"].as_str().unwrap().contains("retry"))),
        "{same_key:?}"
    );
    assert!(!key_ids.is_empty() && key_ids.iter().all(|id| *id == key_ids[0]), "one key, one credential: {same_key:?}");
    issued.insert(key_ids[0].to_owned());
    let mut statuses: Vec<u16> = twice.iter().map(|(s, _)| *s).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{twice:?}");
    let first = twice.iter().find(|(s, _)| *s == 201).unwrap().1["id"].as_str().unwrap().to_owned();
    let refused = &twice.iter().find(|(s, _)| *s == 409).unwrap().1;
    assert!(refused["detail"].as_str().unwrap().contains(&first), "the 409 names the credential held: {refused}");
    issued.insert(first);
    assert_eq!(issued.len(), 62);
    assert_eq!(app.stored_credentials().await, 62, "nothing issued twice or lost");
}

#[tokio::test]
async fn concurrent_awards_on_sqlite() {
    concurrent_awards(Backend::Sqlite).await;
}

#[tokio::test]
async fn concurrent_awards_on_postgres() {
    concurrent_awards(Backend::Postgres).await;
}

/// An award checks its caller's token in the same read as the achievement (issue 20), yet a bad token still
/// gets 401 whatever else is wrong with the request, nothing is issued, and a revocation counts at once.
async fn a_bad_token_gets_401_whatever_else_is_wrong(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let url = app.url("/api/v1/credentials");
    let revoked = app.token_for("ucs", Role::Assessor).await;
    // It works until it is revoked.
    let good = json!({"achievement_id": achievement_id, "recipient": {"name": "Ana Pérez", "email": "ana@example.es"}});
    let response = app.client.post(&url).bearer_auth(&revoked).json(&good).send().await.unwrap();
    assert_eq!(response.status(), 201);
    app.app.revoke_api_key(microcred::domain::api_key::ApiToken::parse(&revoked).unwrap().id()).await.unwrap();
    let unknown = microcred::domain::api_key::ApiToken::generate().reveal();
    // The assessor's own key id with another secret (32 zero bytes).
    let key_id = assessor.split('_').nth(1).unwrap();
    let wrong_secret = format!("mc_{key_id}_{}", "A".repeat(43));
    assert_ne!(wrong_secret, assessor);
    assert!(microcred::domain::api_key::ApiToken::parse(&wrong_secret).is_ok(), "well formed");

    let learner = |n: usize| json!({"name": "Ana Pérez", "email": format!("ana{n}@example.es")});
    let unknown_achievement = uuid::Uuid::new_v4().to_string();
    // (body, Idempotency-Key, what a good token gets)
    let cases: Vec<(String, Option<String>, u16)> = vec![
        (json!({"achievement_id": achievement_id, "recipient": learner(1)}).to_string(), None, 201),
        (json!({"achievement_id": unknown_achievement, "recipient": learner(2)}).to_string(), None, 422),
        (json!({"achievement_id": achievement_id}).to_string(), None, 422),
        (
            json!({"achievement_id": achievement_id, "recipient": {"name": "", "email": "not an address"}}).to_string(),
            None,
            422,
        ),
        ("{not json".to_owned(), None, 400),
        (json!({"achievement_id": achievement_id, "recipient": learner(3)}).to_string(), Some("k".repeat(300)), 422),
        // Sent as text/plain (below): 415 for a good token.
        (json!({"achievement_id": achievement_id, "recipient": learner(4)}).to_string(), None, 415),
    ];
    let send = |token: &str, i: usize| {
        let (body, key, _) = &cases[i];
        let media_type = if i == cases.len() - 1 { "text/plain" } else { "application/json" };
        let mut request =
            app.client.post(&url).bearer_auth(token).header("content-type", media_type).body(body.clone());
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send()
    };
    let mut details = std::collections::BTreeSet::new();
    for (i, (_, _, with_good_token)) in cases.iter().enumerate() {
        for token in [revoked.as_str(), unknown.as_str(), wrong_secret.as_str(), "mc_not_a_token"] {
            let response = send(token, i).await.unwrap();
            assert_eq!(response.status(), 401, "case {i} with {token}");
            let problem = assert_problem(response, 401).await;
            details.insert(problem["detail"].as_str().unwrap().to_owned());
        }
        assert_eq!(send(&assessor, i).await.unwrap().status(), *with_good_token, "case {i} with a good token");
    }
    assert_eq!(details.len(), 1, "every bad token gets the same answer: {details:?}");
    assert_eq!(app.stored_credentials().await, 2, "only the good token's awards were issued");

    // Another issuer's assessor is told 403, not 401, for this issuer's achievement.
    let outsider = app.another_issuer("other", "Other Academy", "IT").await;
    let body = json!({"achievement_id": achievement_id, "recipient": learner(5)});
    assert_problem(app.client.post(&url).bearer_auth(&outsider).json(&body).send().await.unwrap(), 403).await;
    assert_eq!(app.stored_credentials().await, 2);
}

#[tokio::test]
async fn a_bad_token_gets_401_whatever_else_is_wrong_on_sqlite() {
    a_bad_token_gets_401_whatever_else_is_wrong(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_bad_token_gets_401_whatever_else_is_wrong_on_postgres() {
    a_bad_token_gets_401_whatever_else_is_wrong(Backend::Postgres).await;
}
