//! "Add to wallet": microcred's OpenID4VCI 1.0 issuer and VCALM exchange, driven by independent wallets
//! (`tests/wallet/*.mjs`: the OpenID Foundation's `@openid4vc/openid4vci` client, Digital Bazaar's `vc`
//! for DIDAuth presentations), and every refusal the specifications name, driven from here with keys
//! and proofs built by hand. The received credentials are checked with `microcred verify`.
//! Needs `node` and `npm ci --prefix tests/wallet` (`.ci/run` does both); without them the wallet-client
//! tests say so and skip, unless `REQUIRE_BROWSER` is set.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signer as _;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

const PRE_AUTH: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

fn wallets_available() -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ready = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success())
        && root.join("tests/wallet/node_modules/@openid4vc/openid4vci").exists();
    if !ready {
        assert!(
            std::env::var_os("REQUIRE_BROWSER").is_none(),
            "REQUIRE_BROWSER is set but node or the test wallets (npm ci --prefix tests/wallet) are missing"
        );
        eprintln!("skipping: needs node and `npm ci --prefix tests/wallet`");
    }
    ready
}

/// Runs a test wallet script; returns its one JSON line.
async fn wallet(script: &str, args: &[&str]) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = tokio::process::Command::new("node")
        .arg(root.join("tests/wallet").join(script))
        .args(args)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("{script} printed no JSON ({e}):\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr))
    })
}

/// An award to a learner, and an offer of it minted through the API (`body`); the issuer is created the
/// first time.
async fn award_and_offer(app: &TestApp, body: Value) -> (String, String, Value) {
    let admin = app.token(microcred::domain::api_key::Role::Admin).await;
    let issuer = json!({"slug": "ucs", "name": "Universal Certification Solutions", "country": "BG"});
    let created = app.client.post(app.url("/api/v1/issuers")).bearer_auth(&admin).json(&issuer).send().await.unwrap();
    assert!(matches!(created.status().as_u16(), 201 | 409), "{}", created.status());
    let assessor = app.token_for("ucs", microcred::domain::api_key::Role::Assessor).await;
    let achievement_id = crate::support::create_achievement(&app.client, &app.base, &assessor).await;
    let award = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id,
                   "recipient": {"name": "Йордан Петров", "email": format!("{}@example.bg", uuid::Uuid::new_v4())}}),
        )
        .await;
    let id = award["id"].as_str().unwrap().to_owned();
    let offer = mint(app, &assessor, &id, body).await;
    (assessor, id, offer)
}

async fn mint(app: &TestApp, assessor: &str, id: &str, body: Value) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{id}/offers")))
        .bearer_auth(assessor)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// `microcred verify` on a credential file: the report.
