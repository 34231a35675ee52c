//! The HTTP API over real sockets: health, DID documents, authentication and the issuers API, on SQLite
//! and PostgreSQL.

use ed25519_dalek::{Signature, VerifyingKey};
use microcred::domain::api_key::Role;
use microcred::domain::did::decode_ed25519_multikey;
use microcred::keys::KeyStore;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, assert_problem};

#[tokio::test]
async fn health_and_readiness_answer_200() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

async fn did_document_verifies_a_signature_made_with_the_key_file(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let response = app.client.get(app.url("/issuers/default/did.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/did+json");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let doc: Value = response.json().await.unwrap();

    let port = app.base.rsplit(':').next().unwrap();
    let did = format!("did:web:127.0.0.1%3A{port}:issuers:default");
    assert_eq!(doc["id"], did, "the document's id equals the DID exactly");
    let method = &doc["verificationMethod"][0];
    assert_eq!(method["type"], "Multikey");
    assert_eq!(method["controller"], did);
    assert_eq!(doc["assertionMethod"][0], method["id"]);

    // Sign with the private key file on disk, verify with the key the document publishes.
    let multibase = method["publicKeyMultibase"].as_str().unwrap();
    let signing = KeyStore::new(app.keys_dir()).load(&"default".parse().unwrap(), multibase).unwrap();
    let message = "Иван Петров passed Smart City Basics".as_bytes();
    let signature: Signature = signing.sign(message);
    let public = VerifyingKey::from_bytes(&decode_ed25519_multikey(multibase).unwrap()).unwrap();
    public.verify_strict(message, &signature).expect("the published key verifies the file key's signature");
}

#[tokio::test]
async fn did_document_on_sqlite() {
    did_document_verifies_a_signature_made_with_the_key_file(Backend::Sqlite).await;
}

#[tokio::test]
async fn did_document_on_postgres() {
    did_document_verifies_a_signature_made_with_the_key_file(Backend::Postgres).await;
}

#[tokio::test]
async fn a_rotated_key_stays_published_next_to_the_new_one() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let slug = "default".parse().unwrap();
    let new_key = app.app.rotate_key(&slug).await.unwrap();
    let doc: Value = app.client.get(app.url("/issuers/default/did.json")).send().await.unwrap().json().await.unwrap();
    let methods = doc["verificationMethod"].as_array().unwrap();
    assert_eq!(methods.len(), 2);
    assert_eq!(methods[1]["publicKeyMultibase"], new_key.key_id);
    assert_eq!(doc["assertionMethod"].as_array().unwrap().len(), 2, "the retired key can still assert");
}

#[tokio::test]
async fn unknown_and_malformed_issuers_give_the_same_404() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for path in ["/issuers/nobody/did.json", "/issuers/..%2F..%2Fetc/did.json", "/issuers/%00/did.json"] {
        let body = assert_problem(app.client.get(app.url(path)).send().await.unwrap(), 404).await;
        assert_eq!(body["type"], "/problems/not-found", "{path}");
    }
    assert_problem(app.client.get(app.url("/no/such/route")).send().await.unwrap(), 404).await;
}

