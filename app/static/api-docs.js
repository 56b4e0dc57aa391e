// List the API's operations from its OpenAPI document: method, path, summary, scopes, parameters, body, responses.
(function () {
  "use strict";
  var root = document.getElementById("api-operations");
  if (!root) return;

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function schemaName(content) {
    if (!content) return "";
    var types = Object.keys(content);
    return types.map(function (type) {
      var schema = content[type].schema || {};
      var ref = schema.$ref || (schema.items && schema.items.$ref) || "";
      return type + (ref ? " " + ref.split("/").pop() : "");
    }).join(", ");
  }

  fetch(root.dataset.spec, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (spec) {
      Object.keys(spec.paths).sort().forEach(function (path) {
        var item = spec.paths[path];
        ["get", "post", "put", "patch", "delete"].forEach(function (method) {
          var op = item[method];
          if (!op) return;
          var section = el("section", "", "api-operation");
          section.dataset.test = "api-operation";
          var title = el("h2");
          title.appendChild(el("code", method.toUpperCase() + " " + path));
          section.appendChild(title);
          if (op.summary) section.appendChild(el("p", op.summary));
          if (op.description) section.appendChild(el("p", op.description, "muted"));
          var list = el("ul");
          (op.parameters || []).concat(item.parameters || []).forEach(function (p) {
            list.appendChild(el("li", p["in"] + " " + p.name + (p.required ? " (required)" : "")));
          });
          if (op.requestBody) list.appendChild(el("li", "body: " + schemaName(op.requestBody.content)));
          Object.keys(op.responses || {}).forEach(function (status) {
            var resp = op.responses[status];
            if (resp.$ref) resp = spec.components.responses[resp.$ref.split("/").pop()] || {};
            list.appendChild(el("li", status + " " + (resp.description || "") + " " + schemaName(resp.content)));
          });
          section.appendChild(list);
          root.appendChild(section);
        });
      });
    });
})();