fn verify_with_cli(app: &TestApp, credential: &Value) -> String {
    let file = app.dir.path().join(format!("{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, credential.to_string()).unwrap();
    let verify = Command::new(env!("CARGO_BIN_EXE_microcred"))
        .args(["verify", "--database-url", &app.database_url(), "--public-url", &app.base])
        .args(["--keys-dir", app.keys_dir().to_str().unwrap(), file.to_str().unwrap()])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert!(verify.status.success(), "microcred verify: {report}{}", String::from_utf8_lossy(&verify.stderr));
    report
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String)> {
    let admin = app.token(microcred::domain::api_key::Role::Admin).await;
    let events = app.get_json_as(&admin, "/api/v1/audit?limit=500").await;
    let items = events.get("items").or(Some(&events)).and_then(Value::as_array).cloned().unwrap_or_default();
    items
        .iter()
        .map(|e| {
            (e["action"].as_str().unwrap_or_default().to_owned(), e["reason"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

/// One independent OpenID4VCI wallet run: the credential it received is the award, bound to its key,
/// and verifies.
async fn oid4vci_round(app: &TestApp, key: &str, proof: &str, did: &str, tx_code: bool) {
    let (assessor, id, offer) = award_and_offer(app, json!({"tx_code": tx_code})).await;
    let award: Value =
        app.client.get(app.url(&format!("/credentials/{id}.json"))).send().await.unwrap().json().await.unwrap();
    let mut args = vec!["--offer", offer["offer_url"].as_str().unwrap(), "--key", key, "--proof", proof, "--did", did];
    if tx_code {
        args.extend(["--tx-code", offer["tx_code"].as_str().unwrap()]);
    }
    let run = wallet("oid4vci.mjs", &args).await;
    assert_eq!(run["ok"], true, "{key}/{proof}/{did}: {run}");
    let credential = &run["credential"];
    let subject = credential["credentialSubject"]["id"].as_str().unwrap();
    match run["holder_did"].as_str() {
        Some(holder) => assert_eq!(subject, holder, "bound to the wallet's DID"),
        None => assert!(subject.starts_with("did:jwk:"), "a bare jwk is named by its did:jwk: {subject}"),
    }
    assert_eq!(credential["id"], award["id"], "the same credential");
    assert_eq!(credential["credentialStatus"], award["credentialStatus"], "the same status entries");
    // (Compared by id and name: a JavaScript wallet writes the award's 5.0 credits back as 5, the same
    // number, which the proof, over the JSON-LD meaning, does not tell apart.)
    for field in ["id", "name"] {
        assert_eq!(
            credential["credentialSubject"]["achievement"][field],
            award["credentialSubject"]["achievement"][field]
        );
    }
    assert_ne!(credential["proof"][0]["proofValue"], award["proof"][0]["proofValue"], "re-signed");
    assert!(credential["proof"][0]["proofValue"].is_string());
    assert_eq!(run["notification_status"], 204, "{run}");
    let report = verify_with_cli(app, credential);
    assert!(report.to_lowercase().contains("valid"), "{report}");
    // The wallet accepted it: the award counts as claimed.
    let view = app.get_json_as(&assessor, &format!("/api/v1/credentials/{id}")).await;
    assert!(view["delivery"]["claimed_at"].is_string(), "{view}");
    // The assessor sees the wallet copy: to whom, how, and what the wallet said.
    let copy = &view["wallets"][0];
    assert_eq!(copy["holder"], credential["credentialSubject"]["id"], "{view}");
    assert_eq!((copy["protocol"].as_str(), copy["event"].as_str()), (Some("oid4vci"), Some("credential_accepted")));
}

#[tokio::test]
async fn independent_openid4vci_wallets_receive_the_award_bound_to_their_keys() {
    if !wallets_available() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for (key, proof, did, tx_code) in [
        ("ed25519", "jwt", "key", false),
        ("p256", "jwt", "key", true),
        ("p256", "jwt", "jwk", false),
        ("ed25519", "jwt", "none", false),
        ("ed25519", "di_vp", "key", false),
    ] {
        oid4vci_round(&app, key, proof, did, tx_code).await;
    }
    // A wallet that proves no key takes the unbound configuration the offer also names: the award as issued.
    let (_, id, offer) = award_and_offer(&app, json!({})).await;
    let run = wallet("oid4vci.mjs", &["--offer", offer["offer_url"].as_str().unwrap(), "--proof", "none"]).await;
    assert_eq!(run["ok"], true, "{run}");
    let award: Value =
        app.client.get(app.url(&format!("/credentials/{id}.json"))).send().await.unwrap().json().await.unwrap();
    assert!(run["credential"]["credentialSubject"].get("id").is_none(), "{run}");
    assert_eq!(run["credential"]["proof"], award["proof"], "as issued");
    let actions = audit_actions(&app).await;
    for action in [
        "credential.wallet_offer",
        "credential.wallet_token",
        "credential.wallet_issue",
        "credential.wallet_notification",
    ] {
        assert!(actions.iter().any(|(a, _)| a == action), "{action} audited: {actions:?}");
    }
    assert!(
        actions.iter().any(|(a, r)| a == "credential.wallet_issue" && r.contains("bound to did:key:")),
        "the holder's DID is in the audit: {actions:?}"
    );
}

#[tokio::test]
async fn wallets_receive_the_award_on_postgres() {
    if !wallets_available() {
        return;
    }
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    oid4vci_round(&app, "p256", "jwt", "key", true).await;
    // The VCALM exchange's one transaction (offer spent, copy recorded, award claimed) on PostgreSQL too.
    let (assessor, id, offer) = award_and_offer(&app, json!({})).await;
    let run = wallet("didauth.mjs", &["--interaction", offer["interaction_url"].as_str().unwrap()]).await;
    assert_eq!(run["ok"], true, "{run}");
    verify_with_cli(&app, &run["credential"]);
    let view = app.get_json_as(&assessor, &format!("/api/v1/credentials/{id}")).await;
    assert_eq!(view["wallets"][0]["protocol"], "vcapi", "{view}");
    assert_eq!(view["wallets"][0]["holder"], run["holder_did"]);
    assert!(view["delivery"]["claimed_at"].is_string(), "{view}");
}

#[tokio::test]
async fn a_vc_api_wallet_takes_the_award_through_the_interaction_url_once() {
    if !wallets_available() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_, id, offer) = award_and_offer(&app, json!({})).await;
    let interaction = offer["interaction_url"].as_str().unwrap();
    assert!(interaction.ends_with("?iuv=1"), "{interaction}");
    // A person who scans it with a phone camera gets a page saying what to do.
    let page = app.client.get(interaction).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("openid-credential-offer://") && html.contains("lcw.app/request.html"), "{html}");

    let run = wallet("didauth.mjs", &["--interaction", interaction]).await;
    assert_eq!(run["ok"], true, "{run}");
    assert_eq!(run["protocols"]["oid4vci-1.0"], offer["offer_url"]);
    let credential = &run["credential"];
    assert_eq!(credential["credentialSubject"]["id"], run["holder_did"]);
    assert_eq!(credential["id"], app.url(&format!("/credentials/{id}")));
    verify_with_cli(&app, credential);

    // Single use across protocols: the exchange, the interaction URL and the OpenID4VCI offer are spent.
    let again = app
        .client
        .post(app.url(&format!("/workflows/claim/exchanges/{}", offer_id(&offer))))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let protocols = app.client.get(interaction).header("accept", "application/json").send().await.unwrap();
    assert_eq!(protocols.status(), 404);
    let uri = offer["credential_offer_uri"].as_str().unwrap();
    assert_eq!(app.client.get(uri).send().await.unwrap().status(), 404);
    let actions = audit_actions(&app).await;
    assert!(actions.iter().any(|(a, r)| a == "credential.wallet_issue" && r.contains("VCALM")), "{actions:?}");
}

/// The DCC Learner Credential Wallet's deep link, as that wallet follows it: a bare DIDAuth presentation
/// signed with `Ed25519Signature2020` (Digital Bazaar's suite, which the wallet uses) and no domain, the bare
/// credential back, bound to the wallet's DID.
#[tokio::test]
async fn the_learner_credential_wallets_deep_link_gives_it_the_bound_award() {
    if !wallets_available() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_, id, offer) = award_and_offer(&app, json!({})).await;
    // The learner's page carries the link; the API answer has the interaction URL it is made from.
    let minted = app.app.minted_offer(&offer_id(&offer)).await.unwrap();
    let lcw_url = minted.lcw_url.expect("an offer without a transaction code has the LCW link");
    assert!(lcw_url.starts_with("https://lcw.app/request.html?issuer="), "{lcw_url}");
    let run = wallet("lcw.mjs", &["--deep-link", &lcw_url]).await;
    assert_eq!(run["ok"], true, "{run}");
    assert_eq!(run["presentation"]["proof"]["type"], "Ed25519Signature2020");
    let credential = &run["credential"];
    assert_eq!(credential["credentialSubject"]["id"], run["holder_did"]);
    assert_eq!(credential["id"], app.url(&format!("/credentials/{id}")));
    verify_with_cli(&app, credential);
    // Spent: the same request again finds no offer.
    let again =
        app.client.post(format!("{}/lcw", minted.exchange_url)).json(&run["presentation"]).send().await.unwrap();
    assert_eq!(again.status(), 404);
    // Nor does another offer take it: its challenge was the first offer's.
    let (assessor, _, _) = award_and_offer(&app, json!({})).await;
    let other = mint(&app, &assessor, &id, json!({})).await;
    let replayed = app
        .client
        .post(app.url(&format!("/workflows/claim/exchanges/{}/lcw", offer_id(&other))))
        .json(&run["presentation"])
        .send()
        .await
        .unwrap();
    let problem = crate::support::assert_problem(replayed, 422).await;
    assert!(problem.to_string().contains("challenge"), "{problem}");
}

fn offer_id(offer: &Value) -> String {
    let uri = offer["credential_offer_uri"].as_str().unwrap();
    uri.rsplit('/').next().unwrap().to_owned()
}

// ---- Refusals, driven from here ------------------------------------------------------------------

/// The pre-authorized code in an offer (fetching its `credential_offer_uri`, which serves it once).
async fn code_of(app: &TestApp, offer: &Value) -> String {
    let uri = offer["credential_offer_uri"].as_str().unwrap();
    let response = app.client.get(uri).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["credential_issuer"], app.base);
    assert_eq!(body["credential_configuration_ids"][0], "OpenBadgeCredential_ldp_vc");
    body["grants"][PRE_AUTH]["pre-authorized_code"].as_str().unwrap().to_owned()
}

async fn token_request(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.client.post(app.url("/token")).form(form).send().await.unwrap()
}

/// Asserts an OAuth error answer: status, `error` code, JSON, not cached.
async fn assert_oauth(response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].as_str().is_some_and(|d| d.is_ascii() && !d.is_empty()), "{body}");
}

async fn access_token(app: &TestApp, offer: &Value) -> String {
    let code = code_of(app, offer).await;
    let response = token_request(app, &[("grant_type", PRE_AUTH), ("pre-authorized_code", &code)]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().is_some_and(|s| s > 0 && s <= 300), "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn nonce(app: &TestApp) -> String {
    let response = app.client.post(app.url("/nonce")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    body["c_nonce"].as_str().unwrap().to_owned()
}

fn holder() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng)
}

fn did_key(key: &ed25519_dalek::SigningKey) -> String {
    microcred::domain::did::did_key(key.verifying_key().as_bytes())
}

/// A `jwt` key proof signed by `signer`, naming `named`'s did:key.
fn proof_jwt(signer: &ed25519_dalek::SigningKey, named: &ed25519_dalek::SigningKey, aud: &str, nonce: &str) -> String {
    let did = did_key(named);
    let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": format!("{did}#{}", &did[8..])});
    let claims = json!({"aud": aud, "iat": time::OffsetDateTime::now_utc().unix_timestamp(), "nonce": nonce});
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signer.sign(input.as_bytes()).to_bytes()))
}

