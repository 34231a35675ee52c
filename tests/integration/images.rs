//! Images on SQLite and PostgreSQL: an achievement's badge image and an issuer's logo, uploaded as a `data:`
//! URL, a raw body or a form, checked (unsafe SVGs and unusable PNGs refused with a reason), served from our
//! own origin, baked into PNG and SVG badges that `/verify` reads back, and shown on the page and the PDF.

use std::process::Command;

use base64::Engine as _;
use microcred::certificate::badge;
use microcred::domain::api_key::Role;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, assert_problem};

/// A PNG of `width` × `height` in one colour, fully opaque.
pub fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..width * height).flat_map(|_| rgb).collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

/// The RGBA pixels of a PNG.
fn pixels(png: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buffer).unwrap();
    buffer.truncate(frame.buffer_size());
    (frame.width, frame.height, buffer)
}

const SVG_BADGE: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><circle id="smart-city" cx="256" cy="256" r="240" fill="#1f3a5f"/><text x="256" y="270" text-anchor="middle" fill="#fff">Умни градове</text></svg>"##;

async fn images(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (assessor, achievement_id) = app.issuer_with_achievement(false).await;
    let achievement_url = app.url(&format!("/api/v1/achievements/{achievement_id}"));
    let patch = |body: Value| app.client.patch(&achievement_url).bearer_auth(&assessor).json(&body).send();

    // An SVG as a data: URL in JSON: stored and named by our own address.
    let b64 = base64::engine::general_purpose::STANDARD.encode(SVG_BADGE);
    let response = patch(json!({"image": format!("data:image/svg+xml;base64,{b64}")})).await.unwrap();
    assert_eq!(response.status(), 200);
    let svg_url = response.json::<Value>().await.unwrap()["image"].as_str().unwrap().to_owned();
    assert!(svg_url.starts_with(&app.url("/images/")) && svg_url.ends_with(".svg"), "{svg_url}");
    let served = app.client.get(&svg_url).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/svg+xml");
    assert!(served.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert!(served.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(served.text().await.unwrap(), SVG_BADGE, "served byte for byte");

    // Refused with a reason, nothing changed: a script in an SVG, a PNG too small, a JPEG.
    let hostile = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><script>alert(1)</script></svg>"#;
    let hostile = format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(hostile));
    let body = assert_problem(patch(json!({"image": hostile})).await.unwrap(), 422).await;
    assert_eq!(body["errors"][0]["field"], "image");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("<script>"), "{body}");
    let put = |content_type: &str, bytes: Vec<u8>| {
        app.client
            .put(format!("{achievement_url}/image"))
            .bearer_auth(&assessor)
            .header("content-type", content_type)
            .body(bytes)
            .send()
    };
    let body = assert_problem(put("image/png", png(8, 8, [0, 0, 0])).await.unwrap(), 422).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("8 × 8 pixels"), "{body}");
    let body = assert_problem(put("image/jpeg", b"\xff\xd8\xff\xe0JFIF".to_vec()).await.unwrap(), 422).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("neither a PNG nor an SVG"), "{body}");
    let current = app.get_json_as(&assessor, &format!("/api/v1/achievements/{achievement_id}")).await;
    assert_eq!(current["image"], svg_url.as_str(), "a refused image changes nothing");
    // Another issuer's assessor cannot touch it.
    let admin = app.token(Role::Admin).await;
    let other = app.token(Role::Assessor).await;
    let denied =
        app.client.put(format!("{achievement_url}/image")).bearer_auth(&other).body(png(64, 64, [1, 2, 3])).send();
    assert_eq!(denied.await.unwrap().status(), 403);

    // An award now bakes its SVG badge into the SVG image; /verify reads it back.
    let award =
        |email: &str| json!({"achievement_id": achievement_id, "recipient": {"name": "Иван Петров", "email": email}});
    let first = app.award(&assessor, award("ivan@example.bg")).await;
    let first_id = first["id"].as_str().unwrap();
    assert_eq!(first["credential"]["credentialSubject"]["achievement"]["image"]["id"], svg_url.as_str());
    assert_eq!(first["links"]["svg"], app.url(&format!("/credentials/{first_id}.svg")));
    let baked = app.client.get(app.url(&format!("/credentials/{first_id}.svg"))).send().await.unwrap();
    assert_eq!(baked.headers()["content-type"], "image/svg+xml");
    // It holds the uploaded SVG: opened directly, nothing in it may run or load (found by review).
    assert!(baked.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    let baked = baked.bytes().await.unwrap().to_vec();
    let text = String::from_utf8(baked.clone()).unwrap();
    assert!(text.contains(r#"<circle id="smart-city""#), "the achievement's own picture");
    let carried: Value = serde_json::from_str(&badge::extract_svg(&baked).unwrap()).unwrap();
    assert_eq!(carried, first["credential"]);
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(baked).file_name("badge.svg").mime_str("image/svg+xml").unwrap());
    let report: Value = app
        .client
        .post(app.url("/verify"))
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((report["kind"].as_str(), report["verified"].as_bool()), (Some("svg"), Some(true)), "{report}");

    // A plain SVG is not a baked badge, and /verify says so in those words (it said "the PNG has no …").
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(SVG_BADGE.as_bytes().to_vec())
            .file_name("plain.svg")
            .mime_str("image/svg+xml")
            .unwrap(),
    );
    let response =
        app.client.post(app.url("/verify")).header("accept", "application/json").multipart(form).send().await.unwrap();
    let body = assert_problem(response, 422).await;
    assert!(body["detail"].as_str().unwrap().contains("SVG has no <openbadges:credential>"), "{body}");

    // A form as Chromium and Safari send it: the boundary has capitals (found by review: it was lower-cased).
    let boundary = "----WebKitFormBoundaryAbCdEf012345";
    let mut form_body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.png\"\r\nContent-Type: image/png\r\n\r\n").into_bytes();
    form_body.extend(png(40, 40, [9, 9, 9]));
    form_body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let response = app
        .client
        .put(format!("{achievement_url}/image"))
        .bearer_auth(&assessor)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(form_body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    // A PNG sent as a form: later awards bake the PNG badge into its pixels; the earlier credential keeps
    // the image it was signed with.
    let red = png(64, 48, [200, 30, 40]);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(red.clone()).file_name("badge.png").mime_str("image/png").unwrap(),
    );
    let response =
        app.client.put(format!("{achievement_url}/image")).bearer_auth(&assessor).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let png_url = response.json::<Value>().await.unwrap()["image"].as_str().unwrap().to_owned();
    assert!(png_url.ends_with(".png"));
    let second = app.award(&assessor, award("maria@example.bg")).await;
    let second_id = second["id"].as_str().unwrap();
    let badge_png = app.client.get(app.url(&format!("/credentials/{second_id}.png"))).send().await.unwrap();
    let badge_png = badge_png.bytes().await.unwrap().to_vec();
    let (w, h, baked_pixels) = pixels(&badge_png);
    let (_, _, original) = pixels(&red);
    assert_eq!((w, h), (64, 48));
    assert_eq!(baked_pixels, original, "the achievement's pixels");
    let carried: Value = serde_json::from_str(&badge::extract(&badge_png).unwrap()).unwrap();
    assert_eq!(carried, second["credential"]);
    let first_again = app.get_json_as(&assessor, &format!("/api/v1/credentials/{first_id}")).await;
    assert_eq!(first_again["credential"]["credentialSubject"]["achievement"]["image"]["id"], svg_url.as_str());

    // The issuer's logo (admin), on the credential page and the printed certificate.
    let logo = png(300, 120, [31, 58, 95]);
    let response = app
        .client
        .put(app.url("/api/v1/issuers/ucs/logo"))
        .bearer_auth(&admin)
        .header("content-type", "image/png")
        .body(logo)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let logo_url = response.json::<Value>().await.unwrap()["logo_url"].as_str().unwrap().to_owned();
    assert_problem(
        app.client
            .put(app.url("/api/v1/issuers/ucs/logo"))
            .bearer_auth(&assessor)
            .body(png(64, 64, [0; 3]))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let third = app.award(&assessor, award("giorgos@example.gr")).await;
    let third_id = third["id"].as_str().unwrap();
    assert_eq!(third["credential"]["issuer"]["image"]["id"], logo_url.as_str());
    let page = app.client.get(app.url(&format!("/credentials/{third_id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!(r#"<img class="logo" src="{logo_url}""#)), "{page}");
    assert!(page.contains(&format!("/credentials/{third_id}.svg")), "the SVG badge is offered");
    let profile = app.client.get(app.url("/issuers/ucs")).send().await.unwrap().text().await.unwrap();
    assert!(profile.contains(&logo_url), "the profile page shows the logo");
    if Command::new("pdfimages").arg("-v").output().is_ok() {
        let pdf = app.client.get(app.url(&format!("/credentials/{third_id}.pdf"))).send().await.unwrap();
        let path = app.dir.path().join("with-logo.pdf");
        std::fs::write(&path, pdf.bytes().await.unwrap()).unwrap();
        let output = Command::new("pdfimages").args(["-list", path.to_str().unwrap()]).output().unwrap();
        let list = String::from_utf8(output.stdout).unwrap();
        let sizes: Vec<(String, String)> = list
            .lines()
            .skip(2)
            .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .map(|f| (f[3].clone(), f[4].clone()))
            .collect();
        assert_eq!(sizes, [("300".to_owned(), "120".to_owned())], "the logo, once, at its size: {list}");
        let before = app.client.get(app.url(&format!("/credentials/{second_id}.pdf"))).send().await.unwrap();
        let path = app.dir.path().join("without-logo.pdf");
        std::fs::write(&path, before.bytes().await.unwrap()).unwrap();
        let output = Command::new("pdfimages").args(["-list", path.to_str().unwrap()]).output().unwrap();
        assert_eq!(String::from_utf8(output.stdout).unwrap().lines().count(), 2, "no image before the logo");
        // An SVG logo (set with a data: URL in a patch) is drawn for the certificate too, at 400 pixels.
        let logo = base64::engine::general_purpose::STANDARD.encode(SVG_BADGE);
        let response = app
            .client
            .patch(app.url("/api/v1/issuers/ucs"))
            .bearer_auth(&admin)
            .json(&json!({"logo_url": format!("data:image/svg+xml;base64,{logo}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let fourth = app.award(&assessor, award("lucia@example.es")).await;
        let pdf = app.client.get(app.url(&format!("/credentials/{}.pdf", fourth["id"].as_str().unwrap()))).send().await;
        let path = app.dir.path().join("svg-logo.pdf");
        std::fs::write(&path, pdf.unwrap().bytes().await.unwrap()).unwrap();
        let output = Command::new("pdfimages").args(["-list", path.to_str().unwrap()]).output().unwrap();
        let list = String::from_utf8(output.stdout).unwrap();
        let sizes: Vec<Vec<String>> =
            list.lines().skip(2).map(|l| l.split_whitespace().map(str::to_owned).collect()).collect();
        assert_eq!(sizes.len(), 1, "{list}");
        assert_eq!((sizes[0][3].as_str(), sizes[0][4].as_str()), ("400", "400"), "{list}");
    } else {
        assert!(std::env::var_os("REQUIRE_TOOLS").is_none(), "REQUIRE_TOOLS is set but pdfimages is missing");
    }

    // Unknown or malformed image names are the same 404.
    for name in [
        "nope.png",
        &format!("{}.png", "0".repeat(64)),
        &format!("{}.svg", &png_url[png_url.len() - 68..png_url.len() - 4]),
    ] {
        let response = app.client.get(app.url(&format!("/images/{name}"))).send().await.unwrap();
        assert_eq!(response.status(), 404, "{name}");
    }
}

#[tokio::test]
async fn images_on_sqlite() {
    images(Backend::Sqlite).await;
}

#[tokio::test]
async fn images_on_postgres() {
    images(Backend::Postgres).await;
}
