// Starts Swagger UI for /api/v1/docs from the settings the page carries as JSON (no inline script).
(function () {
  "use strict";
  var data = document.body.dataset;
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  config.dom_id = "#swagger-ui";
  config.presets = [window.SwaggerUIBundle.presets.apis];
  if (data.apiCsrf && data.csrfToken) {
    config.requestInterceptor = function (request) {
      request.headers["X-CSRFToken"] = data.csrfToken;
      return request;
    };
  }
  window.SwaggerUIBundle(config);
})();