async fn credential_request(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.client.post(app.url("/credential")).bearer_auth(token).json(&body).send().await.unwrap()
}

fn with_jwt(jwt: &str) -> Value {
    json!({"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": {"jwt": [jwt]}})
}

#[tokio::test]
async fn metadata_names_the_endpoints_the_configuration_and_five_languages() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let metadata = app.get_json("/.well-known/openid-credential-issuer").await;
    assert_eq!(metadata["credential_issuer"], app.base);
    for (field, path) in [
        ("credential_endpoint", "/credential"),
        ("nonce_endpoint", "/nonce"),
        ("notification_endpoint", "/notification"),
    ] {
        assert_eq!(metadata[field], app.url(path));
    }
    let locales: Vec<&str> =
        metadata["display"].as_array().unwrap().iter().map(|d| d["locale"].as_str().unwrap()).collect();
    assert_eq!(locales, ["en", "bg", "el", "es", "it"]);
    let configuration = &metadata["credential_configurations_supported"]["OpenBadgeCredential_ldp_vc"];
    assert_eq!(configuration["format"], "ldp_vc");
    assert_eq!(configuration["credential_definition"]["type"], json!(["VerifiableCredential", "OpenBadgeCredential"]));
    assert_eq!(configuration["cryptographic_binding_methods_supported"], json!(["did:key", "did:jwk", "jwk"]));
    assert_eq!(
        configuration["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"],
        json!(["EdDSA", "ES256"])
    );
    assert_eq!(
        configuration["proof_types_supported"]["di_vp"]["proof_signing_alg_values_supported"],
        json!(["eddsa-rdfc-2022"])
    );
    assert_eq!(configuration["credential_metadata"]["display"].as_array().unwrap().len(), 5);
    let unbound = &metadata["credential_configurations_supported"]["OpenBadgeCredential_ldp_vc_unbound"];
    assert_eq!(unbound["format"], "ldp_vc");
    assert!(
        unbound.get("proof_types_supported").is_none()
            && unbound.get("cryptographic_binding_methods_supported").is_none()
    );
    let server = app.get_json("/.well-known/oauth-authorization-server").await;
    assert_eq!(server["issuer"], app.base);
    assert_eq!(server["token_endpoint"], app.url("/token"));
    assert_eq!(server["pre-authorized_grant_anonymous_access_supported"], true);
    assert_eq!(server["grant_types_supported"], json!([PRE_AUTH]));
}

