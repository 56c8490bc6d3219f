// Starts Swagger UI on the document next to this page (/api/docs -> /api/openapi.json). A file rather
// than an inline script: the page's Content-Security-Policy allows scripts from this API only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "list", // every tag open, operations folded
  });
});
