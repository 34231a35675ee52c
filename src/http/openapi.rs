//! The OpenAPI 3.1 description of every endpoint, generated from the handlers' annotations (utoipa) so it
//! cannot drift from the code, served at `/openapi.json` and browsable at `/docs`.

use axum::Json;
use axum::response::Html;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API description's frame: title, licence, authentication and tags. The operations come from the
/// route list itself ([`super::router`]), so a route cannot be served undocumented or documented unserved.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "microcred",
        description = "Micro-credentials as Open Badges 3.0 verifiable credentials: issue, revoke, verify. \
                       Every error is RFC 9457 application/problem+json.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "awards", description = "Issuing credentials"),
        (name = "status", description = "Revocation and suspension"),
        (name = "lifecycle", description = "Renewal, correction and bulk status changes"),
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

/// The whole OpenAPI 3.1 document: [`ApiDoc`] with every operation the router serves (built once).
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::LazyLock<utoipa::openapi::OpenApi> =
        std::sync::LazyLock::new(|| super::documented_routes(&super::HttpSettings::for_documentation()).into_openapi());
    &DOCUMENT
}

/// `GET /openapi.json`.
pub(super) async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(document())
}

/// The Content-Security-Policy of `/docs`: the pages' own, but with inline `style` attributes, which Swagger
/// UI sets on its elements (scripts stay our own files only).
pub(super) const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// `GET /docs`: the API reference, rendered from `/openapi.json` by Swagger UI served from our own origin
/// (every operation with its parameters, request and response bodies and their examples); without
/// JavaScript, a table of every operation.
pub async fn docs() -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let api = document();
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
                let summary = op.summary.as_deref().or(op.description.as_deref()).unwrap_or_default();
                let first = summary.lines().next().unwrap_or_default();
                rows.push_str(&format!(
                    "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td></tr>\n",
                    escape(path),
                    escape(first)
                ));
            }
        }
    }
    let page = Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>microcred API reference</title><link rel=\"stylesheet\" href=\"/assets/swagger-ui.css\">\
         <link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\">\
         <link rel=\"stylesheet\" href=\"/assets/docs.css\"></head><body>\
         <header><h1>microcred API reference</h1><p>The machine-readable description is \
         <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1). Errors are RFC 9457 \
         <code>application/problem+json</code>.</p></header>\
         <main id=\"api-reference\"><noscript><table>{rows}</table></noscript></main>\
         <script src=\"/assets/swagger-ui-bundle.js\"></script><script src=\"/assets/docs.js\"></script></body></html>",
    ));
    let mut response = page.into_response();
    response
        .headers_mut()
        .insert(axum::http::header::CONTENT_SECURITY_POLICY, axum::http::HeaderValue::from_static(DOCS_CSP));
    response
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Error answers many operations share, declared once (`responses(..., Denied, NotFound)`). Each is an
/// RFC 9457 [`Problem`](super::problem::Problem).
pub mod responses {
    #![expect(dead_code, reason = "the types only describe answers; handlers return `Error`")]

    use crate::http::problem::Problem;

    /// 401 and 403: the API token is missing or invalid, or its role or issuer may not do this.
    #[derive(Debug, utoipa::IntoResponses)]
    pub enum Denied {
        /// Missing or invalid API token
        #[response(status = 401, content_type = "application/problem+json")]
        Unauthorized(Problem),
        /// Wrong role or another issuer
        #[response(status = 403, content_type = "application/problem+json")]
        Forbidden(Problem),
    }

    /// Not found
    #[derive(Debug, utoipa::IntoResponses)]
    #[response(status = 404, content_type = "application/problem+json")]
    pub struct NotFound(Problem);

    /// Too large
    #[derive(Debug, utoipa::IntoResponses)]
    #[response(status = 413, content_type = "application/problem+json")]
    pub struct TooLarge(Problem);

    /// Invalid fields, each named
    #[derive(Debug, utoipa::IntoResponses)]
    #[response(status = 422, content_type = "application/problem+json")]
    pub struct Invalid(Problem);

    /// Rate limited; Retry-After says when to retry
    #[derive(Debug, utoipa::IntoResponses)]
    #[response(status = 429, content_type = "application/problem+json")]
    pub struct RateLimited(Problem);
}
