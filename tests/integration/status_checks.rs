//! A status that could not be checked is never "valid" (issue 14, part 2): every way the Bitstring Status
//! List validate algorithm can fail gives the `status-unknown` verdict with the specification's error type —
//! on the JSON report, the VC-API, the upload page and the CLI — and other hosts' lists are fetched only when
//! enabled, verified like any credential, and never from private addresses.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use microcred::domain::did::did_key;
use microcred::domain::status::encode_list;
use microcred::fetch::{FetchPolicy, GuardedClient};
use microcred::keys::IssuerSigningKey;
use microcred::vc::credential::example;
use microcred::vc::proof::{self, Cryptosuite, ProofOptions};
use microcred::vc::verify::{CheckStatus, Outcome, VerificationReport};
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

const STATUS_ERRORS: &str = "https://www.w3.org/ns/credentials/status-list#";

fn field_case(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/field-cases/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn options(key: &IssuerSigningKey) -> ProofOptions {
    ProofOptions {
        cryptosuite: Cryptosuite::EddsaRdfc2022,
        verification_method: format!("{}#{}", did_key(&key.public_key()), key.key_id()),
        proof_purpose: "assertionMethod".into(),
        created: time::OffsetDateTime::now_utc(),
        id: None,
        previous_proof: None,
    }
}

/// An Open Badges credential of the did:key issuer `key`, with `status` as its `credentialStatus`.
fn credential_with_status(key: &IssuerSigningKey, status: Value) -> Value {
    let mut credential = example(&did_key(&key.public_key()), "https://certs.example.eu").to_value();
    credential["credentialStatus"] = status;
    proof::secure(&credential, &options(key), key).unwrap()
}

fn entry(list_url: &str, index: &Value, purpose: &str) -> Value {
    json!({"id": format!("{list_url}#x"), "type": "BitstringStatusListEntry", "statusPurpose": purpose,
           "statusListIndex": index, "statusListCredential": list_url})
}

/// A signed `BitstringStatusListCredential` at `url`, by `key`.
fn status_list(key: &IssuerSigningKey, url: &str, purpose: &str, set: &[u32], valid_until: Option<&str>) -> Value {
    let mut list = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did_key(&key.public_key()),
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": format!("{url}#list"), "type": "BitstringStatusList", "statusPurpose": purpose,
                              "encodedList": encode_list(131_072, set).unwrap()},
    });
    if let Some(until) = valid_until {
        list["validUntil"] = json!(until);
    }
    proof::secure(&list, &options(key), key).unwrap()
}

fn status_error(report: &VerificationReport) -> String {
    let check = report.checks.iter().find(|c| c.name == "status").expect("a status check");
    assert_eq!(check.status, CheckStatus::Fail, "{report:#?}");
    report
        .errors
        .iter()
        .find_map(|e| e.kind.strip_prefix(STATUS_ERRORS))
        .unwrap_or_else(|| panic!("no status-list error in {report:#?}"))
        .to_owned()
}

fn assert_unknown(report: &VerificationReport, code: &str, what: &str) {
    assert!(!report.verified, "{what}: {report:#?}");
    assert_eq!(report.outcome, Outcome::StatusUnknown, "{what}: {report:#?}");
    assert_eq!(status_error(report), code, "{what}");
    let proof = report.checks.iter().find(|c| c.name == "proof").unwrap();
    assert_eq!(proof.status, CheckStatus::Pass, "{what}: the signature itself is genuine");
}

