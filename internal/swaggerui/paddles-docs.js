// Runs Swagger UI on the spec this server serves. URLs are relative to /docs/, so the page also
// works behind a proxy that adds a path prefix. "Try it out" sends its requests to the server this
// page came from: it is listed first among the spec's servers (the configured public URL follows
// when it differs), so the requests stay same-origin whatever --public-url says.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var base = new URL("..", window.location.href).href.replace(/\/$/, "");
  fetch("../openapi.json", { headers: { Accept: "application/json" } })
    .then(function (res) {
      if (!res.ok) {
        throw new Error("GET ../openapi.json answered " + res.status);
      }
      return res.json();
    })
    .then(function (spec) {
      var others = (spec.servers || []).filter(function (s) {
        return s.url.replace(/\/$/, "") !== base;
      });
      spec.servers = [{ url: base, description: "this server (the one that served this page)" }].concat(others);
      window.ui = SwaggerUIBundle({
        spec: spec,
        dom_id: "#swagger-ui",
        deepLinking: true,
        displayOperationId: true,
        displayRequestDuration: true,
        showExtensions: false,
        defaultModelsExpandDepth: 0,
        validatorUrl: null, // the default validator is an online service: never call it
        presets: [SwaggerUIBundle.presets.apis],
        layout: "BaseLayout"
      });
    })
    .catch(function (err) {
      root.textContent = "Could not load the API description: " + err.message;
    });
})();