async fn authentication_and_roles(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let url = app.url("/api/v1/issuers");

    // No token, a malformed one, a well-formed unknown one: 401 with a Bearer challenge.
    let response = app.client.get(&url).send().await.unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"microcred\"");
    assert_problem(response, 401).await;
    for token in [
        "nonsense",
        "mc_00000000000000000000000000000000_AAAA",
        &microcred::domain::api_key::ApiToken::generate().reveal(),
    ] {
        let response = app.client.get(&url).bearer_auth(token).send().await.unwrap();
        assert_problem(response, 401).await;
    }

    // A valid admin token passes, and can create issuers.
    let admin = app.token(Role::Admin).await;
    let issuers: Value = app.client.get(&url).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(issuers.as_array().unwrap().len(), 1);
    let created = app
        .client
        .post(&url)
        .bearer_auth(&admin)
        .json(&json!({"slug": "ucs", "name": "Universal Certification Solutions", "country": "bg", "email": "info@ucs.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["country"], "BG");
    assert!(created["did"].as_str().unwrap().ends_with(":issuers:ucs"));

    // An assessor sees only its own issuer and may not create issuers.
    let assessor = app.token_for("ucs", Role::Assessor).await;
    let visible: Value = app.client.get(&url).bearer_auth(&assessor).send().await.unwrap().json().await.unwrap();
    assert_eq!(visible.as_array().unwrap().len(), 1);
    assert_eq!(visible[0]["slug"], "ucs");
    let response = app
        .client
        .post(&url)
        .bearer_auth(&assessor)
        .json(&json!({"slug": "x", "name": "X", "country": "ES"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 403).await;

    // A revoked token stops working at once.
    let id = microcred::domain::api_key::ApiToken::parse(&assessor).unwrap().id();
    app.app.revoke_api_key(id).await.unwrap();
    assert_problem(app.client.get(&url).bearer_auth(&assessor).send().await.unwrap(), 401).await;
}

#[tokio::test]
async fn authentication_and_roles_on_sqlite() {
    authentication_and_roles(Backend::Sqlite).await;
}

#[tokio::test]
async fn authentication_and_roles_on_postgres() {
    authentication_and_roles(Backend::Postgres).await;
}

#[tokio::test]
async fn bad_issuer_input_is_refused_with_every_field_named_and_nothing_stored() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let admin = app.token(Role::Admin).await;
    let url = app.url("/api/v1/issuers");
    let post = |body: Value| app.client.post(&url).bearer_auth(&admin).json(&body).send();

    let body = assert_problem(post(json!({"slug": "Not A Slug", "email": "x"})).await.unwrap(), 422).await;
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["slug", "name", "email", "country"]);

    let body = assert_problem(post(json!({"slug": "a", "unknown_field": 1})).await.unwrap(), 422).await;
    assert!(body["detail"].as_str().unwrap().contains("unknown_field"), "{body}");

    let response = app
        .client
        .post(&url)
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"slug\":")
        .send()
        .await
        .unwrap();
    assert_problem(response, 400).await;
    let response = app.client.post(&url).bearer_auth(&admin).body("{}").send().await.unwrap();
    assert_problem(response, 415).await;

    // A duplicate slug is a conflict, and the first issuer is untouched.
    let ok = json!({"slug": "dup", "name": "First", "country": "IT"});
    assert_eq!(post(ok.clone()).await.unwrap().status(), 201);
    let body =
        assert_problem(post(json!({"slug": "dup", "name": "Second", "country": "IT"})).await.unwrap(), 409).await;
    assert!(body["detail"].as_str().unwrap().contains("dup"));
    let issuers = app.app.issuers().await.unwrap();
    assert_eq!(issuers.len(), 2);
    assert_eq!(issuers[1].name, "First");
    // The refused duplicate left no stray key file behind.
    assert_eq!(std::fs::read_dir(app.keys_dir().join("dup")).unwrap().count(), 1);
}

#[tokio::test]
async fn oversized_bodies_get_413_problem_details() {
    let app = TestApp::spawn_with(crate::support::Backend::Sqlite, |s| s.max_body_bytes = Some(2048)).await.unwrap();
    let admin = app.token(Role::Admin).await;
    let big = json!({"slug": "big", "name": "x".repeat(4096), "country": "BG"});
    let response = app.client.post(app.url("/api/v1/issuers")).bearer_auth(&admin).json(&big).send().await.unwrap();
    assert_problem(response, 413).await;
    assert_eq!(app.app.issuers().await.unwrap().len(), 1, "nothing was stored");
}

#[tokio::test]
async fn a_wrong_method_gets_405_problem_details() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_problem(app.client.delete(app.url("/healthz")).send().await.unwrap(), 405).await;
}

