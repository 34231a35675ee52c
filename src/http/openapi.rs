//! The OpenAPI 3.1 description of every endpoint, generated from the handlers' annotations (utoipa) so it
//! cannot drift from the code, served at `/openapi.json` and browsable at `/docs`.

use axum::Json;
use axum::response::Html;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{achievements, credentials, health, issuers, pages, problem, vcapi};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "microcred",
        description = "Micro-credentials as Open Badges 3.0 verifiable credentials: issue, revoke, verify. \
                       Every error is RFC 9457 application/problem+json.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    paths(
        health::healthz, health::readyz, problem::describe,
        issuers::did_document, issuers::list, issuers::create,
        achievements::create, achievements::list, achievements::get, achievements::patch, achievements::public, achievements::extension_context, pages::report, pages::verify_page, pages::verify_upload,
        credentials::issue, credentials::issue_batch, credentials::list, credentials::export, credentials::get, credentials::public_file,
        credentials::revoke, credentials::suspend, credentials::reinstate, credentials::status_list, credentials::audit,
        vcapi::issue, vcapi::verify, vcapi::verify_presentation, vcapi::status, vcapi::publish,
    ),
    tags(
        (name = "awards", description = "Issuing credentials"),
        (name = "status", description = "Revocation and suspension"),
        (name = "achievements", description = "The module catalogue"),
        (name = "issuers", description = "Awarding bodies and their DIDs"),
        (name = "public", description = "What learners and employers fetch"),
        (name = "vc-api", description = "W3C VC-API"),
        (name = "operations", description = "Health, audit, documentation")
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// `GET /openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// `GET /docs`: every operation, readable without JavaScript or anything fetched from elsewhere.
pub async fn docs() -> Html<String> {
    let api = ApiDoc::openapi();
    let mut rows = String::new();
    for (path, item) in &api.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            if let Some(op) = operation {
                let summary = op.description.as_deref().or(op.summary.as_deref()).unwrap_or_default();
                let first = summary.lines().next().unwrap_or_default();
                rows.push_str(&format!(
                    "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td></tr>\n",
                    escape(path),
                    escape(first)
                ));
            }
        }
    }
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>microcred API</title><style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}}\
         td{{padding:.3rem .6rem;vertical-align:top;border-bottom:1px solid #ddd}}</style></head><body>\
         <h1>microcred API</h1><p>The machine-readable description is <a href=\"/openapi.json\">/openapi.json</a> \
         (OpenAPI 3.1). Errors are RFC 9457 <code>application/problem+json</code>.</p><table>{rows}</table></body></html>",
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