#[tokio::test]
async fn the_field_cases_are_not_valid_anywhere_on_sqlite() {
    field_cases(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_field_cases_are_not_valid_anywhere_on_postgres() {
    field_cases(Backend::Postgres).await;
}

async fn field_cases(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let cases = [
        ("status-list-on-another-host.json", "STATUS_RETRIEVAL_ERROR"),
        ("status-index-is-a-number.json", "MALFORMED_VALUE_ERROR"),
    ];
    for (file, code) in cases {
        let credential = field_case(file);
        assert_unknown(&app.app.verify(&credential).await.unwrap(), code, file);

        // The W3C VC-API: not verified is a 422 whose errors name the status error.
        let response = app
            .client
            .post(app.url("/credentials/verify"))
            .json(&json!({"verifiableCredential": credential}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{file}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["verified"], false);
        assert_eq!(body["outcome"], "status-unknown");
        let kinds: Vec<&str> = body["errors"].as_array().unwrap().iter().filter_map(|e| e["type"].as_str()).collect();
        assert!(kinds.contains(&format!("{STATUS_ERRORS}{code}").as_str()), "{file}: {kinds:?}");

        // The upload page: its own amber verdict, in the person's language, never green.
        let page = app
            .client
            .post(app.url("/verify?lang=el"))
            .header("accept", "text/html")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&credential).unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("data-verdict=\"status-unknown\""), "{file}");
        assert!(page.contains("Άγνωστη κατάσταση"), "{file}: the Greek verdict");
        assert!(!page.contains("data-verdict=\"valid\""), "{file}");
    }

    // Even with fetching on, a host that does not resolve here is a retrieval error, not "valid".
    let on = TestApp::spawn_with(backend, |s| s.did_web_resolution = Some(true)).await.unwrap();
    let report = on.app.verify(&field_case("status-list-on-another-host.json")).await.unwrap();
    assert_unknown(&report, "STATUS_RETRIEVAL_ERROR", "fetching on");
}

#[test]
fn the_cli_exits_2_when_the_status_could_not_be_checked() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["status-list-on-another-host.json", "status-index-is-a-number.json"] {
        let path = format!("{}/tests/fixtures/field-cases/{file}", env!("CARGO_MANIFEST_DIR"));
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_microcred"))
            .current_dir(dir.path())
            .args(["verify", &path])
            .env_remove("MICROCRED_DATABASE_URL")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(2), "{file}: {text}");
        assert!(text.starts_with("NOT VERIFIED (status-unknown)"), "{file}: {text}");
    }
}

/// Entries that name this deployment's own host, with an unknown list, an index past the end, another
/// issuer's list, or a status mechanism microcred does not implement.
async fn own_host_entries(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let issued = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Ana Lima", "email": "ana@example.pt"}}),
        )
        .await;
    let own_list = issued["credential"]["credentialStatus"]["statusListCredential"].as_str().unwrap().to_owned();
    let sign_as = |slug: &str, status: Value| {
        let app = app.app.clone();
        let (slug, base) = (slug.parse().unwrap(), app.public_url().as_str().trim_end_matches('/').to_owned());
        async move {
            let did = app.issuer(&slug).await.unwrap().did;
            let mut credential = example(&did, &base).to_value();
            credential["credentialStatus"] = status;
            let signed = app.sign_credential(&slug, &credential, Cryptosuite::EddsaRdfc2022).await.unwrap();
            app.verify(&signed).await.unwrap()
        }
    };

    let unknown_list = app.url(&format!("/status/{}", uuid::Uuid::new_v4()));
    let report = sign_as("ucs", entry(&unknown_list, &json!("3"), "revocation")).await;
    assert_unknown(&report, "STATUS_RETRIEVAL_ERROR", "an unknown list on our own host");
    let report = sign_as("ucs", entry(&app.url("/status/not-a-list"), &json!("3"), "revocation")).await;
    assert_unknown(&report, "STATUS_RETRIEVAL_ERROR", "a list id that is not one");

    // The issuer's own list: in range it is fine, past its end it is a range error.
    let report = sign_as("ucs", entry(&own_list, &json!("131071"), "revocation")).await;
    assert!(report.verified, "{report:#?}");
    let report = sign_as("ucs", entry(&own_list, &json!("131072"), "revocation")).await;
    assert_unknown(&report, "RANGE_ERROR", "an index past the end of the list");
    let report = sign_as("ucs", entry(&own_list, &json!("17"), "suspension")).await;
    assert_unknown(&report, "STATUS_VERIFICATION_ERROR", "a revocation list named for suspension");
    for bad in [json!("0x2A"), json!("-1"), json!(" 7"), json!(7)] {
        let report = sign_as("ucs", entry(&own_list, &bad, "revocation")).await;
        assert_unknown(&report, "MALFORMED_VALUE_ERROR", &format!("index {bad}"));
    }
    // A mechanism microcred does not implement (its type as an IRI, since no bundled context defines it).
    let status_list_2021 =
        json!({"id": format!("{own_list}#1"), "type": "https://w3id.org/vc/status-list#StatusList2021Entry"});
    let report = sign_as("ucs", status_list_2021).await;
    assert_unknown(&report, "STATUS_VERIFICATION_ERROR", "an unsupported status type");

    // Another issuer (the default one) pointing at ucs's list: that list says nothing about its credentials.
    let report = sign_as("default", entry(&own_list, &json!("3"), "revocation")).await;
    assert_unknown(&report, "STATUS_VERIFICATION_ERROR", "another issuer's list");
}

