//! The certification lifecycle on SQLite and PostgreSQL, with time moved by a test clock (never slept):
//! achievement validity, renewal (superseded, linked, signed reference), correction (revoked with a reason
//! and a link), suspension deadlines reached while the server runs and while it was down, bulk status
//! changes, and expiry reminders and digests received by a real SMTP server.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use mail_parser::MessageParser;
use microcred::domain::api_key::Role;
use microcred::domain::award::CredentialId;
use microcred::service::clock::{Clock as _, ManualClock};
use serde_json::{Value, json};
use sha2::Digest as _;
use time::OffsetDateTime;

use crate::smtp::{Mode, SmtpServer};
use crate::support::{Backend, TestApp, assert_problem};

struct Setup {
    app: TestApp,
    clock: Arc<ManualClock>,
    assessor: String,
    achievement_id: String,
}

/// A service on a test clock (now), with an issuer (suspension enabled, a contact address) and an achievement.
async fn setup(backend: Backend, smtp: Option<&SmtpServer>) -> Option<Setup> {
    let clock = Arc::new(ManualClock::new());
    let url = smtp.map(SmtpServer::url);
    let app = TestApp::spawn_clocked(backend, Some(Arc::clone(&clock)), move |s| {
        if let Some(url) = url {
            s.smtp_url = Some(url.parse().unwrap());
            s.mail_from = Some("Certificates <certificates@ucs.example>".into());
            s.mail_concurrency = Some(2);
        }
    })
    .await?;
    let (assessor, achievement_id) = app.issuer_with_achievement(true).await;
    let admin = app.token(Role::Admin).await;
    let patched = app
        .client
        .patch(app.url("/api/v1/issuers/ucs"))
        .bearer_auth(&admin)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"email": "office@ucs.example"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200, "{}", patched.text().await.unwrap());
    Some(Setup { app, clock, assessor, achievement_id })
}