#[tokio::test]
async fn codes_are_single_use_short_lived_and_guarded_by_their_transaction_code() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.wallet_offer_ttl_secs = Some(2)).await.unwrap();
    // The offer URI serves the code once.
    let (assessor, id, offer) = award_and_offer(&app, json!({})).await;
    let code = code_of(&app, &offer).await;
    let uri = offer["credential_offer_uri"].as_str().unwrap();
    assert_eq!(app.client.get(uri).send().await.unwrap().status(), 404);
    // A code is exchanged once.
    let first = token_request(&app, &[("grant_type", PRE_AUTH), ("pre-authorized_code", &code)]).await;
    assert_eq!(first.status(), 200);
    let reused = token_request(&app, &[("grant_type", PRE_AUTH), ("pre-authorized_code", &code)]).await;
    assert_oauth(reused, 400, "invalid_grant").await;
    // An unknown code, another grant type, no grant type, a transaction code the offer did not ask for.
    assert_oauth(
        token_request(&app, &[("grant_type", PRE_AUTH), ("pre-authorized_code", "nope")]).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_oauth(
        token_request(&app, &[("grant_type", "authorization_code"), ("code", "x")]).await,
        400,
        "unsupported_grant_type",
    )
    .await;
    assert_oauth(token_request(&app, &[("pre-authorized_code", "x")]).await, 400, "invalid_request").await;
    let plain = mint(&app, &assessor, &id, json!({})).await;
    let plain_code = code_of(&app, &plain).await;
    assert_oauth(
        token_request(&app, &[("grant_type", PRE_AUTH), ("pre-authorized_code", &plain_code), ("tx_code", "123456")])
            .await,
        400,
        "invalid_request",
    )
    .await;

    // With a transaction code: missing → invalid_request, wrong → invalid_grant, five wrong ones withdraw it.
    let guarded = mint(&app, &assessor, &id, json!({"tx_code": true})).await;
    let tx_code = guarded["tx_code"].as_str().unwrap().to_owned();
    assert!(tx_code.len() == 6 && tx_code.bytes().all(|b| b.is_ascii_digit()), "{tx_code}");
    let guarded_code = code_of(&app, &guarded).await;
    assert_oauth(
        token_request(&app, &[("grant_type", PRE_AUTH), ("pre-authorized_code", &guarded_code)]).await,
        400,
        "invalid_request",
    )
    .await;
    let wrong = if tx_code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let response = token_request(
            &app,
            &[("grant_type", PRE_AUTH), ("pre-authorized_code", &guarded_code), ("tx_code", wrong)],
        )
        .await;
        assert_oauth(response, 400, "invalid_grant").await;
    }
    let right =
        token_request(&app, &[("grant_type", PRE_AUTH), ("pre-authorized_code", &guarded_code), ("tx_code", &tx_code)])
            .await;
    assert_oauth(right, 400, "invalid_grant").await;

    // An expired code.
    let late = mint(&app, &assessor, &id, json!({})).await;
    let late_code = code_of(&app, &late).await;
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_oauth(
        token_request(&app, &[("grant_type", PRE_AUTH), ("pre-authorized_code", &late_code)]).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        app.client
            .post(app.url(&format!("/workflows/claim/exchanges/{}", offer_id(&late))))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // A garbled token request is an OAuth error too, never a 500.
    let garbled =
        app.client.post(app.url("/token")).header("content-type", "application/json").body("{").send().await.unwrap();
    assert_oauth(garbled, 400, "invalid_request").await;
}

