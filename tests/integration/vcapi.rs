//! The W3C VC-API endpoints as a VC-API client (and the W3C suites) use them.

use microcred::domain::api_key::Role;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

/// `POST /credentials/issue` of `credential`, with no options, as the holder of `token`.
async fn issue_as(app: &TestApp, token: &str, credential: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/credentials/issue"))
        .bearer_auth(token)
        .json(&json!({"credential": credential}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn issue_validates_and_signs_vcdm_2_and_1_1_and_verify_answers_200_or_422() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let assessor = app.token(Role::Assessor).await;
    let did = app.app.issuer(&"default".parse().unwrap()).await.unwrap().did;
    let issue = |body: Value| app.client.post(app.url("/credentials/issue")).bearer_auth(&assessor).json(&body).send();
    let verify = |vc: Value| {
        app.client
            .post(app.url("/credentials/verify"))
            .json(&json!({"verifiableCredential": vc, "options": {"checks": ["proof"]}}))
            .send()
    };

    let v2 = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                    "issuer": {"id": did, "name": "Ελληνικό"}, "credentialSubject": {"name": "Иван Петров"}});
    let response = issue(json!({"credential": v2, "options": {}})).await.unwrap();
    assert_eq!(response.status(), 201);
    let signed: Value = response.json().await.unwrap();
    let vc = signed["verifiableCredential"].clone();
    assert_eq!(vc["proof"][0]["cryptosuite"], "eddsa-rdfc-2022");
    let ok = verify(vc.clone()).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap()["verified"], true);

    // VCDM 1.1 gets the Data Integrity context and verifies too.
    let v1 = json!({"@context": ["https://www.w3.org/2018/credentials/v1", "https://www.w3.org/ns/credentials/examples/v2"],
                    "type": ["VerifiableCredential"], "issuer": did, "issuanceDate": "2026-01-01T00:00:00Z",
                    "credentialSubject": {"id": "did:example:learner", "alumniOf": "Example University"}});
    let response = issue(json!({"credential": v1, "options": {"cryptosuite": "eddsa-jcs-2022"}})).await.unwrap();
    assert_eq!(response.status(), 201);
    let vc1 = response.json::<Value>().await.unwrap()["verifiableCredential"].clone();
    assert_eq!(vc1["@context"][2], "https://w3id.org/security/data-integrity/v2");
    assert_eq!(verify(vc1).await.unwrap().status(), 200);

    // The issuer refuses what it cannot sign faithfully, with 422 problem details.
    for bad in [
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "issuer": did}),
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential", "Undefined"], "issuer": did, "credentialSubject": {"x": 1}}),
        json!({"@context": ["https://example.org/first"], "type": ["VerifiableCredential"], "issuer": did, "credentialSubject": {"name": "x"}}),
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "issuer": "did:key:z6MkNotOurs", "credentialSubject": {"name": "x"}}),
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "not a url", "type": ["VerifiableCredential"], "issuer": did, "credentialSubject": {"name": "x"}}),
    ] {
        let response = issue(json!({"credential": bad})).await.unwrap();
        assert_eq!(response.status(), 422, "{bad}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    let other = app
        .app
        .create_issuer(
            microcred::domain::issuer::IssuerInput {
                slug: Some("other".into()),
                name: Some("Other".into()),
                country: Some("IT".into()),
                ..Default::default()
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap()
        .0;
    let mut theirs = v2.clone();
    theirs["issuer"] = json!(other.did);
    assert_eq!(issue(json!({"credential": theirs})).await.unwrap().status(), 403);

    // Verify: 422 with a non-empty errors list for a bad credential, 400 for something not a credential.
    let mut tampered = vc.clone();
    tampered["credentialSubject"]["name"] = json!("Мария");
    let response = verify(tampered).await.unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(!body["errors"].as_array().unwrap_or_else(|| panic!("{body}")).is_empty());
    assert_eq!(verify(json!(vc.to_string())).await.unwrap().status(), 400);
    let peer: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/peer-signed/ob3-did-key-eddsa-rdfc-2022.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(verify(peer).await.unwrap().status(), 200);
}

#[tokio::test]
async fn status_endpoint_revokes_and_publish_answers_204() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let issued: Value = app
        .client
        .post(app.url("/api/v1/credentials"))
        .bearer_auth(&assessor)
        .json(&json!({"achievement_id": achievement_id, "recipient": {"name": "Lucía", "email": "lucia@example.es"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let vc = issued["credential"].clone();
    let list = vc["credentialStatus"]["statusListCredential"].as_str().unwrap().to_owned();
    let status =
        |body: Value| app.client.post(app.url("/credentials/status")).bearer_auth(&assessor).json(&body).send();
    let revoke = json!({"credentialId": vc["id"], "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}, "status": true});
    assert_eq!(status(revoke.clone()).await.unwrap().status(), 200);
    assert_eq!(app.client.post(format!("{list}/publish")).bearer_auth(&assessor).send().await.unwrap().status(), 204);
    let response = app
        .client
        .post(app.url("/credentials/verify"))
        .json(&json!({"verifiableCredential": vc}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422, "revoked credentials do not verify");
    let mut clear = revoke;
    clear["status"] = json!(false);
    assert_eq!(status(clear).await.unwrap().status(), 409, "revocation is permanent");
    assert_eq!(status(json!({"credentialId": "nope"})).await.unwrap().status(), 422);
}

#[tokio::test]
async fn presentations_verify_checks_the_holder_proof_challenge_domain_and_each_credential() {
    use microcred::keys::IssuerSigningKey;
    use microcred::vc::proof::{self, Cryptosuite};
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let assessor = app.token(Role::Assessor).await;
    let did = app.app.issuer(&"default".parse().unwrap()).await.unwrap().did;
    let credential = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                            "issuer": did, "credentialSubject": {"name": "Γιώργος"}});
    let vc: Value = app
        .client
        .post(app.url("/credentials/issue"))
        .bearer_auth(&assessor)
        .json(&json!({"credential": credential}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let vc = vc["verifiableCredential"].clone();

    // The holder signs a presentation for a given challenge and domain.
    let holder = IssuerSigningKey::from_seed(&[9; 32]);
    let holder_did = microcred::domain::did::did_key(&holder.public_key());
    let vp = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
                    "holder": holder_did, "verifiableCredential": [vc]});
    let sign = |challenge: &str, domain: &str| {
        let config: serde_json::Map<String, Value> = serde_json::from_value(json!({
            "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2026-11-27T10:00:00Z",
            "verificationMethod": format!("{holder_did}#{}", holder.key_id()), "proofPurpose": "authentication",
            "challenge": challenge, "domain": domain}))
        .unwrap();
        let hash = proof::hash_data(Cryptosuite::EddsaRdfc2022, &vp, &config).unwrap();
        let mut signed_proof = config.clone();
        signed_proof.insert("proofValue".into(), proof::encode_proof_value(&holder.sign(&hash)).into());
        let mut signed = vp.clone();
        signed["proof"] = Value::Object(signed_proof);
        signed
    };
    let post = |vp: Value, options: Value| {
        app.client
            .post(app.url("/presentations/verify"))
            .json(&json!({"verifiablePresentation": vp, "options": options}))
            .send()
    };
    let options = json!({"challenge": "c-123", "domain": "example.eu"});

    assert_eq!(post(sign("c-123", "example.eu"), options.clone()).await.unwrap().status(), 200);
    assert_eq!(post(sign("other", "example.eu"), options.clone()).await.unwrap().status(), 422);
    assert_eq!(post(sign("c-123", "evil.example"), options.clone()).await.unwrap().status(), 422);
    let mut tampered = sign("c-123", "example.eu");
    tampered["holder"] = json!("did:example:someone-else");
    assert_eq!(post(tampered, options.clone()).await.unwrap().status(), 422);
    // Unsigned presentations pass only when no challenge is asked.
    assert_eq!(post(vp.clone(), json!({})).await.unwrap().status(), 200);
    assert_eq!(post(vp.clone(), options.clone()).await.unwrap().status(), 422);
    // Data model: the base context first, credentials as objects.
    let mut wrong_context = vp.clone();
    wrong_context["@context"] =
        json!(["https://www.w3.org/ns/credentials/examples/v2", "https://www.w3.org/ns/credentials/v2"]);
    assert_eq!(post(wrong_context, json!({})).await.unwrap().status(), 422);
    let mut string_vc = vp.clone();
    string_vc["verifiableCredential"] = json!(["not a credential"]);
    assert_eq!(post(string_vc, json!({})).await.unwrap().status(), 422);
    assert_eq!(post(json!("a string"), json!({})).await.unwrap().status(), 400);
}

/// `/credentials/issue` checks its caller's token in the same read as the issuer and its key (issue 20), yet a
/// bad token still gets 401 whatever else is wrong with the request, nothing is issued, and a revocation counts
/// at once; another issuer's assessor gets 403.
async fn issue_refuses_a_bad_token_with_401_whatever_else_is_wrong(backend: Backend) {
    use microcred::domain::api_key::ApiToken;
    let Some(app) = TestApp::spawn(backend).await else { return };
    let assessor = app.token(Role::Assessor).await;
    let did = app.app.issuer(&"default".parse().unwrap()).await.unwrap().did;
    let url = app.url("/credentials/issue");
    let credential = |name: &str| {
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
               "issuer": did, "credentialSubject": {"name": name}})
    };
    let revoked = app.token(Role::Assessor).await;
    let response = app
        .client
        .post(&url)
        .bearer_auth(&revoked)
        .json(&json!({"credential": credential("Ana")}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "it works until it is revoked");
    app.app.revoke_api_key(ApiToken::parse(&revoked).unwrap().id()).await.unwrap();
    let unknown = ApiToken::generate().reveal();
    // The assessor's own key id with another secret (32 zero bytes).
    let key_id = assessor.split('_').nth(1).unwrap();
    let wrong_secret = format!("mc_{key_id}_{}", "A".repeat(43));
    assert_ne!(wrong_secret, assessor);
    assert!(ApiToken::parse(&wrong_secret).is_ok(), "well formed");

    let mut not_ours = credential("Ana");
    not_ours["issuer"] = json!("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK");
    let mut no_issuer = credential("Ana");
    no_issuer.as_object_mut().unwrap().remove("issuer");
    let mut no_subject = credential("Ana");
    no_subject.as_object_mut().unwrap().remove("credentialSubject");
    // (body, what a good token gets)
    let cases: Vec<(String, u16)> = vec![
        (json!({"credential": credential("Γιώργος")}).to_string(), 201),
        (json!({"credential": not_ours}).to_string(), 422),
        (json!({"credential": no_issuer}).to_string(), 422),
        (json!({"credential": no_subject}).to_string(), 422),
        (json!({"options": {}}).to_string(), 422),
        (json!({"credential": credential("Ana"), "options": {"cryptosuite": "rsa-2048"}}).to_string(), 422),
        ("{not json".to_owned(), 400),
        // Sent as text/plain (below): 415 for a good token.
        (json!({"credential": credential("Ana")}).to_string(), 415),
    ];
    let send = |token: &str, i: usize| {
        let media_type = if i == cases.len() - 1 { "text/plain" } else { "application/json" };
        app.client.post(&url).bearer_auth(token).header("content-type", media_type).body(cases[i].0.clone()).send()
    };
    let mut details = std::collections::BTreeSet::new();
    for (i, (_, with_good_token)) in cases.iter().enumerate() {
        for token in [revoked.as_str(), unknown.as_str(), wrong_secret.as_str(), "mc_not_a_token"] {
            let problem = crate::support::assert_problem(send(token, i).await.unwrap(), 401).await;
            details.insert(problem["detail"].as_str().unwrap().to_owned());
        }
        assert_eq!(send(&assessor, i).await.unwrap().status(), *with_good_token, "case {i} with a good token");
    }
    assert_eq!(details.len(), 1, "every bad token gets the same answer: {details:?}");
    assert_eq!(app.stored_credentials().await, 2, "only the good tokens' credentials were issued");

    // Another issuer's assessor may not sign as this one.
    let outsider = app.another_issuer("other", "Other Academy", "IT").await;
    let response = app
        .client
        .post(&url)
        .bearer_auth(&outsider)
        .json(&json!({"credential": credential("Ana")}))
        .send()
        .await
        .unwrap();
    crate::support::assert_problem(response, 403).await;
    assert_eq!(app.stored_credentials().await, 2);
}

#[tokio::test]
async fn issue_refuses_a_bad_token_with_401_whatever_else_is_wrong_on_sqlite() {
    issue_refuses_a_bad_token_with_401_whatever_else_is_wrong(Backend::Sqlite).await;
}

#[tokio::test]
async fn issue_refuses_a_bad_token_with_401_whatever_else_is_wrong_on_postgres() {
    issue_refuses_a_bad_token_with_401_whatever_else_is_wrong(Backend::Postgres).await;
}

/// `/credentials/issue` keeps its read of the caller's API key, the issuer and its key for a second (issue 20):
/// an API key revoked behind the process's back (another replica, the CLI: straight in the database) while that
/// copy is kept cannot issue. The credential is refused where it would be stored, with 401, and nothing is
/// stored; the next request reads afresh and is refused too. A key still valid keeps issuing.
async fn an_api_key_revoked_elsewhere_cannot_issue_while_its_copy_is_kept(backend: Backend) {
    use microcred::domain::api_key::ApiToken;
    use microcred::domain::audit::AuditEntry;
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (revoked, other) = (app.token(Role::Assessor).await, app.token(Role::Assessor).await);
    let did = app.app.issuer(&"default".parse().unwrap()).await.unwrap().did;
    let credential = |id: &str| {
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": id,
               "type": ["VerifiableCredential"], "issuer": did, "credentialSubject": {"name": "Ελένη"}})
    };
    let store = app.app.store();
    let stored = |id: &'static str| store.credential_by_external_id(id, None);
    assert_eq!(issue_as(&app, &revoked, &credential("urn:example:before")).await.status(), 201, "read, and kept");
    assert_eq!(issue_as(&app, &other, &credential("urn:example:other-before")).await.status(), 201);
    let id = ApiToken::parse(&revoked).unwrap().id();
    let audit = AuditEntry {
        at: time::OffsetDateTime::now_utc(),
        api_key_id: None,
        issuer_id: None,
        action: "api_key.revoke",
        subject: id.to_string(),
        reason: None,
    };
    assert!(store.revoke_api_key(id, &audit).await.unwrap());
    let refused = issue_as(&app, &revoked, &credential("urn:example:after")).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    assert!(stored("urn:example:after").await.unwrap().is_none(), "nothing stored");
    assert_eq!(issue_as(&app, &revoked, &credential("urn:example:again")).await.status(), 401);
    assert!(stored("urn:example:again").await.unwrap().is_none());
    assert_eq!(issue_as(&app, &other, &credential("urn:example:other-after")).await.status(), 201);
    assert!(stored("urn:example:other-after").await.unwrap().is_some());
}

#[tokio::test]
async fn an_api_key_revoked_elsewhere_cannot_issue_while_its_copy_is_kept_on_sqlite() {
    an_api_key_revoked_elsewhere_cannot_issue_while_its_copy_is_kept(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_api_key_revoked_elsewhere_cannot_issue_while_its_copy_is_kept_on_postgres() {
    an_api_key_revoked_elsewhere_cannot_issue_while_its_copy_is_kept(Backend::Postgres).await;
}

/// `/credentials/verify` reads this deployment's status lists from memory while the polled version snapshot
/// says they are current (issue 20): a revocation made by another replica (straight in the database, so this
/// process is not told) is seen within the poll interval, and one made here at once.
#[tokio::test]
async fn verify_sees_a_revocation_made_elsewhere_within_the_poll_interval() {
    use microcred::domain::audit::AuditEntry;
    use microcred::domain::status::StatusPurpose;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let assessor = app.token(Role::Assessor).await;
    let did = app.app.issuer(&"default".parse().unwrap()).await.unwrap().did;
    let issue = |id: &str| {
        let credential = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": id,
                                "type": ["VerifiableCredential"], "issuer": did, "credentialSubject": {"name": "Мария"}});
        app.client
            .post(app.url("/credentials/issue"))
            .bearer_auth(&assessor)
            .json(&json!({"credential": credential}))
            .send()
    };
    let verify =
        |vc: &Value| app.client.post(app.url("/credentials/verify")).json(&json!({"verifiableCredential": vc})).send();
    let elsewhere = "urn:uuid:6d3a1c8e-4b1f-4f4e-9a57-2c1f0e3d4b01";
    let vc = issue(elsewhere).await.unwrap().json::<Value>().await.unwrap()["verifiableCredential"].clone();
    assert_eq!(verify(&vc).await.unwrap().status(), 200);
    let id = app.app.store().credential_by_external_id(elsewhere, None).await.unwrap().unwrap();
    let audit = AuditEntry {
        at: time::OffsetDateTime::now_utc(),
        api_key_id: None,
        issuer_id: None,
        action: "credential.revoke",
        subject: id.to_string(),
        reason: Some("elsewhere".into()),
    };
    let reasons = microcred::domain::award::StatusReasons { note: "elsewhere", public: None, until: None };
    assert!(app.app.store().set_credential_status(id, StatusPurpose::Revocation, Some(reasons), &audit).await.unwrap());
    let started = std::time::Instant::now();
    let mut status = 200;
    // Within a second: the `ttl` our lists give verifiers (the poll runs every 200 ms).
    while status == 200 && started.elapsed() < std::time::Duration::from_millis(1_000) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        status = verify(&vc).await.unwrap().status().as_u16();
    }
    assert_eq!(status, 422, "seen within the lists' ttl (checked for {:?})", started.elapsed());

    // Revoked through this process: the very next verification sees it.
    let here = "urn:uuid:6d3a1c8e-4b1f-4f4e-9a57-2c1f0e3d4b02";
    let vc = issue(here).await.unwrap().json::<Value>().await.unwrap()["verifiableCredential"].clone();
    assert_eq!(verify(&vc).await.unwrap().status(), 200);
    let revoke = json!({"credentialId": here, "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}, "status": true});
    let response =
        app.client.post(app.url("/credentials/status")).bearer_auth(&assessor).json(&revoke).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let response = verify(&vc).await.unwrap();
    assert_eq!(response.status(), 422, "at once");
    let errors = response.json::<Value>().await.unwrap()["errors"].to_string();
    assert!(errors.contains("revoked"), "{errors}");
}

/// The Bitstring Status List suite's flow: a VCDM 2.0 credential without status, issued through the VC-API,
/// gets a `BitstringStatusListEntry`; revoking it by its own `id` sets its bit and verification then fails.
async fn vc_api_credentials_get_a_status_entry(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let assessor = app.token(Role::Assessor).await;
    let did = app.app.issuer(&"default".parse().unwrap()).await.unwrap().did;
    let issue = |body: Value| app.client.post(app.url("/credentials/issue")).bearer_auth(&assessor).json(&body).send();
    let subject = json!({"id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "name": "Γιώργος Παπαδόπουλος"});
    let unsigned = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:0d0b6a4c-7c55-4a57-9a2e-6cf3b3a3c001",
                          "type": ["VerifiableCredential"], "issuer": did, "credentialSubject": subject});
    let mut indexes = std::collections::HashSet::new();
    let mut vc = Value::Null;
    // The same `id` twice (the suites reuse fixtures): two credentials, two distinct indexes.
    for _ in 0..2 {
        let response = issue(json!({"credential": unsigned})).await.unwrap();
        assert_eq!(response.status(), 201);
        vc = response.json::<Value>().await.unwrap()["verifiableCredential"].clone();
        assert_eq!(vc["credentialSubject"], subject, "the subject is kept as sent");
        let entry = &vc["credentialStatus"];
        assert_eq!(entry["type"], "BitstringStatusListEntry");
        assert_eq!(entry["statusPurpose"], "revocation");
        let index = entry["statusListIndex"].as_str().expect("a base-10 string");
        assert!(index.parse::<u32>().unwrap() < 131_072);
        assert!(indexes.insert(index.to_owned()), "indexes are never shared");
        assert!(entry["statusListCredential"].as_str().unwrap().starts_with(&app.url("/status/")));
    }
    let verify =
        |vc: Value| app.client.post(app.url("/credentials/verify")).json(&json!({"verifiableCredential": vc})).send();
    assert_eq!(verify(vc.clone()).await.unwrap().status(), 200);

    let revoke = json!({"credentialId": unsigned["id"], "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}, "status": true});
    let response =
        app.client.post(app.url("/credentials/status")).bearer_auth(&assessor).json(&revoke).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let list_url = vc["credentialStatus"]["statusListCredential"].as_str().unwrap().to_owned();
    assert_eq!(
        app.client.post(format!("{list_url}/publish")).bearer_auth(&assessor).send().await.unwrap().status(),
        204
    );
    let list: Value = app.client.get(&list_url).send().await.unwrap().json().await.unwrap();
    let bits =
        microcred::domain::status::decode_list(list["credentialSubject"]["encodedList"].as_str().unwrap()).unwrap();
    let index: u32 = vc["credentialStatus"]["statusListIndex"].as_str().unwrap().parse().unwrap();
    assert_eq!(microcred::domain::status::bit(&bits, index), Some(true), "the revoked credential's bit is set");
    let response = verify(vc).await.unwrap();
    assert_eq!(response.status(), 422, "a revoked credential does not verify");
    assert!(!response.json::<Value>().await.unwrap()["errors"].as_array().unwrap().is_empty());

    // An undefined property in a status entry is refused (JSON-LD safe mode), and a credential that brings
    // its own status keeps it.
    let mut own = unsigned.clone();
    own["credentialStatus"] = json!({"id": "https://example.org/status/1#5", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                                     "statusListIndex": "5", "statusListCredential": "https://example.org/status/1", "statusEntry": "x"});
    assert_eq!(issue(json!({"credential": own})).await.unwrap().status(), 422);
    own["credentialStatus"].as_object_mut().unwrap().remove("statusEntry");
    let kept: Value = issue(json!({"credential": own})).await.unwrap().json().await.unwrap();
    assert_eq!(kept["verifiableCredential"]["credentialStatus"], own["credentialStatus"]);
    // An unknown id: 404 problem details.
    let unknown = json!({"credentialId": "urn:uuid:00000000-0000-4000-8000-000000000000", "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}, "status": true});
    let response =
        app.client.post(app.url("/credentials/status")).bearer_auth(&assessor).json(&unknown).send().await.unwrap();
    crate::support::assert_problem(response, 404).await;
}

#[tokio::test]
async fn vc_api_credentials_get_a_status_entry_on_sqlite() {
    vc_api_credentials_get_a_status_entry(Backend::Sqlite).await;
}

#[tokio::test]
async fn vc_api_credentials_get_a_status_entry_on_postgres() {
    vc_api_credentials_get_a_status_entry(Backend::Postgres).await;
}

/// Issue 14, part 1: what JSON-LD would drop is refused at issuance (422 naming the problem), and what is
/// signed is covered: a base direction flipped after signing no longer verifies.
#[tokio::test]
async fn issue_refuses_invalid_iris_and_non_url_ids_and_signs_base_directions() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let assessor = app.token(Role::Assessor).await;
    let did = app.app.issuer(&"default".parse().unwrap()).await.unwrap().did;
    let base = |extra: Value| {
        let mut vc = json!({"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                            "type": ["VerifiableCredential"], "issuer": did, "credentialSubject": {"name": "Σοφία"}});
        vc.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        vc
    };
    let issue = |credential: Value| {
        app.client
            .post(app.url("/credentials/issue"))
            .bearer_auth(&assessor)
            .json(&json!({"credential": credential}))
            .send()
    };
    let cases = [
        (
            json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"ExampleTestCredential": "https ://not-a-url#X"}],
                   "type": ["VerifiableCredential", "ExampleTestCredential"]}),
            "invalid IRI mapping",
        ),
        (
            json!({"credentialSchema": {"id": "https ://example.org/schema", "type": "JsonSchema"}}),
            "credentialSchema[0].id",
        ),
        (json!({"evidence": {"id": "https ://example.org/evidence", "type": "Evidence"}}), "evidence[0].id"),
        (json!({"termsOfUse": {"id": "https ://example.org/terms", "type": "TermsOfUse"}}), "termsOfUse[0].id"),
        (json!({"refreshService": {"id": "https ://example.org/refresh", "type": "Refresh"}}), "refreshService[0].id"),
        (json!({"evidence": {"id": "relative/evidence", "type": "Evidence"}}), "evidence[0].id"),
        (
            json!({"credentialSubject": {"id": "did:example:s", "homepage": {"id": "https://x y.example"}}}),
            "not valid IRIs",
        ),
        (
            json!({"@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": null}], "credentialSubject": {"colour": "blue"}}),
            "null @vocab",
        ),
        (json!({"credentialSubject": {"name": "x", "@index": "dropped"}}), "@index"),
        (json!({"credentialSubject": {"score": 9007199254740993_u64}}), "beyond 2^53"),
    ];
    for (extra, expected) in cases {
        let credential = base(extra.clone());
        let response = issue(credential).await.unwrap();
        assert_eq!(response.status(), 422, "{extra}");
        let problem: Value = response.json().await.unwrap();
        assert!(problem.to_string().contains(expected), "{extra}: {problem}");
    }

    // A base direction is signed (as the i18n datatype), so flipping it after signing breaks the proof.
    let credential = base(json!({"description": {"@value": "شهادة", "@language": "ar", "@direction": "rtl"}}));
    let response = issue(credential).await.unwrap();
    assert_eq!(response.status(), 201);
    let signed = response.json::<Value>().await.unwrap()["verifiableCredential"].clone();
    let verify =
        |vc: Value| app.client.post(app.url("/credentials/verify")).json(&json!({"verifiableCredential": vc})).send();
    let response = verify(signed.clone()).await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let mut flipped = signed.clone();
    flipped["description"]["@direction"] = json!("ltr");
    let response = verify(flipped).await.unwrap();
    assert_eq!(response.status(), 422);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["outcome"], "invalid");
}

/// A refused issue says what is wrong in `detail` too (VC-API clients often show only that), and lists every
/// invalid field in `errors`.
#[tokio::test]
async fn a_refused_issue_says_why_in_its_detail() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let assessor = app.token(Role::Assessor).await;
    let not_ours = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                          "issuer": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                          "credentialSubject": {"name": "Ana"}});
    let response = issue_as(&app, &assessor, &not_ours).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.starts_with("credential.issuer: ") && detail.contains("is not an issuer of this service"), "{body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["errors"][0]["field"], "credential.issuer");
    // Two problems: the first in `detail`, both in `errors`.
    let did = app.app.issuer(&"default".parse().unwrap()).await.unwrap().did;
    let twice_wrong = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                             "issuer": did, "validFrom": "yesterday", "validUntil": "tomorrow",
                             "credentialSubject": {"name": "Ana"}});
    let body: Value = issue_as(&app, &assessor, &twice_wrong).await.json().await.unwrap();
    let errors = body["errors"].as_array().unwrap();
    assert!(errors.len() >= 2, "{body}");
    let first = format!("{}: {}", errors[0]["field"].as_str().unwrap(), errors[0]["message"].as_str().unwrap());
    assert_eq!(body["detail"], format!("{first} (and {} more, each in `errors`)", errors.len() - 1), "{body}");
}
