//! The learner's space, `/me`, through a real SMTP server: asking for a sign-in link answers the same for
//! any address, the link arrives by e-mail, works once, opens a session that lists every credential sent
//! to that address (across issuers), and signing out needs the session's form token.

use std::time::Duration;

use mail_parser::MessageParser;
use serde_json::json;

use crate::smtp::{Mode, SmtpServer};
use crate::support::{Backend, TestApp};

async fn with_mail(backend: Backend, smtp: &SmtpServer) -> Option<TestApp> {
    let url = smtp.url();
    TestApp::spawn_with(backend, move |s| {
        s.smtp_url = Some(url.parse().unwrap());
        s.mail_concurrency = Some(2);
    })
    .await
}

/// A client that keeps cookies and does not follow redirects, as a browser tab would be inspected.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn link_in(raw: &[u8]) -> String {
    let message = MessageParser::default().parse(raw).unwrap();
    let text = message.body_text(0).unwrap().into_owned();
    text.split_whitespace().find(|w| w.contains("/me/sign-in/")).unwrap().to_owned()
}

async fn learner_space(backend: Backend) {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    let Some(app) = with_mail(backend, &smtp).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    // Two credentials for Giorgos (one without e-mail), one for someone else.
    for (name, email, notify) in
        [("Γιώργος Παπαδόπουλος", "giorgos@example.gr", true), ("Someone Else", "else@example.eu", true)]
    {
        app.award(
            &assessor,
            json!({"achievement_id": achievement_id, "notify": notify, "language": "el",
                                    "recipient": {"name": name, "email": email}}),
        )
        .await;
    }
    let second = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "allow_duplicate": true, "notify": false,
                   "recipient": {"name": "Γιώργος Παπαδόπουλος", "email": "GIORGOS@example.gr"}}),
        )
        .await;
    smtp.wait_for(2, Duration::from_secs(20)).await;
    let awards = smtp.messages().len();
    let client = browser();
    let origin = app.base.clone();

    // The form, in Greek.
    let form = client.get(app.url("/me?lang=el")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    assert_eq!(form.headers()["cache-control"], "no-store");
    let form = form.text().await.unwrap();
    assert!(form.contains("action=\"/me/sign-in?lang=el\"") && form.contains("type=\"email\""), "{form}");

    // The same answer for an address with credentials and one without; only the first gets a link.
    let ask = |email: &'static str| {
        client.post(app.url("/me/sign-in?lang=el")).header("origin", &origin).form(&[("email", email)]).send()
    };
    let unknown = ask("nobody@example.eu").await.unwrap();
    assert_eq!(unknown.status(), 200);
    let unknown = unknown.text().await.unwrap().replace("nobody@example.eu", "ADDRESS");
    let known = ask("Giorgos@Example.gr").await.unwrap();
    assert_eq!(known.status(), 200);
    let known = known.text().await.unwrap().replace("Giorgos@Example.gr", "ADDRESS");
    assert_eq!(known, unknown, "the answer does not tell whether the address holds credentials");
    let messages = smtp.wait_for(awards + 1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = if messages.len() > awards + 1 { messages } else { smtp.messages() };
    assert_eq!(messages.len(), awards + 1, "one sign-in link, for the known address only");
    let sign_in = MessageParser::default().parse(&messages[awards]).unwrap();
    assert_eq!(sign_in.to().unwrap().first().unwrap().address(), Some("giorgos@example.gr"));
    // From the deployment, not from one issuer, and no reply address that would receive the link.
    let from = sign_in.from().unwrap().first().unwrap();
    assert_eq!((from.name(), from.address()), (Some("microcred"), Some("certificates@localhost")));
    assert!(sign_in.reply_to().is_none());
    let link = link_in(&messages[awards]);
    assert!(link.starts_with(&format!("{}/me/sign-in/", app.base)) && link.ends_with("?lang=el"), "{link}");

    // Not an address: the form again, saying so (422); a form from another site: refused (403).
    let bad = ask("not-an-address").await.unwrap();
    assert_eq!(bad.status(), 422);
    let cross = client
        .post(app.url("/me/sign-in"))
        .header("origin", "https://evil.example")
        .form(&[("email", "giorgos@example.gr")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);

    // The link opens a session once.
    let opened = client.get(&link).send().await.unwrap();
    assert_eq!(opened.status(), 303);
    assert_eq!(opened.headers()["location"], "/me?lang=el");
    let cookie = opened.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    let session = cookie.split(';').next().unwrap().to_owned();
    let again = client.get(&link).send().await.unwrap();
    assert_eq!(again.status(), 410, "a link works once");
    // A HEAD (a link checker) does not use a link up: checked on a fresh one below.
    let fresh = ask("Giorgos@Example.gr").await.unwrap();
    assert_eq!(fresh.status(), 200);
    let messages = smtp.wait_for(awards + 2, Duration::from_secs(20)).await;
    let fresh_link = link_in(&messages[awards + 1]);
    assert_eq!(client.head(&fresh_link).send().await.unwrap().status(), 200);
    assert_eq!(client.get(&fresh_link).send().await.unwrap().status(), 303, "still unused after a HEAD");

    // The space lists both of Giorgos's credentials, with verdicts and claim links, and not the other's.
    let space = client.get(app.url("/me?lang=el")).header("cookie", &session).send().await.unwrap();
    assert_eq!(space.status(), 200);
    let page = space.text().await.unwrap();
    assert_eq!(page.matches("class=\"held-credential\"").count(), 2, "{page}");
    assert!(page.contains("giorgos@example.gr") && !page.contains("Someone"), "{page}");
    assert!(page.contains("Έγκυρο") || page.contains("verdict-valid"), "{page}");
    let second_id = second["id"].as_str().unwrap();
    let claim = page
        .split('"')
        .find(|s| s.contains(&format!("/credentials/{second_id}?")) && s.contains("claim="))
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    // Recorded, then on to the page's address without the token (which is not for sharing).
    let claimed = client.get(&claim).send().await.unwrap();
    assert_eq!(claimed.status(), 303);
    assert_eq!(claimed.headers()["location"], format!("/credentials/{second_id}?lang=el"));
    let view = app.get_json_as(&assessor, &format!("/api/v1/credentials/{second_id}")).await;
    assert!(view["delivery"]["claimed_at"].is_string(), "opened from the space: claimed ({view})");

    // A renewal takes the renewed credential's place; the renewed one is listed under it as an earlier version.
    let renewed = app
        .client
        .post(app.url(&format!("/api/v1/credentials/{second_id}/renew")))
        .bearer_auth(&assessor)
        .send()
        .await
        .unwrap();
    assert_eq!(renewed.status(), 201);
    let renewal: serde_json::Value = renewed.json().await.unwrap();
    let renewal_id = renewal["id"].as_str().unwrap();
    let page =
        client.get(app.url("/me?lang=el")).header("cookie", &session).send().await.unwrap().text().await.unwrap();
    assert_eq!(page.matches("class=\"held-credential\"").count(), 2, "still two current credentials: {page}");
    let (current, versions) = page.split_once("class=\"held-versions\"").expect("an earlier versions list");
    assert!(current.contains(&format!("/credentials/{renewal_id}?")), "the renewal is current");
    assert!(versions.contains(&format!("/credentials/{second_id}?")), "the renewed one is an earlier version");
    assert!(versions.contains("verdict-superseded"), "{versions}");

    // Signing out needs the session's form token.
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let forged = client
        .post(app.url("/me/sign-out"))
        .header("cookie", &session)
        .header("origin", &origin)
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let out = client
        .post(app.url("/me/sign-out"))
        .header("cookie", &session)
        .header("origin", &origin)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let after = client.get(app.url("/me")).header("cookie", &session).send().await.unwrap().text().await.unwrap();
    assert!(after.contains("type=\"email\""), "signed out: the form again");
}

#[tokio::test]
async fn learner_space_on_sqlite() {
    learner_space(Backend::Sqlite).await;
}

#[tokio::test]
async fn learner_space_on_postgres() {
    learner_space(Backend::Postgres).await;
}

#[tokio::test]
async fn sign_in_links_are_limited_per_address() {
    let Some(smtp) = SmtpServer::start(Mode::default()) else { return };
    let Some(app) = with_mail(Backend::Sqlite, &smtp).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    app.award(
        &assessor,
        json!({"achievement_id": achievement_id, "notify": false,
                                "recipient": {"name": "Ana", "email": "ana@example.pt"}}),
    )
    .await;
    let client = browser();
    // The same for an address that holds credentials and one that does not: the limit tells nothing.
    for email in ["ana@example.pt", "nobody@example.pt"] {
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let response = client
                .post(app.url("/me/sign-in"))
                .header("origin", &app.base)
                .form(&[("email", email)])
                .send()
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
        }
        assert_eq!(statuses, [200, 200, 200, 200, 200, 429], "{email}");
    }
}