#[tokio::test]
async fn proofs_nonces_tokens_and_revoked_awards_are_refused_with_the_specified_errors() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (assessor, id, offer) = award_and_offer(&app, json!({})).await;
    let token = access_token(&app, &offer).await;
    let key = holder();
    let aud = app.base.clone();

    // No token, an unknown token.
    let anonymous = app.client.post(app.url("/credential")).json(&with_jwt("x")).send().await.unwrap();
    assert!(anonymous.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    assert_oauth(anonymous, 401, "invalid_token").await;
    assert_oauth(credential_request(&app, "forged", with_jwt("x")).await, 401, "invalid_token").await;
    // A configuration we do not offer, an identifier the token was not issued with, a body that is no JSON.
    let unknown = json!({"credential_configuration_id": "UniversityDegree_jwt_vc_json"});
    assert_oauth(credential_request(&app, &token, unknown).await, 400, "unknown_credential_configuration").await;
    let identifier = json!({"credential_identifier": "x"});
    assert_oauth(credential_request(&app, &token, identifier).await, 400, "unknown_credential_identifier").await;
    let not_json = app.client.post(app.url("/credential")).bearer_auth(&token).body("{").send().await.unwrap();
    assert_oauth(not_json, 400, "invalid_credential_request").await;

    // A foreign nonce, a proof for another audience, a proof signed by another key than it names.
    let foreign = proof_jwt(&key, &key, &aud, "a-nonce-we-never-gave");
    assert_oauth(credential_request(&app, &token, with_jwt(&foreign)).await, 400, "invalid_nonce").await;
    let elsewhere = proof_jwt(&key, &key, "https://other-issuer.example", &nonce(&app).await);
    assert_oauth(credential_request(&app, &token, with_jwt(&elsewhere)).await, 400, "invalid_proof").await;
    let did = did_key(&key);
    let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": format!("{did}#{}", &did[8..])});
    let claims = json!({"aud": aud, "nonce": nonce(&app).await});
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let no_iat = format!("{input}.{}", URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).to_bytes()));
    assert_oauth(credential_request(&app, &token, with_jwt(&no_iat)).await, 400, "invalid_proof").await;
    let forged = proof_jwt(&holder(), &key, &aud, &nonce(&app).await);
    assert_oauth(credential_request(&app, &token, with_jwt(&forged)).await, 400, "invalid_proof").await;
    let two = json!({"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": {"jwt": ["a", "b"]}});
    assert_oauth(credential_request(&app, &token, two).await, 400, "invalid_proof").await;

    // A good proof works once; its nonce is spent.
    let fresh = nonce(&app).await;
    let good = proof_jwt(&key, &key, &aud, &fresh);
    let issued = credential_request(&app, &token, with_jwt(&good)).await;
    assert_eq!(issued.status(), 200);
    let body: Value = issued.json().await.unwrap();
    assert_eq!(body["credentials"][0]["credential"]["credentialSubject"]["id"], did_key(&key));
    let notification_id = body["notification_id"].as_str().unwrap().to_owned();
    let replayed = credential_request(&app, &token, with_jwt(&good)).await;
    assert_oauth(replayed, 400, "invalid_nonce").await;
    // One credential per offer: the same token with a fresh nonce gets no second copy.
    let second_copy = proof_jwt(&key, &key, &aud, &nonce(&app).await);
    assert_oauth(credential_request(&app, &token, with_jwt(&second_copy)).await, 400, "credential_request_denied")
        .await;

    // Notifications: an unknown id, a malformed one, and the right one (204).
    let notify = |body: Value| app.client.post(app.url("/notification")).bearer_auth(&token).json(&body).send();
    assert_oauth(
        notify(json!({"notification_id": "nope", "event": "credential_accepted"})).await.unwrap(),
        400,
        "invalid_notification_id",
    )
    .await;
    assert_oauth(
        notify(json!({"notification_id": notification_id, "event": "stored"})).await.unwrap(),
        400,
        "invalid_notification_request",
    )
    .await;
    assert_eq!(
        notify(json!({"notification_id": notification_id, "event": "credential_deleted"})).await.unwrap().status(),
        204
    );

    // A revoked award: no new offer, and a token minted before the revocation gets no credential.
    let second = mint(&app, &assessor, &id, json!({})).await;
    let second_token = access_token(&app, &second).await;
    let revoked = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{id}/revoke")))
        .bearer_auth(&assessor)
        .json(&json!({"reason": "Issued in error"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let proof = proof_jwt(&key, &key, &aud, &nonce(&app).await);
    assert_oauth(credential_request(&app, &second_token, with_jwt(&proof)).await, 400, "credential_request_denied")
        .await;
    let refused = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{id}/offers")))
        .bearer_auth(&assessor)
        .send()
        .await
        .unwrap();
    crate::support::assert_problem(refused, 409).await;
    // An expired award is not offered either (a wallet copy would be a fresh signature on it).
    let achievements = app.get_json_as(&assessor, "/api/v1/achievements").await;
    let achievement_id = achievements[0]["id"].as_str().unwrap().to_owned();
    let expired = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "awarded_at": "2020-01-15", "valid_until": "2021-01-15",
            "recipient": {"name": "Old", "email": "old@example.eu"}}),
        )
        .await;
    let refused = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{}/offers", expired["id"].as_str().unwrap())))
        .bearer_auth(&assessor)
        .send()
        .await
        .unwrap();
    let problem = crate::support::assert_problem(refused, 409).await;
    assert!(problem["detail"].as_str().unwrap().contains("expired"), "{problem}");
}

