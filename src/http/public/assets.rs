//! The pages' static assets, compiled into the binary.

use axum::extract::Path;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use crate::http::negotiate::Reply;

/// `GET /assets/{name}`: the style sheet, the script and the icon of the pages.
pub(crate) async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let (body, content_type): (&'static str, &'static str) = match name.as_str() {
        "style.css" => (include_str!("../../../templates/assets/style.css"), "text/css; charset=utf-8"),
        "app.js" => (include_str!("../../../templates/assets/app.js"), "text/javascript; charset=utf-8"),
        // The API's `/docs` page: a file, since the pages' Content-Security-Policy refuses inline styles.
        "docs.css" => (include_str!("../../../templates/assets/docs.css"), "text/css; charset=utf-8"),
        "favicon.svg" => (include_str!("../../../templates/assets/favicon.svg"), "image/svg+xml"),
        // The API reference's renderer: Swagger UI, vendored from the npm package swagger-ui-dist (Apache-2.0,
        // templates/assets/vendor/swagger-ui/), and the script that starts it on /openapi.json.
        "swagger-ui-bundle.js" => (
            include_str!("../../../templates/assets/vendor/swagger-ui/swagger-ui-bundle.js"),
            "text/javascript; charset=utf-8",
        ),
        "swagger-ui.css" => {
            (include_str!("../../../templates/assets/vendor/swagger-ui/swagger-ui.css"), "text/css; charset=utf-8")
        }
        "docs.js" => (include_str!("../../../templates/assets/docs.js"), "text/javascript; charset=utf-8"),
        _ => return Reply::page_first(&headers, None).not_found(),
    };
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}