#[tokio::test]
async fn problem_types_are_documented_at_their_uri() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let doc: Value = app.client.get(app.url("/problems/unauthorized")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["status"], 401);
    assert!(doc["description"].as_str().unwrap().contains("api-key create"));
}

#[tokio::test]
async fn readiness_answers_503_problem_details_when_the_database_is_gone() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), 200);
    // Drop the database under the running service.
    let admin = std::env::var("TEST_DATABASE_URL").unwrap();
    let name = url::Url::parse(&app.config_database_url()).unwrap().path().trim_start_matches('/').to_owned();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).execute(&mut conn).await.unwrap();
    let body = assert_problem(app.client.get(app.url("/readyz")).send().await.unwrap(), 503).await;
    assert_eq!(body["type"], "/problems/unavailable");
    assert_eq!(
        app.client.get(app.url("/healthz")).send().await.unwrap().status(),
        200,
        "liveness does not depend on the database"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_routes_that_exist() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let admin = app.token(Role::Admin).await;
    let doc: Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 20, "{}", paths.len());
    let id = uuid::Uuid::new_v4().to_string();
    let mut operations = 0;
    for (path, item) in paths {
        let concrete = path
            .replace("{id}", &id)
            .replace("{slug}", "default")
            .replace("{file}", &format!("{id}.json"))
            .replace("{kind}", "unauthorized");
        for method in ["get", "post", "patch"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let request =
                app.client.request(method.to_uppercase().parse().unwrap(), app.url(&concrete)).bearer_auth(&admin);
            let response = request.header("content-type", "application/json").body("{}").send().await.unwrap();
            assert_ne!(response.status(), 405, "{method} {path}: the documented method is routed");
        }
        // The path itself is routed: an undocumented method gets 405, where an unknown path would get 404.
        let other = app.client.delete(app.url(&concrete)).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(other.status(), 405, "{path} is not routed");
    }
    assert!(operations >= 26, "{operations}");
    let docs = app.client.get(app.url("/docs")).send().await.unwrap().text().await.unwrap();
    assert!(docs.contains("/api/v1/credentials/batch"), "{docs}");
}