impl Setup {
    async fn award(&self, email: &str, extra: Value) -> Value {
        let mut body = json!({"achievement_id": self.achievement_id, "recipient": {"name": "Мария Иванова", "email": email}, "language": "bg"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.app.award(&self.assessor, body).await
    }

    async fn post(&self, path: &str, key: Option<&str>, body: Value) -> reqwest::Response {
        let mut request = self.app.client.post(self.app.url(path)).bearer_auth(&self.assessor).json(&body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send().await.unwrap()
    }

    async fn report(&self, id: &str) -> Value {
        self.app.get_json(&format!("/api/v1/verify/{id}")).await
    }

    async fn page(&self, id: &str, lang: &str) -> String {
        let response = self
            .app
            .client
            .get(self.app.url(&format!("/credentials/{id}?lang={lang}")))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    async fn status(&self, id: &str) -> String {
        let view = self.app.get_json_as(&self.assessor, &format!("/api/v1/credentials/{id}")).await;
        view["status"].as_str().unwrap().to_owned()
    }

    async fn audits(&self, action: &str, subject: &str) -> usize {
        let admin = self.app.token(Role::Admin).await;
        let log = self.app.get_json_as(&admin, "/api/v1/audit?limit=1000").await;
        let events = log.get("items").or(log.get("events")).unwrap_or(&log).as_array().unwrap().clone();
        events.iter().filter(|e| e["action"] == action && e["subject"] == subject).count()
    }
}

fn label(lang: &str, key: &str) -> String {
    let text = std::fs::read_to_string(format!("{}/templates/i18n/{lang}.toml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    table[key].as_str().unwrap().to_owned()
}

fn day(d: i64) -> time::Duration {
    time::Duration::days(d)
}

async fn renewal_supersedes_the_old_credential_and_names_it(backend: Backend) {
    let Some(s) = setup(backend, None).await else { return };
    // Validity on the achievement: later awards get validUntil = award date + 3 years.
    let patched = s
        .app
        .client
        .patch(s.app.url(&format!("/api/v1/achievements/{}", s.achievement_id)))
        .bearer_auth(&s.assessor)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"validity": "P3Y"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200, "{}", patched.text().await.unwrap());
    let old = s.award("maria@example.bg", json!({"awarded_at": "2026-01-15"})).await;
    assert_eq!(old["credential"]["validFrom"], "2026-01-15T00:00:00Z");
    assert_eq!(old["credential"]["validUntil"], "2029-01-15T00:00:00Z", "award date + P3Y");
    let own = s.award("ivan@example.bg", json!({"awarded_at": "2026-01-15", "valid_until": "2027-06-30"})).await;
    assert_eq!(own["credential"]["validUntil"], "2027-06-30T23:59:59Z", "the award's own date wins");
    let old_id = old["id"].as_str().unwrap();

    let renewed =
        s.post(&format!("/api/v1/credentials/{old_id}/renew"), Some("renew-1"), json!({"result": "88"})).await;
    assert_eq!(renewed.status(), 201, "{}", renewed.text().await.unwrap());
    let renewed: Value = renewed.json().await.unwrap();
    let new_id = renewed["id"].as_str().unwrap();
    let again = s.post(&format!("/api/v1/credentials/{old_id}/renew"), Some("renew-1"), json!({"result": "88"})).await;
    assert_eq!(again.status(), 200, "a retry answers with the same renewal");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], new_id);
    let twice = s.post(&format!("/api/v1/credentials/{old_id}/renew"), None, json!({})).await;
    let problem = assert_problem(twice, 409).await;
    assert!(problem["detail"].as_str().unwrap().contains(new_id), "{problem}");

    // The renewal names the renewed credential, pinned by a digest of it as served.
    let credential = &renewed["credential"];
    let served = s
        .app
        .client
        .get(s.app.url(&format!("/credentials/{old_id}.json")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let sri = format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&served)));
    // Its address is the old credential's signed JSON, whose bytes the digest is of.
    let json_url = format!("{}.json", old["credential"]["id"].as_str().unwrap());
    assert_eq!(
        credential["relatedResource"],
        json!([{"id": json_url, "digestSRI": sri, "mediaType": "application/vc+ld+json"}])
    );
    assert_eq!(credential["credentialSubject"]["name"], "Мария Иванова");
    assert_eq!(credential["credentialSubject"]["result"][0]["value"], "88");
    assert_eq!(credential["validUntil"].as_str().unwrap()[..4], (OffsetDateTime::now_utc().year() + 3).to_string());
    let report = s.report(new_id).await;
    assert_eq!(report["outcome"], "valid", "{report}");

    // The old one: genuine, superseded, linked; not valid, not revoked.
    let report = s.report(old_id).await;
    assert_eq!(report["outcome"], "superseded", "{report}");
    assert_eq!(report["verified"], false);
    assert_eq!(report["superseded_by"], credential["id"]);
    assert!(report["checks"].as_array().unwrap().iter().all(|c| c["status"] != "fail"), "every check passed: {report}");
    for lang in ["bg", "en"] {
        let page = s.page(old_id, lang).await;
        assert!(page.contains("data-verdict=\"superseded\""), "{lang}");
        assert!(page.contains(&label(lang, "verdict_superseded")), "{lang}");
        assert!(
            page.contains(&format!("href=\"{}\"", credential["id"].as_str().unwrap())),
            "{lang}: links the renewal"
        );
        assert!(!page.contains(&label(lang, "verdict_revoked")), "{lang}: not called revoked");
    }
    assert_eq!(s.status(old_id).await, "superseded");
    let view = s.app.get_json_as(&s.assessor, &format!("/api/v1/credentials/{new_id}")).await;
    assert_eq!(view["delivery"]["status"], "pending", "the learner is e-mailed the renewal: {view}");
    assert_eq!(s.audits("credential.renew", old_id).await, 1);
    let view = s.app.get_json_as(&s.assessor, &format!("/api/v1/credentials/{old_id}")).await;
    assert_eq!(view["superseded_by"], new_id, "the assessor sees the successor");
    // An upload of the old credential's JSON gets the same verdict as its page.
    let uploaded = s
        .app
        .client
        .post(s.app.url("/verify"))
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .body(served.clone())
        .send()
        .await
        .unwrap();
    let uploaded: Value = uploaded.json().await.unwrap();
    assert_eq!(uploaded["report"]["outcome"], "superseded", "{uploaded}");

    // The same key and body for another credential is not a retry of this renewal.
    let another = s.award("petar@example.bg", json!({})).await;
    let another_id = another["id"].as_str().unwrap();
    let reused =
        s.post(&format!("/api/v1/credentials/{another_id}/renew"), Some("renew-1"), json!({"result": "88"})).await;
    let problem = assert_problem(reused, 422).await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key", "{problem}");
    // A renewal that would be expired on arrival is refused.
    let ahead =
        s.post(&format!("/api/v1/credentials/{another_id}/renew"), None, json!({"awarded_at": "2099-01-01"})).await;
    assert_problem(ahead, 422).await;
    let stale = s
        .post(
            &format!("/api/v1/credentials/{another_id}/renew"),
            None,
            json!({"awarded_at": "2020-01-01", "valid_until": "2020-06-01"}),
        )
        .await;
    assert_problem(stale, 422).await;
    assert_eq!(s.status(another_id).await, "active", "nothing changed");

    // A revoked credential cannot be renewed.
    let other = s.award("georgi@example.bg", json!({})).await;
    let other_id = other["id"].as_str().unwrap();
    let revoked = s.post(&format!("/api/v1/credentials/{other_id}/revoke"), None, json!({"note": "fraud"})).await;
    assert_eq!(revoked.status(), 200);
    assert_problem(s.post(&format!("/api/v1/credentials/{other_id}/renew"), None, json!({})).await, 409).await;
}

#[tokio::test]
async fn renewal_supersedes_the_old_credential_and_names_it_on_sqlite() {
    renewal_supersedes_the_old_credential_and_names_it(Backend::Sqlite).await;
}

#[tokio::test]
async fn renewal_supersedes_the_old_credential_and_names_it_on_postgres() {
    renewal_supersedes_the_old_credential_and_names_it(Backend::Postgres).await;
}

async fn a_correction_revokes_the_original_saying_why_and_linking_it(backend: Backend) {
    let Some(s) = setup(backend, None).await else { return };
    let old = s.award("maria@example.bg", json!({"result": "92"})).await;
    let old_id = old["id"].as_str().unwrap();
    let nothing = s.post(&format!("/api/v1/credentials/{old_id}/replace"), None, json!({})).await;
    assert_problem(nothing, 422).await;
    // A "correction" to what is already there changes nothing: refused, nothing revoked.
    let same = s.post(&format!("/api/v1/credentials/{old_id}/replace"), None, json!({"result": "92"})).await;
    assert_problem(same, 422).await;
    // Nor may a corrected address give someone a second award of the achievement.
    s.award("ivan@example.bg", json!({})).await;
    let taken = s
        .post(
            &format!("/api/v1/credentials/{old_id}/replace"),
            None,
            json!({"recipient": {"email": "ivan@example.bg"}}),
        )
        .await;
    assert_problem(taken, 409).await;
    assert_eq!(s.status(old_id).await, "active", "nothing changed");
    let corrected = s
        .post(
            &format!("/api/v1/credentials/{old_id}/replace"),
            Some("fix-1"),
            json!({"recipient": {"name": "Мария Иванова-Петрова"}, "note": "name misspelt at enrolment"}),
        )
        .await;
    assert_eq!(corrected.status(), 201, "{}", corrected.text().await.unwrap());
    let corrected: Value = corrected.json().await.unwrap();
    let new_id = corrected["id"].as_str().unwrap();
    assert_eq!(corrected["credential"]["credentialSubject"]["name"], "Мария Иванова-Петрова");
    assert_eq!(corrected["credential"]["credentialSubject"]["result"][0]["value"], "92", "uncorrected fields stay");
    assert_eq!(corrected["credential"]["validFrom"], old["credential"]["validFrom"]);
    assert_eq!(s.report(new_id).await["outcome"], "valid");

    let report = s.report(old_id).await;
    assert_eq!(report["outcome"], "revoked", "verifiers see the original revoked: {report}");
    assert_eq!(report["replaced_by"], corrected["credential"]["id"]);
    for lang in ["en", "bg"] {
        let page = s.page(old_id, lang).await;
        assert!(page.contains(&label(lang, "verdict_replaced")), "{lang}");
        assert!(page.contains(&format!("href=\"{}\"", corrected["credential"]["id"].as_str().unwrap())), "{lang}");
        assert!(!page.contains(&format!(">{}<", label(lang, "verdict_revoked"))), "{lang}: not a bare Revoked");
    }
    let view = s.app.get_json_as(&s.assessor, &format!("/api/v1/credentials/{old_id}")).await;
    assert_eq!(view["status"], "revoked");
    let view = s.app.get_json_as(&s.assessor, &format!("/api/v1/credentials/{new_id}")).await;
    assert_eq!(view["delivery"]["status"], "pending", "the corrected credential is e-mailed");
    assert_eq!(s.audits("credential.replace", old_id).await, 1);
    // Corrected, then renewed: the original's page links the latest version, two steps on.
    let renewed = s.post(&format!("/api/v1/credentials/{new_id}/renew"), None, json!({})).await;
    assert_eq!(renewed.status(), 201);
    let latest = renewed.json::<Value>().await.unwrap()["credential"]["id"].as_str().unwrap().to_owned();
    let report = s.report(old_id).await;
    assert_eq!(
        (report["replaced_by"].clone(), report["current_version"].clone()),
        (corrected["credential"]["id"].clone(), json!(latest))
    );
    assert!(s.page(old_id, "en").await.contains(&format!("href=\"{latest}\"")));
    // The original is not current any more: neither renewed nor corrected again.
    assert_problem(s.post(&format!("/api/v1/credentials/{old_id}/renew"), None, json!({})).await, 409).await;
    let retry = s
        .post(
            &format!("/api/v1/credentials/{old_id}/replace"),
            Some("fix-1"),
            json!({"recipient": {"name": "Мария Иванова-Петрова"}, "note": "name misspelt at enrolment"}),
        )
        .await;
    assert_eq!(retry.status(), 200, "a retry of the correction answers with it");
}

#[tokio::test]
async fn a_correction_revokes_the_original_saying_why_and_linking_it_on_sqlite() {
    a_correction_revokes_the_original_saying_why_and_linking_it(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_correction_revokes_the_original_saying_why_and_linking_it_on_postgres() {
    a_correction_revokes_the_original_saying_why_and_linking_it(Backend::Postgres).await;
}

async fn a_suspension_deadline_withdraws_the_credential_while_the_server_runs(backend: Backend) {
    let Some(s) = setup(backend, None).await else { return };
    let issued = s.award("maria@example.bg", json!({})).await;
    let id = issued["id"].as_str().unwrap();
    let past =
        s.post(&format!("/api/v1/credentials/{id}/suspend"), None, json!({"note": "x", "until": "2020-01-01"})).await;
    assert_problem(past, 422).await;
    let until = s.clock.now() + day(14);
    let until_text = until.format(&time::format_description::well_known::Rfc3339).unwrap();
    let suspended = s
        .post(
            &format!("/api/v1/credentials/{id}/suspend"),
            None,
            json!({"note": "complaint under review", "public_reason": "Under review", "until": until_text}),
        )
        .await;
    assert_eq!(suspended.status(), 200, "{}", suspended.text().await.unwrap());
    let page = s.page(id, "en").await;
    let shown = microcred::certificate::Labels::for_tag("en").date(until.date());
    assert!(page.contains(&format!("Suspended until {shown}")), "{page}");
    let page = s.page(id, "bg").await;
    assert!(page.contains("Спряно до"), "the deadline in Bulgarian too");
    let view = s.app.get_json_as(&s.assessor, &format!("/api/v1/credentials/{id}")).await;
    assert!(view["suspended_until"].is_string(), "{view}");
    // A second deadline on a suspended credential is refused, not silently ignored; nor is one past ten years.
    let again =
        s.post(&format!("/api/v1/credentials/{id}/suspend"), None, json!({"note": "x", "until": "2030-01-01"})).await;
    assert_problem(again, 409).await;
    let other = s.award("far@example.bg", json!({})).await["id"].as_str().unwrap().to_owned();
    let far = s
        .post(&format!("/api/v1/credentials/{other}/suspend"), None, json!({"note": "x", "until": "2999-01-01"}))
        .await;
    assert_problem(far, 422).await;

    let job = TestApp::run_lifecycle(&s.app.app, Duration::from_millis(50));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(s.status(id).await, "suspended", "before the deadline nothing happens");
    s.clock.advance(day(15));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.status(id).await != "revoked" {
        assert!(std::time::Instant::now() < deadline, "the running job withdrew it");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    job.stop().await;
    let report = s.report(id).await;
    assert_eq!(report["outcome"], "revoked", "{report}");
    assert!(s.page(id, "en").await.contains(&label("en", "explain_revoked")[..20]));
    assert!(s.page(id, "bg").await.contains(&label("bg", "reason_withdrawn")), "the reason in the reader's language");
    assert_eq!(s.audits("credential.withdraw", id).await, 1);
}

#[tokio::test]
async fn a_suspension_deadline_withdraws_the_credential_while_the_server_runs_on_sqlite() {
    a_suspension_deadline_withdraws_the_credential_while_the_server_runs(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_suspension_deadline_withdraws_the_credential_while_the_server_runs_on_postgres() {
    a_suspension_deadline_withdraws_the_credential_while_the_server_runs(Backend::Postgres).await;
}

async fn a_deadline_that_passed_while_the_server_was_down_is_applied_once_at_start(backend: Backend) {
    let Some(s) = setup(backend, None).await else { return };
    let a = s.award("a@example.bg", json!({})).await["id"].as_str().unwrap().to_owned();
    let b = s.award("b@example.bg", json!({})).await["id"].as_str().unwrap().to_owned();
    let until = (s.clock.now() + day(1)).format(&time::format_description::well_known::Rfc3339).unwrap();
    for id in [&a, &b] {
        let r =
            s.post(&format!("/api/v1/credentials/{id}/suspend"), None, json!({"note": "audit", "until": until})).await;
        assert_eq!(r.status(), 200);
    }
    // Lifted in time: b is reinstated before the deadline and stays valid.
    let plain = s
        .app
        .client
        .post(s.app.url(&format!("/api/v1/credentials/{b}/reinstate")))
        .bearer_auth(&s.assessor)
        .header("content-type", "text/plain")
        .body("please")
        .send()
        .await
        .unwrap();
    assert_problem(plain, 415).await;
    let lifted = s.post(&format!("/api/v1/credentials/{b}/reinstate"), None, json!({"note": "appeal upheld"})).await;
    assert_eq!(lifted.status(), 200);
    // No lifecycle job runs (the service is "down") while the deadline passes.
    s.clock.advance(day(2));
    assert_eq!(s.status(&a).await, "suspended");
    // Two processes start over the database at once (a restart with two replicas): a is withdrawn once.
    let (one, two) = (s.app.another_process().await, s.app.another_process().await);
    let (r1, r2) = tokio::join!(
        one.lifecycle_round("one", Duration::from_secs(300)),
        two.lifecycle_round("two", Duration::from_secs(300))
    );
    let withdrawn: Vec<CredentialId> =
        [r1.unwrap(), r2.unwrap()].into_iter().flatten().flat_map(|r| r.withdrawn).collect();
    assert_eq!(withdrawn.iter().map(ToString::to_string).collect::<Vec<_>>(), std::slice::from_ref(&a), "exactly once");
    assert_eq!(s.status(&a).await, "revoked");
    assert_eq!(s.status(&b).await, "active");
    assert_eq!(s.audits("credential.withdraw", &a).await, 1);

    // Without the lease, too (two processes both past it): the conditional update withdraws c once.
    let c = s.award("c@example.bg", json!({})).await["id"].as_str().unwrap().to_owned();
    let until = (s.clock.now() + day(1)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let r = s.post(&format!("/api/v1/credentials/{c}/suspend"), None, json!({"note": "audit", "until": until})).await;
    assert_eq!(r.status(), 200);
    s.clock.advance(day(2));
    let now_ms = microcred::store::unix_ms(s.clock.now());
    let template = microcred::domain::audit::AuditEntry {
        at: s.clock.now(),
        api_key_id: None,
        issuer_id: None,
        action: "credential.withdraw",
        subject: String::new(),
        reason: None,
    };
    let (x, y) = tokio::join!(
        one.store().withdraw_due_suspensions(now_ms, "withdrawn", &template),
        two.store().withdraw_due_suspensions(now_ms, "withdrawn", &template)
    );
    assert_eq!(x.unwrap().len() + y.unwrap().len(), 1, "exactly one process withdrew it");
    assert_eq!(s.audits("credential.withdraw", &c).await, 1);
    let report = s.report(&a).await;
    assert_eq!(report["outcome"], "revoked");
}

#[tokio::test]
async fn a_deadline_that_passed_while_the_server_was_down_is_applied_once_at_start_on_sqlite() {
    a_deadline_that_passed_while_the_server_was_down_is_applied_once_at_start(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_deadline_that_passed_while_the_server_was_down_is_applied_once_at_start_on_postgres() {
    a_deadline_that_passed_while_the_server_was_down_is_applied_once_at_start(Backend::Postgres).await;
}

async fn bulk_changes_are_all_or_nothing_audited_and_publish_each_list_once(backend: Backend) {
    let Some(s) = setup(backend, None).await else { return };
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(s.award(&format!("learner{i}@example.bg"), json!({})).await["id"].as_str().unwrap().to_owned());
    }
    let unknown = uuid::Uuid::new_v4().to_string();
    let store = s.app.app.store();
    let list = |id: &str| {
        let id = id.to_owned();
        async move {
            let c = store.credential(CredentialId(id.parse().unwrap())).await.unwrap().unwrap();
            let slot = c.status.unwrap();
            store.status_list(slot.list).await.unwrap().unwrap().version
        }
    };
    let before = list(&ids[0]).await;

    // All or nothing: an unknown id refuses the request, naming it, and nothing changes.
    let refused = s
        .post(
            "/api/v1/credentials/bulk",
            None,
            json!({"action": "revoke", "ids": [ids[0], ids[1], unknown], "note": "exam leak"}),
        )
        .await;
    let problem = assert_problem(refused, 422).await;
    assert_eq!(problem["errors"][0]["field"], format!("credentials.{unknown}"), "{problem}");
    assert_eq!(s.status(&ids[0]).await, "active");
    assert_eq!(list(&ids[0]).await, before);

    // The same with atomic: false revokes the two, reports the third.
    let done = s.post("/api/v1/credentials/bulk", None, json!({"action": "revoke", "ids": [ids[0], ids[1], unknown], "note": "exam leak", "public_reason": "Exam session annulled", "atomic": false})).await;
    assert_eq!(done.status(), 200);
    let report: Value = done.json().await.unwrap();
    assert_eq!(report["changed"], 2);
    assert_eq!(report["refused"], 1);
    assert_eq!(report["results"][2]["outcome"], "refused");
    assert_eq!(report["status_lists"], 1, "{report}");
    assert_eq!(list(&ids[0]).await, before + 1, "the revocation list changed once for two credentials");
    assert_eq!(s.report(&ids[1]).await["outcome"], "revoked");
    assert_eq!(s.audits("credential.revoke", &ids[0]).await, 1);

    // By filter: suspend every credential of the achievement issued before now that is not revoked.
    let filter = json!({"achievement_id": s.achievement_id, "issued_before": "2999-01-01T00:00:00Z"});
    let everything =
        s.post("/api/v1/credentials/bulk", None, json!({"action": "suspend", "filter": {}, "note": "review"})).await;
    assert_problem(everything, 422).await; // a filter must name something
    let until = (s.clock.now() + day(365)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let done = s
        .post(
            "/api/v1/credentials/bulk",
            None,
            json!({"action": "suspend", "filter": filter, "note": "review", "until": until}),
        )
        .await;
    let report: Value = done.json().await.unwrap();
    assert_eq!(report["changed"], 4, "{report}");
    assert_eq!(report["unchanged"], 2, "the two revoked ones are left as they are: {report}");
    assert_eq!(s.status(&ids[5]).await, "suspended");

    // A CSV of ids reinstates three of them.
    // Semicolons, as spreadsheets in Bulgarian or Italian save CSV; an id may be the credential's address.
    let csv = format!("id;name\n{};a\n{};b\n{}/credentials/{};c\n", ids[2], ids[3], s.app.base, ids[4]);
    let response = s
        .app
        .client
        .post(s.app.url("/api/v1/credentials/bulk?action=reinstate"))
        .bearer_auth(&s.assessor)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    for (i, expected) in [(2, "active"), (3, "active"), (4, "active"), (5, "suspended")] {
        assert_eq!(s.status(&ids[i]).await, expected, "credential {i}");
        let outcome = s.report(&ids[i]).await["outcome"].clone();
        assert_eq!(outcome, if expected == "active" { "valid" } else { "suspended" }, "published, credential {i}");
    }
    // Another issuer's assessor cannot touch them.
    let stranger = s.app.another_issuer("other", "Other", "IT").await;
    let response = s
        .app
        .client
        .post(s.app.url("/api/v1/credentials/bulk"))
        .bearer_auth(&stranger)
        .json(&json!({"action": "revoke", "ids": [ids[5]], "note": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 422).await;
    assert_eq!(s.status(&ids[5]).await, "suspended");
}

#[tokio::test]
async fn bulk_changes_are_all_or_nothing_audited_and_publish_each_list_once_on_sqlite() {
    bulk_changes_are_all_or_nothing_audited_and_publish_each_list_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn bulk_changes_are_all_or_nothing_audited_and_publish_each_list_once_on_postgres() {
    bulk_changes_are_all_or_nothing_audited_and_publish_each_list_once(Backend::Postgres).await;
}

async fn learners_are_reminded_once_in_their_language_and_the_issuer_gets_a_digest(backend: Backend) {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    let Some(s) = setup(backend, Some(&smtp)).await else { return };
    let start = s.clock.now();
    let date = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    let round = || async { s.app.app.lifecycle_round("test", Duration::from_secs(300)).await.unwrap().unwrap() };
    // A round with nothing expiring sends nothing, and does not use up this week's digest.
    let empty = round().await;
    assert_eq!((empty.queued, empty.sent), (0, 0));
    let long = s.award("maria@example.bg", json!({"valid_until": date(start + day(100)), "notify": false})).await;
    let short = s
        .award("ivan@example.bg", json!({"valid_until": date(start + day(20)), "notify": false, "language": "el"}))
        .await;
    let smtp = &smtp;
    let reminders = |n: usize| async move {
        let messages = smtp.wait_for(n, Duration::from_secs(10)).await;
        messages
            .iter()
            .map(|m| MessageParser::default().parse(m).unwrap().subject().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };

    // Now: the short one is 20 days from expiry (30-day reminder; the 90-day one is skipped, not sent too),
    // and the issuer's weekly digest lists it (the long one expires beyond the digest's 90 days).
    let first = round().await;
    assert_eq!(first.sent, 2, "{first:?}");
    let subjects = reminders(2).await;
    assert!(
        subjects.iter().any(|t| t.starts_with("Το διαπιστευτήριό σας")),
        "the Greek learner's reminder: {subjects:?}"
    );
    assert!(subjects.iter().any(|t| t.starts_with("Credentials expiring in the next 90 days: 1")), "{subjects:?}");
    let notices = s.app.app.notices_of(CredentialId(short["id"].as_str().unwrap().parse().unwrap())).await.unwrap();
    assert_eq!(notices, [(Some(90), "skipped".to_owned()), (Some(30), "sent".to_owned())]);
    assert_eq!(round().await.sent, 0, "each reminder once, and one digest a week");

    // Eleven days on, the long one is 89 days from expiry: its 90-day reminder, in Bulgarian, once.
    s.clock.advance(day(11));
    assert_eq!(round().await.sent, 2, "the 90-day reminder, and the next week's digest");
    assert_eq!(round().await.sent, 0);
    let messages = smtp.wait_for(4, Duration::from_secs(10)).await;
    let bg = messages
        .iter()
        .map(|m| MessageParser::default().parse(m).unwrap())
        .find(|m| m.subject().unwrap_or_default().starts_with("Вашето удостоверение"))
        .expect("a Bulgarian reminder");
    let text = bg.body_text(0).unwrap();
    assert!(text.contains("Мария Иванова"), "{text}");
    assert!(text.contains("office@ucs.example"), "how to renew: the issuer's contact: {text}");
    assert!(text.contains(&format!("/credentials/{}", long["id"].as_str().unwrap())), "{text}");
    // Renewed, it is reminded no more; a restart (another process) sends nothing again.
    // (Awarded with notify: false, the renewal is e-mailed only when asked: here it is, and says it is one.)
    let renewed = s
        .post(&format!("/api/v1/credentials/{}/renew", long["id"].as_str().unwrap()), None, json!({"notify": true}))
        .await;
    assert_eq!(renewed.status(), 201);
    let messages = smtp.wait_for(5, Duration::from_secs(10)).await;
    let prefix = label("bg", "mail_subject_renewal").replace("{achievement}", "");
    assert!(
        messages.iter().any(|m| MessageParser::default()
            .parse(m)
            .unwrap()
            .subject()
            .unwrap_or_default()
            .starts_with(&prefix)),
        "the renewal's e-mail says it is a renewal"
    );
    s.clock.advance(day(65));
    let again = s.app.another_process().await;
    let r = again.lifecycle_round("restart", Duration::from_secs(300)).await.unwrap();
    assert!(r.is_none(), "the lease of the first process is still held");
    let messages = smtp.messages();
    assert!(
        !messages.iter().any(|m| MessageParser::default()
            .parse(m)
            .unwrap()
            .subject()
            .unwrap_or_default()
            .contains("30 ")),
        "no 30-day reminder of a renewed credential"
    );
}

#[tokio::test]
async fn learners_are_reminded_once_in_their_language_and_the_issuer_gets_a_digest_on_sqlite() {
    learners_are_reminded_once_in_their_language_and_the_issuer_gets_a_digest(Backend::Sqlite).await;
}

#[tokio::test]
async fn learners_are_reminded_once_in_their_language_and_the_issuer_gets_a_digest_on_postgres() {
    learners_are_reminded_once_in_their_language_and_the_issuer_gets_a_digest(Backend::Postgres).await;
}

/// The independent verifier (Digital Bazaar's `vc` and `vc-bitstring-status-list`, `tests/wallet/verify.mjs`)
/// on a credential's JSON as served: `{verified, revoked, suspended, errors}`; `None` when node or the test
/// wallets are missing (and tools are not required).
async fn independent_verdict(app: &TestApp, id: &str) -> Option<Value> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ready = std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success())
        && root.join("tests/wallet/node_modules/@digitalbazaar/vc-bitstring-status-list").exists();
    if !ready {
        assert!(
            std::env::var_os("REQUIRE_BROWSER").is_none(),
            "REQUIRE_BROWSER is set but `npm ci --prefix tests/wallet` was not run"
        );
        eprintln!("skipping the independent verifier: needs node and `npm ci --prefix tests/wallet`");
        return None;
    }
    let json = app.client.get(app.url(&format!("/credentials/{id}.json"))).send().await.unwrap().bytes().await.unwrap();
    let mut child = tokio::process::Command::new("node")
        .arg(root.join("tests/wallet/verify.mjs"))
        .env("BASE", &app.base)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(child.stdin.as_mut().unwrap(), &json).await.unwrap();
    drop(child.stdin.take());
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success(), "verify.mjs could not run: {}", String::from_utf8_lossy(&output.stderr));
    Some(serde_json::from_slice(&output.stdout).unwrap())
}

#[tokio::test]
async fn an_independent_verifier_sees_the_corrected_original_revoked_and_the_correction_and_renewal_valid() {
    let Some(s) = setup(Backend::Sqlite, None).await else { return };
    let old = s.award("maria@example.bg", json!({"result": "92"})).await;
    let old_id = old["id"].as_str().unwrap();
    let Some(before) = independent_verdict(&s.app, old_id).await else { return };
    assert_eq!(before["verified"], true, "{before}");
    let corrected = s.post(&format!("/api/v1/credentials/{old_id}/replace"), None, json!({"result": "95"})).await;
    assert_eq!(corrected.status(), 201);
    let new_id = corrected.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let after = independent_verdict(&s.app, old_id).await.unwrap();
    assert_eq!((after["verified"].clone(), after["revoked"].clone()), (json!(false), json!(true)), "{after}");
    let correction = independent_verdict(&s.app, &new_id).await.unwrap();
    assert_eq!(correction["verified"], true, "{correction}");
    // A renewal, which carries a relatedResource, verifies too.
    let renewed = s.post(&format!("/api/v1/credentials/{new_id}/renew"), None, json!({})).await;
    assert_eq!(renewed.status(), 201);
    let renewal = renewed.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let verdict = independent_verdict(&s.app, &renewal).await.unwrap();
    assert_eq!(verdict["verified"], true, "{verdict}");
}
