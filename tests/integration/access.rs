//! The access matrix: every secured operation of the OpenAPI document, called with another issuer's
//! assessor token and (for admin-only operations) with the right issuer's assessor token, is refused with
//! 403 problem details and changes nothing. (401 for missing, malformed and revoked tokens is in `api.rs`.)

use microcred::domain::api_key::Role;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, assert_problem};

/// A request aimed at issuer `ucs`'s resources.
struct Target {
    path: String,
    body: Value,
    /// Only admins may call it (an assessor of `ucs` itself is refused too).
    admin_only: bool,
}

async fn access_matrix(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(true).await;
    let issued = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Lucía", "email": "lucia@example.es"}}),
        )
        .await;
    let credential_id = issued["id"].as_str().unwrap().to_owned();
    let vc = issued["credential"].clone();
    let list = vc["credentialStatus"][0]["statusListCredential"].as_str().unwrap().to_owned();
    let list_id = list.rsplit('/').next().unwrap().to_owned();
    let ucs_did = vc["issuer"]["id"].as_str().unwrap().to_owned();
    let award = json!({"achievement_id": achievement_id, "recipient": {"name": "Marco", "email": "marco@example.it"}});

    // Another issuer and its assessor.
    let admin = app.token(Role::Admin).await;
    let outsider = app.another_issuer("other", "Other Academy", "IT").await;
    let audit_count = || async {
        let events: Value = app.get_json_as(&admin, "/api/v1/audit?limit=1000").await;
        events.as_array().unwrap().len()
    };
    let audit_before = audit_count().await;

    let target = |method: &str, path: &str| -> Option<Target> {
        let t = |path: String, body: Value, admin_only: bool| Some(Target { path, body, admin_only });
        match (method, path) {
            ("post", "/api/v1/issuers") => {
                t(path.into(), json!({"slug": "sneaky", "name": "Sneaky", "country": "BG"}), true)
            }
            ("get", "/api/v1/audit") => t(path.into(), Value::Null, true),
            ("patch", "/api/v1/issuers/{slug}") => t("/api/v1/issuers/ucs".into(), json!({"name": "Taken over"}), true),
            ("get", "/api/v1/issuers/{slug}") => t("/api/v1/issuers/ucs".into(), Value::Null, false),
            // An image body is bytes; access is decided before they are read as an image.
            ("put", "/api/v1/issuers/{slug}/logo") => t("/api/v1/issuers/ucs/logo".into(), json!("not a logo"), true),
            ("put", "/api/v1/achievements/{id}/image") => {
                t(format!("/api/v1/achievements/{achievement_id}/image"), json!("not an image"), false)
            }
            ("post", "/api/v1/achievements") => t(
                path.into(),
                json!({"issuer": "ucs", "name": "X", "description": "X", "criteria": "X", "achievement_type": "Badge"}),
                false,
            ),
            ("get" | "patch", "/api/v1/achievements/{id}") => {
                t(format!("/api/v1/achievements/{achievement_id}"), json!({"name": "Renamed"}), false)
            }
            ("post", "/api/v1/credentials") => t(path.into(), award.clone(), false),
            ("post", "/api/v1/credentials/batch") => t(path.into(), json!([award.clone()]), false),
            ("get", "/api/v1/credentials/{id}") => {
                t(format!("/api/v1/credentials/{credential_id}"), Value::Null, false)
            }
            (
                "post",
                "/api/v1/credentials/{id}/revoke"
                | "/api/v1/credentials/{id}/suspend"
                | "/api/v1/credentials/{id}/reinstate"
                | "/api/v1/credentials/{id}/notify",
            ) => t(path.replace("{id}", &credential_id), json!({"reason": "not yours"}), false),
            ("post", "/api/v1/credentials/{id}/offers") => t(path.replace("{id}", &credential_id), json!({}), false),
            ("post", "/api/v1/credentials/{id}/renew" | "/api/v1/credentials/{id}/replace") => {
                t(path.replace("{id}", &credential_id), json!({"result": "taken over"}), false)
            }
            ("post", "/credentials/issue") => t(
                path.into(),
                json!({"credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "issuer": ucs_did, "credentialSubject": {"name": "Forged"}}}),
                false,
            ),
            ("post", "/credentials/status") => t(
                path.into(),
                json!({"credentialId": vc["id"], "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}, "status": true}),
                false,
            ),
            ("post", "/status/{id}/publish") => t(format!("/status/{list_id}/publish"), Value::Null, false),
            _ => None,
        }
    };

    let doc: Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("security").is_none() {
                continue;
            }
            // Listings are scoped, not refused: checked below. So is a bulk change: another issuer's credentials
            // are refused one by one, and nothing changes (lifecycle::bulk_changes_… checks it).
            if (method == "get"
                && ["/api/v1/issuers", "/api/v1/achievements", "/api/v1/credentials", "/api/v1/credentials.csv"]
                    .contains(&path.as_str()))
                || (method == "post" && path == "/api/v1/credentials/bulk")
            {
                continue;
            }
            let target = target(method, path).unwrap_or_else(|| panic!("no access-matrix entry for {method} {path}"));
            let mut tokens = vec![("another issuer's assessor", outsider.as_str())];
            if target.admin_only {
                tokens.push(("an assessor", assessor.as_str()));
            }
            for (who, token) in tokens {
                let mut request = app
                    .client
                    .request(method.to_uppercase().parse().unwrap(), app.url(&target.path))
                    .bearer_auth(token);
                if !target.body.is_null() {
                    request = request.json(&target.body);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 403, "{method} {path} by {who}");
                assert_problem(response, 403).await;
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "{checked}");

    // Listings show an outsider nothing of ucs.
    for path in ["/api/v1/achievements", "/api/v1/credentials", "/api/v1/credentials.csv"] {
        let body = app.client.get(app.url(path)).bearer_auth(&outsider).send().await.unwrap().text().await.unwrap();
        assert!(!body.contains(&achievement_id) && !body.contains(&credential_id), "{path}: {body}");
    }
    let issuers: Value = app.get_json_as(&outsider, "/api/v1/issuers").await;
    assert!(!issuers.to_string().contains("\"ucs\""), "{issuers}");

    // Nothing changed: no audit event, the credential is still valid, the achievement keeps its name.
    assert_eq!(audit_count().await, audit_before);
    let report = app.app.verify(&vc).await.unwrap();
    assert!(report.verified, "{report:#?}");
    let achievement: Value = app.get_json_as(&assessor, &format!("/api/v1/achievements/{achievement_id}")).await;
    assert_eq!(achievement["name"], "Умни градове: основи");
    assert_eq!(app.app.issuers().await.unwrap().len(), 3, "default, ucs, other");
}

#[tokio::test]
async fn access_matrix_on_sqlite() {
    access_matrix(Backend::Sqlite).await;
}

#[tokio::test]
async fn access_matrix_on_postgres() {
    access_matrix(Backend::Postgres).await;
}