/// `/docs` is a real API reference: Swagger UI from our own origin under a CSP that allows no script from
/// elsewhere and none inline, and every operation's JSON request and success response has an example,
/// given or made by the renderer from a declared schema (never an untyped body with nothing to show).
#[tokio::test]
async fn the_api_reference_is_rendered_from_our_origin_with_examples_for_every_operation() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let response = app.client.get(app.url("/docs")).send().await.unwrap();
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self';") && !csp.contains("unsafe-eval") && !csp.contains("http"), "{csp}");
    let page = response.text().await.unwrap();
    for asset in ["/assets/swagger-ui-bundle.js", "/assets/swagger-ui.css", "/assets/docs.js"] {
        assert!(page.contains(asset), "{asset} not on /docs");
        let served = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(served.status(), 200, "{asset}");
        assert!(served.bytes().await.unwrap().len() > 500, "{asset}");
    }
    assert!(!page.contains("<script>") && !page.contains("https://"), "no inline script, nothing from elsewhere");

    let doc: Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let shows_example = |media: &Value| {
        let schema = &media["schema"];
        media.get("example").is_some()
            || media.get("examples").is_some()
            || schema.get("$ref").is_some()
            || schema.get("items").is_some_and(|i| i.get("$ref").is_some())
            || schema.get("type").is_some_and(|t| t != "object")
    };
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let mut bodies: Vec<(String, &Value)> = Vec::new();
            if let Some(content) = operation["requestBody"]["content"].as_object() {
                bodies.extend(content.iter().map(|(t, m)| (format!("request {t}"), m)));
            }
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('2')
                    && let Some(content) = response["content"].as_object()
                {
                    bodies.extend(content.iter().map(|(t, m)| (format!("{status} {t}"), m)));
                }
            }
            for (what, media) in bodies {
                if what.contains("json") && !shows_example(media) {
                    missing.push(format!("{method} {path}: {what}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "no example to show: {missing:#?}");
}

#[tokio::test]
async fn every_secured_operation_refuses_missing_malformed_and_revoked_tokens_with_401() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let revoked = app.token(Role::Admin).await;
    app.app.revoke_api_key(microcred::domain::api_key::ApiToken::parse(&revoked).unwrap().id()).await.unwrap();
    let doc: Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", &id).replace("{slug}", "default");
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("security").is_none() {
                continue;
            }
            for token in [None, Some("mc_not_a_token"), Some(revoked.as_str())] {
                let mut request = app.client.request(method.to_uppercase().parse().unwrap(), app.url(&concrete));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let response = request.header("content-type", "application/json").body("{}").send().await.unwrap();
                assert_eq!(response.status(), 401, "{method} {path} with {token:?}");
                assert_problem(response, 401).await;
                checked += 1;
            }
        }
    }
    assert!(checked >= 3 * 17, "{checked}");
    assert!(app.app.api_keys().await.unwrap().len() == 1, "nothing was created");
}

/// Sends `request` and checks the exchange against what the OpenAPI document declares for its operation: the
/// status is documented, the content type is, and the body validates against the declared schema (JSON Schema
/// 2020-12, which OpenAPI 3.1 schemas are, formats included); and a JSON request the server accepted (2xx)
/// validates against the declared request body, so the document admits what the server takes. The whole
/// document is the schema's root, so its `$ref`s to `#/components/schemas/…` resolve.
async fn conforms(
    doc: &Value,
    client: &reqwest::Client,
    method: &str,
    path: &str,
    request: reqwest::RequestBuilder,
) -> (u16, Value) {
    let request = request.build().unwrap();
    let sent: Option<Value> = request.body().and_then(|b| b.as_bytes()).and_then(|b| serde_json::from_slice(b).ok());
    let response = client.execute(request).await.unwrap();
    let status = response.status().as_u16();
    if let Some(sent) = sent.filter(|_| (200..300).contains(&status)) {
        let schema = &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{method} {path}: no JSON request body documented");
        let errors: Vec<String> = schema_validator(doc, schema)
            .iter_errors(&sent)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path}: accepted a request the document does not admit: {errors:?}\n{sent}"
        );
    }
    let content_type = response.headers()["content-type"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let declared = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(declared.is_object(), "{method} {path}: status {status} is not documented: {body}");
    let schema = &declared["content"][&content_type]["schema"];
    assert!(schema.is_object(), "{method} {path} {status}: no schema documented for {content_type}");
    assert_ne!(schema, &json!({}), "{method} {path} {status}: the schema says nothing");
    let validator = schema_validator(doc, schema);
    let errors: Vec<String> = validator.iter_errors(&body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{method} {path} {status}: {errors:?}\n{body}");
    (status, body)
}

/// A validator for `schema`, with the OpenAPI document as the root its `$ref`s resolve against.
fn schema_validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = doc.clone();
    root["$defs"] = json!({"response": schema});
    root["$ref"] = json!("#/$defs/response");
    jsonschema::draft202012::options().should_validate_formats(true).build(&root).unwrap()
}

