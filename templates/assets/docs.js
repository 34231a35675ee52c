// The API reference at /docs: Swagger UI (vendored from the npm package swagger-ui-dist, served from this
// origin) rendering /openapi.json. A file, not an inline script, since the page's CSP allows only our own.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#api-reference",
    deepLinking: true,
    // No badge from the online validator: nothing is fetched from elsewhere.
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    docExpansion: "list",
    tryItOutEnabled: false,
  });
});