#[tokio::test]
async fn own_host_entries_on_sqlite() {
    own_host_entries(Backend::Sqlite).await;
}

#[tokio::test]
async fn own_host_entries_on_postgres() {
    own_host_entries(Backend::Postgres).await;
}

/// A host serving status lists from a map (path → JSON); unknown paths are 404.
async fn list_host(lists: Arc<Mutex<HashMap<String, Value>>>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let found = lists.lock().unwrap().get(uri.path()).cloned();
        async move {
            match found {
                Some(list) => (axum::http::StatusCode::OK, axum::Json(list)).into_response(),
                None => axum::http::StatusCode::NOT_FOUND.into_response(),
            }
        }
    });
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

use axum::response::IntoResponse as _;

#[tokio::test]
async fn other_hosts_lists_count_only_when_retrieved_and_verified() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let lists = Arc::new(Mutex::new(HashMap::new()));
    let host = list_host(Arc::clone(&lists)).await;
    // The test's host is on loopback: this client allows exactly that address (and plain HTTP to it).
    let policy = FetchPolicy { allowed_private: vec![host.ip()], ..FetchPolicy::public(Duration::from_secs(2)) };
    let fetching = app.app.clone().with_remote_fetching(Some(GuardedClient::new(policy).unwrap()));

    let issuer = IssuerSigningKey::from_seed(&[7; 32]);
    let mallory = IssuerSigningKey::from_seed(&[66; 32]);
    let url = |path: &str| format!("http://{host}{path}");
    let serve = |path: &str, list: Value| {
        lists.lock().unwrap().insert(path.to_owned(), list);
    };
    serve("/good", status_list(&issuer, &url("/good"), "revocation", &[5], None));
    serve("/mallory", status_list(&mallory, &url("/mallory"), "revocation", &[], None));
    serve("/expired", status_list(&issuer, &url("/expired"), "revocation", &[], Some("2025-06-01T00:00:00Z")));
    let mut tampered = status_list(&issuer, &url("/tampered"), "revocation", &[5], None);
    tampered["credentialSubject"]["encodedList"] = json!(encode_list(131_072, &[]).unwrap());
    serve("/tampered", tampered);
    serve("/suspension", status_list(&issuer, &url("/suspension"), "suspension", &[], None));

    let verify = |path: &str, index: &str, purpose: &str| {
        let credential = credential_with_status(&issuer, entry(&url(path), &json!(index), purpose));
        let app = fetching.clone();
        async move { app.verify(&credential).await.unwrap() }
    };
    let report = verify("/good", "4", "revocation").await;
    assert!(report.verified, "{report:#?}");
    assert_eq!(report.outcome, Outcome::Valid);
    assert_eq!(verify("/good", "5", "revocation").await.outcome, Outcome::Revoked);

    assert_unknown(&verify("/missing", "4", "revocation").await, "STATUS_RETRIEVAL_ERROR", "a 404");
    assert_unknown(&verify("/mallory", "4", "revocation").await, "STATUS_VERIFICATION_ERROR", "another issuer");
    assert_unknown(&verify("/expired", "4", "revocation").await, "STATUS_VERIFICATION_ERROR", "an expired list");
    assert_unknown(&verify("/tampered", "5", "revocation").await, "STATUS_VERIFICATION_ERROR", "a tampered list");
    assert_unknown(&verify("/suspension", "4", "revocation").await, "STATUS_VERIFICATION_ERROR", "another purpose");
    assert_unknown(&verify("/good", "131072", "revocation").await, "RANGE_ERROR", "past the end");

    // Without fetching switched on, the same good list is never fetched.
    let credential = credential_with_status(&issuer, entry(&url("/good"), &json!("4"), "revocation"));
    assert_unknown(&app.app.verify(&credential).await.unwrap(), "STATUS_RETRIEVAL_ERROR", "fetching off");
    // And the production policy (no private address allowed) never fetches from this loopback host.
    let production = app
        .app
        .clone()
        .with_remote_fetching(Some(GuardedClient::new(FetchPolicy::public(Duration::from_secs(2))).unwrap()));
    let report = production.verify(&credential).await.unwrap();
    assert_unknown(&report, "STATUS_RETRIEVAL_ERROR", "a loopback list under the production policy");
    assert!(report.errors.iter().any(|e| e.detail.contains("not a public address")), "{report:#?}");
}