#[tokio::test]
async fn responses_match_the_schemas_the_openapi_document_declares() {
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, |s| s.max_batch_bytes = Some(4096)).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(true).await;
    let other_issuer = app.token(Role::Assessor).await;
    let doc: Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let award = |email: &str| json!({"achievement_id": achievement_id, "recipient": {"name": "Ελένη Παπαδοπούλου", "email": email}});
    let post = |path: &str, token: &str| app.client.post(app.url(path)).bearer_auth(token);
    let credentials = "/api/v1/credentials";

    let mut seen = std::collections::BTreeSet::new();
    let mut check = async |method: &str, path: &str, request: reqwest::RequestBuilder| {
        let (status, body) = conforms(&doc, &app.client, method, path, request).await;
        seen.insert(status);
        body
    };
    let issued = check("post", credentials, post(credentials, &assessor).json(&award("eleni@example.gr"))).await;
    let id = issued["id"].as_str().unwrap().to_owned();
    assert_eq!(issued["credential"]["credentialSubject"]["type"][0], "AchievementSubject");
    let keyed = || post(credentials, &assessor).header("idempotency-key", "k1").json(&award("maria@example.gr"));
    check("post", credentials, keyed()).await;
    let retried = check("post", credentials, keyed()).await;
    assert_eq!(retried["recipient"]["email"], "maria@example.gr");
    let page = check("get", credentials, app.client.get(app.url(credentials)).bearer_auth(&assessor)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let one = app.client.get(app.url(&format!("{credentials}/{id}"))).bearer_auth(&assessor);
    check("get", "/api/v1/credentials/{id}", one).await;
    for action in ["suspend", "reinstate", "revoke"] {
        let mut request = post(&format!("{credentials}/{id}/{action}"), &assessor);
        if action != "reinstate" {
            request = request.json(&json!({"reason": "test"}));
        }
        let changed = check("post", &format!("/api/v1/credentials/{{id}}/{action}"), request).await;
        assert_eq!(changed["id"], id.as_str());
    }
    let report = check("get", "/api/v1/verify/{id}", app.client.get(app.url(&format!("/api/v1/verify/{id}")))).await;
    assert_eq!(report["outcome"], "revoked");
    let unknown_report = app.client.get(app.url(&format!("/api/v1/verify/{}", uuid::Uuid::new_v4())));
    check("get", "/api/v1/verify/{id}", unknown_report).await;
    let batch = "/api/v1/credentials/batch";
    let rows = json!([award("ivan@example.bg"), award("not an address")]);
    let outcome = check("post", batch, post(&format!("{batch}?partial=true"), &assessor).json(&rows)).await;
    assert_eq!((outcome["issued"].as_u64(), outcome["rejected"].as_u64()), (Some(1), Some(1)));
    check("post", batch, post(batch, &assessor).json(&json!([award("giorgos@example.gr")]))).await;

    // The catalogue and the issuers.
    let achievements = "/api/v1/achievements";
    let created =
        check("post", achievements, post(achievements, &assessor).json(&crate::achievements::micro_credential())).await;
    let module = format!("{achievements}/{}", created["id"].as_str().unwrap());
    assert!(created["url"].as_str().unwrap().ends_with(created["id"].as_str().unwrap()));
    let list = check("get", achievements, app.client.get(app.url(achievements)).bearer_auth(&assessor)).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    check("get", "/api/v1/achievements/{id}", app.client.get(app.url(&module)).bearer_auth(&assessor)).await;
    let patch = app.client.patch(app.url(&module)).bearer_auth(&assessor).json(&json!({"hours": 30}));
    assert_eq!(check("patch", "/api/v1/achievements/{id}", patch).await["hours"], 30.0);
    let admin = app.token(Role::Admin).await;
    let issuers = "/api/v1/issuers";
    let new_issuer = json!({"slug": "uoa", "name": "Πανεπιστήμιο Αθηνών", "country": "GR", "email": "info@example.gr"});
    let issuer = check("post", issuers, post(issuers, &admin).json(&new_issuer)).await;
    assert!(issuer["did"].as_str().unwrap().starts_with("did:"));
    let all = check("get", issuers, app.client.get(app.url(issuers)).bearer_auth(&admin)).await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    check("post", issuers, post(issuers, &admin).json(&json!({"slug": "Not A Slug"}))).await; // 422
    check("post", issuers, post(issuers, &assessor).json(&new_issuer)).await; // 403

    // The W3C VC-API: signed, verified (or not), statuses, presentations.
    let did = app.app.issuer(&"ucs".parse().unwrap()).await.unwrap().did;
    let plain = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                       "issuer": did, "credentialSubject": {"name": "Lucía García"}});
    let (issue, verify) = ("/credentials/issue", "/credentials/verify");
    let signed = check("post", issue, post(issue, &assessor).json(&json!({"credential": plain}))).await;
    let vc = signed["verifiableCredential"].clone();
    let bad_suite = json!({"credential": plain, "options": {"cryptosuite": "rsa"}});
    check("post", issue, post(issue, &assessor).json(&bad_suite)).await; // 422
    let verified =
        check("post", verify, app.client.post(app.url(verify)).json(&json!({"verifiableCredential": vc}))).await;
    assert_eq!(verified["verified"], true);
    let mut forged = vc.clone();
    forged["credentialSubject"]["name"] = json!("Someone Else");
    let refused =
        check("post", verify, app.client.post(app.url(verify)).json(&json!({"verifiableCredential": forged}))).await;
    assert_eq!(refused["verified"], false);
    let unreadable = app.client.post(app.url(verify)).json(&json!({"verifiableCredential": "text"}));
    assert!(!check("post", verify, unreadable).await["errors"].as_array().unwrap().is_empty()); // 400
    let status = "/credentials/status";
    let change = |id: &str, set: bool| json!({"credentialId": id, "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}, "status": set});
    check("post", status, post(status, &assessor).json(&change("urn:uuid:never-issued", true))).await; // 404
    let own = app.url(&format!("/credentials/{id}"));
    check("post", status, post(status, &assessor).json(&change(&own, false))).await; // 409
    let presentations = "/presentations/verify";
    let vp = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"], "verifiableCredential": [vc]});
    let accepted = app.client.post(app.url(presentations)).json(&json!({"verifiablePresentation": vp}));
    assert_eq!(check("post", presentations, accepted).await["verified"], true);
    let challenged = json!({"verifiablePresentation": vp, "options": {"challenge": "c-1", "domain": "example.eu"}});
    let unsigned = app.client.post(app.url(presentations)).json(&challenged);
    assert_eq!(check("post", presentations, unsigned).await["verified"], false); // 422
    check("post", presentations, app.client.post(app.url(presentations)).json(&json!({"verifiablePresentation": 5})))
        .await; // 400

    // Errors: each documented, each an RFC 9457 problem.
    let invalid = check("post", credentials, post(credentials, &assessor).json(&award("no"))).await;
    assert_eq!(invalid["errors"][0]["field"], "recipient.email");
    check("post", credentials, post(credentials, &assessor).json(&award("eleni@example.gr"))).await; // 409
    check("post", credentials, post(credentials, &other_issuer).json(&award("lucia@example.es"))).await; // 403
    check("post", credentials, app.client.post(app.url(credentials)).json(&award("lucia@example.es"))).await; // 401
    let unknown = app.client.get(app.url(&format!("{credentials}/{}", uuid::Uuid::new_v4()))).bearer_auth(&assessor);
    check("get", "/api/v1/credentials/{id}", unknown).await;
    check("post", batch, post(batch, &assessor).header("content-type", "text/plain").body("x")).await; // 415
    check("post", batch, post(batch, &assessor).json(&vec![award("a@example.eu"); 100])).await; // 413
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), [200, 201, 400, 401, 403, 404, 409, 413, 415, 422]);

    // The check can fail: bodies that break the declared schemas do not validate.
    let created = &doc["paths"][credentials]["post"]["responses"]["201"]["content"]["application/json"]["schema"];
    let mut broken = issued.clone();
    broken["issued_at"] = json!("yesterday");
    assert!(!schema_validator(&doc, created).is_valid(&broken));
    broken = issued.clone();
    broken.as_object_mut().unwrap().remove("credential");
    assert!(!schema_validator(&doc, created).is_valid(&broken));
    let problem =
        &doc["paths"][credentials]["post"]["responses"]["422"]["content"]["application/problem+json"]["schema"];
    assert!(!schema_validator(&doc, problem).is_valid(&json!({"type": "/problems/validation", "status": "422"})));
}
