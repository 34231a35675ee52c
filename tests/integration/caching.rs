//! Conditional requests: every cached document (the signed JSON, the certificate, the badge, a status list)
//! carries a strong `ETag` and answers `If-None-Match` with 304 for any form a cache may send (the tag, its
//! weak form, a list holding it, `*`), and with the document for any other tag.

use serde_json::json;

use crate::support::{Backend, TestApp};

#[tokio::test]
async fn downloads_and_status_lists_revalidate_by_any_form_of_their_etag() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let issued = app
        .award(
            &assessor,
            json!({"achievement_id": achievement_id, "recipient": {"name": "Ana García", "email": "ana@example.es"}}),
        )
        .await;
    let status_list = issued["credential"]["credentialStatus"]["statusListCredential"].as_str().unwrap().to_owned();
    let links = &issued["links"];
    for url in
        [links["json"].as_str().unwrap(), links["pdf"].as_str().unwrap(), links["png"].as_str().unwrap(), &status_list]
    {
        let first = app.client.get(url).send().await.unwrap();
        assert_eq!(first.status(), 200, "{url}");
        let etag =
            first.headers().get("etag").unwrap_or_else(|| panic!("{url} has no ETag")).to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{url}: a strong, quoted ETag: {etag}");
        assert!(first.headers()["cache-control"].to_str().unwrap().starts_with("public, max-age="), "{url}");
        let body = first.bytes().await.unwrap();
        for sent in [etag.clone(), format!("W/{etag}"), format!("\"other\", {etag}"), "*".to_owned()] {
            let again = app.client.get(url).header("If-None-Match", &sent).send().await.unwrap();
            assert_eq!(again.status(), 304, "{url} with If-None-Match: {sent}");
            assert_eq!(again.headers()["etag"].to_str().unwrap(), etag, "{url}: a 304 names the version");
            assert!(again.bytes().await.unwrap().is_empty());
        }
        let stale = app.client.get(url).header("If-None-Match", "\"an-older-version\"").send().await.unwrap();
        assert_eq!(stale.status(), 200, "{url}");
        assert_eq!(stale.bytes().await.unwrap(), body, "{url}: the same bytes again");
    }
}