#[tokio::test]
async fn an_issuer_decides_whether_wallets_must_prove_a_key() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (assessor, id, offer) = award_and_offer(&app, json!({})).await;
    let bound = json!({"credential_configuration_id": "OpenBadgeCredential_ldp_vc"});
    let unbound = json!({"credential_configuration_id": "OpenBadgeCredential_ldp_vc_unbound"});
    // By default the offer also names the unbound configuration (no proof types in the metadata), and a
    // wallet that proves no key gets the award as issued (a bearer credential) through it.
    let uri = offer["credential_offer_uri"].as_str().unwrap();
    let document: Value = app.client.get(uri).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        document["credential_configuration_ids"],
        json!(["OpenBadgeCredential_ldp_vc", "OpenBadgeCredential_ldp_vc_unbound"])
    );
    let code = document["grants"][PRE_AUTH]["pre-authorized_code"].as_str().unwrap();
    let token: Value =
        token_request(&app, &[("grant_type", PRE_AUTH), ("pre-authorized_code", code)]).await.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap();
    // The bound configuration advertises proof types, so a request for it without proofs is refused (§8.2).
    assert_oauth(credential_request(&app, token, bound.clone()).await, 400, "invalid_proof").await;
    let plain = credential_request(&app, token, unbound.clone()).await;
    assert_eq!(plain.status(), 200);
    let body: Value = plain.json().await.unwrap();
    let award: Value =
        app.client.get(app.url(&format!("/credentials/{id}.json"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["credentials"][0]["credential"], award);
    // Proofs for the unbound configuration are a mistake the wallet is told about.
    let second = mint(&app, &assessor, &id, json!({})).await;
    let second_token = access_token(&app, &second).await;
    let with_proofs =
        json!({"credential_configuration_id": "OpenBadgeCredential_ldp_vc_unbound", "proofs": {"jwt": ["x"]}});
    assert_oauth(credential_request(&app, &second_token, with_proofs).await, 400, "invalid_credential_request").await;

    let admin = app.token(microcred::domain::api_key::Role::Admin).await;
    let patched = app
        .client
        .patch(app.url("/api/v1/issuers/ucs"))
        .bearer_auth(&admin)
        .json(&json!({"holder_binding_required": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200, "{}", patched.text().await.unwrap());
    let offer = mint(&app, &assessor, &id, json!({})).await;
    let document: Value =
        app.client.get(offer["credential_offer_uri"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
    assert_eq!(document["credential_configuration_ids"], json!(["OpenBadgeCredential_ldp_vc"]), "bound only");
    let code = document["grants"][PRE_AUTH]["pre-authorized_code"].as_str().unwrap();
    let token: Value =
        token_request(&app, &[("grant_type", PRE_AUTH), ("pre-authorized_code", code)]).await.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap();
    assert_oauth(credential_request(&app, token, unbound).await, 400, "credential_request_denied").await;
    assert_oauth(credential_request(&app, token, bound).await, 400, "invalid_proof").await;
}

/// An offer with a transaction code is for OpenID4VCI wallets only: a VC-API exchange, which cannot ask for
/// the code, would skip it. A HEAD on its offer URI does not use the offer up.
#[tokio::test]
async fn an_offer_with_a_transaction_code_cannot_be_taken_without_it() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_, _, offer) = award_and_offer(&app, json!({"tx_code": true})).await;
    let interaction = offer["interaction_url"].as_str().unwrap();
    let protocols: Value =
        app.client.get(interaction).header("accept", "application/json").send().await.unwrap().json().await.unwrap();
    assert!(protocols["protocols"].get("vcapi").is_none(), "{protocols}");
    assert!(protocols["protocols"]["oid4vci-1.0"].is_string(), "{protocols}");
    let page = app.client.get(interaction).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("lcw.app"), "no Learner Credential Wallet link either");
    let exchange = app.url(&format!("/workflows/claim/exchanges/{}", offer_id(&offer)));
    let started = app.client.post(&exchange).json(&json!({})).send().await.unwrap();
    crate::support::assert_problem(started, 409).await;
    let lcw = app
        .client
        .post(format!("{exchange}/lcw"))
        .json(&json!({"type": "VerifiablePresentation"}))
        .send()
        .await
        .unwrap();
    crate::support::assert_problem(lcw, 409).await;
    // HEAD says it is there, and leaves it for the wallet's GET.
    let uri = offer["credential_offer_uri"].as_str().unwrap();
    assert_eq!(app.client.head(uri).send().await.unwrap().status(), 200);
    assert_eq!(app.client.get(uri).send().await.unwrap().status(), 200);
    assert_eq!(app.client.head(uri).send().await.unwrap().status(), 404, "served now");
    // The assessor's answer is not to be cached, and a body that is not a JSON object is refused.
    let (assessor, id, _) = award_and_offer(&app, json!({})).await;
    let answer = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{id}/offers")))
        .bearer_auth(&assessor)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let array = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{id}/offers")))
        .bearer_auth(&assessor)
        .json(&json!([true]))
        .send()
        .await
        .unwrap();
    crate::support::assert_problem(array, 422).await;
    let text = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{id}/offers")))
        .bearer_auth(&assessor)
        .header("content-type", "text/plain")
        .body("{\"tx_code\": true}")
        .send()
        .await
        .unwrap();
    crate::support::assert_problem(text, 415).await;
}

/// The texts of the messages written to the outbox so far (the file mailer), waiting until there are `n`.
async fn outbox(app: &TestApp, n: usize) -> Vec<String> {
    let dir = app.dir.path().join("outbox");
    for _ in 0..200 {
        let texts: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(|f| std::fs::read(f.ok()?.path()).ok()).collect::<Vec<_>>())
            .unwrap_or_default()
            .iter()
            .filter_map(|bytes| {
                mail_parser::MessageParser::default().parse(bytes)?.body_text(0).map(|t| t.into_owned())
            })
            .collect();
        if texts.len() >= n {
            return texts;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} messages in the outbox");
}

fn link_with(texts: &[String], part: &str) -> String {
    texts
        .iter()
        .flat_map(|t| t.split_whitespace())
        .map(|w| w.trim_matches(['<', '>']))
        .find(|w| w.contains(part))
        .unwrap_or_else(|| panic!("no link with {part} in {texts:?}"))
        .to_owned()
}

fn form_field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_owned()
}

/// The e-mail's "Add to wallet" link asks the learner to sign in first; signed in, a button shows a QR
/// code that decodes to the offer's interaction URL, whose protocols a wallet can follow. Only the
/// learner's own credentials, only from our own pages, only with the session's form token.
#[tokio::test]
async fn the_emailed_add_to_wallet_link_leads_a_signed_in_learner_to_a_qr_code_a_wallet_can_follow() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.mail_concurrency = Some(1)).await.unwrap();
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let award = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "language": "el",
            "recipient": {"name": "Γιώργος Παπαδόπουλος", "email": "giorgos@example.gr"}}),
        )
        .await;
    let id = award["id"].as_str().unwrap().to_owned();
    let others = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Ana", "email": "ana@example.es"}}),
        )
        .await;
    let link = link_with(&outbox(&app, 2).await, &format!("/me/credentials/{id}/wallet?"));
    assert!(link.ends_with("/wallet?lang=el"), "no claim token in it: {link}");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // Not signed in: sign in first.
    let first = client.get(&link).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let page = first.text().await.unwrap();
    assert!(page.contains("lang=\"el\"") && page.contains("href=\"/me?lang=el\""), "{page}");
    let signed_out = client.post(&link).header("origin", &app.base).form(&[("csrf", "x")]).send().await.unwrap();
    assert!(signed_out.text().await.unwrap().contains("href=\"/me?lang=el\""), "no offer without a session");

    // Signed in with the e-mailed link.
    let asked = client
        .post(app.url("/me/sign-in?lang=el"))
        .header("origin", &app.base)
        .form(&[("email", "giorgos@example.gr")])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    let sign_in = link_with(&outbox(&app, 3).await, "/me/sign-in/");
    let opened = client.get(&sign_in).send().await.unwrap();
    assert_eq!(opened.status(), 303);
    let session = opened.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();

    let confirm = client.get(&link).header("cookie", &session).send().await.unwrap();
    assert_eq!(confirm.status(), 200);
    let page = confirm.text().await.unwrap();
    let csrf = form_field(&page, "csrf");
    let action =
        page.split("<form method=\"post\" action=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    let post = |path: String, origin: &str, csrf: &str| {
        client
            .post(app.url(&path))
            .header("cookie", &session)
            .header("origin", origin)
            .form(&[("csrf", csrf.to_owned())])
            .send()
    };
    assert_eq!(post(action.clone(), "https://evil.example", &csrf).await.unwrap().status(), 403, "another site");
    assert_eq!(post(action.clone(), &app.base, "forged").await.unwrap().status(), 403, "without the form token");
    let not_hers = format!("/me/credentials/{}/wallet?lang=el", others["id"].as_str().unwrap());
    assert_eq!(post(not_hers, &app.base, &csrf).await.unwrap().status(), 404, "another learner's credential");
    // A first QR code, then "Get a new code": the first stops working.
    let first = post(action.clone(), &app.base, &csrf).await.unwrap().text().await.unwrap();
    let first_qr = decode_qr(&first[first.find("<svg").unwrap()..first.find("</svg>").unwrap() + 6]);
    let shown = post(action, &app.base, &csrf).await.unwrap();
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let page = shown.text().await.unwrap();
    let svg = &page[page.find("<svg").unwrap()..page.find("</svg>").unwrap() + 6];
    let decoded = decode_qr(svg);
    assert!(decoded.starts_with(&app.base) && decoded.ends_with("?iuv=1"), "{decoded}");
    let protocols: Value =
        app.client.get(&decoded).header("accept", "application/json").send().await.unwrap().json().await.unwrap();
    let offer_url = protocols["protocols"]["oid4vci-1.0"].as_str().unwrap();
    assert_eq!(protocols["protocols"]["OID4VCI"], offer_url, "the key older VC-API wallets read");
    assert_ne!(first_qr, decoded);
    assert_eq!(app.client.get(&first_qr).header("accept", "application/json").send().await.unwrap().status(), 404);
    assert!(page.contains(&offer_url.replace('&', "&#38;")) || page.contains(offer_url), "the same-device link");
    assert!(protocols["protocols"]["vcapi"].as_str().unwrap().contains("/workflows/claim/exchanges/"));
    // The offer behind the QR code works for a wallet; once its offer is fetched, the interaction URL
    // offers OpenID4VCI no more.
    let uri = percent_encoding::percent_decode_str(offer_url.split("credential_offer_uri=").nth(1).unwrap())
        .decode_utf8()
        .unwrap()
        .into_owned();
    access_token(&app, &json!({"credential_offer_uri": uri})).await;
    let actions = audit_actions(&app).await;
    assert!(actions.iter().any(|(a, r)| a == "credential.wallet_offer" && r.contains("learner")), "{actions:?}");
}

/// Decodes the QR code of an SVG: rendered by resvg, read by rqrr.
fn decode_qr(svg: &str) -> String {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).unwrap();
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
    let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
    let data = pixmap.data().to_vec();
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let i = (y * w + x) * 4;
        // Transparent counts as white.
        if data[i + 3] == 0 { 255 } else { data[i] }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().unwrap().1
}
