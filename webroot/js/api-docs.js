// Swagger UI on the API's own OpenAPI document (/api/docs). No inline script: this file is the initializer.
// Calls made with "Try it out" are same-origin, so the dashboard's session cookie signs them in; a token
// can also be given under "Authorize" (bearer).
(function () {
  'use strict';
  function start() {
    var root = document.getElementById('swagger-ui');
    window.ui = window.SwaggerUIBundle({
      url: root.getAttribute('data-spec') || '/api/openapi.yaml',
      domNode: root,
      deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: 'BaseLayout',
      // No call to the public validator (validator.swagger.io): the page talks to this server only.
      validatorUrl: null,
      displayOperationId: true,
      defaultModelsExpandDepth: 0,
      persistAuthorization: false
    });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
